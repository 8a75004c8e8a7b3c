"""The table, the alarms and their topic, the canary, the dashboard and the saved queries as the two stacks
deployed them, read back with boto3: the table's schema against the one schema file the local server also
builds from, every alarm notifying the encrypted topic, and nothing on the dashboard or in a saved query that
the apply did not create."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from dynamodb_calls import called_operations
from local_aws import REPO_ROOT, LocalAws
from scripts.function_manifest import load_functions
from scripts.local_server.table import create_table_request, load_schema

FUNCTIONS = load_functions()
SAVED_QUERIES = (
    "4xx-by-error-and-operation",
    "5xx-by-operation",
    "cold-starts-by-function",
    "request-by-x-request-id",
    "slowest-requests",
)


def table(aws: LocalAws) -> dict[str, Any]:
    found: dict[str, Any] = aws.client("dynamodb").describe_table(
        TableName=f"bbws-products-{aws.environment}"
    )["Table"]
    return found


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


def test_the_table_has_the_schema_the_local_server_builds(deployed: LocalAws) -> None:
    wanted = normalised(create_table_request(f"bbws-products-{deployed.environment}"))
    assert (
        normalised(table(deployed)) == wanted
    ), "the applied schema differs from scripts/local_server/table.py"


def test_the_table_is_billed_per_request_and_encrypted(deployed: LocalAws) -> None:
    described = table(deployed)
    assert described.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
    assert described.get("SSEDescription", {}).get("Status") in ("ENABLED", "ENABLING"), described.get(
        "SSEDescription"
    )


def test_the_table_expires_items_by_the_schemas_ttl_attribute(deployed: LocalAws) -> None:
    ttl = deployed.client("dynamodb").describe_time_to_live(TableName=f"bbws-products-{deployed.environment}")
    description = ttl["TimeToLiveDescription"]
    assert description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"), description
    assert description.get("AttributeName") == load_schema()["ttl_attribute"], description


def test_the_table_keeps_point_in_time_recovery(deployed: LocalAws) -> None:
    backups = deployed.client("dynamodb").describe_continuous_backups(
        TableName=f"bbws-products-{deployed.environment}"
    )["ContinuousBackupsDescription"]
    assert backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") == "ENABLED"


def function_names(environment: str) -> set[str]:
    return {f"bbws-{name.replace('_', '-')}-{environment}" for name in FUNCTIONS}


def alarms(aws: LocalAws) -> dict[str, dict[str, Any]]:
    """This environment's alarms (prod's are deployed beside dev's in the same account: conftest.py)."""
    found = aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a for a in found if f"-{aws.environment}-" in a["AlarmName"]}


def test_exactly_the_expected_alarms_by_name(deployed: LocalAws) -> None:
    """The table's two; per function Lambda's errors and throttles, the handler's unexpected errors and
    unavailable, and the three of its release (CodeDeploy's); the API's three and the canary's."""
    env, api = deployed.environment, f"bbws-product-api-{deployed.environment}"
    kinds = ("errors", "throttles", "unexpected-errors", "unavailable")
    kinds += ("release-errors", "release-unexpected-errors", "release-latency-p95")
    wanted = {f"bbws-products-{env}-throttles", f"bbws-products-{env}-system-errors"}
    wanted |= {f"{function}-{kind}" for function in function_names(env) for kind in kinds}
    wanted |= {f"{api}-4xx-rate", f"{api}-5xx-rate", f"{api}-latency-p95", f"{api}-canary"}
    assert set(alarms(deployed)) == wanted and len(wanted) == 2 + 7 * len(FUNCTIONS) + 4


