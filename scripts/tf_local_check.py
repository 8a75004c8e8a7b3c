"""Verify the local apply of the Terraform stacks against moto's server.

`wait` waits for the server (LOCAL_AWS_ENDPOINT). `verify-bootstrap` checks what the bootstrap stack built: the
state buckets' versioning, encryption, public access block and TLS-only policy, GitHub's OIDC provider, and
each plan and deploy role's trust (this repository, one GitHub environment) and resources (the environment's).
`lift-bucket-policy` removes a state bucket's policy afterwards: moto ignores its TLS condition and would
refuse every object request.
`verify` checks what `terraform apply` built, independently of the Terraform code: the five functions and
the handlers inside the packages they were deployed from, each role's exact actions, every API method's
integration and authorization (the 404 answers on /, /v1.0 and the /{proxy+} catch-all included), the
X-Request-Id mapping of every MOCK answer and gateway response, the stage, every alarm by name (with the
function alarms' metric and function, and each alarm's entry in docs/OPERATIONS.md), the dashboard and the saved queries (naming only what the apply
created), and the table's schema against scripts/local_server/table.py. Every problem is listed, and any problem
exits non-zero; with CI_SUMMARY set the counts go to CI's summary line.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import json
import os
import re
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import boto3

from scripts.ci.ci_summary import record
from scripts.function_manifest import load_functions
from scripts.local_server.table import create_table_request, load_schema

REGION = "eu-west-1"

# The functions, their routes, layers and DynamoDB actions: the manifest Terraform reads (terraform/functions.json).
FUNCTIONS = load_functions()
WRITE_AUTHORIZATION = "AWS_IAM"
# Resources without routes: API Gateway itself answers 404 on any method (/{proxy+} catches unknown paths).
NOT_FOUND_PATHS = ("/", "/v1.0", "/{proxy+}")
REQUEST_ID_HEADER = "method.response.header.X-Request-Id"


class Problems:
    """Collects failed expectations so one run reports all of them."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.checked = 0

    def expect(self, condition: bool, message: str) -> bool:
        self.checked += 1
        if not condition:
            self.items.append(message)
        return condition


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=os.environ["LOCAL_AWS_ENDPOINT"])


def wait_for_server() -> None:
    endpoint = os.environ["LOCAL_AWS_ENDPOINT"]
    deadline = time.monotonic() + 30
    while True:
        try:
            # The endpoint is the loopback URL tf_local_apply.sh started moto on, never user input.
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2)  # nosec B310
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"moto did not answer on {endpoint} within 30 s")
            time.sleep(0.2)


ENVIRONMENTS = ("dev", "sit", "prod")
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# Statements whose resources cannot carry the environment's name (API Gateway ids, the state bucket paths).
# Statements whose resources IAM cannot name per environment (SavedQueries: query definitions have no
# resource type, so "*").
UNNAMED_RESOURCES = {"FindLogGroups", "SavedQueries", "RestApis", "StateBucket", "StateObjects", "StateLocks"}


def verify_state_bucket(problems: Problems, bucket: str) -> None:
    s3 = client("s3")
    versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    problems.expect(versioning == "Enabled", f"{bucket}: versioning {versioning}")
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    algorithms = [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules]
    problems.expect(algorithms == ["AES256"], f"{bucket}: encryption {algorithms}")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    problems.expect(all(block.values()) and len(block) == 4, f"{bucket}: public access block {block}")
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    problems.expect(
        any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ),
        f"{bucket}: no TLS-only statement in {statements}",
    )


