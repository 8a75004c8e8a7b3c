"""Static security checks: bandit over the Lambda code and the scripts, no medium or high finding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_finds_nothing_of_medium_or_high_severity_in_src_and_scripts() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "--recursive", "--severity-level", "medium", "--format", "json"]
        + ["--quiet", "src", "scripts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_severity']}: {r['issue_text']}"
        for r in report["results"]
    ]
    assert not findings, "\n".join(findings)
    assert not report["errors"], report["errors"]
    assert report["metrics"]["_totals"]["loc"] > 1000  # it scanned the code, not an empty tree
    assert run.returncode == 0, run.stderr
