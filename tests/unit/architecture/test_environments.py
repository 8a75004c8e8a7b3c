"""Each environment's tfvars hold what terraform/tests/lambda.tftest.hcl tests for that environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"


def tfvars(environment: str) -> dict[str, str]:
    """The `name = value` lines of an environment's tfvars (values as written)."""
    text = (TERRAFORM / "environments" / f"{environment}.tfvars").read_text(encoding="utf-8")
    return dict(re.findall(r"^(\w+)\s*=\s*(.+?)\s*$", text, re.MULTILINE))


@pytest.mark.parametrize("environment, snap_start", [("dev", "false"), ("sit", "true"), ("prod", "true")])
def test_snap_start_is_on_in_sit_and_prod_and_off_in_dev(environment: str, snap_start: str) -> None:
    assert tfvars(environment)["snap_start"] == snap_start


@pytest.mark.parametrize("environment", ["dev", "sit", "prod"])
def test_the_terraform_tests_cover_each_environments_snap_start(environment: str) -> None:
    """Some run of the Lambda stack's tests sets the environment's snap_start and asserts what it does (dev's
    run takes the default environment, dev)."""
    tests = (TERRAFORM / "tests" / "lambda.tftest.hcl").read_text(encoding="utf-8")
    runs = tests.split('\nrun "')[1:]
    setting = tfvars(environment)["snap_start"]
    covering = [
        run.split('"', 1)[0]
        for run in runs
        if re.search(rf"^\s*snap_start\s*=\s*{setting}\s*$", run, re.MULTILINE)
        and "fn.snap_start" in run
        and (f'environment = "{environment}"' in re.sub(r"\s+", " ", run) or environment == "dev")
    ]
    assert covering, f"no run of lambda.tftest.hcl sets snap_start = {setting} for {environment}"
