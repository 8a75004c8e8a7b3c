"""Recorded requests -> what AWS authorizes (tests/authorization/aws_requests.py), on requests as the AWS
provider and boto3 sent them to moto in the apply tests (headers cut to what the mapping reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from authorization.aws_requests import Knowledge, Recorded, Rehearsal, Unmapped, authorizations, operation_of
from authorization.evaluation import Request

ACCOUNT = "123456789012"
KEY = "ASIAEXAMPLEDEPLOY001"


def signed(
    service: str,
    method: str,
    path: str,
    body: Any = "",
    *,
    target: str = "",
    query: str = "",
    response: Any = "",
    content_type: str = "",
    status: int = 200,
) -> Recorded:
    """A request signed by KEY for `service` (its signing name), as moto_server.py records it."""
    headers = {
        "authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20261207/eu-west-1/{service}/aws4_request"
    }
    if target:
        headers["x-amz-target"] = target
    headers["content-type"] = content_type or ("application/x-amz-json-1.1" if target else "application/json")
    text = body if isinstance(body, str) else json.dumps(body)
    answer = response if isinstance(response, str) else json.dumps(response)
    return Recorded(method, path, query, headers, text, status, answer)


def form(service: str, body: str, response: str = "") -> Recorded:
    return signed(
        service,
        "POST",
        "/",
        body,
        response=response,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )


def asked(recorded: Recorded, knowledge: Knowledge | None = None) -> list[Request]:
    return list(authorizations(operation_of(recorded), ACCOUNT, knowledge or Knowledge()))


def actions(recorded: Recorded) -> list[tuple[str, str]]:
    return [(request.action, request.resource) for request in asked(recorded)]


def test_a_json_protocol_request_is_named_by_its_target_header() -> None:
    recorded = signed("kms", "POST", "/", {"KeyId": "1234abcd"}, target="TrentService.DescribeKey")
    assert actions(recorded) == [("kms:DescribeKey", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd")]


def test_a_query_protocol_request_is_named_by_its_action_parameter() -> None:
    recorded = form("iam", "Action=GetRole&Version=2010-05-08&RoleName=bbws-get-product-dev-role")
    assert actions(recorded) == [("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/bbws-get-product-dev-role")]


def test_a_smithy_rpc_request_is_named_by_its_path() -> None:
    recorded = signed(
        "monitoring",
        "POST",
        "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
        {"AlarmNames": ["bbws-get-product-dev-errors"]},
        content_type="application/json",
    )
    assert [request.action for request in asked(recorded)] == ["cloudwatch:DescribeAlarms"]


def test_creating_a_key_with_tags_asks_for_tag_resource_on_the_new_key_without_resource_tags() -> None:
    recorded = signed(
        "kms",
        "POST",
        "/",
        {"Tags": [{"TagKey": "Environment", "TagValue": "dev"}, {"TagKey": "Project", "TagValue": "BBWS"}]},
        target="TrentService.CreateKey",
        response={"KeyMetadata": {"Arn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/new-key"}},
    )
    create, tag = asked(recorded)
    assert (create.action, create.resource) == ("kms:CreateKey", "*")
    assert (tag.action, tag.resource) == ("kms:TagResource", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/new-key")
    assert tag.context == {
        "aws:RequestTag/Environment": "dev",
        "aws:RequestTag/Project": "BBWS",
        "aws:TagKeys": ["Environment", "Project"],
    }


def test_a_key_named_by_its_alias_is_authorized_on_the_key_with_the_alias_in_the_context() -> None:
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/aws-managed"
    recorded = signed(
        "kms",
        "POST",
        "/",
        {"KeyId": "alias/aws/dynamodb"},
        target="TrentService.DescribeKey",
        response={"KeyMetadata": {"Arn": key}},
    )
    (describe,) = asked(recorded)
    assert (describe.action, describe.resource) == ("kms:DescribeKey", key)
    assert describe.context["kms:RequestAlias"] == "alias/aws/dynamodb"


def test_a_role_created_with_a_boundary_and_tags_carries_both_in_the_context() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/bbws-product-api-boundary-dev"
    recorded = form(
        "iam",
        "Action=CreateRole&RoleName=bbws-list-products-dev-role&AssumeRolePolicyDocument=%7B%7D"
        f"&PermissionsBoundary={boundary}&Tags.member.1.Key=Environment&Tags.member.1.Value=dev",
    )
    create, tag = asked(recorded)
    assert create.action == "iam:CreateRole"
    assert create.context["iam:PermissionsBoundary"] == boundary
    assert create.context["aws:RequestTag/Environment"] == "dev"
    assert (tag.action, tag.resource) == (
        "iam:TagRole",
        f"arn:aws:iam::{ACCOUNT}:role/bbws-list-products-dev-role",
    )


def test_a_policy_attached_later_is_authorized_with_the_boundary_the_role_was_created_with() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/bbws-product-api-boundary-dev"
    rehearsal = Rehearsal(ACCOUNT, {KEY: "deployer"})
    rehearsal.add(form("iam", f"Action=CreateRole&RoleName=bbws-x-dev-role&PermissionsBoundary={boundary}"))
    policy = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    rehearsal.add(form("iam", f"Action=AttachRolePolicy&RoleName=bbws-x-dev-role&PolicyArn={policy}"))
    attach = rehearsal.calls[-1][1].requests[0]
    assert attach.context == {"iam:PermissionsBoundary": boundary, "iam:PolicyARN": policy}


def test_lambda_authorizes_alias_operations_on_the_unqualified_function() -> None:
    recorded = signed("lambda", "GET", "/2015-03-31/functions/bbws-get-product-dev/aliases/live")
    assert actions(recorded) == [
        ("lambda:GetAlias", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:bbws-get-product-dev")
    ]


def test_lambda_authorizes_a_qualified_read_on_the_qualified_function() -> None:
    recorded = signed("lambda", "GET", "/2015-03-31/functions/bbws-get-product-dev", query="Qualifier=3")
    assert actions(recorded) == [
        ("lambda:GetFunction", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:bbws-get-product-dev:3")
    ]


def test_a_function_created_with_a_role_passes_it_to_lambda() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/bbws-get-product-dev-role"
    recorded = signed(
        "lambda", "POST", "/2015-03-31/functions", {"FunctionName": "bbws-get-product-dev", "Role": role}
    )
    passed = [request for request in asked(recorded) if request.action == "iam:PassRole"]
    assert passed == [Request("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"})]


@pytest.mark.parametrize(
    ("method", "path", "query", "action", "resource"),
    [
        ("HEAD", "/bbws-terraform-state-dev", "", "s3:ListBucket", "arn:aws:s3:::bbws-terraform-state-dev"),
        (
            "GET",
            "/bbws-terraform-state-dev",
            "list-type=2&prefix=x",
            "s3:ListBucket",
            "arn:aws:s3:::bbws-terraform-state-dev",
        ),
        (
            "GET",
            "/b/product-api/lambda.tfstate",
            "",
            "s3:GetObject",
            "arn:aws:s3:::b/product-api/lambda.tfstate",
        ),
        (
            "HEAD",
            "/b/product-api/lambda.tfstate",
            "",
            "s3:GetObject",
            "arn:aws:s3:::b/product-api/lambda.tfstate",
        ),
        ("GET", "/b", "encryption=", "s3:GetEncryptionConfiguration", "arn:aws:s3:::b"),
        ("DELETE", "/b/k", "versionId=v1", "s3:DeleteObjectVersion", "arn:aws:s3:::b/k"),
    ],
)
def test_s3_operations_are_authorized_with_their_own_iam_action(
    method: str, path: str, query: str, action: str, resource: str
) -> None:
    assert actions(signed("s3", method, path, query=query, content_type="application/xml")) == [
        (action, resource)
    ]


def test_api_gateway_authorizes_the_http_method_on_the_path_with_the_tags_of_the_api() -> None:
    rehearsal = Rehearsal(ACCOUNT, {KEY: "deployer"})
    rehearsal.add(
        signed(
            "apigateway",
            "POST",
            "/restapis",
            {"name": "api", "tags": {"Environment": "dev"}},
            response={"id": "abc123"},
        )
    )
    rehearsal.add(signed("apigateway", "PATCH", "/restapis/abc123/stages/dev", {"patchOperations": []}))
    create, change = (call.requests[0] for _, call in rehearsal.calls)
    assert (create.action, create.resource) == ("apigateway:POST", "arn:aws:apigateway:eu-west-1::/restapis")
    assert create.context["aws:RequestTag/Environment"] == "dev"
    assert (change.action, change.resource) == (
        "apigateway:PATCH",
        "arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/dev",
    )
    assert change.context == {"aws:ResourceTag/Environment": "dev"}


def test_api_gateway_account_settings_pass_the_logging_role_to_api_gateway() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/bbws-product-api-cloudwatch-dev"
    change = {"patchOperations": [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]}
    requests = asked(signed("apigateway", "PATCH", "/account", change))
    assert Request("iam:PassRole", role, {"iam:PassedToService": "apigateway.amazonaws.com"}) in requests


def test_a_deployment_group_passes_its_service_role_to_codedeploy() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/bbws-codedeploy-dev-role"
    body = {
        "applicationName": "bbws-product-api-dev",
        "deploymentGroupName": "get_product",
        "serviceRoleArn": role,
    }
    requests = asked(
        signed("codedeploy", "POST", "/", body, target="CodeDeploy_20141006.CreateDeploymentGroup")
    )
    assert (
        requests[0].resource
        == f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:deploymentgroup:bbws-product-api-dev/get_product"
    )
    assert Request("iam:PassRole", role, {"iam:PassedToService": "codedeploy.amazonaws.com"}) in requests


def test_creating_a_canary_asks_for_what_synthetics_does_with_the_callers_rights() -> None:
    body = {
        "Name": "bbws-api-canary-dev",
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/bbws-api-canary-dev-role",
        "ArtifactS3Location": "s3://bbws-product-api-canary-dev-123456789012/",
        "RuntimeVersion": "syn-python-selenium-5.1",
    }
    found = actions(signed("synthetics", "POST", "/canary", body))
    assert ("synthetics:CreateCanary", "*") in found
    assert (
        "lambda:GetLayerVersion",
        "arn:aws:lambda:eu-west-1:000000000000:layer:Synthetics_Selenium:1",
    ) in found
    assert ("s3:GetBucketLocation", "arn:aws:s3:::bbws-product-api-canary-dev-123456789012") in found
    assert (
        "lambda:CreateFunction",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:cwsyn-bbws-api-canary-dev-0123abcd-generated",
    ) in found


def test_caller_identity_needs_no_authorization() -> None:
    assert asked(form("sts", "Action=GetCallerIdentity&Version=2011-06-15")) == []


def test_a_request_of_a_deploy_role_that_maps_to_no_operation_is_listed_not_skipped() -> None:
    rehearsal = Rehearsal(ACCOUNT, {KEY: "deployer"})
    rehearsal.add(signed("lambda", "GET", "/2015-03-31/no-such-thing"))
    assert rehearsal.calls == []
    assert len(rehearsal.unmapped) == 1 and "no lambda operation matches" in rehearsal.unmapped[0][1]


def test_requests_of_other_callers_are_not_evaluated_but_still_teach_tags() -> None:
    rehearsal = Rehearsal(ACCOUNT, {"ASIAOTHER": "deployer"})
    rehearsal.add(
        signed("apigateway", "POST", "/restapis", {"tags": {"Environment": "dev"}}, response={"id": "a1"})
    )
    assert rehearsal.calls == [] and rehearsal.unmapped == []
    assert rehearsal.knowledge.tags["arn:aws:apigateway:eu-west-1::/restapis/a1"] == {"Environment": "dev"}


def test_an_unsigned_request_is_unmapped() -> None:
    with pytest.raises(Unmapped):
        operation_of(Recorded("GET", "/", "", {}, ""))


def test_the_providers_account_lookup_by_get_user_is_not_evaluated() -> None:
    """A role has no user: AWS refuses GetUser without a name, and the AWS provider asks STS instead."""
    assert asked(form("iam", "Action=GetUser&Version=2010-05-08")) == []
    assert [r.action for r in asked(form("iam", "Action=GetUser&Version=2010-05-08&UserName=someone"))] == [
        "iam:GetUser"
    ]


# Requests the AWS provider, release.py and boto3 sent in an apply test run (recorded_requests.jsonl: headers cut
# to what the mapping reads, lock contents left out) and every (action, resource) AWS authorizes for each: the
# key ARN from CreateKey's answer, the AWS managed key behind an alias, a secret's generated suffix, a
# deployment's group from GetDeployment's answer, the current S3 lifecycle operation over its deprecated twin.
CAPTURED: dict[str, list[tuple[str, str]]] = {
    "kms:CreateKey": [
        ("kms:CreateKey", "*"),
        ("kms:TagResource", "arn:aws:kms:eu-west-1:{a}:key/e2efee84-9228-4525-a2cb-140c35d778a6"),
    ],
    "kms:DescribeKey": [
        ("kms:DescribeKey", "arn:aws:kms:eu-west-1:{a}:key/28b5c910-fe80-43f2-9dd0-303349d078fd"),
    ],
    "secretsmanager:CreateSecret": [
        (
            "secretsmanager:CreateSecret",
            "arn:aws:secretsmanager:eu-west-1:{a}:secret:bbws-page-token-key-dev-iynayi",
        ),
        (
            "secretsmanager:TagResource",
            "arn:aws:secretsmanager:eu-west-1:{a}:secret:bbws-page-token-key-dev-iynayi",
        ),
    ],
    "codedeploy:GetDeployment": [
        (
            "codedeploy:GetDeployment",
            "arn:aws:codedeploy:eu-west-1:{a}:deploymentgroup:bbws-product-api-dev/bbws-create-product-dev",
        ),
    ],
    "s3:GetBucketLifecycleConfiguration": [
        ("s3:GetLifecycleConfiguration", "arn:aws:s3:::bbws-product-api-canary-dev-{a}"),
    ],
    "synthetics:CreateCanary": [
        ("synthetics:CreateCanary", "*"),
        ("synthetics:TagResource", "arn:aws:synthetics:eu-west-1:{a}:canary:bbws-api-canary-dev"),
        ("iam:PassRole", "arn:aws:iam::{a}:role/bbws-api-canary-dev-role"),
        ("iam:PassRole", "arn:aws:iam::{a}:role/bbws-api-canary-dev-role"),
        (
            "lambda:CreateFunction",
            "arn:aws:lambda:eu-west-1:{a}:function:cwsyn-bbws-api-canary-dev-0123abcd-generated",
        ),
        (
            "lambda:AddPermission",
            "arn:aws:lambda:eu-west-1:{a}:function:cwsyn-bbws-api-canary-dev-0123abcd-generated",
        ),
        (
            "lambda:PublishVersion",
            "arn:aws:lambda:eu-west-1:{a}:function:cwsyn-bbws-api-canary-dev-0123abcd-generated",
        ),
        (
            "lambda:PublishLayerVersion",
            "arn:aws:lambda:eu-west-1:{a}:layer:cwsyn-bbws-api-canary-dev-0123abcd-generated",
        ),
        (
            "lambda:GetLayerVersion",
            "arn:aws:lambda:eu-west-1:{a}:layer:cwsyn-bbws-api-canary-dev-0123abcd-generated:1",
        ),
        ("lambda:GetLayerVersion", "arn:aws:lambda:eu-west-1:000000000000:layer:Synthetics_Selenium:1"),
        ("s3:GetBucketLocation", "arn:aws:s3:::bbws-product-api-canary-dev-{a}"),
    ],
    "apigateway:UpdateAccount": [
        ("apigateway:PATCH", "arn:aws:apigateway:eu-west-1::/account"),
        ("iam:PassRole", "arn:aws:iam::{a}:role/bbws-product-api-cloudwatch-dev"),
    ],
    "lambda:CreateFunction": [
        ("lambda:CreateFunction", "arn:aws:lambda:eu-west-1:{a}:function:bbws-delete-product-dev"),
        ("lambda:TagResource", "arn:aws:lambda:eu-west-1:{a}:function:bbws-delete-product-dev"),
        ("iam:PassRole", "arn:aws:iam::{a}:role/bbws-delete-product-dev-role"),
    ],
    "cloudwatch:PutMetricAlarm": [
        ("cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:eu-west-1:{a}:alarm:bbws-products-dev-throttles"),
        ("cloudwatch:TagResource", "arn:aws:cloudwatch:eu-west-1:{a}:alarm:bbws-products-dev-throttles"),
    ],
    "iam:CreateRole": [
        ("iam:CreateRole", "arn:aws:iam::{a}:role/bbws-product-api-cloudwatch-dev"),
        ("iam:TagRole", "arn:aws:iam::{a}:role/bbws-product-api-cloudwatch-dev"),
    ],
    "iam:AttachRolePolicy": [
        ("iam:AttachRolePolicy", "arn:aws:iam::{a}:role/bbws-product-api-cloudwatch-dev"),
    ],
    "s3:PutObject": [
        ("s3:PutObject", "arn:aws:s3:::bbws-terraform-state-dev/product-api/infrastructure.tfstate.tflock"),
    ],
    "lambda:UpdateAlias": [
        ("lambda:UpdateAlias", "arn:aws:lambda:eu-west-1:{a}:function:bbws-create-product-dev"),
    ],
    "codedeploy:CreateDeploymentGroup": [
        (
            "codedeploy:CreateDeploymentGroup",
            "arn:aws:codedeploy:eu-west-1:{a}:deploymentgroup:bbws-product-api-dev/bbws-list-products-dev",
        ),
        (
            "codedeploy:TagResource",
            "arn:aws:codedeploy:eu-west-1:{a}:deploymentgroup:bbws-product-api-dev/bbws-list-products-dev",
        ),
        ("iam:PassRole", "arn:aws:iam::{a}:role/bbws-codedeploy-dev-role"),
    ],
    "logs:DescribeLogGroups": [
        ("logs:DescribeLogGroups", "arn:aws:logs:eu-west-1:{a}:log-group:*"),
    ],
    "lambda:GetFunction": [
        ("lambda:GetFunction", "arn:aws:lambda:eu-west-1:{a}:function:bbws-delete-product-dev"),
    ],
}


def captured() -> list[tuple[str, Recorded]]:
    lines = (Path(__file__).with_name("recorded_requests.jsonl")).read_text().splitlines()
    return [(json.loads(line)["operation"], Recorded.from_line(line)) for line in lines if line]


@pytest.mark.parametrize(("operation", "recorded"), captured(), ids=[name for name, _ in captured()])
def test_each_captured_request_asks_for_what_aws_authorizes(operation: str, recorded: Recorded) -> None:
    found = operation_of(recorded)
    assert f"{found.service}:{found.name}" == operation
    expected = [(action, resource.format(a=ACCOUNT)) for action, resource in CAPTURED[operation]]
    assert actions(recorded) == expected


def test_tagging_an_api_is_authorized_with_the_tags_the_api_has() -> None:
    rehearsal = Rehearsal(ACCOUNT, {KEY: "deployer"})
    rehearsal.add(
        signed("apigateway", "POST", "/restapis", {"tags": {"Environment": "dev"}}, response={"id": "a1"})
    )
    api = "arn%3Aaws%3Aapigateway%3Aeu-west-1%3A%3A%2Frestapis%2Fa1"
    rehearsal.add(signed("apigateway", "PUT", f"/tags/{api}", {"tags": {"Owner": "team"}}))
    tag = rehearsal.calls[-1][1].requests[0]
    assert tag.action == "apigateway:PUT"
    assert (
        tag.context["aws:ResourceTag/Environment"] == "dev" and tag.context["aws:RequestTag/Owner"] == "team"
    )


def test_a_deployment_also_reads_its_groups_configuration_and_its_revision() -> None:
    rehearsal = Rehearsal(ACCOUNT, {KEY: "deployer"})
    group = {
        "applicationName": "app",
        "deploymentGroupName": "fn",
        "deploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
    }
    rehearsal.add(
        signed("codedeploy", "POST", "/", group, target="CodeDeploy_20141006.CreateDeploymentGroup")
    )
    deployment = {"applicationName": "app", "deploymentGroupName": "fn", "revision": {}}
    rehearsal.add(
        signed("codedeploy", "POST", "/", deployment, target="CodeDeploy_20141006.CreateDeployment")
    )
    prefix = f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}"
    assert [(r.action, r.resource) for r in rehearsal.calls[-1][1].requests] == [
        ("codedeploy:CreateDeployment", f"{prefix}:deploymentgroup:app/fn"),
        ("codedeploy:GetDeploymentConfig", f"{prefix}:deploymentconfig:CodeDeployDefault.LambdaAllAtOnce"),
        ("codedeploy:GetApplicationRevision", f"{prefix}:application:app"),
    ]


def test_a_deployment_of_a_group_never_recorded_is_unmapped() -> None:
    rehearsal = Rehearsal(ACCOUNT, {KEY: "deployer"})
    deployment = {"applicationName": "app", "deploymentGroupName": "fn", "revision": {}}
    rehearsal.add(
        signed("codedeploy", "POST", "/", deployment, target="CodeDeploy_20141006.CreateDeployment")
    )
    assert rehearsal.calls == [] and "never told the config" in rehearsal.unmapped[0][1]
