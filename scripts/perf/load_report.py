"""A load test's result: percentiles per operation, throughput and errors by status, and the pass/fail verdict.

Built from Locust's statistics by scripts/perf/locustfile.py, saved as JSON, and read back by scripts/perf/benchmark.py.
Percentiles are Locust's (response times rounded to two significant digits above 100 ms).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PERCENTILES = (0.5, 0.95, 0.99)


@dataclass(frozen=True)
class Operation:
    name: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Report:
    offered_rate: float
    seconds: float
    operations: tuple[Operation, ...]
    errors_by_status: dict[str, int]  # "operation status" -> count

    @property
    def requests(self) -> int:
        return sum(operation.requests for operation in self.operations)

    @property
    def errors(self) -> int:
        return sum(operation.errors for operation in self.operations)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @classmethod
    def from_locust(cls, stats: Any, errors: dict[tuple[str, str], int], offered_rate: float) -> Report:
        operations = tuple(
            Operation(
                entry.name,
                entry.num_requests,
                entry.num_failures,
                *(float(entry.get_response_time_percentile(q)) for q in PERCENTILES),
            )
            for entry in sorted(stats.entries.values(), key=lambda entry: entry.name)
        )
        total = stats.total
        seconds = (total.last_request_timestamp or 0) - (total.start_time or 0)
        by_status = {f"{name} {status}": count for (name, status), count in sorted(errors.items())}
        return cls(offered_rate, max(seconds, 0.0), operations, by_status)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        operations = tuple(Operation(**operation) for operation in data["operations"])
        return cls(data["offered_rate"], data["seconds"], operations, dict(data["errors_by_status"]))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["operations"] = [asdict(operation) for operation in self.operations]
        data.update(requests=self.requests, errors=self.errors, throughput=round(self.throughput, 2))
        return data

    def failures(self, p95_ms: float, max_error_rate: float) -> list[str]:
        """Why the run fails its thresholds (empty: it passes)."""
        reasons = [
            f"{operation.name}: p95 {operation.p95_ms:.0f} ms > {p95_ms:.0f} ms"
            for operation in self.operations
            if operation.p95_ms > p95_ms
        ]
        if self.error_rate > max_error_rate:
            reasons.append(f"error rate {self.error_rate:.2%} > {max_error_rate:.2%}")
        if not self.requests:
            reasons.append("no requests were made")
        return reasons

    def table(self) -> list[str]:
        """Markdown lines: one row per operation, then the totals and the errors."""
        lines = [
            "| operation | requests | errors | p50 ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {o.name} | {o.requests} | {o.errors} | {o.p50_ms:.0f} | {o.p95_ms:.0f} | {o.p99_ms:.0f} |"
            for o in self.operations
        ]
        errors = ", ".join(f"{key}: {count}" for key, count in self.errors_by_status.items()) or "none"
        lines += [
            "",
            f"Throughput {self.throughput:.1f} requests/s (offered {self.offered_rate:g}) over "
            f"{self.seconds:.0f} s; {self.requests} requests, error rate {self.error_rate:.2%}; "
            f"errors by status: {errors}.",
        ]
        return lines

    def text(self, p95_ms: float, max_error_rate: float) -> str:
        reasons = self.failures(p95_ms, max_error_rate)
        verdict = "FAIL: " + "; ".join(reasons) if reasons else "PASS"
        thresholds = f"p95 <= {p95_ms:.0f} ms, error rate <= {max_error_rate:.2%}"
        return "\n".join(["", *self.table(), "", f"{verdict} ({thresholds})", ""])
