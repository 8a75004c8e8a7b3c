"""What the bootstrap stack builds once per account, read back with boto3: the state buckets, GitHub's OIDC
provider and each environment's plan and deploy roles; and a stale saved plan refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_aws import GITHUB_REPOSITORY, LocalAws, as_set

ENVIRONMENTS = ("dev", "sit", "prod")
KINDS = ("plan", "deploy")
ROLES = [(environment, kind) for environment in ENVIRONMENTS for kind in KINDS]
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# Statements whose resources IAM cannot name per environment: API Gateway ids, the state bucket paths,
# SavedQueries (query definitions have no resource type, so "*"), and the KMS keys (AlarmTopicKey,
# NewAlarmTopicKey: generated ids; their statements name the environment in a tag condition instead), and AWS's
# own Synthetics runtime (CanaryRuntime: layers in an AWS account, its library bucket).
UNNAMED_RESOURCES = {
    "FindLogGroups",
    "SavedQueries",
    "RestApis",
    "CreateTaggedRestApis",  # by the Environment tag of the request
    "ChangeOwnRestApis",  # by the Environment tag of the API
    "ApiGatewayAccount",
    "ReleaseConfigs",
    "GenerateSecretValues",
    "StateBucket",
    "StateObjects",
    "StateLocks",
    "AlarmTopicKey",
    "NewAlarmTopicKey",
    "CanaryRuntime",
    # Actions IAM authorizes only on "*" (no resource type): CreateCanary under the request's Environment tag.
    "NewCanary",
    "AlarmTopicSubscriptions",
    "StopReleases",
    "TableEncryptionKey",  # DynamoDB's AWS managed key, named by its alias (kms:RequestAlias)
}


def bucket(environment: str) -> str:
    return f"bbws-terraform-state-{environment}"


def role_name(environment: str, kind: str) -> str:
    return f"bbws-product-api-{kind}-{environment}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_state_bucket_keeps_versions(bootstrapped: LocalAws, environment: str) -> None:
    versioning = bootstrapped.client("s3").get_bucket_versioning(Bucket=bucket(environment)).get("Status")
    assert versioning == "Enabled", f"{bucket(environment)}: versioning {versioning}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_state_bucket_is_encrypted_with_aes256(bootstrapped: LocalAws, environment: str) -> None:
    encryption = bootstrapped.client("s3").get_bucket_encryption(Bucket=bucket(environment))
    rules = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    algorithms = [rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules]
    assert algorithms == ["AES256"], f"{bucket(environment)}: encryption {algorithms}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_state_bucket_blocks_public_access(bootstrapped: LocalAws, environment: str) -> None:
    block = bootstrapped.client("s3").get_public_access_block(Bucket=bucket(environment))
    settings = block["PublicAccessBlockConfiguration"]
    assert len(settings) == 4 and all(settings.values()), f"{bucket(environment)}: public access {settings}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_state_bucket_refuses_requests_without_tls(bootstrapped: LocalAws, environment: str) -> None:
    statements = bootstrapped.bucket_policy(bucket(environment))["Statement"]
    assert any(
        statement["Effect"] == "Deny"
        and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for statement in statements
    ), f"{bucket(environment)}: no TLS-only statement in {statements}"


def test_one_github_oidc_provider_for_sts(bootstrapped: LocalAws) -> None:
    iam = bootstrapped.client("iam")
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    github = [arn for arn in providers if arn.endswith(f"oidc-provider/{GITHUB_OIDC_HOST}")]
    assert len(github) == 1, f"GitHub OIDC providers: {providers}"
    audiences = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=github[0])["ClientIDList"]
    assert audiences == ["sts.amazonaws.com"], f"OIDC provider audiences {audiences}"


def trust_conditions(aws: LocalAws, name: str) -> dict[str, Any]:
    trust = aws.client("iam").get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    conditions: dict[str, Any] = trust["Statement"][0]["Condition"]["StringEquals"]
    return conditions


@pytest.mark.parametrize("environment, kind", ROLES)
def test_each_role_trusts_only_this_repository_in_one_github_environment(
    bootstrapped: LocalAws, environment: str, kind: str
) -> None:
    name = role_name(environment, kind)
    conditions = trust_conditions(bootstrapped, name)
    github_environment = f"{environment}-plan" if kind == "plan" else environment
    subject = conditions.get(f"{GITHUB_OIDC_HOST}:sub")
    assert (
        subject == f"repo:{GITHUB_REPOSITORY}:environment:{github_environment}"
    ), f"{name}: subject {subject}"
    audience = conditions.get(f"{GITHUB_OIDC_HOST}:aud")
    assert audience == "sts.amazonaws.com", f"{name}: audience {audience}"


def role_actions(aws: LocalAws, name: str) -> set[str]:
    return {action for statement in aws.role_statements(name) for action in as_set(statement["Action"])}


def writes(actions: set[str]) -> set[str]:
    return {a for a in actions if a.split(":")[1].startswith(("Create", "Delete", "Update", "Put"))}


@pytest.mark.parametrize("environment, kind", ROLES)
def test_no_role_allows_a_wildcard_action(bootstrapped: LocalAws, environment: str, kind: str) -> None:
    actions = role_actions(bootstrapped, role_name(environment, kind))
    assert all(
        "*" not in a for a in actions
    ), f"{role_name(environment, kind)}: wildcard in {sorted(actions)}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_plan_role_writes_only_the_state_lock(bootstrapped: LocalAws, environment: str) -> None:
    found = writes(role_actions(bootstrapped, role_name(environment, "plan")))
    assert found == {"s3:PutObject", "s3:DeleteObject"}, f"{role_name(environment, 'plan')}: writes {found}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_deploy_role_creates_tables_deploys_code_and_saves_queries(
    bootstrapped: LocalAws, environment: str
) -> None:
    found = writes(role_actions(bootstrapped, role_name(environment, "deploy")))
    wanted = {"dynamodb:CreateTable", "lambda:UpdateFunctionCode", "logs:PutQueryDefinition"}
    assert wanted <= found, f"{role_name(environment, 'deploy')}: writes {sorted(found)}"


@pytest.mark.parametrize("environment, kind", ROLES)
def test_each_role_reaches_only_its_environments_resources(
    bootstrapped: LocalAws, environment: str, kind: str
) -> None:
    name = role_name(environment, kind)
    for statement in bootstrapped.role_statements(name):
        if statement["Effect"] == "Allow" and statement.get("Sid") not in UNNAMED_RESOURCES:
            resources = as_set(statement["Resource"])
            assert all(environment in r for r in resources), f"{name}: {statement.get('Sid')} on {resources}"


def test_a_stale_plan_is_refused_with_the_advice_to_re_run(deployed: LocalAws) -> None:
    refused = deployed.result("stale-plan")  # conftest.apply_a_stale_plan: deploy_stack.sh exited 3
    assert "Re-run the workflow" in refused and "changed after this plan" in refused, refused[-3000:]


def test_the_account_has_an_external_access_analyzer(bootstrapped: LocalAws) -> None:
    """It reports a role whose trust policy lets another account in (issue 20, finding 11)."""
    analyzer = bootstrapped.client("accessanalyzer").get_analyzer(
        analyzerName="bbws-product-api-external-access"
    )
    assert (analyzer["analyzer"]["type"], analyzer["analyzer"]["status"]) == ("ACCOUNT", "ACTIVE")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_deploy_role_cannot_rewrite_a_trust_policy(bootstrapped: LocalAws, environment: str) -> None:
    """No condition key limits what a trust policy says: changing one is an administrator's (finding 11)."""
    name = role_name(environment, "deploy")
    statements = bootstrapped.role_statements(name)
    allowed = {a for s in statements if s["Effect"] == "Allow" for a in as_set(s["Action"])}
    assert "iam:UpdateAssumeRolePolicy" not in allowed, name
    account = bootstrapped.client("sts").get_caller_identity()["Account"]
    denied = [
        as_set(s["Resource"])
        for s in statements
        if s["Effect"] == "Deny" and "iam:UpdateAssumeRolePolicy" in as_set(s["Action"])
    ]
    assert {f"arn:aws:iam::{account}:role/*"} in denied, f"{name}: denials {denied}"
