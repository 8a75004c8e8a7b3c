"""Policy analysis of every role the bootstrap stack creates (cloudsplaining), issue 14.

The policies are rendered by a real `terraform plan` of terraform/bootstrap (a scratch copy, against the
session's moto server, which answers the caller-identity lookup), then read from `terraform show -json`:
the plan and deploy roles' inline policies and the permissions boundary of each environment.

cloudsplaining's default scan reports actions allowed on every resource ("*"); its strict scan
(flag_resource_arn_statements, flag_conditional_statements: the CLI's --flag-all-risky-actions) reports risky
actions even on named resources and under conditions. Before issue 14 the default scan found nothing either
(every statement named its resources) while the strict scan found eight privilege-escalation paths for the
deploy role (AttachRolePolicy, PutRolePolicy, UpdateAssumeRolePolicy, PassRole to a new function, ...).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cloudsplaining.command.scan_policy_file import scan_policy
from policy_sentry.querying.actions import get_action_data

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "terraform" / "bootstrap"
HIGH_RISK = ("PrivilegeEscalation", "ResourceExposure", "CredentialsExposure")
# Deploying code is the deploy role's job: new code runs as the function's role, which the boundary caps.
CODE_DEPLOYMENT_PATHS = {"EditExistingLambdaFunctionWithRole", "UpdateLambdaFunctionAndAddPermission"}

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform on PATH")


@pytest.fixture(scope="module")
def bootstrap_policies(dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Policy documents by Terraform address, from a plan of the bootstrap stack."""
    stack = tmp_path_factory.mktemp("bootstrap") / "bootstrap"
    shutil.copytree(BOOTSTRAP, stack, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests"))
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": dynamodb_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": "eu-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.pop("AWS_PROFILE", None)
    terraform = ["bash", str(ROOT / "scripts" / "ci" / "tf_run.sh"), f"-chdir={stack}"]
    for args in (
        ["init", "-input=false", "-no-color"],
        [
            "plan",
            "-input=false",
            "-no-color",
            "-out=tfplan",
            "-var",
            "github_repository=example-org/bbws-product-api",
        ],
    ):
        subprocess.run(terraform + args, env=env, check=True, capture_output=True, text=True)
    shown = subprocess.run(terraform + ["show", "-json", "tfplan"], env=env, check=True, capture_output=True)
    resources = json.loads(shown.stdout)["planned_values"]["root_module"]["resources"]
    return {
        r["address"]: json.loads(r["values"]["policy"])
        for r in resources
        if r["type"] in ("aws_iam_role_policy", "aws_iam_policy")
    }


def findings(policy: dict[str, Any], strict: bool) -> dict[str, Any]:
    results = scan_policy(policy, flag_conditional_statements=strict, flag_resource_arn_statements=strict)
    return {
        risk: results[risk]["findings"] if isinstance(results[risk], dict) else results[risk]
        for risk in HIGH_RISK
    }


def test_every_role_and_boundary_of_each_environment_is_analysed(bootstrap_policies: dict[str, Any]) -> None:
    assert sorted(bootstrap_policies) == sorted(
        [f'aws_iam_policy.boundary["{env}"]' for env in ("dev", "sit", "prod")]
        + [
            f'aws_iam_role_policy.github["{env}-{kind}"]'
            for env in ("dev", "sit", "prod")
            for kind in ("plan", "deploy")
        ]
    )


def test_no_privilege_escalation_resource_or_credentials_exposure(bootstrap_policies: dict[str, Any]) -> None:
    reported = {address: findings(policy, strict=False) for address, policy in bootstrap_policies.items()}
    assert {address: found for address, found in reported.items() if any(found.values())} == {}


def test_strict_scan_finds_only_code_deployment_for_the_deploy_role_and_nothing_for_the_rest(
    bootstrap_policies: dict[str, Any],
) -> None:
    for address, policy in bootstrap_policies.items():
        found = findings(policy, strict=True)
        assert found["CredentialsExposure"] == [], address
        if address.endswith('-deploy"]'):
            assert {path["type"] for path in found["PrivilegeEscalation"]} <= CODE_DEPLOYMENT_PATHS, address
        else:
            assert found == {
                "PrivilegeEscalation": [],
                "ResourceExposure": [],
                "CredentialsExposure": [],
            }, address


def resource_types(action: str) -> list[str]:
    """The ARN formats AWS's service authorization reference gives an action ("*": it has no resource type)."""
    service, name = action.split(":", 1)
    data = get_action_data(service, name) or {}
    return [entry["resource_arn_format"] for entries in data.values() for entry in entries]


def test_every_action_granted_on_named_resources_has_a_resource_type(
    bootstrap_policies: dict[str, Any],
) -> None:
    """An action IAM authorizes only on "*" (sns:GetSubscriptionAttributes, synthetics:CreateCanary) never
    matches a statement that names ARNs: AWS denies it, however right the ARN looks."""
    never_matching = set()
    for address, policy in bootstrap_policies.items():
        for statement in policy["Statement"]:
            named = [arn for arn in always_list(statement.get("Resource", [])) if arn != "*"]
            if statement["Effect"] != "Allow" or not named:
                continue
            for action in always_list(statement["Action"]):
                formats = resource_types(action)
                if formats and all(arn_format == "*" for arn_format in formats):
                    never_matching.add(f"{address} {statement.get('Sid', '')}: {action}")
    assert not never_matching, "granted on ARNs but authorized only on '*':\n" + "\n".join(
        sorted(never_matching)
    )


def always_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
