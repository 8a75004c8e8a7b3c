"""scripts/ops/release.py against moto's Lambda, CodeDeploy and CloudWatch (in process).

moto records a CodeDeploy deployment but never runs it: `ShiftingCodeDeploy` plays CodeDeploy's part at the
client, through botocore's event hooks (the script is not touched): the first status read answers InProgress,
the next one either moves the alias to the target version and answers Succeeded, or sets the group's alarm to
ALARM and answers Stopped, as CodeDeploy does when it rolls a release back; and a group's alarms, which moto
does not keep, are given back.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.ops.release import Clients, main

REGION = "eu-west-1"
APPLICATION = "bbws-product-api-dev"
FUNCTIONS = ("list_products", "get_product")


def function_name(name: str) -> str:
    return f"bbws-{name.replace('_', '-')}-dev"


def alarm_name(name: str) -> str:
    return f"{function_name(name)}-release-errors"


class ShiftingCodeDeploy:
    """CodeDeploy's part, played at the client: finish (or roll back) each deployment on its second read."""

    def __init__(self, clients: Clients, outcome: str = "Succeeded") -> None:
        self.clients, self.outcome = clients, outcome
        self.reads: dict[str, int] = {}
        self.appspecs: dict[str, dict[str, Any]] = {}
        self._asked: dict[str, Any] = {}
        events = clients.codedeploy.meta.events
        events.register("before-parameter-build.codedeploy.CreateDeployment", self.asked)
        events.register("after-call.codedeploy.CreateDeployment", self.created)
        events.register("after-call.codedeploy.GetDeployment", self.progress)
        events.register("after-call.codedeploy.GetDeploymentGroup", self.alarms)

    def alarms(self, parsed: dict[str, Any], **_: Any) -> None:
        """moto answers an empty alarmConfiguration: the one the fixture created."""
        group = parsed["deploymentGroupInfo"]
        name = group["deploymentGroupName"].removeprefix("bbws-").removesuffix("-dev").replace("-", "_")
        group["alarmConfiguration"] = {"enabled": True, "alarms": [{"name": alarm_name(name)}]}

    def asked(self, params: dict[str, Any], **_: Any) -> None:
        self._asked = params

    def created(self, parsed: dict[str, Any], **_: Any) -> None:
        content = json.loads(self._asked["revision"]["appSpecContent"]["content"])
        (resource,) = content["Resources"][0].values()
        self.appspecs[parsed["deploymentId"]] = resource["Properties"]

    def progress(self, parsed: dict[str, Any], **_: Any) -> None:
        deployment_id = parsed["deploymentInfo"]["deploymentId"]
        self.reads[deployment_id] = self.reads.get(deployment_id, 0) + 1
        info = parsed["deploymentInfo"]
        if self.reads[deployment_id] == 1:
            info["status"] = "InProgress"
            return
        spec = self.appspecs[deployment_id]
        if self.outcome == "Succeeded":
            self.clients.lambda_.update_alias(
                FunctionName=spec["Name"], Name=spec["Alias"], FunctionVersion=spec["TargetVersion"]
            )
            info["status"] = "Succeeded"
        else:
            name = spec["Name"].removeprefix("bbws-").removesuffix("-dev").replace("-", "_")
            self.clients.cloudwatch.set_alarm_state(
                AlarmName=alarm_name(name), StateValue="ALARM", StateReason="errors in the new version"
            )
            info["status"] = "Stopped"
            info["errorInformation"] = {
                "code": "ALARM_ACTIVE",
                "message": "One or more alarms have been activated",
            }


