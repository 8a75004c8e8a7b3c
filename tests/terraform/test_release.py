"""A release on moto, as the deploy workflow makes it (conftest.release_and_roll_back): every function's new
version reaches `live` through CodeDeploy (scripts/ops/release.py), the rollback puts `live` back, and the
page-token key that AWS generated is in none of the saved plans, their JSON or the states."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from local_aws import LocalAws, Release, as_set


@pytest.fixture(scope="module")
def release(deployed: LocalAws) -> Release:
    assert deployed.release is not None, "the deployed fixture made no release"
    return deployed.release


def test_the_release_moves_every_alias_to_the_version_the_apply_published(release: Release) -> None:
    published = {name: fn["version"] for name, fn in release.described["functions"].items()}
    assert release.after_release == published, release.deploy_log[-3000:]


def test_each_function_was_moved_by_one_successful_codedeploy_deployment(
    deployed: LocalAws, release: Release
) -> None:
    codedeploy = deployed.client("codedeploy")
    succeeded = {
        name: codedeploy.list_deployments(
            applicationName=release.described["application"],
            deploymentGroupName=fn["deployment_group"],
            includeOnlyStatuses=["Succeeded"],
        )["deployments"]
        for name, fn in release.described["functions"].items()
    }
    assert {name: len(ids) for name, ids in succeeded.items()} == {name: 1 for name in succeeded}


def test_the_rollback_puts_every_alias_back_on_the_version_before(release: Release) -> None:
    before = {name: str(int(fn["version"]) - 1) for name, fn in release.described["functions"].items()}
    assert release.after_rollback == before, release.rollback_log[-3000:]


def file_bytes(path: Path) -> bytes:
    """A file's bytes; for a ZIP (a saved plan), every member's, uncompressed."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return b"".join(archive.read(member) for member in archive.namelist())
    return path.read_bytes()


def test_no_secret_value_is_in_a_saved_plan_its_json_or_a_state(deployed: LocalAws, release: Release) -> None:
    secrets = deployed.client("secretsmanager")
    values = {
        listed["Name"]: secrets.get_secret_value(SecretId=listed["ARN"])["SecretString"]
        for listed in secrets.list_secrets()["SecretList"]
    }
    assert values and all(len(value) >= 32 for value in values.values()), {
        k: len(v) for k, v in values.items()
    }
    names = {path.name for path in release.scanned}
    assert {"tfplan", "plan.txt", "lambda.tfstate.json", "infrastructure.tfstate.json"} <= names, names
    found = [
        f"{name} in {path}"
        for path in release.scanned
        for name, value in values.items()
        if value.encode() in file_bytes(path)
    ]
    assert not found, found


def test_codedeploys_role_moves_aliases_on_the_unqualified_function_arns(
    deployed: LocalAws, release: Release
) -> None:
    """Lambda authorizes GetAlias and UpdateAlias against the function's unqualified ARN (issue 20, finding 5)."""
    role = f"bbws-codedeploy-{deployed.environment}-role"
    statements = {s.get("Sid"): s for s in deployed.role_statements(role)}
    functions = deployed.client("lambda")
    unqualified = {
        functions.get_function(FunctionName=fn["function_name"])["Configuration"]["FunctionArn"]
        for fn in release.described["functions"].values()
    }
    granted = as_set(statements["MoveAliases"]["Resource"])
    assert unqualified <= granted, f"{role}: MoveAliases lacks {sorted(unqualified - granted)}"