def verify_role(problems: Problems, iam: Any, environment: str, kind: str, repository: str) -> None:
    name = f"bbws-product-api-{kind}-{environment}"
    role = iam.get_role(RoleName=name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    conditions = trust["Statement"][0]["Condition"]["StringEquals"]
    github_environment = f"{environment}-plan" if kind == "plan" else environment
    problems.expect(
        conditions.get(f"{GITHUB_OIDC_HOST}:sub") == f"repo:{repository}:environment:{github_environment}",
        f"{name}: trusted subject {conditions.get(f'{GITHUB_OIDC_HOST}:sub')}",
    )
    problems.expect(
        conditions.get(f"{GITHUB_OIDC_HOST}:aud") == "sts.amazonaws.com",
        f"{name}: audience {conditions.get(f'{GITHUB_OIDC_HOST}:aud')}",
    )
    statements = policy_statements(iam, name)
    actions = {a for s in statements for a in as_set(s["Action"])}
    problems.expect(all("*" not in a for a in actions), f"{name}: wildcard action among {sorted(actions)}")
    writes = {a for a in actions if a.split(":")[1].startswith(("Create", "Delete", "Update", "Put"))}
    if kind == "plan":
        problems.expect(
            writes == {"s3:PutObject", "s3:DeleteObject"}, f"{name}: writes {sorted(writes)} (lock only)"
        )
    else:
        wanted = {"dynamodb:CreateTable", "lambda:UpdateFunctionCode", "logs:PutQueryDefinition"}
        problems.expect(wanted <= writes, f"{name}: {writes}")
    for statement in statements:
        if statement.get("Sid") not in UNNAMED_RESOURCES:
            resources = as_set(statement["Resource"])
            problems.expect(
                all(environment in r for r in resources), f"{name}: {statement.get('Sid')} on {resources}"
            )


def verify_bootstrap(repository: str) -> None:
    problems = Problems()
    for environment in ENVIRONMENTS:
        verify_state_bucket(problems, f"bbws-terraform-state-{environment}")
    iam = client("iam")
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    github = [arn for arn in providers if arn.endswith(f"oidc-provider/{GITHUB_OIDC_HOST}")]
    if problems.expect(len(github) == 1, f"GitHub OIDC providers: {providers}"):
        audiences = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=github[0])["ClientIDList"]
        problems.expect(audiences == ["sts.amazonaws.com"], f"OIDC provider audiences {audiences}")
    for environment in ENVIRONMENTS:
        for kind in ("plan", "deploy"):
            verify_role(problems, iam, environment, kind, repository)
    report(problems, "bootstrap-checks")


def lift_bucket_policy(bucket: str) -> None:
    client("s3").delete_bucket_policy(Bucket=bucket)
    print(f"    bucket policy of {bucket} lifted for the local run (moto ignores its TLS condition)")