def alarm_topic_arn(aws: LocalAws) -> str:
    """The ARN of the environment's alarm topic ("" when it is missing)."""
    topics = [t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"]]
    return next((arn for arn in topics if arn.endswith(f":bbws-product-api-alarms-{aws.environment}")), "")


def test_every_alarm_notifies_the_alarm_topic_on_alarm_and_ok(deployed: LocalAws) -> None:
    topic = alarm_topic_arn(deployed)
    assert topic, f"alarm topic bbws-product-api-alarms-{deployed.environment} missing"
    elsewhere = {
        name: (alarm.get("AlarmActions"), alarm.get("OKActions"))
        for name, alarm in alarms(deployed).items()
        if alarm.get("AlarmActions") != [topic] or alarm.get("OKActions") != [topic]
    }
    assert elsewhere == {}, f"alarms not notifying {topic}"


def test_the_system_errors_alarm_watches_every_dynamodb_operation_the_code_calls(deployed: LocalAws) -> None:
    alarm = alarms(deployed).get(f"bbws-products-{deployed.environment}-system-errors", {})
    watched = {
        dimension["Value"]
        for query in alarm.get("Metrics", [])
        for dimension in query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
        if dimension["Name"] == "Operation"
    }
    assert called_operations() - watched == set(), "operations the code calls but the alarm does not watch"


def test_the_alarm_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(deployed: LocalAws) -> None:
    attributes = deployed.client("sns").get_topic_attributes(TopicArn=alarm_topic_arn(deployed))["Attributes"]
    key = attributes.get("KmsMasterKeyId", "")
    assert key.startswith("arn:aws:kms:"), f"alarm topic: KMS key {key!r}"
    kms = deployed.client("kms")
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"], "alarm key: no rotation"
    statements = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])["Statement"]
    assert any(
        s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com" for s in statements
    ), "alarm key: CloudWatch may not use it"


def test_only_cloudwatch_alarms_may_publish_to_the_alarm_topic(deployed: LocalAws) -> None:
    attributes = deployed.client("sns").get_topic_attributes(TopicArn=alarm_topic_arn(deployed))["Attributes"]
    statements = json.loads(attributes["Policy"])["Statement"]
    publishers = {(s["Effect"], json.dumps(s["Principal"], sort_keys=True)) for s in statements}
    cloudwatch = ("Allow", '{"Service": "cloudwatch.amazonaws.com"}')
    assert publishers in ({cloudwatch, ("Deny", '"*"')}, {cloudwatch, ("Deny", '{"AWS": "*"}')}), statements


