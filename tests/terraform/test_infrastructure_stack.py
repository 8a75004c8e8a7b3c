"""The table, the alarms, the dashboard and the saved queries as the two stacks deployed them, read back with
boto3: the table's schema against the one schema file the local server also builds from, and nothing on the
dashboard or in a saved query that the apply did not create."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local_aws import REPO_ROOT, LocalAws
from scripts.function_manifest import load_functions
from scripts.local_server.table import create_table_request, load_schema

FUNCTIONS = load_functions()
SAVED_QUERIES = ("5xx-by-operation", "cold-starts-by-function", "request-by-x-request-id", "slowest-requests")


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
    return {a["AlarmName"]: a for a in aws.client("cloudwatch").describe_alarms()["MetricAlarms"]}


def test_exactly_the_tables_two_each_functions_two_and_the_apis_three_alarms(deployed: LocalAws) -> None:
    env, api = deployed.environment, f"bbws-product-api-{deployed.environment}"
    wanted = {f"bbws-products-{env}-throttles", f"bbws-products-{env}-system-errors"}
    wanted |= {
        f"{function}-{metric}" for function in function_names(env) for metric in ("errors", "throttles")
    }
    wanted |= {f"{api}-4xx-rate", f"{api}-5xx-rate", f"{api}-latency-p95"}
    assert set(alarms(deployed)) == wanted and len(wanted) == 2 + 2 * len(FUNCTIONS) + 3


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