def zipped(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", text)
    return buffer.getvalue()


@pytest.fixture
def clients() -> Iterator[Clients]:
    """Two functions at versions 1 and 2 with `live` on 1, a CodeDeploy group and an alarm each."""
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        made = Clients(session.client("codedeploy"), session.client("lambda"), session.client("cloudwatch"))
        role = session.client("iam").create_role(RoleName="bbws-fn-dev-role", AssumeRolePolicyDocument="{}")[
            "Role"
        ]
        made.codedeploy.create_application(applicationName=APPLICATION, computePlatform="Lambda")
        for name in FUNCTIONS:
            made.lambda_.create_function(
                FunctionName=function_name(name),
                Runtime="python3.12",
                Role=role["Arn"],
                Handler="handler.handler",
                Code={"ZipFile": zipped("v1")},
                Publish=True,
            )
            made.lambda_.update_function_code(
                FunctionName=function_name(name), ZipFile=zipped("v2"), Publish=True
            )
            made.lambda_.create_alias(FunctionName=function_name(name), Name="live", FunctionVersion="1")
            made.cloudwatch.put_metric_alarm(
                AlarmName=alarm_name(name),
                Namespace="AWS/Lambda",
                MetricName="Errors",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=0,
                ComparisonOperator="GreaterThanThreshold",
            )
            made.codedeploy.create_deployment_group(
                applicationName=APPLICATION,
                deploymentGroupName=function_name(name),
                serviceRoleArn=role["Arn"],
                deploymentConfigName="CodeDeployDefault.LambdaAllAtOnce",
                deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
                alarmConfiguration={"enabled": True, "alarms": [{"name": alarm_name(name)}]},
            )
        yield made


@pytest.fixture
def release_file(tmp_path: Path) -> Path:
    """The Lambda stack's `terraform output -json release` after an apply that published version 2."""
    path = tmp_path / "release.json"
    value = {
        "application": APPLICATION,
        "alias": "live",
        "functions": {
            name: {
                "function_name": function_name(name),
                "deployment_group": function_name(name),
                "version": "2",
            }
            for name in FUNCTIONS
        },
    }
    path.write_text(json.dumps({"sensitive": False, "type": "object", "value": value}))
    return path


def live(clients: Clients) -> dict[str, str]:
    return {
        name: clients.lambda_.get_alias(FunctionName=function_name(name), Name="live")["FunctionVersion"]
        for name in FUNCTIONS
    }


def deployments(clients: Clients) -> list[str]:
    return [
        deployment
        for name in FUNCTIONS
        for deployment in clients.codedeploy.list_deployments(
            applicationName=APPLICATION, deploymentGroupName=function_name(name)
        )["deployments"]
    ]


def run(clients: Clients, release_file: Path, *args: str) -> int:
    return main(
        [*args, "--release", str(release_file), "--poll-seconds", "0"], clients=clients, sleep=lambda _: None
    )


def test_deploy_starts_one_deployment_per_changed_function_and_waits_for_the_alias_to_move(
    clients: Clients,
    release_file: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    codedeploy = ShiftingCodeDeploy(clients)
    assert run(clients, release_file, "deploy") == 0
    assert live(clients) == {"list_products": "2", "get_product": "2"}
    assert sorted(
        (spec["Name"], spec["CurrentVersion"], spec["TargetVersion"]) for spec in codedeploy.appspecs.values()
    ) == [
        ("bbws-get-product-dev", "1", "2"),
        ("bbws-list-products-dev", "1", "2"),
    ]
    log = capsys.readouterr().out
    assert "InProgress" in log and "Succeeded" in log
    assert "| list_products |" in summary.read_text() and "1 -> 2 | Succeeded" in summary.read_text()


def test_deploy_of_functions_already_on_their_version_starts_nothing(
    clients: Clients, release_file: Path
) -> None:
    for name in FUNCTIONS:
        clients.lambda_.update_alias(FunctionName=function_name(name), Name="live", FunctionVersion="2")
    assert run(clients, release_file, "deploy") == 0
    assert deployments(clients) == []


def test_a_release_rolled_back_on_an_alarm_fails_naming_the_alarm(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ShiftingCodeDeploy(clients, outcome="Stopped")
    assert run(clients, release_file, "deploy", "--function", "get_product") == 1
    assert live(clients) == {"list_products": "1", "get_product": "1"}
    error = capsys.readouterr().err
    assert "get_product: Stopped (alarm: bbws-get-product-dev-release-errors)" in error


def test_rollback_points_live_at_the_previous_version_of_every_function(
    clients: Clients, release_file: Path
) -> None:
    for name in FUNCTIONS:
        clients.lambda_.update_alias(FunctionName=function_name(name), Name="live", FunctionVersion="2")
    assert run(clients, release_file, "rollback") == 0
    assert live(clients) == {"list_products": "1", "get_product": "1"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "--function", "list_product"), "unknown function(s): list_product"),
        (("rollback", "--function", "nope"), "unknown function(s): nope"),
        (("rollback",), "no earlier version to go back to"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    clients: Clients,
    release_file: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    clients.lambda_.update_alias(FunctionName=function_name("get_product"), Name="live", FunctionVersion="2")
    before = live(clients)
    assert run(clients, release_file, *args) == 1
    assert message in capsys.readouterr().err
    assert live(clients) == before and deployments(clients) == []


@pytest.mark.parametrize("command", ["deploy", "rollback"])
def test_a_deployment_in_progress_is_refused_and_changes_nothing(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    for name in FUNCTIONS:
        clients.lambda_.update_alias(FunctionName=function_name(name), Name="live", FunctionVersion="2")
    clients.lambda_.update_alias(
        FunctionName=function_name("list_products"), Name="live", FunctionVersion="1"
    )
    running = clients.codedeploy.create_deployment(
        applicationName=APPLICATION, deploymentGroupName=function_name("get_product")
    )
    before = live(clients)
    assert run(clients, release_file, command) == 1
    assert (
        f"a deployment is already in progress for get_product ({running['deploymentId']})"
        in capsys.readouterr().err
    )
    assert live(clients) == before and deployments(clients) == [running["deploymentId"]]