def package_sha256(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def handler_defined(archive: zipfile.ZipFile, handler: str) -> bool:
    """Whether `module.function` names a top-level function of a module inside the archive."""
    module, _, function = handler.rpartition(".")
    member = module.replace(".", "/") + ".py"
    if member not in archive.namelist():
        return False
    for package in module.split(".")[:-1]:
        if f"{package}/__init__.py" not in archive.namelist():
            return False
    tree = ast.parse(archive.read(member))
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names |= {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    return function in names


def policy_statements(iam: Any, role: str) -> list[dict[str, Any]]:
    statements = []
    for policy_name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        statements.extend(document["Statement"])
    return statements


def as_set(value: str | list[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def verify_functions(
    problems: Problems, environment: str, package_dir: Path, table_arn: str
) -> dict[str, str]:
    lam, iam = client("lambda"), client("iam")
    deployed = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    expected_names = {f"bbws-{name.replace('_', '-')}-{environment}" for name in FUNCTIONS}
    problems.expect(
        set(deployed) == expected_names, f"functions {sorted(deployed)} != {sorted(expected_names)}"
    )
    arns: dict[str, str] = {}
    index_arns = {f"{table_arn}/index/{gsi['name']}" for gsi in load_schema()["global_secondary_indexes"]}
    for name, function in FUNCTIONS.items():
        function_name = f"bbws-{name.replace('_', '-')}-{environment}"
        if not problems.expect(function_name in deployed, f"{function_name} missing"):
            continue
        config = lam.get_function(FunctionName=function_name)["Configuration"]
        arns[name] = config["FunctionArn"]
        handler = config["Handler"]
        problems.expect(handler == f"handlers.{name}.handler", f"{function_name}: handler {handler}")
        problems.expect(config["Runtime"] == "python3.12", f"{function_name}: runtime {config['Runtime']}")
        problems.expect(
            config.get("Architectures") == ["arm64"],
            f"{function_name}: architectures {config.get('Architectures')}",
        )
        problems.expect(config["MemorySize"] == 256, f"{function_name}: memory {config['MemorySize']}")
        problems.expect(config["Timeout"] == 15, f"{function_name}: timeout {config['Timeout']}")
        problems.expect(
            config.get("TracingConfig", {}).get("Mode") == "Active",
            f"{function_name}: X-Ray tracing not active",
        )
        variables = config.get("Environment", {}).get("Variables", {})
        problems.expect(
            variables.get("TABLE_NAME") == f"bbws-products-{environment}",
            f"{function_name}: TABLE_NAME {variables.get('TABLE_NAME')}",
        )
        problems.expect(bool(variables.get("ALLOWED_ORIGINS")), f"{function_name}: ALLOWED_ORIGINS empty")
        problems.expect("LOG_LEVEL" in variables, f"{function_name}: LOG_LEVEL missing")
        problems.expect(
            variables.get("ENVIRONMENT") == environment,
            f"{function_name}: ENVIRONMENT {variables.get('ENVIRONMENT')}",
        )
        problems.expect(
            "DYNAMODB_ENDPOINT_URL" not in variables, f"{function_name}: DYNAMODB_ENDPOINT_URL set in AWS"
        )
        # Only the list function holds the page token secret: two uuid() values Terraform made (72 characters).
        secret = variables.get("PAGE_TOKEN_SECRET", "")
        lists = name == "list_products"
        problems.expect(
            len(secret) == 72 if lists else not secret,
            f"{function_name}: PAGE_TOKEN_SECRET should be {'72 characters' if lists else 'absent'}",
        )
        layers = config.get("Layers", [])
        problems.expect(
            bool(layers) == function.uses_dependencies,
            f"{function_name}: layers {layers}, expected {'one' if function.uses_dependencies else 'none'}",
        )

        package = package_dir / f"{name}.zip"
        problems.expect(
            config["CodeSha256"] == package_sha256(package),
            f"{function_name}: deployed code is not {package}",
        )
        with zipfile.ZipFile(package) as archive:
            problems.expect(
                handler_defined(archive, handler),
                f"{function_name}: handler {handler} does not resolve inside {package.name}",
            )

        statements = policy_statements(iam, config["Role"].rsplit("/", 1)[-1])
        dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in as_set(s["Action"]))]
        granted = {(a, r) for s in dynamodb for a in as_set(s["Action"]) for r in as_set(s["Resource"])}
        wanted = {(a, table_arn) for a in function.table_actions} | {
            (a, r) for a in function.index_actions for r in index_arns
        }
        problems.expect(
            granted == wanted, f"{function_name}: DynamoDB grants {sorted(granted)} != {sorted(wanted)}"
        )
        for statement in statements:
            problems.expect(
                statement["Effect"] == "Allow", f"{function_name}: unexpected {statement['Effect']} statement"
            )
            problems.expect(
                all("*" not in a for a in as_set(statement["Action"])),
                f"{function_name}: wildcard action {statement['Action']}",
            )
            if "*" in as_set(statement["Resource"]):
                problems.expect(
                    all(a.startswith("xray:") for a in as_set(statement["Action"])),
                    f"{function_name}: '*' resource for {statement['Action']}",
                )

        logs = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function_name}")[
            "logGroups"
        ]
        problems.expect(
            [g.get("retentionInDays") for g in logs] == [90],
            f"{function_name}: log group retention {[g.get('retentionInDays') for g in logs]}",
        )
    return arns


