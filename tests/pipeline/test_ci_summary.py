"""CI's last line adds up every step's counts, and a failing step can never add up to "0 failed"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.ci import ci_summary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def summary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "summary.tsv"
    monkeypatch.setenv("CI_SUMMARY", str(path))
    return path


def run_step(summary_file: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "ci" / "ci_step.sh"), "demo", "--", *command],
        capture_output=True,
        text=True,
        env={"CI_SUMMARY": str(summary_file), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def final_line(summary_file: Path, exit_status: int = 0) -> tuple[str, int]:
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "ci" / "ci_summary.py"),
            "print",
            "--exit-status",
            str(exit_status),
        ],
        capture_output=True,
        text=True,
        env={"CI_SUMMARY": str(summary_file)},
        check=False,
    )
    return completed.stdout.strip(), completed.returncode


def test_the_last_line_sums_every_recorded_check(summary_file: Path) -> None:
    ci_summary.record("pytest", 400, 0, 2)
    ci_summary.record("checkov", 90, 0, 9)
    ci_summary.record("local-apply", 12, 0)
    assert final_line(summary_file) == ("502 passed, 0 failed, 11 skipped", 0)


def test_skipped_is_left_out_when_nothing_was_skipped(summary_file: Path) -> None:
    ci_summary.record("lint", 1, 0)
    assert final_line(summary_file) == ("1 passed, 0 failed", 0)


def test_any_failure_makes_the_summary_exit_non_zero(summary_file: Path) -> None:
    ci_summary.record("pytest", 10, 1)
    assert final_line(summary_file) == ("10 passed, 1 failed", 1)


def test_make_failing_outside_any_check_still_counts_as_a_failure(summary_file: Path) -> None:
    assert final_line(summary_file, exit_status=2) == ("0 passed, 1 failed", 1)


def test_a_step_that_records_nothing_counts_as_one_check(summary_file: Path) -> None:
    assert run_step(summary_file, "true").returncode == 0
    assert run_step(summary_file, "false").returncode == 1
    assert ci_summary.read_lines() == [("demo", 1, 0, 0), ("demo", 0, 1, 0)]


def test_a_failing_step_whose_counts_all_passed_gets_one_failure(summary_file: Path) -> None:
    record = f"{sys.executable} {ROOT / 'scripts' / 'ci' / 'ci_summary.py'} record demo-tests 5 0; exit 3"
    completed = run_step(summary_file, "bash", "-c", record)
    assert completed.returncode == 3
    assert ci_summary.read_lines() == [("demo-tests", 5, 0, 0), ("demo-exit-status", 0, 1, 0)]
    assert "==> [demo]" in completed.stdout and "<== [demo] FAILED (exit 3) in" in completed.stdout


def test_junit_counts_errors_as_failures_and_skips_apart(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        "<testsuites><testsuite>"
        '<testcase name="a"/><testcase name="b"><failure/></testcase>'
        '<testcase name="c"><error/></testcase><testcase name="d"><skipped/></testcase>'
        "</testsuite></testsuites>"
    )
    assert ci_summary.junit_counts(report) == (1, 2, 1)


@pytest.mark.parametrize(
    ("output", "counts"),
    [
        ("run ... pass\n\nSuccess! 12 passed, 0 failed.\n", (12, 0, 0)),
        ("Failure! 3 passed, 1 failed, 2 skipped.\n", (3, 1, 2)),
        ("Error: Invalid configuration\n", (0, 1, 0)),
    ],
)
def test_terraform_test_output(output: str, counts: tuple[int, int, int]) -> None:
    assert ci_summary.tftest_counts(output) == counts


def test_checkov_output() -> None:
    text = "terraform scan results:\n\nPassed checks: 22, Failed checks: 1, Skipped checks: 4\n"
    assert ci_summary.checkov_counts(text) == (22, 1, 4)
    assert ci_summary.checkov_counts("Traceback ...") == (0, 1, 0)


def test_post_deployment_validation_counts_each_step() -> None:
    text = "Validating x\nPASS  create   POST\nFAIL  update   PUT\n      - wrong\nPASS  delete\nResult: ...\n"
    assert ci_summary.validation_counts(text) == (2, 1, 0)
    assert ci_summary.validation_counts("connection refused") == (0, 1, 0)


def test_schemathesis_counts_every_generated_case() -> None:
    report = {"test_cases": {"generated": 624, "with_failures": 2, "errored": 1, "without_checks": 6}}
    assert ci_summary.schemathesis_counts(json.dumps(report)) == (621, 3, 6)
    assert ci_summary.schemathesis_counts("") == (0, 1, 0)


def test_the_markdown_table_carries_the_coverage(summary_file: Path) -> None:
    ci_summary.record("pytest", 3, 0)
    (summary_file.parent / "reports").mkdir()
    (summary_file.parent / "reports" / "coverage.xml").write_text(
        '<coverage line-rate="0.9712" branch-rate="0.93"/>'
    )
    table = ci_summary.table(markdown=True)
    assert "| pytest | 3 | 0 | 0 |" in table and "| **total** | **3** | **0** | **0** |" in table
    assert "Coverage of src/: 97.1% of lines, 93.0% of branches." in table


def test_a_step_counts_only_its_own_lines_while_another_step_adds_to_the_summary(summary_file: Path) -> None:
    # make test runs two lanes at once: here another step's line lands while "demo" runs and records nothing.
    another_step = f"printf 'other\\t5\\t0\\t0\\n' >> '{summary_file}'"
    assert run_step(summary_file, "bash", "-c", another_step).returncode == 0
    assert [line.split("\t")[0] for line in summary_file.read_text().splitlines()] == ["other", "demo"]
    assert final_line(summary_file) == ("6 passed, 0 failed", 0)
