"""The policy evaluator against the examples of AWS's IAM User Guide ("Policy evaluation logic", "IAM JSON policy
elements", "Condition operators", "Permissions boundaries") and the shapes of this project's own policies."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from authorization.evaluation import Decision, Request, evaluate, read_policy

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bbws-get-product-dev-role"
FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:bbws-get-product-dev"
ALIAS = f"{FUNCTION}:live"
API = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:a1b2c3d4e5"
PRODUCT_ID = "0b5c7a52-93f6-4b4e-a1d2-5f0c7d1e8a90"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(action: str, resource: str, *identity: dict[str, Any], **options: Any) -> Decision:
    context = options.pop("context", {})
    principal = options.pop("principal", ROLE)
    return evaluate(Request(action, resource, context, principal), identity=identity, **options)


# Statements: Action, Resource and their Not forms


def test_no_policy_is_an_implicit_deny_naming_the_action_and_resource() -> None:
    decision = decide("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/t")
    assert not decision.allowed
    assert (
        decision.reason
        == "no Allow in the identity policies for dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:1:table/t"
    )


def test_an_explicit_deny_wins_over_an_allow_and_is_named_by_its_sid() -> None:
    decision = decide(
        "s3:DeleteObject",
        "arn:aws:s3:::bucket/key",
        policy(allow("s3:*")),
        policy({**deny("s3:Delete*"), "Sid": "NoDeletes"}),
    )
    assert decision == Decision(False, "denied by statement NoDeletes of the identity policy 2")


def test_actions_match_case_insensitively_with_wildcards() -> None:
    granted = policy(allow("S3:Get*"), allow("dynamodb:?etItem"))
    assert decide("s3:getobject", "arn:aws:s3:::b/k", granted).allowed
    assert decide("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/t", granted).allowed
    assert not decide("s3:PutObject", "arn:aws:s3:::b/k", granted).allowed


def test_not_action_allows_everything_but_the_actions_it_names() -> None:
    # "IAM JSON policy elements: NotAction": everything except IAM.
    granted = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide("s3:ListAllMyBuckets", "*", granted).allowed
    assert not decide("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x", granted).allowed


def test_not_resource_allows_everywhere_but_the_resources_it_names() -> None:
    granted = policy({"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll*"]})
    assert decide("s3:GetObject", "arn:aws:s3:::HRBucket/Other", granted).allowed
    assert not decide("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/2024", granted).allowed


def test_resources_match_case_sensitively() -> None:
    granted = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/Reports/*"))
    assert decide("s3:GetObject", "arn:aws:s3:::bucket/Reports/a", granted).allowed
    assert not decide("s3:GetObject", "arn:aws:s3:::bucket/reports/a", granted).allowed


def test_a_trailing_wildcard_spans_the_colons_of_the_resource_part() -> None:
    granted = policy(allow("logs:PutLogEvents", "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/cwsyn-c-*"))
    stream = "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/cwsyn-c-1f2e:log-stream:2026/12/07/abc"
    assert decide("logs:PutLogEvents", stream, granted).allowed


def test_each_arn_part_before_the_resource_matches_on_its_own() -> None:
    granted = policy(allow("lambda:GetAlias", "arn:aws:lambda:*:*:function:bbws-*"))
    assert decide("lambda:GetAlias", FUNCTION, granted).allowed
    assert not decide("lambda:GetAlias", "arn:aws:iam::1:function:bbws-x", granted).allowed


def test_an_alias_pattern_does_not_cover_the_unqualified_function_arn() -> None:
    # What CodeDeploy meets: Lambda authorizes GetAlias against the function, and "function:bbws-*-dev:*"
    # only matches qualified ARNs.
    boundary = policy(
        {
            **allow("lambda:GetAlias", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:bbws-*-dev:*"),
            "Sid": "ShiftAliases",
        }
    )
    decision = decide(
        "lambda:GetAlias", FUNCTION, policy(allow("lambda:GetAlias", FUNCTION)), boundary=boundary
    )
    assert not decision.allowed
    assert decision.reason.startswith(f"the permissions boundary allows no lambda:GetAlias on {FUNCTION}")
    assert "statement ShiftAliases allows it only on" in decision.reason


def test_a_single_statement_object_and_string_values_are_read() -> None:
    granted = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
    }
    assert decide("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q", granted).allowed


# Permissions boundaries


def test_a_boundary_limits_what_the_identity_policies_grant() -> None:
    identity = policy(allow(["s3:*", "dynamodb:*"]))
    boundary = policy(allow("s3:GetObject"))
    assert decide("s3:GetObject", "arn:aws:s3:::b/k", identity, boundary=boundary).allowed
    decision = decide("dynamodb:Scan", "arn:aws:dynamodb:eu-west-1:1:table/t", identity, boundary=boundary)
    assert decision == Decision(
        False, "the permissions boundary allows no dynamodb:Scan on arn:aws:dynamodb:eu-west-1:1:table/t"
    )


def test_a_boundary_grants_nothing_by_itself() -> None:
    decision = decide("s3:GetObject", "arn:aws:s3:::b/k", boundary=policy(allow("s3:*")))
    assert not decision.allowed
    assert decision.reason.startswith("no Allow in the identity policies for s3:GetObject")


def test_missing_from_both_names_both() -> None:
    decision = decide("xray:PutTraceSegments", "*", policy(allow("s3:*")), boundary=policy(allow("s3:*")))
    assert "the permissions boundary allows none either" in decision.reason


def test_a_deny_in_the_boundary_denies() -> None:
    boundary = policy(allow("*"), {**deny("iam:*"), "Sid": "NoIam"})
    decision = decide(
        "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/x", policy(allow("*")), boundary=boundary
    )
    assert decision == Decision(False, "denied by statement NoIam of the permissions boundary")


# Resource-based policies


def invoke_permission(source_arn: str) -> dict[str, Any]:
    """A Lambda permission as GetPolicy returns it (note the "AWS:SourceArn" spelling)."""
    return policy(
        {
            "Sid": "AllowProductApiInvoke",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": ALIAS,
            "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
        }
    )


def invoke(source_arn: str, permission: dict[str, Any]) -> Decision:
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": ACCOUNT}
    request = Request("lambda:InvokeFunction", ALIAS, context, "apigateway.amazonaws.com")
    return evaluate(request, resource_policy=permission)


def test_a_service_principal_is_allowed_by_the_resource_policy_alone() -> None:
    permission = invoke_permission(f"{API}/dev/GET/v1.0/products/*")
    assert invoke(f"{API}/dev/GET/v1.0/products/{PRODUCT_ID}", permission).allowed


def test_a_literal_path_parameter_never_matches_a_real_request() -> None:
    decision = invoke(
        f"{API}/dev/GET/v1.0/products/{PRODUCT_ID}",
        invoke_permission(f"{API}/dev/GET/v1.0/products/{{productId}}"),
    )
    assert not decision.allowed
    assert decision.reason.startswith(
        f"the resource policy grants apigateway.amazonaws.com no lambda:InvokeFunction on {ALIAS}"
    )
    assert (
        "statement AllowProductApiInvoke matches but its condition ArnLike AWS:SourceArn" in decision.reason
    )
    assert PRODUCT_ID in decision.reason


def test_another_service_principal_is_not_granted() -> None:
    request = Request("lambda:InvokeFunction", ALIAS, {}, "events.amazonaws.com")
    decision = evaluate(request, resource_policy=invoke_permission("*"))
    assert not decision.allowed
    assert "statement AllowProductApiInvoke names another principal" in decision.reason


def test_a_grant_to_the_role_arn_is_limited_by_its_boundary() -> None:
    secret = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:s-AbCdEf"
    resource_policy = policy(allow("secretsmanager:GetSecretValue", secret, Principal={"AWS": ROLE}))
    assert decide("secretsmanager:GetSecretValue", secret, resource_policy=resource_policy).allowed
    decision = decide(
        "secretsmanager:GetSecretValue",
        secret,
        resource_policy=resource_policy,
        boundary=policy(allow("s3:*")),
    )
    assert decision.reason.startswith("the permissions boundary allows no secretsmanager:GetSecretValue")


def test_a_grant_to_the_account_needs_the_identity_policies() -> None:
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234"
    key_policy = policy(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert not decide("kms:Decrypt", key, resource_policy=key_policy).allowed
    assert decide("kms:Decrypt", key, policy(allow("kms:Decrypt")), resource_policy=key_policy).allowed


def test_a_grant_to_the_account_alone_says_the_accounts_policies_must_allow() -> None:
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"
    topic_policy = policy({**allow("sns:Publish", topic, Principal={"AWS": ACCOUNT}), "Sid": "Account"})
    request = Request("sns:Publish", topic, {}, ROLE)
    decision = evaluate(request, resource_policy=topic_policy)
    assert not decision.allowed
    assert (
        "statement Account grants it only to the account, whose IAM policies must allow it" in decision.reason
    )


def test_a_grant_to_everyone_allows_without_identity_policies() -> None:
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"
    assert decide(
        "sns:Publish", topic, resource_policy=policy(allow("sns:Publish", topic, Principal="*"))
    ).allowed


def test_a_grant_to_another_role_of_the_account_is_no_grant() -> None:
    secret = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:s-AbCdEf"
    other = policy(allow("secretsmanager:*", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}))
    assert not decide("secretsmanager:GetSecretValue", secret, resource_policy=other).allowed


def test_a_deny_to_everyone_but_a_service_name_refuses_roles_and_keeps_the_service() -> None:
    # The alarm topic's policy: only CloudWatch publishes; a role, with no aws:PrincipalServiceName, is refused.
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"
    topic_policy = policy(
        allow("sns:Publish", topic, Principal={"Service": "cloudwatch.amazonaws.com"}),
        {
            **deny("sns:Publish", topic, Principal={"AWS": "*"}),
            "Sid": "NoOtherPublisher",
            "Condition": {
                "StringNotEqualsIfExists": {"aws:PrincipalServiceName": "cloudwatch.amazonaws.com"}
            },
        },
    )
    service = Request(
        "sns:Publish",
        topic,
        {"aws:PrincipalServiceName": "cloudwatch.amazonaws.com"},
        "cloudwatch.amazonaws.com",
    )
    assert evaluate(service, resource_policy=topic_policy).allowed
    decision = decide("sns:Publish", topic, policy(allow("sns:*")), resource_policy=topic_policy)
    assert decision == Decision(False, "denied by statement NoOtherPublisher of the resource policy")


def test_not_principal_in_a_deny_refuses_everyone_else() -> None:
    bucket_policy = policy({**deny("s3:*", "arn:aws:s3:::b/*"), "NotPrincipal": {"AWS": ROLE}})
    assert decide("s3:GetObject", "arn:aws:s3:::b/k", policy(allow("s3:*"))).allowed
    other = f"arn:aws:iam::{ACCOUNT}:role/other"
    assert not decide(
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        policy(allow("s3:*")),
        resource_policy=bucket_policy,
        principal=other,
    ).allowed


# Conditions


def conditioned(condition: dict[str, Any]) -> dict[str, Any]:
    return policy(allow("s3:ListBucket", "arn:aws:s3:::b", Condition=condition))


def holds(condition: dict[str, Any], context: dict[str, Any] | None = None) -> bool:
    return decide("s3:ListBucket", "arn:aws:s3:::b", conditioned(condition), context=context or {}).allowed


def test_several_values_of_one_key_are_alternatives() -> None:
    condition = {"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}
    assert holds(condition, {"aws:PrincipalTag/team": "blue"})
    assert not holds(condition, {"aws:PrincipalTag/team": "green"})


def test_several_keys_and_several_operators_must_all_hold() -> None:
    condition = {
        "StringEquals": {"s3:prefix": "home/", "s3:delimiter": "/"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    assert holds(condition, {"s3:prefix": "home/", "s3:delimiter": "/", "aws:SecureTransport": "true"})
    assert not holds(condition, {"s3:prefix": "home/", "s3:delimiter": "/", "aws:SecureTransport": "false"})
    assert not holds(condition, {"s3:prefix": "home/", "aws:SecureTransport": "true"})


def test_a_negated_operator_holds_when_no_value_matches() -> None:
    condition = {"StringNotEquals": {"s3:prefix": ["a", "b"]}}
    assert holds(condition, {"s3:prefix": "c"})
    assert not holds(condition, {"s3:prefix": "b"})


@pytest.mark.parametrize(
    ("operator", "holds_without_the_key"),
    [
        ("StringEquals", False),
        ("StringLike", False),
        ("ArnLike", False),
        ("StringNotEquals", True),
        ("ArnNotLike", True),
        ("StringEqualsIfExists", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAllValues:StringEquals", True),
    ],
)
def test_a_key_missing_from_the_context_follows_the_documented_rule(
    operator: str, holds_without_the_key: bool
) -> None:
    assert holds({operator: {"aws:SourceArn": "arn:aws:sns:*:*:x"}}) is holds_without_the_key


def test_if_exists_checks_the_key_when_it_is_there() -> None:
    condition = {"StringEqualsIfExists": {"ec2:InstanceType": ["t2.micro"]}}
    assert holds(condition, {"ec2:InstanceType": "t2.micro"})
    assert not holds(condition, {"ec2:InstanceType": "m5.large"})


def test_null_tests_whether_the_key_is_there() -> None:
    assert holds({"Null": {"aws:TokenIssueTime": "true"}})
    assert not holds({"Null": {"aws:TokenIssueTime": "false"}})
    assert holds({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2026-12-07T10:00:00Z"})


def test_string_like_and_not_like_use_wildcards_case_sensitively() -> None:
    assert holds(
        {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}},
        {"s3:prefix": "home/ana/x", "aws:username": "ana"},
    )
    assert not holds({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "Home/x"})
    assert holds({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "Home/x"})


def test_equals_ignore_case() -> None:
    assert holds(
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/dept": "Sales"}}, {"aws:PrincipalTag/dept": "SALES"}
    )
    assert not holds({"StringEquals": {"aws:PrincipalTag/dept": "Sales"}}, {"aws:PrincipalTag/dept": "SALES"})


def test_condition_keys_match_whatever_their_case() -> None:
    assert holds({"StringEquals": {"AWS:SourceAccount": ACCOUNT}}, {"aws:sourceaccount": ACCOUNT})


def test_arn_conditions_compare_each_part() -> None:
    alarm = f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:bbws-x"
    assert holds(
        {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:*"}},
        {"aws:SourceArn": alarm},
    )
    assert holds(
        {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudwatch:*:*:alarm:bbws-?"}}, {"aws:SourceArn": alarm}
    )
    assert not holds(
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:*:alarm:*"}}, {"aws:SourceArn": alarm}
    )
    assert holds(
        {"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:*:alarm:*"}}, {"aws:SourceArn": alarm}
    )
    assert not holds({"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*"}}, {"aws:SourceArn": "not-an-arn"})


def test_numeric_and_date_conditions() -> None:
    assert holds({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"})
    assert not holds({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"})
    assert not holds({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"})
    window = {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}
    assert holds(window, {"aws:CurrentTime": "2026-12-07T12:00:00Z"})
    assert not holds(window, {"aws:CurrentTime": "2025-12-07T12:00:00Z"})


def test_set_operators_over_a_multivalued_key() -> None:
    # "Set operators for multivalued context keys": only these tag keys may be sent.
    only = {"ForAllValues:StringEquals": {"aws:TagKeys": ["Environment", "CostCenter"]}}
    assert holds(only, {"aws:TagKeys": ["Environment"]})
    assert not holds(only, {"aws:TagKeys": ["Environment", "Owner"]})
    assert holds(only, {"aws:TagKeys": []})
    some = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Environment"]}}
    assert holds(some, {"aws:TagKeys": ["Owner", "Environment"]})
    assert not holds(some, {"aws:TagKeys": ["Owner"]})
    assert not holds(some, {"aws:TagKeys": []})


def test_policy_variables_fill_resources() -> None:
    granted = policy(allow("s3:GetObject", "arn:aws:s3:::b/home/${aws:username}/*"))
    own = decide("s3:GetObject", "arn:aws:s3:::b/home/ana/f", granted, context={"aws:username": "ana"})
    other = decide("s3:GetObject", "arn:aws:s3:::b/home/bo/f", granted, context={"aws:username": "ana"})
    assert own.allowed and not other.allowed


def test_an_escaped_wildcard_is_a_literal() -> None:
    granted = policy(allow("s3:GetObject", "arn:aws:s3:::b/${*}"))
    assert decide("s3:GetObject", "arn:aws:s3:::b/*", granted).allowed
    assert not decide("s3:GetObject", "arn:aws:s3:::b/k", granted).allowed


def test_an_operator_not_modelled_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="IpAddress"):
        holds({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"})


# Reading policies as the APIs return them


def test_read_policy_takes_objects_json_and_url_encoded_json() -> None:
    document = policy(allow("s3:GetObject"))
    text = json.dumps(document)
    assert read_policy(document) == document
    assert read_policy(text) == document
    assert read_policy(urllib.parse.quote(text)) == document
    with pytest.raises(ValueError, match="JSON object"):
        read_policy("[]")
