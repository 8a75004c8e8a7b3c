"""The REST API as the two stacks deployed it, read back with boto3: every route's method, authorization and
Lambda integration, the answers API Gateway gives itself (preflight 204, 405 with Allow, 404 on /, /v1.0 and
the /{proxy+} catch-all) with X-Request-Id mapped, the stage's tracing, logs and throttling, and the gateway
responses."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from local_aws import LocalAws
from scripts.function_manifest import load_functions

FUNCTIONS = load_functions()
WRITE_AUTHORIZATION = "AWS_IAM"
# Resources without routes: API Gateway itself answers 404 on any method (/{proxy+} catches unknown paths).
NOT_FOUND_PATHS = ("/", "/v1.0", "/{proxy+}")
REQUEST_ID_HEADER = "method.response.header.X-Request-Id"
ROUTES: dict[str, dict[str, str]] = {}
for _name, _function in FUNCTIONS.items():
    ROUTES.setdefault(_function.path, {})[_function.method] = _name


class Api:
    """The deployed REST API's id and resources by path, with the reads the tests share."""

    def __init__(self, aws: LocalAws) -> None:
        self.aws = aws
        self.client = aws.client("apigateway")
        name = f"bbws-product-api-{aws.environment}"
        apis = [a for a in self.client.get_rest_apis()["items"] if a["name"] == name]
        assert len(apis) == 1, f"REST API {name}: found {len(apis)}"
        self.description: dict[str, Any] = apis[0]
        self.id: str = apis[0]["id"]
        items = self.client.get_resources(restApiId=self.id, limit=500)["items"]
        self.resources: dict[str, dict[str, Any]] = {r["path"]: r for r in items}

    def method(self, path: str, method: str) -> dict[str, Any]:
        assert path in self.resources, f"resource {path} missing"
        found: dict[str, Any] = self.client.get_method(
            restApiId=self.id, resourceId=self.resources[path]["id"], httpMethod=method
        )
        return found

    def mock_answer(self, path: str, method: str, status: str) -> dict[str, Any]:
        """An answer API Gateway gives itself: no credentials, MOCK, the status, X-Request-Id mapped.

        Returns the integration response for the checks particular to the answer.
        """
        where = f"{method} {path}"
        described = self.method(path, method)
        assert (
            described["authorizationType"] == "NONE"
        ), f"{where}: authorization {described['authorizationType']}"
        integration = described.get("methodIntegration", {})
        assert integration.get("type") == "MOCK", f"{where}: integration {integration.get('type')}"
        response = integration.get("integrationResponses", {}).get(status)
        assert response is not None, f"{where}: no {status} integration response"
        mapping = response.get("responseParameters", {})
        assert mapping.get(REQUEST_ID_HEADER) == "context.requestId", f"{where}: X-Request-Id from {mapping}"
        declared = described.get("methodResponses", {}).get(status, {}).get("responseParameters", {})
        assert REQUEST_ID_HEADER in declared, f"{where}: {status} method response lacks X-Request-Id"
        return dict(response)

    def stage(self) -> dict[str, Any]:
        stages = {s["stageName"]: s for s in self.client.get_stages(restApiId=self.id)["item"]}
        assert (
            self.aws.environment in stages
        ), f"stage {self.aws.environment} missing (stages {sorted(stages)})"
        return dict(stages[self.aws.environment])

    def gateway_responses(self) -> dict[str, dict[str, Any]]:
        items = self.client.get_gateway_responses(restApiId=self.id)["items"]
        return {r["responseType"]: r for r in items}


@pytest.fixture(scope="module")
def api(deployed: LocalAws) -> Api:
    return Api(deployed)


def test_the_api_is_regional(api: Api) -> None:
    assert api.description.get("endpointConfiguration", {}).get("types") == ["REGIONAL"]


@pytest.mark.parametrize("path", ROUTES)
def test_each_route_has_its_methods_a_preflight_and_a_catch_all(api: Api, path: str) -> None:
    assert path in api.resources, f"resource {path} missing"
    present = set(api.resources[path].get("resourceMethods", {}))
    assert present == set(ROUTES[path]) | {"OPTIONS", "ANY"}


@pytest.mark.parametrize(
    "path, method", [(path, method) for path, methods in ROUTES.items() for method in methods]
)
def test_reads_are_public_and_writes_need_iam(api: Api, path: str, method: str) -> None:
    wanted = "NONE" if method == "GET" else WRITE_AUTHORIZATION
    assert api.method(path, method)["authorizationType"] == wanted