def verify_api(problems: Problems, environment: str, function_arns: dict[str, str]) -> None:
    apigw = client("apigateway")
    apis = [a for a in apigw.get_rest_apis()["items"] if a["name"] == f"bbws-product-api-{environment}"]
    if not problems.expect(len(apis) == 1, f"REST API bbws-product-api-{environment}: found {len(apis)}"):
        return
    api = apis[0]
    problems.expect(
        api.get("endpointConfiguration", {}).get("types") == ["REGIONAL"],
        f"API endpoint {api.get('endpointConfiguration')}",
    )
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"], limit=500)["items"]}
    routes: dict[str, dict[str, str]] = {}
    for name, function in FUNCTIONS.items():
        routes.setdefault(function.path, {})[function.method] = name
    for path, methods in routes.items():
        if not problems.expect(path in resources, f"resource {path} missing"):
            continue
        resource_id = resources[path]["id"]
        present = set(resources[path].get("resourceMethods", {}))
        problems.expect(present == set(methods) | {"OPTIONS", "ANY"}, f"{path}: methods {sorted(present)}")
        for method, name in methods.items():
            described = apigw.get_method(restApiId=api["id"], resourceId=resource_id, httpMethod=method)
            wanted_auth = "NONE" if method == "GET" else WRITE_AUTHORIZATION
            problems.expect(
                described["authorizationType"] == wanted_auth,
                f"{method} {path}: authorization {described['authorizationType']}",
            )
            integration = described.get("methodIntegration", {})
            problems.expect(
                integration.get("type") == "AWS_PROXY",
                f"{method} {path}: integration {integration.get('type')}",
            )
            problems.expect(
                integration.get("httpMethod") == "POST",
                f"{method} {path}: integration method {integration.get('httpMethod')}",
            )
            problems.expect(
                function_arns.get(name, "?") in integration.get("uri", ""),
                f"{method} {path}: integration uri {integration.get('uri')}",
            )
        verify_mock_answer(problems, apigw, api["id"], resources[path], "OPTIONS", "204")
        allow = verify_mock_answer(problems, apigw, api["id"], resources[path], "ANY", "405")
        allowed_methods = allow.get("responseParameters", {}).get("method.response.header.Allow", "")
        problems.expect(
            set(allowed_methods.strip("'").split(",")) == set(methods) | {"OPTIONS"},
            f"ANY {path}: Allow header {allowed_methods}",
        )
    root_id = next((r["id"] for r in resources.values() if r["path"] == "/"), None)
    problems.expect(
        resources.get("/{proxy+}", {}).get("parentId") == root_id, "/{proxy+}: not a child of the API root"
    )
    for path in NOT_FOUND_PATHS:
        if not problems.expect(path in resources, f"resource {path} missing"):
            continue
        present = set(resources[path].get("resourceMethods", {}))
        problems.expect(present == {"ANY"}, f"{path}: methods {sorted(present)}, expected only ANY")
        not_found = verify_mock_answer(problems, apigw, api["id"], resources[path], "ANY", "404")
        template = not_found.get("responseTemplates", {}).get("application/json", "")
        problems.expect(
            '"error":"Not Found"' in template and "No resource at $unknownPath" in template,
            f"ANY {path}: 404 template {template!r}",
        )
    stages = {s["stageName"]: s for s in apigw.get_stages(restApiId=api["id"])["item"]}
    if problems.expect(environment in stages, f"stage {environment} missing (stages {sorted(stages)})"):
        stage = stages[environment]
        problems.expect(stage.get("tracingEnabled") is True, "stage: X-Ray tracing off")
        problems.expect(
            bool(stage.get("accessLogSettings", {}).get("destinationArn")), "stage: no access log destination"
        )
        settings = stage.get("methodSettings", {})
        problems.expect(
            settings.get("*/*", {}).get("throttlingRateLimit") == 100.0,
            f"stage: */* throttling {settings.get('*/*')}",
        )
        writes = [k for k in settings if k != "*/*"]
        problems.expect(len(writes) == 3, f"stage: write method settings {writes}")
        problems.expect(
            all(settings[k].get("throttlingRateLimit") == 50.0 for k in writes),
            f"stage: write throttling {settings}",
        )
    responses = {r["responseType"]: r for r in apigw.get_gateway_responses(restApiId=api["id"])["items"]}
    for response_type, status in (
        ("MISSING_AUTHENTICATION_TOKEN", "403"),
        ("THROTTLED", "429"),
        ("DEFAULT_4XX", None),
        ("DEFAULT_5XX", None),
    ):
        if problems.expect(response_type in responses, f"gateway response {response_type} missing"):
            response = responses[response_type]
            if status:
                problems.expect(
                    response.get("statusCode") == status,
                    f"gateway response {response_type}: status {response.get('statusCode')}",
                )
            template = response.get("responseTemplates", {}).get("application/json", "")
            problems.expect(
                all(f'"{k}"' in template for k in ("error", "message", "requestId")),
                f"{response_type}: template {template}",
            )
            problems.expect(
                "gatewayresponse.header.Access-Control-Allow-Origin"
                in response.get("responseParameters", {}),
                f"{response_type}: no CORS header",
            )
    for response_type, response in responses.items():
        request_id = response.get("responseParameters", {}).get("gatewayresponse.header.X-Request-Id")
        problems.expect(request_id == "context.requestId", f"{response_type}: X-Request-Id {request_id}")


def verify_mock_answer(
    problems: Problems, apigw: Any, api_id: str, resource: dict[str, Any], method: str, status: str
) -> dict[str, Any]:
    """Check an answer API Gateway gives itself: no credentials, MOCK, the status, X-Request-Id mapped.

    Returns the integration response (empty when missing) for checks particular to the answer.
    """
    where = f"{method} {resource['path']}"
    described = apigw.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod=method)
    problems.expect(
        described["authorizationType"] == "NONE", f"{where}: authorization {described['authorizationType']}"
    )
    integration = described.get("methodIntegration", {})
    problems.expect(integration.get("type") == "MOCK", f"{where}: integration {integration.get('type')}")
    response = integration.get("integrationResponses", {}).get(status)
    if not problems.expect(response is not None, f"{where}: no {status} integration response"):
        return {}
    mapping = response.get("responseParameters", {})
    problems.expect(
        mapping.get(REQUEST_ID_HEADER) == "context.requestId",
        f"{where}: X-Request-Id mapped from {mapping.get(REQUEST_ID_HEADER)}",
    )
    declared = described.get("methodResponses", {}).get(status, {}).get("responseParameters", {})
    problems.expect(REQUEST_ID_HEADER in declared, f"{where}: {status} method response lacks X-Request-Id")
    return dict(response)


