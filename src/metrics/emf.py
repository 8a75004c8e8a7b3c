"""CloudWatch embedded metric format: the request's metrics as fields of its one log line.

CloudWatch Logs turns a line carrying an `_aws` block into metrics, with no API call and no agent. Every
operation declares a fixed set of metrics and writes each of them, zeros included, so sums and averages
stay comparable; terraform/product_metrics.json (the dashboard) lists the same ones, and a test holds the two
together. Dimensions are the operation and the environment only: never a body, a name or a caller.
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "BBWS/ProductApi"
DIMENSIONS = ("Operation", "Environment")

# Metrics every operation writes, then those only some write; the unit of each.
COMMON_METRICS = ("Latency", "DynamoDBCalls", "Unavailable", "UnexpectedErrors", "ColdStarts")
OPERATION_METRICS: dict[str, tuple[str, ...]] = {
    "list_products": ("ItemsRead",),
    "get_product": (),
    "create_product": ("ProductsCreated", "NameConflicts", "IdempotentReplays"),
    "update_product": ("ProductsUpdated", "ProductsRestored", "NameConflicts", "VersionConflicts"),
    "delete_product": ("ProductsDeleted", "VersionConflicts"),
}
UNITS = {"Latency": "Milliseconds"}  # every other metric is a Count


def declared_metrics(operation: str) -> tuple[str, ...]:
    """The metrics an operation's line declares, in order."""
    return COMMON_METRICS + OPERATION_METRICS.get(operation, ())


def emf_fields(
    operation: str, environment: str, values: dict[str, float], timestamp_ms: int
) -> dict[str, Any]:
    """The fields that make a log line an EMF record: `_aws`, the dimensions and one number per metric
    (a metric missing from `values` is written as 0)."""
    names = declared_metrics(operation)
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [list(DIMENSIONS)],
                    "Metrics": [{"Name": name, "Unit": UNITS.get(name, "Count")} for name in names],
                }
            ],
        },
        "Operation": operation,
        "Environment": environment,
        **{name: values.get(name, 0) for name in names},
    }
