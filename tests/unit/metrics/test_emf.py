"""The request line's embedded metrics: valid EMF, and the same metrics the dashboard shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emf_spec import emf_problems
from metrics.emf import (
    COMMON_METRICS,
    DIMENSIONS,
    MANIFEST_FILE,
    NAMESPACE,
    UNITS,
    declared_metrics,
    emf_fields,
)

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"
MANIFEST = json.loads((TERRAFORM / "product_metrics.json").read_text())
FUNCTIONS = json.loads((TERRAFORM / "functions.json").read_text())
OPERATIONS = tuple(FUNCTIONS)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_declares_the_common_metrics_and_its_own_from_the_function_manifest(
    operation: str,
) -> None:
    assert declared_metrics(operation) == COMMON_METRICS + tuple(FUNCTIONS[operation]["metrics"])


def test_the_package_reads_the_function_manifest_terraform_reads() -> None:
    assert Path(MANIFEST_FILE).resolve() == (TERRAFORM / "functions.json").resolve()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_declares_the_metrics_the_dashboard_shows_for_it(operation: str) -> None:
    # observability.tf's rule: a common metric is shown for every operation, any other for the functions whose
    # manifest entry lists it.
    own = FUNCTIONS[operation]["metrics"]
    shown = {
        name for name, metric in MANIFEST["metrics"].items() if metric.get("every_operation") or name in own
    }
    assert set(declared_metrics(operation)) == shown


def test_the_common_metrics_are_those_the_dashboard_shows_for_every_operation() -> None:
    assert set(COMMON_METRICS) == {
        name for name, metric in MANIFEST["metrics"].items() if metric.get("every_operation")
    }


def test_namespace_dimensions_and_units_match_the_dashboard_manifest() -> None:
    assert (NAMESPACE, list(DIMENSIONS)) == (MANIFEST["namespace"], MANIFEST["dimensions"])
    assert {name: UNITS.get(name, "Count") for name in MANIFEST["metrics"]} == {
        name: metric["unit"] for name, metric in MANIFEST["metrics"].items()
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_fields_make_a_valid_emf_record_with_every_declared_metric(operation: str) -> None:
    fields = emf_fields(operation, "dev", "7", {"Latency": 12.5, "DynamoDBCalls": 1}, 1_764_000_000_000)
    line = json.dumps({"level": "INFO", "message": "request", **fields})

    assert emf_problems(line) == []
    directive = fields["_aws"]["CloudWatchMetrics"][0]
    assert [m["Name"] for m in directive["Metrics"]] == list(declared_metrics(operation))
    assert (fields["Latency"], fields["DynamoDBCalls"], fields["ColdStarts"]) == (12.5, 1, 0)


def test_dimensions_are_the_operation_and_environment_and_beside_them_with_the_function_version() -> None:
    """The dashboard reads the first set; a release's alarms the second: only the released version counts."""
    fields = emf_fields("get_product", "prod", "12", {}, 1_764_000_000_000)
    assert fields["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["Operation", "Environment"],
        ["Operation", "Environment", "FunctionVersion"],
    ]
    assert (fields["Operation"], fields["Environment"], fields["FunctionVersion"]) == (
        "get_product",
        "prod",
        "12",
    )


@pytest.mark.parametrize(
    "broken, problem",
    [
        ({"_aws": None}, "no _aws object"),
        ({"Latency": "12"}, "metric 'Latency' has no number"),
        ({"Environment": None}, "dimension 'Environment' has no string value"),
        ({"FunctionVersion": ""}, "dimension 'FunctionVersion' has no string value"),
    ],
)
def test_the_spec_check_catches_broken_records(broken: dict[str, object], problem: str) -> None:
    fields = {**emf_fields("get_product", "dev", "7", {}, 1_764_000_000_000), **broken}
    assert any(problem in found for found in emf_problems(json.dumps(fields)))