def test_the_canary_runs_our_script_every_five_minutes_with_its_own_role_and_bucket(
    deployed: LocalAws,
) -> None:
    """(GetCanary never returns the environment variables: the products URL is the terraform test's to check.)"""
    name = f"bbws-api-canary-{deployed.environment}"
    canaries = {c["Name"]: c for c in deployed.client("synthetics").describe_canaries()["Canaries"]}
    assert name in canaries, f"canary {name} missing (canaries {sorted(canaries)})"
    canary = canaries[name]
    assert canary["Code"].get("Handler") == "product_canary.handler", canary["Code"]
    assert canary["Schedule"]["Expression"] == "rate(5 minutes)", canary["Schedule"]
    assert canary["RuntimeVersion"].startswith("syn-python-"), canary["RuntimeVersion"]
    assert canary["Status"]["State"] == "RUNNING", canary["Status"]
    assert canary["ExecutionRoleArn"].rsplit("/", 1)[-1] == f"{name}-role", canary["ExecutionRoleArn"]
    bucket = canary["ArtifactS3Location"].removeprefix("s3://").strip("/")
    block = deployed.client("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert len(block) == 4 and all(block.values()), f"{bucket}: public access block {block}"


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_each_function_alarm_watches_its_own_function(deployed: LocalAws, metric: str) -> None:
    found = alarms(deployed)
    for function in function_names(deployed.environment):
        alarm = found[f"{function}-{metric.lower()}"]
        dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        assert (alarm.get("MetricName"), dimensions) == (metric, {"FunctionName": function}), alarm[
            "AlarmName"
        ]


def runbook_name(alarm: str, environment: str) -> str:
    """An alarm's name as docs/OPERATIONS.md heads its entry: <env> and <function> for the parts that vary."""
    for name in FUNCTIONS:
        alarm = alarm.replace(f"bbws-{name.replace('_', '-')}-{environment}-", "bbws-<function>-<env>-")
    return alarm.replace(f"-{environment}-", "-<env>-")


def test_every_alarm_has_a_runbook_entry(deployed: LocalAws) -> None:
    runbook = (REPO_ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    headings = {f"### `{runbook_name(name, deployed.environment)}`" for name in alarms(deployed)}
    assert {
        heading for heading in headings if heading not in runbook
    } == set(), "missing in docs/OPERATIONS.md"


def created(aws: LocalAws) -> dict[str, set[str]]:
    """What the apply created, by the dimension name that refers to it."""
    return {
        "FunctionName": {f["FunctionName"] for f in aws.client("lambda").list_functions()["Functions"]},
        "ApiName": {f"bbws-product-api-{aws.environment}"},
        "Stage": {aws.environment},
        "TableName": {f"bbws-products-{aws.environment}"},
        "Environment": {aws.environment},
    }


def log_groups(aws: LocalAws) -> set[str]:
    return {g["logGroupName"] for g in aws.client("logs").describe_log_groups()["logGroups"]}


def test_the_dashboard_names_only_what_the_apply_created(deployed: LocalAws) -> None:
    name = f"bbws-product-api-{deployed.environment}"
    body = json.loads(deployed.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])
    widgets = body.get("widgets", [])
    assert widgets, f"dashboard {name} has no widgets"
    known, groups, unknown = created(deployed), log_groups(deployed), []
    for widget in widgets:
        properties = widget["properties"]
        for line in properties.get("metrics", []):
            for dimension, value in zip(line[2:-1:2], line[3:-1:2]):
                if value not in known.get(dimension, {value}):
                    unknown.append(f"{properties['title']}: {dimension}={value}")
        for source in re.findall(r"SOURCE '([^']+)'", properties.get("query", "")):
            if source not in groups:
                unknown.append(f"{properties['title']}: log group {source}")
    assert unknown == [], "named on the dashboard but not created"


def test_the_saved_queries_exist_and_read_only_created_log_groups(deployed: LocalAws) -> None:
    api = f"bbws-product-api-{deployed.environment}"
    logs = deployed.client("logs")
    queries = logs.describe_query_definitions(queryDefinitionNamePrefix=f"{api}/")["queryDefinitions"]
    assert sorted(q["name"] for q in queries) == [f"{api}/{name}" for name in SAVED_QUERIES]
    groups = log_groups(deployed)
    for query in queries:
        assert query["logGroupNames"], f"{query['name']}: no log groups"
        assert set(query["logGroupNames"]) <= groups, f"{query['name']}: log groups not created"


def test_the_alarm_keys_policy_lets_the_deploy_role_manage_it(deployed: LocalAws) -> None:
    """The apply enables rotation right after CreateKey, before tag-based grants apply (issue 20, finding 2)."""
    attributes = deployed.client("sns").get_topic_attributes(TopicArn=alarm_topic_arn(deployed))["Attributes"]
    kms = deployed.client("kms")
    policy = kms.get_key_policy(KeyId=attributes["KmsMasterKeyId"], PolicyName="default")["Policy"]
    statements = {s.get("Sid"): s for s in json.loads(policy)["Statement"]}
    account = deployed.client("sts").get_caller_identity()["Account"]
    deploy_role = f"arn:aws:iam::{account}:role/bbws-product-api-deploy-{deployed.environment}"
    managing = statements.get("DeployRoleManages", {})
    assert managing.get("Principal") == {"AWS": deploy_role}, statements
    assert {"kms:EnableKeyRotation", "kms:PutKeyPolicy"} <= set(managing["Action"]), managing
    assert statements["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}


def test_the_secrets_the_functions_read_are_made_by_this_stack(deployed: LocalAws) -> None:
    """Made before any function or canary exists, so their values are put first (PLAN agreement 5)."""
    outputs = json.loads(
        deployed.terraform("infrastructure-secret-arns", "infrastructure", "output", "-json", "secret_arns")
    )
    wanted = {secret for fn in FUNCTIONS.values() for secret in fn.secrets}
    assert set(outputs) == wanted, outputs
    secrets = deployed.client("secretsmanager")
    names = {name: secrets.describe_secret(SecretId=arn)["Name"] for name, arn in outputs.items()}
    assert names == {name: f"bbws-{name}-{deployed.environment}" for name in wanted}
    assert "aws_secretsmanager_secret" not in " ".join(deployed.managed_resources("lambda"))
