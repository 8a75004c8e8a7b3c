"""Session fixtures of the Terraform apply tests: one deployment from an empty account on moto's server.

    local_aws      moto's server started (tests/terraform/moto_server.py) and a scratch copy of terraform/ whose
                   three stacks point at it; nothing applied yet.
    bootstrapped   the bootstrap stack planned and applied from its saved plan (local state).
    deployed       then, as dev's deploy role, the infrastructure stack, the page-token key (`ensure`), the Lambda
                   stack, each planned and applied from its saved plan into the dev state bucket, as the deploy
                   workflows do (every saved plan applied in a fresh copy of the configuration), a release
                   through CodeDeploy and its rollback (`release`), a refused `rotate` and the post-deployment
                   validation (against the local server, its signed requests kept in `signed_requests`).
    deployed_prod  the same deploy, as prod's deploy role with prod's tfvars, in the same moto server: started
                   in the background as soon as the bootstrap is applied (names differ per environment).

Every request moto answers is recorded (`LocalAws.recording`); tests/terraform/test_rehearsal.py evaluates
each one the deploy roles made against their policies (the authorization rehearsal).

Each is a `LocalAws` (tests/terraform/local_aws.py): `endpoint`, `environment`, `client(service)` (boto3 on
moto), `stacks[name].directory` (each stack's scratch folder), `plan_dir(name)` (its saved plan),
`terraform(...)` and `deploy(...)` to run more, `timings` (each command's seconds, printed at the end).
Tests marked `destroys` run last. Needs the packages: scripts/ops/package_lambdas.sh first (make terraform).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from local_aws import (
    ADMIN_CREDENTIALS,
    REPO_ROOT,
    LocalAws,
    MotoServer,
    RecordingProxy,
    Release,
    scratch_copy,
)

ENVIRONMENT = "dev"
# Also rehearsed: the infrastructure and Lambda stacks of prod, beside dev's in the same account.
OTHER_ENVIRONMENT = "prod"
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
    server = MotoServer(work_dir / "moto.log", work_dir / "requests.jsonl")
    try:
        aws = scratch_copy(server.endpoint, ENVIRONMENT, work_dir, PACKAGE_DIR)
        pytestconfig.stash[TIMINGS] = aws.timings
        aws.recording = server.recording
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
    local_aws.deploy("apply", "bootstrap", fresh=True)
    (local_aws.work_dir / OTHER_ENVIRONMENT).mkdir()
    prod = scratch_copy(
        local_aws.endpoint, OTHER_ENVIRONMENT, local_aws.work_dir / OTHER_ENVIRONMENT, PACKAGE_DIR
    )
    # dev's infrastructure stack owns the account-wide API Gateway logging role; prod's leaves it alone, as
    # docs/DEPLOYMENT.md says for environments sharing an account.
    shared = ("-var", "manage_api_gateway_account=false")
    infrastructure = prod.stacks["infrastructure"]
    prod.stacks["infrastructure"] = replace(
        infrastructure,
        plan_args=(*infrastructure.plan_args, *shared),
        variables=(*infrastructure.variables, *shared),
    )
    # One account: the run's recording, timings and lifted bucket policies are shared.
    prod.recording, prod.timings, prod.lifted_policies = (
        local_aws.recording,
        local_aws.timings,
        local_aws.lifted_policies,
    )
    local_aws.start(OTHER_ENVIRONMENT, lambda: deploy_prod(prod))
    local_aws.others[OTHER_ENVIRONMENT] = prod
    return local_aws


def deploy_prod(aws: LocalAws) -> str:
    """prod's infrastructure stack, key and Lambda stack, as prod's deploy role (beside dev's deploy)."""
    s3 = aws.client("s3")
    aws.lifted_policies[aws.state_bucket] = s3.get_bucket_policy(Bucket=aws.state_bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=aws.state_bucket)
    aws.act_as_deploy_role()
    deploy_api_stacks(aws)
    return "deployed"


def deploy_api_stacks(aws: LocalAws) -> None:
    """The infrastructure stack, the page-token key's first value (`ensure`, as soon as the stack that makes the
    secret is applied: the infrastructure stack, before any function can read it), then the Lambda stack."""
    ensured = False
    for stack in ("infrastructure", "lambda"):
        aws.deploy("plan", stack)
        aws.deploy("apply", stack, fresh=True)
        secret = None if ensured else page_token_secret(aws, stack)
        if secret:
            aws.run_script("page-token-key", "page_token_key", "ensure", secret)
            ensured = True
    assert ensured, "neither the infrastructure nor the Lambda stack outputs secret_arns"


def page_token_secret(aws: LocalAws, stack: str = "") -> str | None:
    """The page-token secret's ARN from a stack's outputs (by default: whichever stack outputs it)."""
    for name in (stack,) if stack else ("infrastructure", "lambda"):
        outputs = json.loads(aws.terraform(f"secret-arns-{name}", name, "output", "-json"))
        if "secret_arns" in outputs:
            return str(outputs["secret_arns"]["value"]["page-token-key"])
    return None


@pytest.fixture(scope="session")
def deployed_prod(deployed: LocalAws) -> LocalAws:
    deployed.result(OTHER_ENVIRONMENT)
    return deployed.others[OTHER_ENVIRONMENT]


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
    aws.act_as_deploy_role()
    deploy_api_stacks(aws)
    aws.release = release_and_roll_back(aws)
    # Within a day of the first key, `rotate` refuses (tokens sealed with it are still valid): it reads only.
    secret = page_token_secret(aws)
    assert secret, "no stack outputs secret_arns"
    aws.run_script("page-token-key-rotate", "page_token_key", "rotate", secret, expect=1)
    aws.signed_requests = validate(aws)
    for stack in ("infrastructure", "lambda"):
        aws.start(f"replan-{stack}", lambda stack=stack: replan(aws, stack))
    return aws


def release_and_roll_back(aws: LocalAws) -> Release:
    """As a release does: the page-token key put by AWS (scripts/ops/page_token_key.py), a new version of every
    function published by a second plan and apply (a changed setting; Terraform leaves `live` where it is),
    scripts/ops/release.py moving `live` to it through CodeDeploy, then its rollback. What each step left is
    kept for the tests (test_release.py), with every plan and state the run made, to search for the key."""
    setting = ("-var", "log_level=INFO")
    aws.deploy("plan", "lambda", label="release", extra_args=setting)
    aws.deploy("apply", "lambda", label="release", fresh=True)
    lambda_stack = aws.stacks["lambda"]
    aws.stacks["lambda"] = replace(lambda_stack, variables=(*lambda_stack.variables, *setting))
    release_file = aws.work_dir / "release.json"
    release_file.write_text(aws.terraform("release-output", "lambda", "output", "-json", "release"))
    described = json.loads(release_file.read_text())
    deployed_log = aws.run_script(
        "release", "release", "deploy", "--release", str(release_file), "--poll-seconds", "0.2"
    )
    after_release = alias_versions(aws, described)
    rolled_back_log = aws.run_script("rollback", "release", "rollback", "--release", str(release_file))
    scanned = [path for label in ("infrastructure", "lambda", "release") for path in plan_files(aws, label)]
    for stack in ("infrastructure", "lambda"):
        state = aws.work_dir / f"{stack}.tfstate.json"
        state.write_text(aws.terraform(f"state-pull-{stack}", stack, "state", "pull"))
        scanned.append(state)
    return Release(
        described, deployed_log, after_release, rolled_back_log, alias_versions(aws, described), scanned
    )


def validate(aws: LocalAws) -> list[dict[str, Any]]:
    """scripts/ops/validate_deployment.py as the deploy role against the local server (moto cannot run the
    functions behind its API Gateway), through a proxy that keeps each request's method, path and headers."""
    log = aws.work_dir / "local-server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "scripts.local_server", "--port", "0"],
            cwd=REPO_ROOT,
            # Its own embedded DynamoDB, no role: only the validation's requests are the deploy role's.
            env={
                **os.environ,
                **ADMIN_CREDENTIALS,
                "PYTHONPATH": f"{REPO_ROOT / 'src'}{os.pathsep}{REPO_ROOT}",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with RecordingProxy(local_server_url(server, log)) as proxy:
            aws.run_script("validation", "validate_deployment", "--base-url", proxy.url)
            return proxy.requests
    finally:
        server.terminate()
        server.wait(timeout=10)


def local_server_url(server: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> str:
    """The base URL the local server prints once it serves."""
    deadline = time.monotonic() + seconds
    while server.poll() is None and time.monotonic() < deadline:
        found = re.search(r"Product API on (http://[^/\s]+)/v1\.0/products", log.read_text(errors="replace"))
        if found:
            return found.group(1)
        time.sleep(0.2)
    raise RuntimeError(f"the local server did not start:\n{log.read_text(errors='replace')[-3000:]}")


def plan_files(aws: LocalAws, label: str) -> list[Path]:
    """A saved plan's files (tfplan, plan.txt, ...) and its JSON (`terraform show -json`)."""
    plan_dir = aws.plan_dir(label, label)
    shown = aws.work_dir / f"plan-{label}.json"
    stack = "infrastructure" if label == "infrastructure" else "lambda"
    shown.write_text(aws.terraform(f"show-{label}", stack, "show", "-json", str(plan_dir / "tfplan")))
    return [path for path in sorted(plan_dir.iterdir()) if path.is_file()] + [shown]


def alias_versions(aws: LocalAws, described: dict[str, Any]) -> dict[str, str]:
    """The version each function's release alias points at now."""
    functions = aws.client("lambda")
    return {
        name: functions.get_alias(FunctionName=fn["function_name"], Name=described["alias"])[
            "FunctionVersion"
        ]
        for name, fn in described["functions"].items()
    }


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