@pytest.mark.parametrize(
    "path, method", [(path, method) for path, methods in ROUTES.items() for method in methods]
)
def test_each_route_proxies_to_its_own_function(api: Api, path: str, method: str) -> None:
    integration = api.method(path, method).get("methodIntegration", {})
    function = f"bbws-{ROUTES[path][method].replace('_', '-')}-{api.aws.environment}"
    arn = api.aws.client("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    assert (integration.get("type"), integration.get("httpMethod")) == ("AWS_PROXY", "POST")
    # API Gateway invokes the `live` alias, which CodeDeploy moves, never $LATEST.
    assert f"{arn}:live/invocations" in integration.get(
        "uri", ""
    ), f"integration uri {integration.get('uri')}"


@pytest.mark.parametrize("path", ROUTES)
def test_each_route_answers_a_preflight_itself(api: Api, path: str) -> None:
    api.mock_answer(path, "OPTIONS", "204")


@pytest.mark.parametrize("path", ROUTES)
def test_other_methods_get_405_with_the_allowed_ones(api: Api, path: str) -> None:
    answer = api.mock_answer(path, "ANY", "405")
    allowed = answer.get("responseParameters", {}).get("method.response.header.Allow", "")
    assert set(allowed.strip("'").split(",")) == set(ROUTES[path]) | {"OPTIONS"}, f"Allow header {allowed}"


def test_the_catch_all_hangs_off_the_api_root(api: Api) -> None:
    root_id = api.resources["/"]["id"]
    assert api.resources.get("/{proxy+}", {}).get("parentId") == root_id


@pytest.mark.parametrize("path", NOT_FOUND_PATHS)
def test_paths_without_routes_answer_a_json_404(api: Api, path: str) -> None:
    assert path in api.resources, f"resource {path} missing"
    present = set(api.resources[path].get("resourceMethods", {}))
    assert present == {"ANY"}, f"{path}: methods {sorted(present)}, expected only ANY"
    template = api.mock_answer(path, "ANY", "404").get("responseTemplates", {}).get("application/json", "")
    assert '"error":"Not Found"' in template and "No resource at $unknownPath" in template, template


def test_the_stage_traces_and_logs_its_access(api: Api) -> None:
    stage = api.stage()
    assert stage.get("tracingEnabled") is True, "X-Ray tracing off"
    assert stage.get("accessLogSettings", {}).get("destinationArn"), "no access log destination"


def test_the_stage_throttles_at_100_and_each_write_at_50_per_second(api: Api) -> None:
    settings = api.stage().get("methodSettings", {})
    assert (
        settings.get("*/*", {}).get("throttlingRateLimit") == 100.0
    ), f"*/* throttling {settings.get('*/*')}"
    write_settings = {
        key: value.get("throttlingRateLimit") for key, value in settings.items() if key != "*/*"
    }
    assert len(write_settings) == 3 and set(write_settings.values()) == {50.0}, write_settings


@pytest.mark.parametrize(
    "response_type, status",
    [
        ("MISSING_AUTHENTICATION_TOKEN", "403"),
        ("THROTTLED", "429"),
        ("DEFAULT_4XX", None),
        ("DEFAULT_5XX", None),
    ],
)
def test_gateway_responses_are_json_errors_with_cors(
    api: Api, response_type: str, status: str | None
) -> None:
    responses = api.gateway_responses()
    assert response_type in responses, f"gateway response {response_type} missing"
    response = responses[response_type]
    if status:
        assert response.get("statusCode") == status
    template = response.get("responseTemplates", {}).get("application/json", "")
    assert all(f'"{key}"' in template for key in ("error", "message", "requestId")), template
    assert "gatewayresponse.header.Access-Control-Allow-Origin" in response.get("responseParameters", {})


def test_every_gateway_response_carries_the_request_id(api: Api) -> None:
    unmapped = {
        response_type: response.get("responseParameters", {}).get("gatewayresponse.header.X-Request-Id")
        for response_type, response in api.gateway_responses().items()
    }
    assert {k: v for k, v in unmapped.items() if v != "context.requestId"} == {}


def arn_like(pattern: str, value: str) -> bool:
    """IAM's ArnLike: each of the six colon-separated parts compared on its own, "*" any run, "?" one character."""
    patterns, values = pattern.split(":", 5), value.split(":", 5)
    return len(patterns) == len(values) == 6 and all(map(fnmatchcase, values, patterns))


@pytest.mark.parametrize(
    "path, method", [(path, method) for path, methods in ROUTES.items() for method in methods]
)
def test_a_real_request_matches_its_functions_invoke_permission(api: Api, path: str, method: str) -> None:
    """API Gateway invokes with the request's own path in aws:SourceArn (issue 20, finding 1)."""
    function = f"bbws-{ROUTES[path][method].replace('_', '-')}-{api.aws.environment}"
    policy = api.aws.client("lambda").get_policy(FunctionName=function, Qualifier="live")["Policy"]
    statements = json.loads(policy)["Statement"]
    account = api.aws.client("sts").get_caller_identity()["Account"]
    request_path = path.replace("{productId}", "0b5c7a52-9d3e-4f61-a8b2-7c4d5e6f7a8b")
    request = f"arn:aws:execute-api:eu-west-1:{account}:{api.id}/{api.aws.environment}/{method}{request_path}"
    source_arns = [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in statements]
    assert any(arn_like(arn, request) for arn in source_arns), f"{request} matches none of {source_arns}"
