"""moto's server for the local Terraform apply, with three gaps in moto filled.

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

Arguments are moto_server's (`-H 127.0.0.1 -p PORT`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.apigateway.models import Stage
from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.responses import LogsResponse
from moto.s3.models import FakeDeleteMarker
from moto.server import main

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

if __name__ == "__main__":
    main()
