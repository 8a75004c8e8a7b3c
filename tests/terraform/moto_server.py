"""moto's server for the local Terraform apply, with the gaps in moto it meets filled.

moto splits an UpdateStage patch path such as `/v1.0/products/POST/throttling/rateLimit` at its first
slashes, so per-method settings on a nested resource path (our 50 req/s write throttling) are lost and the
AWS provider cannot read them back. Real API Gateway reads the method and the setting from the end of the
path; this wrapper does the same, then hands every other operation to moto unchanged.

Deleting a key of a versioned bucket disposes of each version's buffer, and a delete marker has none: moto
answers 500, so a force-destroyed state bucket (whose lock files left delete markers) never empties. A delete
marker now has nothing to dispose of.

moto has no CloudWatch Logs query definitions (the saved Logs Insights queries of terraform/observability.tf):
PutQueryDefinition, DescribeQueryDefinitions and DeleteQueryDefinition are kept here in memory, per account
and region, with the fields the AWS provider writes and reads back.

moto records a CodeDeploy deployment group's alarms but answers an empty alarmConfiguration, and empty
settings the group does not have (the AWS provider would plan to change both), and records a deployment
without ever running it. Here a group answers the alarms it was given, and a Lambda deployment (AppSpec
content) is carried out when it is first read: the alias moves to the target version and the deployment has
Succeeded, as CodeDeploy's would with no alarm firing.
moto cannot delete a deployment group or an application (a destroy would wait forever): both are added.

moto's CloudWatch Synthetics knows CreateCanary, GetCanary and DescribeCanaries only (the canary of
terraform/canary.tf): StartCanary, StopCanary, UpdateCanary, DeleteCanary, TagResource and UntagResource are
added here, a missing canary answers ResourceNotFoundException (not a crash), and tags are found by the
canary's ARN as the AWS provider asks for them.

moto has no IAM Access Analyzer (terraform/bootstrap/access_analyzer.tf): CreateAnalyzer, GetAnalyzer,
DeleteAnalyzer and the tag operations are kept here in memory, one analyzer per name, always ACTIVE.

Every request and its answer is appended to the JSON-lines file named by RECORD_REQUESTS, when set (the
authorization rehearsal, tests/authorization/aws_requests.py, reads it). moto's own recorder keeps no answers,
and the rehearsal needs them for the ids AWS generates (a key's ARN, an API's id). Long strings in JSON
bodies (function packages) are cut short; other bodies over 64 KiB are left out.

Arguments are moto_server's (`-H 127.0.0.1 -p PORT`).
"""

from __future__ import annotations

import io
import json
import os
import threading
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from moto.apigateway.models import Stage
from moto.awslambda.models import lambda_backends
from moto.codedeploy import responses as codedeploy_responses
from moto.codedeploy.models import CodeDeployBackend, DeploymentGroup, DeploymentInfo
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.exceptions import JsonRESTError
from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.responses import LogsResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.models import FakeDeleteMarker
from moto.server import main
from moto.synthetics import urls as synthetics_urls
from moto.synthetics.models import Canary
from moto.synthetics.responses import SyntheticsResponse

_moto_apply_operations = Stage.apply_operations


def _apply_operations(self: Stage, patch_operations: list[dict[str, Any]]) -> Stage:
    remaining = []
    for op in patch_operations:
        segments = op["path"].strip("/").split("/")
        # <resource path with slashes>/<METHOD>/<group>/<setting>: more than the four segments moto expects.
        if op["op"] == "replace" and len(segments) > 4 and "variables" not in segments:
            self._patch_method_setting("/".join(segments[:-2]), "/".join(segments[-2:]), op["value"])
        else:
            remaining.append(op)
    return _moto_apply_operations(self, remaining)


