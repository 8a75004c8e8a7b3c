"""After the applies: a fresh plan of each API stack finds nothing to change (the configuration reads back as
it was written), and the three stacks destroy cleanly, the Lambda stack first and the bootstrap stack last."""

from __future__ import annotations

import pytest

from local_aws import LocalAws


@pytest.mark.parametrize("stack", ["infrastructure", "lambda"])
def test_a_fresh_plan_of_each_api_stack_shows_no_changes(deployed: LocalAws, stack: str) -> None:
    # conftest.replan: terraform plan -detailed-exitcode exits 2 on changes, and the log shows them.
    assert "No changes." in deployed.result(f"replan-{stack}")


@pytest.mark.destroys
def test_the_three_stacks_destroy_cleanly(deployed: LocalAws) -> None:
    deployed.settle()
    for stack in ("lambda", "infrastructure", "bootstrap"):
        # The re-plans refreshed every resource just now: the destroy needs no second read.
        arguments = ("destroy", "-input=false", "-no-color", "-auto-approve", "-refresh=false")
        log = deployed.terraform(f"destroy-{stack}", stack, *arguments, *deployed.stacks[stack].variables)
        assert "Destroy complete!" in log, log[-3000:]