def normalised(definition: dict[str, Any]) -> dict[str, Any]:
    """The parts of a table definition both CreateTable and DescribeTable carry, in a comparable order."""
    return {
        "KeySchema": definition["KeySchema"],
        "AttributeDefinitions": sorted(definition["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "GlobalSecondaryIndexes": sorted(
            (
                {
                    "IndexName": g["IndexName"],
                    "KeySchema": g["KeySchema"],
                    "Projection": {"ProjectionType": g["Projection"]["ProjectionType"]},
                }
                for g in definition.get("GlobalSecondaryIndexes", [])
            ),
            key=lambda g: g["IndexName"],
        ),
    }


def verify_table(problems: Problems, environment: str) -> str:
    dynamodb = client("dynamodb")
    table_name = f"bbws-products-{environment}"
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    wanted = normalised(create_table_request(table_name))
    actual = normalised(table)
    problems.expect(
        actual == wanted,
        f"table schema differs from scripts/local_server/table.py:\n  applied {actual}\n  local   {wanted}",
    )
    billing = table.get("BillingModeSummary", {}).get("BillingMode")
    problems.expect(billing == "PAY_PER_REQUEST", f"table billing mode {billing}")
    problems.expect(
        table.get("SSEDescription", {}).get("Status") in ("ENABLED", "ENABLING"),
        f"table SSE {table.get('SSEDescription')}",
    )
    ttl = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    problems.expect(
        ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        and ttl.get("AttributeName") == load_schema()["ttl_attribute"],
        f"table TTL {ttl}",
    )
    backups = dynamodb.describe_continuous_backups(TableName=table_name)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    problems.expect(pitr == "ENABLED", f"table PITR {pitr}")
    return str(table["TableArn"])


def verify_layer(problems: Problems, package_dir: Path) -> None:
    """The layer is built for Lambda (CPython 3.12 on arm64) and leaves boto3 to the runtime."""
    with zipfile.ZipFile(package_dir / "dependencies-layer.zip") as archive:
        names = archive.namelist()
    binaries = [n for n in names if n.endswith(".so")]
    problems.expect(
        bool(binaries) and all(n.endswith("cpython-312-aarch64-linux-gnu.so") for n in binaries),
        f"layer binaries are not all CPython 3.12 aarch64: {binaries}",
    )
    problems.expect(all(n.startswith("python/") for n in names), "layer entries must sit under python/")
    problems.expect(
        not [n for n in names if n.startswith(("python/boto3/", "python/botocore/"))], "layer carries boto3"
    )


def runbook_name(alarm: str, environment: str) -> str:
    """An alarm's name as docs/OPERATIONS.md heads its entry: <env> and <function> for the parts that vary."""
    for name in FUNCTIONS:
        alarm = alarm.replace(f"bbws-{name.replace('_', '-')}-{environment}-", "bbws-<function>-<env>-")
    return alarm.replace(f"-{environment}-", "-<env>-")


def verify_alarms(problems: Problems, environment: str) -> None:
    """Exactly the expected alarms, by name: the table's two, two per function, the API's three."""
    alarms = {a["AlarmName"]: a for a in client("cloudwatch").describe_alarms()["MetricAlarms"]}
    functions = {f"bbws-{name.replace('_', '-')}-{environment}" for name in FUNCTIONS}
    function_alarms = {
        f"{function}-{metric.lower()}": (function, metric)
        for function in functions
        for metric in ("Errors", "Throttles")
    }
    api = f"bbws-product-api-{environment}"
    wanted = (
        {f"bbws-products-{environment}-throttles", f"bbws-products-{environment}-system-errors"}
        | set(function_alarms)
        | {f"{api}-4xx-rate", f"{api}-5xx-rate", f"{api}-latency-p95"}
    )
    problems.expect(
        len(alarms) == 2 + 2 * len(FUNCTIONS) + 3 and set(alarms) == wanted,
        f"alarms {sorted(alarms)} != {sorted(wanted)}",
    )
    runbook = (Path(__file__).resolve().parent.parent / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    for name in alarms:
        heading = f"### `{runbook_name(name, environment)}`"
        problems.expect(heading in runbook, f"{name}: no runbook entry {heading} in docs/OPERATIONS.md")
    for name, (function, metric) in function_alarms.items():
        if name in alarms:
            dimensions = {d["Name"]: d["Value"] for d in alarms[name].get("Dimensions", [])}
            problems.expect(
                alarms[name].get("MetricName") == metric and dimensions == {"FunctionName": function},
                f"{name}: metric {alarms[name].get('MetricName')} {dimensions}",
            )


def verify_observability(problems: Problems, environment: str) -> None:
    """The dashboard and the saved queries exist and name only functions, log groups, the API and the table
    that the apply created."""
    api = f"bbws-product-api-{environment}"
    functions = {f["FunctionName"] for f in client("lambda").list_functions()["Functions"]}
    log_groups = {g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]}
    known = {
        "FunctionName": functions,
        "ApiName": {api},
        "Stage": {environment},
        "TableName": {f"bbws-products-{environment}"},
        "Environment": {environment},
    }
    try:
        body = json.loads(client("cloudwatch").get_dashboard(DashboardName=api)["DashboardBody"])
    except client("cloudwatch").exceptions.ResourceNotFound:
        problems.expect(False, f"dashboard {api} missing")
        return
    widgets = body.get("widgets", [])
    problems.expect(len(widgets) > 0, f"dashboard {api} has no widgets")
    for widget in widgets:
        properties = widget["properties"]
        for line in properties.get("metrics", []):
            dimensions = dict(zip(line[2:-1:2], line[3:-1:2]))
            for name, value in dimensions.items():
                problems.expect(
                    value in known.get(name, {value}),
                    f"{properties['title']}: {name}={value} was not created",
                )
        for source in re.findall(r"SOURCE '([^']+)'", properties.get("query", "")):
            problems.expect(
                source in log_groups, f"{properties['title']}: log group {source} was not created"
            )
    queries = client("logs").describe_query_definitions(queryDefinitionNamePrefix=f"{api}/")[
        "queryDefinitions"
    ]
    problems.expect(
        sorted(q["name"] for q in queries)
        == [
            f"{api}/{n}"
            for n in (
                "5xx-by-operation",
                "cold-starts-by-function",
                "request-by-x-request-id",
                "slowest-requests",
            )
        ],
        f"saved queries {sorted(q['name'] for q in queries)}",
    )
    for query in queries:
        missing = set(query["logGroupNames"]) - log_groups
        problems.expect(
            bool(query["logGroupNames"]) and not missing, f"{query['name']}: log groups {missing} missing"
        )


def verify(environment: str, package_dir: Path) -> None:
    problems = Problems()
    verify_layer(problems, package_dir)
    table_arn = verify_table(problems, environment)
    function_arns = verify_functions(problems, environment, package_dir, table_arn)
    verify_api(problems, environment, function_arns)
    verify_alarms(problems, environment)
    verify_observability(problems, environment)
    report(problems, "local-apply-checks")


def report(problems: Problems, name: str) -> None:
    """Print the outcome (every problem), record it in CI's summary, exit non-zero on any problem."""
    if os.environ.get("CI_SUMMARY"):
        record(name, problems.checked - len(problems.items), len(problems.items))
    if problems.items:
        print(f"FAILED: {len(problems.items)} of {problems.checked} checks", file=sys.stderr)
        for item in problems.items:
            print(f"  - {item}", file=sys.stderr)
        raise SystemExit(1)
    print(f"    {problems.checked} checks passed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("wait")
    bootstrap = commands.add_parser("verify-bootstrap")
    bootstrap.add_argument("--repository", required=True, help="owner/name the roles must trust")
    lift = commands.add_parser("lift-bucket-policy")
    lift.add_argument("--bucket", required=True)
    check = commands.add_parser("verify")
    check.add_argument("--environment", required=True)
    check.add_argument("--package-dir", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "wait":
        wait_for_server()
    elif args.command == "verify-bootstrap":
        verify_bootstrap(args.repository)
    elif args.command == "lift-bucket-policy":
        lift_bucket_policy(args.bucket)
    else:
        verify(args.environment, args.package_dir)


if __name__ == "__main__":
    main()