def _dispose_nothing(self: FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker holds no data."""


Stage.apply_operations = _apply_operations  # type: ignore[method-assign]
if not hasattr(FakeDeleteMarker, "dispose"):
    FakeDeleteMarker.dispose = _dispose_nothing  # type: ignore[attr-defined]


def _query_definitions(self: LogsResponse) -> dict[str, dict[str, Any]]:
    """The saved queries of this request's account and region, by id."""
    backend: Any = self.logs_backend
    if not hasattr(backend, "query_definitions"):
        backend.query_definitions = {}
    return backend.query_definitions  # type: ignore[no-any-return]


def _put_query_definition(self: LogsResponse) -> str:
    definitions = _query_definitions(self)
    definition_id = self._get_param("queryDefinitionId") or str(uuid.uuid4())
    definitions[definition_id] = {
        "queryDefinitionId": definition_id,
        "name": self._get_param("name"),
        "queryString": self._get_param("queryString"),
        "logGroupNames": self._get_param("logGroupNames") or [],
        "queryLanguage": self._get_param("queryLanguage") or "CWLI",
        "lastModified": 0,
    }
    return json.dumps({"queryDefinitionId": definition_id})


def _describe_query_definitions(self: LogsResponse) -> str:
    prefix = self._get_param("queryDefinitionNamePrefix") or ""
    found = [d for d in _query_definitions(self).values() if d["name"].startswith(prefix)]
    return json.dumps({"queryDefinitions": sorted(found, key=lambda d: d["name"])})


def _delete_query_definition(self: LogsResponse) -> str:
    if _query_definitions(self).pop(self._get_param("queryDefinitionId"), None) is None:
        raise ResourceNotFoundException("The query definition does not exist.")
    return json.dumps({"success": True})


LogsResponse.put_query_definition = _put_query_definition  # type: ignore[attr-defined]
LogsResponse.describe_query_definitions = _describe_query_definitions  # type: ignore[attr-defined]
LogsResponse.delete_query_definition = _delete_query_definition  # type: ignore[attr-defined]

_moto_group_info = codedeploy_responses._deployment_group_info
_moto_get_deployment = CodeDeployBackend.get_deployment


def _group_info(group: DeploymentGroup) -> dict[str, Any]:
    """The group as CodeDeploy answers it: its alarms, and no empty settings (an empty loadBalancerInfo reads as
    a configured, empty load balancer to the AWS provider)."""
    info = {key: value for key, value in _moto_group_info(group).items() if value not in ({}, [], None)}
    return info | {"alarmConfiguration": group.alarm_configuration or {}}


def _get_deployment(self: CodeDeployBackend, deployment_id: str) -> DeploymentInfo:
    deployment = _moto_get_deployment(self, deployment_id)
    revision = deployment.revision or {}
    if deployment.status == "Created" and revision.get("revisionType") == "AppSpecContent":
        functions = lambda_backends[self.account_id][self.region_name]
        for resource in json.loads(revision["appSpecContent"]["content"])["Resources"]:
            for target in resource.values():
                spec = target["Properties"]
                # None keeps the alias's description and routing (as UpdateAlias without them does).
                functions.update_alias(spec["Alias"], spec["Name"], spec["TargetVersion"], None, None)  # type: ignore[arg-type]
        deployment.status = "Succeeded"
    return deployment


def _delete_deployment_group(self: CodeDeployResponse) -> ActionResult:
    groups = self.codedeploy_backend.deployment_groups.get(self._get_param("applicationName"), {})
    groups.pop(self._get_param("deploymentGroupName"), None)
    return ActionResult({"hooksNotCleanedUp": []})


def _delete_application(self: CodeDeployResponse) -> EmptyResult:
    name = self._get_param("applicationName")
    self.codedeploy_backend.applications.pop(name, None)
    self.codedeploy_backend.deployment_groups.pop(name, None)
    return EmptyResult()


codedeploy_responses._deployment_group_info = _group_info
CodeDeployResponse.delete_deployment_group = _delete_deployment_group  # type: ignore[attr-defined]
CodeDeployResponse.delete_application = _delete_application  # type: ignore[attr-defined]
CodeDeployBackend.get_deployment = _get_deployment  # type: ignore[method-assign]


class _CanaryNotFound(JsonRESTError):
    code = 404


def _canary(self: SyntheticsResponse) -> Canary:
    """The canary named in the request's path (/canary/<name>[/start|/stop]), or ResourceNotFoundException."""
    parts = unquote(self.path.split("?")[0]).strip("/").split("/")
    name = parts[1] if len(parts) > 1 else ""
    canary = self.synthetics_backend.canaries.get(name)
    if canary is None:
        raise _CanaryNotFound("ResourceNotFoundException", f"Canary {name} not found.")
    return canary


def _canary_by_arn(self: SyntheticsResponse) -> Canary:
    """The canary of a /tags/<url-encoded ARN> path."""
    arn = unquote(self.path.split("?")[0].split("/tags/", 1)[1])
    canary = self.synthetics_backend.canaries.get(arn.rsplit(":", 1)[-1])
    if canary is None:
        raise _CanaryNotFound("ResourceNotFoundException", f"No canary has the ARN {arn}.")
    return canary


_moto_canary_dict = Canary.to_dict


def _canary_dict(self: Canary) -> dict[str, object]:
    """The canary as the API answers it: timeline times as epoch seconds (moto writes ISO strings, which the
    AWS SDKs refuse), and the state the canary is in."""
    answer = _moto_canary_dict(self)
    answer["Timeline"] = {key: value.timestamp() for key, value in self.timeline.items() if value is not None}
    answer["Status"] = {**answer["Status"], "State": self.state}  # type: ignore[dict-item]
    return answer


def _get_canary(self: SyntheticsResponse) -> str:
    return json.dumps({"Canary": _canary(self).to_dict()})


def _set_state(state: str) -> Any:
    def change(self: SyntheticsResponse) -> str:
        _canary(self).state = state
        return "{}"

    return change


def _update_canary(self: SyntheticsResponse) -> str:
    canary, params = _canary(self), json.loads(self.body or "{}")
    fields = {
        "Code": "code",
        "ExecutionRoleArn": "execution_role_arn",
        "RuntimeVersion": "runtime_version",
        "Schedule": "schedule",
        "RunConfig": "run_config",
        "SuccessRetentionPeriodInDays": "success_retention_period_in_days",
        "FailureRetentionPeriodInDays": "failure_retention_period_in_days",
        "ArtifactS3Location": "artifact_s3_location",
    }
    for key, attribute in fields.items():
        if key in params:
            setattr(canary, attribute, params[key])
    return "{}"


def _delete_canary(self: SyntheticsResponse) -> str:
    del self.synthetics_backend.canaries[_canary(self).name]
    return "{}"


def _list_tags(self: SyntheticsResponse) -> str:
    return json.dumps({"Tags": _canary_by_arn(self).tags})


def _tag_resource(self: SyntheticsResponse) -> str:
    _canary_by_arn(self).tags.update(json.loads(self.body or "{}").get("Tags", {}))
    return "{}"


def _untag_resource(self: SyntheticsResponse) -> str:
    canary = _canary_by_arn(self)
    for key in self.querystring.get("tagKeys", []):
        canary.tags.pop(key, None)
    return "{}"


Canary.to_dict = _canary_dict  # type: ignore[method-assign]
SyntheticsResponse.get_canary = _get_canary  # type: ignore[method-assign]
SyntheticsResponse.start_canary = _set_state("RUNNING")  # type: ignore[attr-defined]
SyntheticsResponse.stop_canary = _set_state("STOPPED")  # type: ignore[attr-defined]
SyntheticsResponse.update_canary = _update_canary  # type: ignore[attr-defined]
SyntheticsResponse.delete_canary = _delete_canary  # type: ignore[attr-defined]
SyntheticsResponse.list_tags_for_resource = _list_tags  # type: ignore[method-assign]
SyntheticsResponse.tag_resource = _tag_resource  # type: ignore[attr-defined]
SyntheticsResponse.untag_resource = _untag_resource  # type: ignore[attr-defined]
for action in ("start", "stop"):
    synthetics_urls.url_paths[f"{{0}}/canary/(?P<name>[^/]+)/{action}$"] = SyntheticsResponse.dispatch


# --- IAM Access Analyzer (not in moto) --------------------------------------------------------------------------
_analyzers: dict[str, dict[str, Any]] = {}


def _analyzer_answer(start_response: Any, status: str, body: dict[str, Any] | None = None) -> list[bytes]:
    payload = json.dumps(body or {}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _analyzer_not_found(start_response: Any, what: str) -> list[bytes]:
    message = {"message": f"{what} not found"}
    start_response(
        "404 Not Found",
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ResourceNotFoundException")],
    )
    return [json.dumps(message).encode()]


def _access_analyzer(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The analyzer operations the AWS provider calls (rest-json: /analyzer[/<name>], /tags/<arn>)."""
    method, path = environ["REQUEST_METHOD"], unquote(environ.get("PATH_INFO", ""))
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(size) or b"{}") if size else {}
    region = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[-1].split("/")[2]
    if path == "/analyzer" and method == "PUT":
        name = body["analyzerName"]
        arn = f"arn:aws:access-analyzer:{region}:123456789012:analyzer/{name}"
        _analyzers[name] = {
            "arn": arn,
            "name": name,
            "type": body["type"],
            "status": "ACTIVE",
            "createdAt": "2024-01-01T00:00:00Z",
            "tags": body.get("tags", {}),
        }
        return _analyzer_answer(start_response, "200 OK", {"arn": arn})
    if path.startswith("/analyzer/"):
        name = path.split("/", 2)[2]
        if name not in _analyzers:
            return _analyzer_not_found(start_response, f"Analyzer {name}")
        if method == "DELETE":
            del _analyzers[name]
            return _analyzer_answer(start_response, "200 OK")
        return _analyzer_answer(start_response, "200 OK", {"analyzer": _analyzers[name]})
    if path.startswith("/tags/"):
        found = [a for a in _analyzers.values() if a["arn"] == path.split("/", 2)[2]]
        if not found:
            return _analyzer_not_found(start_response, "Resource")
        tags = found[0]["tags"]
        if method == "POST":
            tags.update(body.get("tags", {}))
        elif method == "DELETE":
            for key in parse_qs(environ.get("QUERY_STRING", "")).get("tagKeys", []):
                tags.pop(key, None)
        return _analyzer_answer(start_response, "200 OK", {"tags": tags} if method == "GET" else {})
    return _analyzer_not_found(start_response, f"{method} {path}")


_moto_dispatch = DomainDispatcherApplication.__call__


def _dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
    if "/access-analyzer/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
        return _access_analyzer(environ, start_response)
    return _moto_dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _dispatch  # type: ignore[method-assign]
# --- end of IAM Access Analyzer -----------------------------------------------------------------------------------

RECORDING = os.environ.get("RECORD_REQUESTS", "")
BODY_LIMIT = 64 * 1024
STRING_LIMIT = 2048
_record_lock = threading.Lock()
_moto_call = DomainDispatcherApplication.__call__


def _shortened(value: Any) -> Any:
    """A JSON value with every long string (a base64 package) replaced by its length."""
    if isinstance(value, str) and len(value) > STRING_LIMIT:
        return f"<{len(value)} characters>"
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shortened(item) for item in value]
    return value


def _kept(body: bytes) -> str:
    """What the recording keeps of a body: JSON shortened, other text under the limit, else its size."""
    try:
        return json.dumps(_shortened(json.loads(body)))
    except ValueError:
        pass
    if len(body) > BODY_LIMIT:
        return f"<{len(body)} bytes>"
    return body.decode("utf-8", errors="replace")


def _request_body(environ: dict[str, Any]) -> bytes:
    """The request's body, read once and put back for moto."""
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length.isdigit():
        body: bytes = stream.read(int(length))
    else:  # chunked uploads end with the stream; otherwise there is no body
        body = stream.read() if environ.get("wsgi.input_terminated") else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _recording_call(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO", "").startswith("/moto-api"):
        return _moto_call(self, environ, start_response)
    body = _request_body(environ)
    answer: dict[str, Any] = {}

    def keep_status(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        answer["status"] = int(status.split()[0])
        return start_response(status, headers, *args)

    chunks = list(_moto_call(self, environ, keep_status))
    query = environ.get("QUERY_STRING", "")
    entry = {
        "method": environ["REQUEST_METHOD"],
        "path": environ.get("RAW_URI", "").split("?")[0] or environ.get("PATH_INFO", ""),
        "query": query,
        "headers": {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        | {"content-type": environ.get("CONTENT_TYPE", "")},
        "body": _kept(body),
        "status": answer.get("status", 0),
        "response": _kept(b"".join(chunks)),
    }
    with _record_lock, open(RECORDING, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")
    return chunks


if RECORDING:
    DomainDispatcherApplication.__call__ = _recording_call  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
