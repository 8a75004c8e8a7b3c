"""Checks a log line against the CloudWatch embedded metric format specification (what CloudWatch Logs
requires before it extracts any metric), and against this project's rules for its dimensions."""

from __future__ import annotations

import json
from typing import Any

# The units CloudWatch accepts.
UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def emf_problems(line: str) -> list[str]:
    """Every way the line breaks the EMF specification; empty when CloudWatch would extract its metrics."""
    record = json.loads(line)
    meta = record.get("_aws")
    if not isinstance(meta, dict):
        return ["no _aws object"]
    problems = []
    if not isinstance(meta.get("Timestamp"), int) or meta["Timestamp"] < 10**12:
        problems.append(f"_aws.Timestamp {meta.get('Timestamp')!r} is not epoch milliseconds")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return problems + ["_aws.CloudWatchMetrics is not a non-empty array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
            problems.append(f"Namespace {namespace!r}")
        for dimension_set in directive.get("Dimensions", []):
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                problems.append(f"dimension set {dimension_set!r}")
                continue
            for key in dimension_set:
                if not isinstance(record.get(key), str) or not record[key]:
                    problems.append(f"dimension {key!r} has no string value in the record")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            problems.append("Metrics is not an array of 1 to 100 metrics")
            continue
        for metric in metrics:
            name, unit = metric.get("Name"), metric.get("Unit", "None")
            if not isinstance(name, str) or not 1 <= len(name) <= 1024:
                problems.append(f"metric name {name!r}")
            elif not is_number(record.get(name)):
                problems.append(f"metric {name!r} has no number in the record: {record.get(name)!r}")
            if unit not in UNITS:
                problems.append(f"metric {name!r} has unit {unit!r}")
    return problems
