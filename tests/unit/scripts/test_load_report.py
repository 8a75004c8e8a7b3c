"""The load test's verdict: it fails on a slow operation or too many errors, and round-trips through JSON."""

from __future__ import annotations

from scripts.perf.load_report import Operation, Report


def report(p95_ms: float = 120.0, errors: int = 0) -> Report:
    operations = (
        Operation("get", 600, errors, 10.0, p95_ms, 200.0),
        Operation("list", 250, 0, 20.0, 90.0, 150.0),
    )
    return Report(50.0, 17.0, operations, {"get 503": errors} if errors else {})


def test_a_run_within_both_thresholds_passes() -> None:
    assert report().failures(p95_ms=300, max_error_rate=0.0) == []


def test_an_operation_with_a_slow_p95_fails_the_run() -> None:
    assert report(p95_ms=450).failures(p95_ms=300, max_error_rate=0.0) == ["get: p95 450 ms > 300 ms"]


def test_an_error_rate_above_the_threshold_fails_the_run() -> None:
    assert report(errors=17).failures(p95_ms=300, max_error_rate=0.01) == ["error rate 2.00% > 1.00%"]


def test_an_error_rate_at_the_threshold_passes() -> None:
    assert report(errors=17).failures(p95_ms=300, max_error_rate=0.02) == []


def test_a_run_without_requests_fails() -> None:
    assert Report(50.0, 0.0, (), {}).failures(p95_ms=300, max_error_rate=1.0) == ["no requests were made"]


def test_throughput_counts_every_operation() -> None:
    assert report().throughput == 50.0


def test_the_saved_report_reads_back_the_same() -> None:
    original = report(errors=3)
    assert Report.from_dict(original.as_dict()) == original


def test_the_printed_report_names_the_verdict_and_the_errors() -> None:
    text = report(errors=3).text(p95_ms=300, max_error_rate=0.0)
    assert "get 503: 3" in text and "FAIL: error rate 0.35% > 0.00%" in text
