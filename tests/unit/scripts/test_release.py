"""scripts/ops/release.py against moto's Lambda, CodeDeploy and CloudWatch (in process).

moto records a CodeDeploy deployment but never runs it: `ShiftingCodeDeploy` plays CodeDeploy's part at the
client, through botocore's event hooks (the script is not touched): the first status read answers InProgress,
the next one either moves the alias to the target version and answers Succeeded, or sets the group's alarm to
ALARM and answers Stopped, as CodeDeploy does when it rolls a release back; the status is kept in moto's
backend, so the history (ListDeployments by status) is CodeDeploy's; and a group's alarms, which moto does
not keep, are given back. `LambdaStates` plays a version's life after publishing (Pending, then Active;
SnapStart's optimization), which moto answers as Active at once.
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
from moto.codedeploy.models import codedeploy_backends
from moto.core import DEFAULT_ACCOUNT_ID

from scripts.ops.release import Clients, Release, appspec, main

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
        info = parsed["deploymentInfo"]
        stored = codedeploy_backends[DEFAULT_ACCOUNT_ID][REGION].deployments[deployment_id]
        if deployment_id not in self.appspecs or stored.status in ("Succeeded", "Stopped"):
            return  # not this player's, or over: moto answers what it keeps
        self.reads[deployment_id] = self.reads.get(deployment_id, 0) + 1
        if self.reads[deployment_id] == 1:
            info["status"] = stored.status = "InProgress"
            return
        spec = self.appspecs[deployment_id]
        if self.outcome == "Succeeded":
            self.clients.lambda_.update_alias(
                FunctionName=spec["Name"], Name=spec["Alias"], FunctionVersion=spec["TargetVersion"]
            )
            info["status"] = stored.status = "Succeeded"
        else:
            name = spec["Name"].removeprefix("bbws-").removesuffix("-dev").replace("-", "_")
            self.clients.cloudwatch.set_alarm_state(
                AlarmName=alarm_name(name), StateValue="ALARM", StateReason="errors in the new version"
            )
            info["status"] = stored.status = "Stopped"
            info["errorInformation"] = {
                "code": "ALARM_ACTIVE",
                "message": "One or more alarms have been activated",
            }


class LambdaStates:
    """A version's state after publishing, played at the client: `pending` reads answer Pending (and, with
    SnapStart, OptimizationStatus Off) before the version is Active; `stuck` versions never leave `state`."""

    def __init__(
        self,
        clients: Clients,
        pending: int = 0,
        snap_start: bool = False,
        stuck: dict[str, str] | None = None,
    ) -> None:
        self.pending, self.snap_start, self.stuck = pending, snap_start, stuck or {}
        self.reads: dict[tuple[str, str], int] = {}
        self.ready_when_deployed: list[bool] = []
        clients.lambda_.meta.events.register("after-call.lambda.GetFunctionConfiguration", self.state)
        clients.codedeploy.meta.events.register(
            "before-call.codedeploy.CreateDeployment", self.deployment_started
        )

    def state(self, parsed: dict[str, Any], **_: Any) -> None:
        key = (parsed["FunctionName"], parsed["Version"])
        self.reads[key] = self.reads.get(key, 0) + 1
        if parsed["Version"] in self.stuck:
            parsed.update(State=self.stuck[parsed["Version"]], StateReason="the function was idle")
            return
        ready = self.reads[key] > self.pending
        if self.snap_start:
            parsed["SnapStart"] = {
                "ApplyOn": "PublishedVersions",
                "OptimizationStatus": "On" if ready else "Off",
            }
        elif not ready:
            parsed.update(State="Pending", LastUpdateStatus="InProgress")

    def deployment_started(self, **_: Any) -> None:
        self.ready_when_deployed.append(
            all(count > self.pending for count in self.reads.values()) and bool(self.reads)
        )


def zipped(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", text)
    return buffer.getvalue()


@pytest.fixture
def clients() -> Iterator[Clients]:
    """Two functions at versions 1, 2 and 3 with `live` on 1, a CodeDeploy group and an alarm each."""
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
            for code in ("v2", "v3"):
                made.lambda_.update_function_code(
                    FunctionName=function_name(name), ZipFile=zipped(code), Publish=True
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


def write_release(path: Path, version: str) -> Path:
    """The Lambda stack's `terraform output -json release` after an apply that published `version`."""
    value = {
        "application": APPLICATION,
        "alias": "live",
        "functions": {
            name: {
                "function_name": function_name(name),
                "deployment_group": function_name(name),
                "version": version,
            }
            for name in FUNCTIONS
        },
    }
    path.write_text(json.dumps({"sensitive": False, "type": "object", "value": value}))
    return path


