#!/usr/bin/env python3
"""The counts behind CI's last line: every test-like check `make test` ran, summed over its steps.

Each step of `make test` runs through scripts/ci/ci_step.sh, which points CI_SUMMARY at build/summary.tsv. A step
(or a script it calls) records its own counts there, one line per check family: `name passed failed skipped`.

    ci_summary.py record NAME PASSED FAILED [SKIPPED]   # counts you already have
    ci_summary.py junit NAME FILE.xml                   # a JUnit report (pytest, schemathesis)
    ci_summary.py tftest NAME LOG                       # `terraform test` output ("N passed, M failed")
    ci_summary.py checkov NAME LOG                      # checkov output ("Passed checks: N, Failed ...")
    ci_summary.py validation NAME LOG                   # scripts/ops/validate_deployment.py output
    ci_summary.py schemathesis NAME REPORT.json         # schemathesis' JSON run report: every generated case
    ci_summary.py table [--markdown]                    # per-line table (CI's job summary)
    ci_summary.py print [--exit-status N]               # the total as one line; exits 1 if anything failed

Standard library only, so that the summary prints even when the project's virtualenv could not be built.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "build" / "summary.tsv"


def summary_file() -> Path:
    return Path(os.environ.get("CI_SUMMARY") or DEFAULT_FILE)


def record(name: str, passed: int, failed: int, skipped: int = 0) -> None:
    path = summary_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{name.replace(' ', '_')}\t{passed}\t{failed}\t{skipped}\n")


def read_lines() -> list[tuple[str, int, int, int]]:
    path = summary_file()
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name, passed, failed, skipped = line.split("\t")
        rows.append((name, int(passed), int(failed), int(skipped)))
    return rows


def junit_counts(path: Path) -> tuple[int, int, int]:
    """passed, failed (failures and errors), skipped over every test case of a JUnit XML file."""
    passed = failed = skipped = 0
    # Reports this build wrote itself (pytest, schemathesis), never input from outside.
    for case in ElementTree.parse(path).getroot().iter("testcase"):  # nosec B314
        outcomes = {child.tag for child in case}
        if outcomes & {"failure", "error"}:
            failed += 1
        elif "skipped" in outcomes:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def last_match(pattern: str, text: str) -> re.Match[str] | None:
    matches = list(re.finditer(pattern, text))
    return matches[-1] if matches else None


def tftest_counts(text: str) -> tuple[int, int, int]:
    """`terraform test` ends with `Success! 12 passed, 0 failed.` (and `, 1 skipped` when any were)."""
    found = last_match(r"(\d+) passed, (\d+) failed(?:, (\d+) skipped)?", text)
    if found is None:
        return 0, 1, 0
    return int(found[1]), int(found[2]), int(found[3] or 0)


def checkov_counts(text: str) -> tuple[int, int, int]:
    found = last_match(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", text)
    if found is None:
        return 0, 1, 0
    return int(found[1]), int(found[2]), int(found[3])


def validation_counts(text: str) -> tuple[int, int, int]:
    """validate_deployment.py prints one PASS/FAIL line per step of the life cycle."""
    passed = len(re.findall(r"^PASS ", text, flags=re.MULTILINE))
    failed = len(re.findall(r"^FAIL ", text, flags=re.MULTILINE))
    return (passed, failed, 0) if passed + failed else (0, 1, 0)


def schemathesis_counts(text: str) -> tuple[int, int, int]:
    """Generated cases minus those with failures or errors pass; cases no check applied to are skipped."""
    if not text:
        return 0, 1, 0
    cases = json.loads(text)["test_cases"]
    failed = int(cases["with_failures"]) + int(cases["errored"])
    return int(cases["generated"]) - failed, failed, int(cases["without_checks"])


def totals(rows: list[tuple[str, int, int, int]]) -> tuple[int, int, int]:
    return sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows)


def summary_line(passed: int, failed: int, skipped: int) -> str:
    line = f"{passed} passed, {failed} failed"
    return f"{line}, {skipped} skipped" if skipped else line


def coverage_lines(report: Path) -> list[str]:
    """Line and branch coverage of src/ from pytest-cov's Cobertura XML, when the report exists."""
    if not report.exists():
        return []
    root = ElementTree.parse(report).getroot()  # nosec B314 - pytest-cov's report of this build
    lines, branches = float(root.get("line-rate", 0)), float(root.get("branch-rate", 0))
    return ["", f"Coverage of src/: {lines:.1%} of lines, {branches:.1%} of branches."]


def table(markdown: bool) -> str:
    rows = read_lines()
    if markdown:
        lines = ["| check | passed | failed | skipped |", "|---|---:|---:|---:|"]
        lines += [f"| {n} | {p} | {f} | {s} |" for n, p, f, s in rows]
        lines.append("| **total** | **{}** | **{}** | **{}** |".format(*totals(rows)))
        lines += coverage_lines(summary_file().parent / "reports" / "coverage.xml")
    else:
        lines = [f"    {n:<46} {p:>6} passed {f:>4} failed {s:>4} skipped" for n, p, f, s in rows]
    return "\n".join(lines)


PARSERS = {
    "tftest": tftest_counts,
    "checkov": checkov_counts,
    "validation": validation_counts,
    "schemathesis": schemathesis_counts,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plain = commands.add_parser("record")
    plain.add_argument("name")
    plain.add_argument("counts", nargs="+", type=int)
    for command in ("junit", *PARSERS):
        parsed = commands.add_parser(command)
        parsed.add_argument("name")
        parsed.add_argument("file", type=Path)
    shown = commands.add_parser("table")
    shown.add_argument("--markdown", action="store_true")
    final = commands.add_parser("print")
    final.add_argument("--exit-status", type=int, default=0, help="make's exit status")
    args = parser.parse_args(argv)

    if args.command == "record":
        record(args.name, *args.counts[:3])
    elif args.command == "junit":
        record(args.name, *(junit_counts(args.file) if args.file.exists() else (0, 1, 0)))
    elif args.command in PARSERS:
        text = args.file.read_text(encoding="utf-8", errors="replace") if args.file.exists() else ""
        record(args.name, *PARSERS[args.command](text))
    elif args.command == "table":
        print(table(args.markdown))
    else:
        passed, failed, skipped = totals(read_lines())
        # make failed outside any recorded check (a broken venv, a missing tool): that is a failure too.
        if args.exit_status != 0 and failed == 0:
            failed = 1
        print(summary_line(passed, failed, skipped))
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
