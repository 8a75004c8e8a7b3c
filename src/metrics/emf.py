"""CloudWatch embedded metric format: the request's metrics as fields of its one log line.

CloudWatch Logs turns a line carrying an `_aws` block into metrics, with no API call and no agent. Every
operation declares a fixed set of metrics and writes each of them, zeros included, so sums and averages
stay comparable. The metrics only some operations write are listed per function in the function manifest
(terraform/functions.json, which src/functions.json links to and the packages carry); the dashboard
(terraform/product_metrics.json) shows the same ones, and a test holds the three together. Dimensions are the
operation and the environment (what the dashboard shows), and beside them the same two with the function's
published version (what a release's alarms watch, so the old version's errors never roll back the new one):
never a body, a name or a caller.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

NAMESPACE = "BBWS/ProductApi"
DIMENSIONS = ("Operation", "Environment")
VERSION_DIMENSIONS = (*DIMENSIONS, "FunctionVersion")
_DIMENSION_SETS = [list(DIMENSIONS), list(VERSION_DIMENSIONS)]

# Metrics every operation writes; the unit of each metric.
COMMON_METRICS = ("Latency", "DynamoDBCalls", "Unavailable", "UnexpectedErrors", "ColdStarts", "Restores")
UNITS = {"Latency": "Milliseconds"}  # every other metric is a Count
MANIFEST_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "functions.json")


@functools.cache
def declared_metrics(operation: str) -> tuple[str, ...]:
    """The metrics an operation's line declares, in order: the common ones, then its own from the manifest
    (read on the first request, not at import: it costs the cold start nothing measurable)."""
    with open(MANIFEST_FILE, encoding="utf-8") as file:
        function = json.load(file).get(operation, {})
    return COMMON_METRICS + tuple(function.get("metrics", ()))


def emf_fields(
    operation: str, environment: str, function_version: str, values: dict[str, float], timestamp_ms: int
) -> dict[str, Any]:
    """The fields that make a log line an EMF record: `_aws`, the dimensions (both sets) and one number per
    metric (a metric missing from `values` is written as 0)."""
    names = declared_metrics(operation)
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": _DIMENSION_SETS,
                    "Metrics": [{"Name": name, "Unit": UNITS.get(name, "Count")} for name in names],
                }
            ],
        },
        "Operation": operation,
        "Environment": environment,
        "FunctionVersion": function_version,
        **{name: values.get(name, 0) for name in names},
    }