@pytest.fixture
def release_file(tmp_path: Path) -> Path:
    """The release after an apply that published version 2."""
    return write_release(tmp_path / "release.json", "2")


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


class Clock:
    """Time that passes only when the script sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def run(clients: Clients, release_file: Path, *args: str) -> int:
    clock = Clock()
    return main(
        ["--poll-seconds", "5", *args, "--release", str(release_file)],
        clients=clients,
        sleep=clock.sleep,
        clock=clock,
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


def test_deploy_of_functions_already_on_their_version_starts_nothing_and_says_so(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in FUNCTIONS:
        clients.lambda_.update_alias(FunctionName=function_name(name), Name="live", FunctionVersion="2")
    assert run(clients, release_file, "deploy") == 0
    assert deployments(clients) == []
    assert "nothing to release" in capsys.readouterr().out


def test_a_release_run_again_after_a_rollback_starts_a_new_deployment_for_the_functions_not_on_their_version(
    clients: Clients, release_file: Path
) -> None:
    """A failed release is re-run by re-running the same command (the workflow's re-run): nothing is stuck."""
    codedeploy = ShiftingCodeDeploy(clients, outcome="Stopped")
    assert run(clients, release_file, "deploy", "--function", "get_product") == 1
    clients.lambda_.update_alias(
        FunctionName=function_name("list_products"), Name="live", FunctionVersion="2"
    )
    codedeploy.outcome = "Succeeded"
    assert run(clients, release_file, "deploy") == 0
    assert live(clients) == {"list_products": "2", "get_product": "2"}
    assert len(deployments(clients)) == 2  # the rolled back one and the new one for get_product only


def test_deploy_waits_for_the_target_versions_to_become_active_before_starting_a_deployment(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    states = LambdaStates(clients, pending=2)
    ShiftingCodeDeploy(clients)
    assert run(clients, release_file, "deploy") == 0
    assert states.ready_when_deployed == [True, True]
    assert live(clients) == {"list_products": "2", "get_product": "2"}
    assert "waiting: version 2 is Pending" in capsys.readouterr().out


def test_deploy_waits_for_the_snapstart_optimization_of_the_target_versions(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    states = LambdaStates(clients, pending=1, snap_start=True)
    ShiftingCodeDeploy(clients)
    assert run(clients, release_file, "deploy") == 0
    assert states.ready_when_deployed == [True, True]
    assert "SnapStart snapshot not optimized yet (Off)" in capsys.readouterr().out


def test_deploy_gives_up_after_the_wait_with_a_message_and_starts_nothing(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    LambdaStates(clients, pending=1000)
    assert run(clients, release_file, "deploy", "--wait-seconds", "60") == 1
    assert "still not ready after 60 s: list_products: version 2 is Pending" in capsys.readouterr().err
    assert deployments(clients) == [] and live(clients) == {"list_products": "1", "get_product": "1"}


def test_a_release_rolled_back_on_an_alarm_fails_naming_the_alarm(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ShiftingCodeDeploy(clients, outcome="Stopped")
    assert run(clients, release_file, "deploy", "--function", "get_product") == 1
    assert live(clients) == {"list_products": "1", "get_product": "1"}
    error = capsys.readouterr().err
    assert "get_product: Stopped (alarm: bbws-get-product-dev-release-errors)" in error


def test_rollback_points_live_at_the_version_before_the_last_release_of_every_function(
    clients: Clients, release_file: Path
) -> None:
    ShiftingCodeDeploy(clients)
    assert run(clients, release_file, "deploy") == 0
    assert run(clients, release_file, "rollback") == 0
    assert live(clients) == {"list_products": "1", "get_product": "1"}


def test_rollback_returns_to_the_version_before_the_last_successful_release_never_a_rolled_back_one(
    clients: Clients, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """live on 1; the release of 2 rolled back by CodeDeploy; 3 released: the rollback lands on 1, not 2."""
    codedeploy = ShiftingCodeDeploy(clients, outcome="Stopped")
    assert run(clients, write_release(tmp_path / "two.json", "2"), "deploy") == 1
    codedeploy.outcome = "Succeeded"
    assert run(clients, write_release(tmp_path / "three.json", "3"), "deploy") == 0
    assert live(clients) == {"list_products": "3", "get_product": "3"}
    assert run(clients, tmp_path / "three.json", "rollback") == 0
    assert live(clients) == {"list_products": "1", "get_product": "1"}
    assert "list_products: live 3 -> 1" in capsys.readouterr().out


def test_rollback_skips_the_deployments_codedeploy_made_to_roll_a_release_back(
    clients: Clients, tmp_path: Path
) -> None:
    """2 released; 3 stopped, and CodeDeploy's own rollback deployment (3 -> 2) succeeded after it: the last
    successful release is still 1 -> 2, so the rollback lands on 1."""
    codedeploy = ShiftingCodeDeploy(clients)
    two = write_release(tmp_path / "two.json", "2")
    assert run(clients, two, "deploy") == 0
    codedeploy.outcome = "Stopped"
    three = write_release(tmp_path / "three.json", "3")
    assert run(clients, three, "deploy") == 1
    back = Release.load(two)
    for fn in back.functions.values():
        made = clients.codedeploy.create_deployment(
            applicationName=APPLICATION,
            deploymentGroupName=fn.deployment_group,
            revision=appspec(back, fn, "3"),  # type: ignore[arg-type]
        )
        stored = codedeploy_backends[DEFAULT_ACCOUNT_ID][REGION].deployments[made["deploymentId"]]
        stored.status, stored.creator = "Succeeded", "codeDeployRollback"
    assert run(clients, three, "rollback") == 0
    assert live(clients) == {"list_products": "1", "get_product": "1"}


def test_rollback_run_again_leaves_functions_already_back_alone(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ShiftingCodeDeploy(clients)
    assert run(clients, release_file, "deploy") == 0
    assert run(clients, release_file, "rollback") == 0
    assert run(clients, release_file, "rollback") == 0
    assert live(clients) == {"list_products": "1", "get_product": "1"}
    assert "is on version 1, the one before the last release, already" in capsys.readouterr().out


def test_rollback_to_a_version_that_is_not_active_is_refused_and_changes_nothing(
    clients: Clients, release_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ShiftingCodeDeploy(clients)
    assert run(clients, release_file, "deploy") == 0
    LambdaStates(clients, stuck={"1": "Inactive"})
    assert run(clients, release_file, "rollback") == 1
    error = capsys.readouterr().err
    assert "version 1 is Inactive" in error and "nothing was changed" in error
    assert live(clients) == {"list_products": "2", "get_product": "2"}


def test_rollback_waits_for_a_pending_version_then_moves_live(clients: Clients, release_file: Path) -> None:
    ShiftingCodeDeploy(clients)
    assert run(clients, release_file, "deploy") == 0
    states = LambdaStates(clients, pending=2)
    assert run(clients, release_file, "rollback") == 0
    assert live(clients) == {"list_products": "1", "get_product": "1"}
    assert sorted(states.reads.values()) == [3, 3]  # two Pending answers each, then Active


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "--function", "list_product"), "unknown function(s): list_product"),
        (("rollback", "--function", "nope"), "unknown function(s): nope"),
        (("rollback",), "no earlier version to go back to"),
        (("deploy", "--wait-seconds", "-1"), "must not be negative"),
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
