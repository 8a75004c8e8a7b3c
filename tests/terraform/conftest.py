"""Session fixtures of the Terraform apply tests: one deployment from an empty account on moto's server.

    local_aws      moto's server started (tests/terraform/moto_server.py) and a scratch copy of terraform/ whose
                   three stacks point at it; nothing applied yet.
    bootstrapped   the bootstrap stack planned and applied from its saved plan (local state).
    deployed       then the infrastructure and Lambda stacks, each planned and applied from its saved plan into
                   the dev state bucket, as the deploy workflows do.

Each is a `LocalAws` (tests/terraform/local_aws.py): `endpoint`, `environment`, `client(service)` (boto3 on
moto), `stacks[name].directory` (each stack's scratch folder), `plan_dir(name)` (its saved plan),
`terraform(...)` and `deploy(...)` to run more, `timings` (each command's seconds, printed at the end).
Tests marked `destroys` run last. Needs the packages: scripts/ops/package_lambdas.sh first (make terraform).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_aws import REPO_ROOT, LocalAws, MotoServer, scratch_copy

ENVIRONMENT = "dev"
PACKAGE_DIR = REPO_ROOT / "build" / "lambda"
TIMINGS = pytest.StashKey[list[tuple[str, float]]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test here shares one deployment (one xdist worker), and the destroy comes after all the others."""
    here = Path(__file__).parent
    mine = [item for item in items if here in Path(item.path).parents]
    for item in mine:
        item.add_marker(pytest.mark.terraform_apply)
        item.add_marker(pytest.mark.xdist_group("terraform-apply"))
    last = [item for item in mine if item.get_closest_marker("destroys")]
    items[:] = [item for item in items if item not in last] + last


@pytest.fixture(scope="session")
def local_aws(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[LocalAws]:
    if not (PACKAGE_DIR / "list_products.zip").exists():
        raise RuntimeError(f"no packages in {PACKAGE_DIR}: run scripts/ops/package_lambdas.sh first")
    work_dir = tmp_path_factory.mktemp("terraform-apply")
    server = MotoServer(work_dir / "moto.log")
    try:
        aws = scratch_copy(server.endpoint, ENVIRONMENT, work_dir, PACKAGE_DIR)
        pytestconfig.stash[TIMINGS] = aws.timings
        server.wait()
        # moto loads each service's backend on its first request: let that happen while Terraform starts.
        aws.start("warm-up", lambda: warm_up(aws))
        yield aws
    finally:
        server.stop()


def warm_up(aws: LocalAws) -> str:
    """One read per service the stacks use; they create nothing."""
    aws.client("sts").get_caller_identity()
    aws.client("iam").list_roles()
    aws.client("s3").list_buckets()
    aws.client("dynamodb").list_tables()
    aws.client("lambda").list_functions()
    aws.client("apigateway").get_rest_apis()
    aws.client("logs").describe_log_groups()
    aws.client("cloudwatch").describe_alarms()
    return "warm"


@pytest.fixture(scope="session")
def bootstrapped(local_aws: LocalAws) -> LocalAws:
    local_aws.deploy("plan", "bootstrap")
    local_aws.deploy("apply", "bootstrap")
    return local_aws


@pytest.fixture(scope="session")
def deployed(bootstrapped: LocalAws) -> LocalAws:
    """Also starts, beside the applies and the tests, what needs no other stack: the stale-plan attempt on the
    bootstrap stack ("stale-plan"), then a fresh plan of each API stack ("replan-infrastructure", ...)."""
    aws = bootstrapped
    # moto applies the state bucket policy's Deny without its aws:SecureTransport condition, so it would refuse
    # every object request (there is no TLS on loopback either). Keep it for the policy test, then lift it.
    s3 = aws.client("s3")
    aws.lifted_policies[aws.state_bucket] = s3.get_bucket_policy(Bucket=aws.state_bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=aws.state_bucket)
    aws.start("stale-plan", lambda: apply_a_stale_plan(aws))
    for stack in ("infrastructure", "lambda"):
        aws.deploy("plan", stack)
        aws.deploy("apply", stack)
    for stack in ("infrastructure", "lambda"):
        aws.start(f"replan-{stack}", lambda stack=stack: replan(aws, stack))
    return aws


def apply_a_stale_plan(aws: LocalAws) -> str:
    """Plan the bootstrap stack, change its state, apply the first plan: deploy_stack.sh must exit 3."""
    aws.deploy("plan", "bootstrap", label="stale")
    # Any write to the state makes the plan stale. Forgetting the dev bucket's policy is quick, and that policy
    # is lifted for the other stacks anyway (moto cannot evaluate it); the bucket takes it along when destroyed.
    aws.terraform("state-in-between", "bootstrap", "state", "rm", 'aws_s3_bucket_policy.state["dev"]')
    return aws.deploy("apply", "bootstrap", label="stale", expect=3)


def replan(aws: LocalAws, stack: str) -> str:
    """A fresh plan (refreshing every resource) must find nothing to change: -detailed-exitcode 0, not 2."""
    arguments = ("plan", "-input=false", "-no-color", "-detailed-exitcode", *aws.stacks[stack].variables)
    return aws.terraform(f"replan-{stack}", stack, *arguments)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    timings = config.stash.get(TIMINGS, [])
    if timings:
        terminalreporter.section("Terraform commands (seconds)")
        for label, seconds in timings:
            terminalreporter.write_line(f"{seconds:7.1f}  {label}")
        terminalreporter.write_line(f"{sum(s for _, s in timings):7.1f}  in all")
