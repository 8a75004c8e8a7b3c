"""Move each function's `live` alias: a CodeDeploy release after the apply, or a rollback in seconds.

    terraform -chdir=terraform output -json release > build/release.json
    python -m scripts.ops.release deploy --release build/release.json [--function NAME ...]
    python -m scripts.ops.release rollback --release build/release.json [--function NAME ...]

`deploy` starts one CodeDeploy deployment per function whose alias is not on the version the apply published
(AppSpec: current and target version), waits for all of them, prints each status change (and, in GitHub
Actions, a table in the step summary), and fails naming the alarm when CodeDeploy rolled a release back.
Before it starts any, it waits (at most --wait-seconds) until every target version is Active and, where
SnapStart is on, optimized. Run again after a failed or rolled back release, it starts a deployment for each
function whose alias is still not on its version, and does nothing (exit 0) when every one is there.

`rollback` points `live` of every function at the version that served before the function's last successful
CodeDeploy release (its AppSpec's CurrentVersion; a release CodeDeploy rolled back never counts), at once,
without CodeDeploy and without a rebuild. A function already on that version is left alone.

Either command checks everything first and changes nothing when a function is unknown, has no successful
release to go back before, has a deployment in progress, or when a version it would move to is not Active
(Inactive or Failed; Pending is waited for): it says which and exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_codedeploy.client import CodeDeployClient
    from mypy_boto3_lambda.client import LambdaClient

ACTIVE_STATUSES = ["Created", "Queued", "InProgress", "Baking", "Ready"]
DONE_STATUSES = {"Succeeded", "Failed", "Stopped"}
ROLLBACK_CREATORS = {"codeDeployRollback", "CloudFormationRollback"}  # CodeDeploy's own way back


class ReleaseError(Exception):
    """Why nothing was changed (or why a release failed): printed as is, exit status 1."""


@dataclass(frozen=True)
class Function:
    """One function of the Lambda stack's `release` output."""

    name: str
    function_name: str
    deployment_group: str
    version: str


@dataclass(frozen=True)
class Release:
    application: str
    alias: str
    functions: dict[str, Function]

    @classmethod
    def load(cls, path: Path) -> Release:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            document = document.get("value", document)  # `terraform output -json release` or the bare value
            return cls(
                application=document["application"],
                alias=document["alias"],
                functions={name: Function(name=name, **fn) for name, fn in document["functions"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise ReleaseError(
                f"{path} is not the Lambda stack's `terraform output -json release` ({error!r})"
            ) from None

    def select(self, names: Iterable[str]) -> list[Function]:
        """The named functions (all when none is named); an unknown name is an error."""
        wanted = list(names) or list(self.functions)
        unknown = [name for name in wanted if name not in self.functions]
        if unknown:
            raise ReleaseError(
                f"unknown function(s): {', '.join(unknown)} (known: {', '.join(self.functions)})"
            )
        return [self.functions[name] for name in wanted]


@dataclass(frozen=True)
class Clients:
    codedeploy: CodeDeployClient
    lambda_: LambdaClient
    cloudwatch: CloudWatchClient

    @classmethod
    def create(cls) -> Clients:
        session = boto3.session.Session()
        return cls(session.client("codedeploy"), session.client("lambda"), session.client("cloudwatch"))


class Log:
    """Lines to the job log and, in GitHub Actions, markdown to the step summary."""

    def __init__(self, summary: Path | None) -> None:
        self._summary = summary

    def line(self, text: str) -> None:
        print(text, flush=True)

    def summary(self, markdown: str) -> None:
        if self._summary is not None:
            with self._summary.open("a", encoding="utf-8") as handle:
                handle.write(markdown + "\n")


def alias_version(clients: Clients, release: Release, fn: Function) -> str:
    return clients.lambda_.get_alias(FunctionName=fn.function_name, Name=release.alias)["FunctionVersion"]


def refuse_deployments_in_progress(clients: Clients, release: Release, functions: list[Function]) -> None:
    busy = [
        f"{fn.name} ({', '.join(ids)})"
        for fn in functions
        if (
            ids := clients.codedeploy.list_deployments(
                applicationName=release.application,
                deploymentGroupName=fn.deployment_group,
                includeOnlyStatuses=ACTIVE_STATUSES,  # type: ignore[arg-type]
            )["deployments"]
        )
    ]
    if busy:
        raise ReleaseError(
            f"a deployment is already in progress for {'; '.join(busy)}: wait for it or stop it"
        )


def appspec(release: Release, fn: Function, current: str) -> dict[str, Any]:
    content = json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {
                    fn.name: {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "Name": fn.function_name,
                            "Alias": release.alias,
                            "CurrentVersion": current,
                            "TargetVersion": fn.version,
                        },
                    }
                }
            ],
        }
    )
    return {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": content, "sha256": hashlib.sha256(content.encode()).hexdigest()},
    }


@dataclass(frozen=True)
class Waiting:
    """How long to wait for versions to become ready, and how (injected by the tests)."""

    poll_seconds: float = 10
    limit_seconds: float = 900
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def readiness(config: Any) -> tuple[str, str]:
    """("ready" | "wait" | "refuse", why) for one version's configuration: Active and updated, and, when
    SnapStart applies to published versions, its snapshot optimized."""
    state, update = config.get("State", "Active"), config.get("LastUpdateStatus", "Successful")
    reason = config.get("StateReason") or config.get("LastUpdateStatusReason") or ""
    if state in ("Inactive", "Failed") or update == "Failed":
        return "refuse", f"is {state} (last update {update}){': ' + reason if reason else ''}"
    if state != "Active" or update != "Successful":
        return "wait", f"is {state} (last update {update})"
    snap_start = config.get("SnapStart", {})
    if snap_start.get("ApplyOn") == "PublishedVersions" and snap_start.get("OptimizationStatus") != "On":
        return (
            "wait",
            f"is Active, its SnapStart snapshot not optimized yet ({snap_start.get('OptimizationStatus')})",
        )
    return "ready", "is Active"


def wait_until_ready(
    clients: Clients, targets: dict[str, tuple[Function, str]], log: Log, waiting: Waiting
) -> None:
    """Return once every target version is ready; refuse (changing nothing) when one cannot become ready or
    the wait runs out."""
    deadline = waiting.clock() + waiting.limit_seconds
    pending = dict(targets)
    while True:
        why_not: dict[str, str] = {}
        for name, (fn, version) in pending.items():
            config = clients.lambda_.get_function_configuration(
                FunctionName=fn.function_name, Qualifier=version
            )
            verdict, reason = readiness(config)
            if verdict == "refuse":
                raise ReleaseError(
                    f"{name}: version {version} {reason}; nothing was changed. An Inactive version becomes "
                    "Active again once invoked (aws lambda invoke --qualifier VERSION); then run this again"
                )
            if verdict == "wait":
                why_not[name] = f"version {version} {reason}"
        if not why_not:
            return
        if waiting.clock() >= deadline:
            waits = "; ".join(f"{name}: {reason}" for name, reason in why_not.items())
            raise ReleaseError(
                f"still not ready after {waiting.limit_seconds:.0f} s: {waits}; "
                "nothing was changed: run this again later"
            )
        for name, reason in why_not.items():
            log.line(f"{name}: waiting: {reason}")
        pending = {name: pending[name] for name in why_not}
        waiting.sleep(waiting.poll_seconds)


def deploy(
    clients: Clients,
    release: Release,
    functions: list[Function],
    log: Log,
    waiting: Waiting = Waiting(),
) -> None:
    """One deployment per function whose alias is not on the target version (its version ready first); wait
    for all of them."""
    refuse_deployments_in_progress(clients, release, functions)
    changed = {fn.name: alias_version(clients, release, fn) for fn in functions}
    changed = {
        name: current for name, current in changed.items() if current != release.functions[name].version
    }
    for fn in functions:
        if fn.name not in changed:
            log.line(f"{fn.name}: {release.alias} is on version {fn.version} already; nothing to release")
    if not changed:
        log.line(f"every function's {release.alias} is on its version: nothing to release")
        return
    wait_until_ready(
        clients,
        {name: (release.functions[name], release.functions[name].version) for name in changed},
        log,
        waiting,
    )
    started: dict[str, str] = {}
    for name, current in changed.items():
        fn = release.functions[name]
        started[name] = clients.codedeploy.create_deployment(
            applicationName=release.application,
            deploymentGroupName=fn.deployment_group,
            revision=appspec(release, fn, current),  # type: ignore[arg-type]
            description=f"{fn.function_name}: {release.alias} {current} -> {fn.version}",
        )["deploymentId"]
        log.line(f"{name}: deployment {started[name]} started ({release.alias} {current} -> {fn.version})")
    outcome = wait(clients, started, log, waiting.poll_seconds, waiting.sleep)
    log.summary("### Release\n\n| function | deployment | versions | result |\n|---|---|---|---|")
    for name, (status, detail) in outcome.items():
        fn = release.functions[name]
        log.summary(f"| {name} | {started[name]} | {changed[name]} -> {fn.version} | {status} {detail} |")
    failed = {name: result for name, result in outcome.items() if result[0] != "Succeeded"}
    if failed:
        reasons = "; ".join(f"{name}: {status} {detail}" for name, (status, detail) in failed.items())
        raise ReleaseError(f"release rolled back or failed: {reasons}")


def wait(
    clients: Clients, started: dict[str, str], log: Log, poll_seconds: float, sleep: Callable[[float], None]
) -> dict[str, tuple[str, str]]:
    """Poll until every deployment is done; the status of each and, for a failure, why (the alarms)."""
    last: dict[str, str] = {}
    outcome: dict[str, tuple[str, str]] = {}
    while len(outcome) < len(started):
        for name, deployment_id in started.items():
            if name in outcome:
                continue
            info = clients.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
            status = info.get("status", "Unknown")
            if last.get(name) != status:
                log.line(f"{name}: {deployment_id} {status}")
                last[name] = status
            if status in DONE_STATUSES:
                outcome[name] = (status, "" if status == "Succeeded" else why(clients, info))
        if len(outcome) < len(started):
            sleep(poll_seconds)
    return outcome


def why(clients: Clients, info: Any) -> str:
    """The alarms that stopped a deployment (those in ALARM among its group's), else CodeDeploy's message."""
    message = str(info.get("errorInformation", {}).get("message", "no reason given"))
    group = clients.codedeploy.get_deployment_group(
        applicationName=info["applicationName"], deploymentGroupName=info["deploymentGroupName"]
    )["deploymentGroupInfo"]
    names = [alarm["name"] for alarm in group.get("alarmConfiguration", {}).get("alarms", [])]
    firing = (
        [
            a["AlarmName"]
            for a in clients.cloudwatch.describe_alarms(AlarmNames=names, StateValue="ALARM")["MetricAlarms"]
        ]
        if names
        else []
    )
    return f"(alarm: {', '.join(firing)}) {message}" if firing else f"({message})"


def deployment_history(clients: Clients, release: Release, fn: Function) -> list[Any]:
    """The group's successful deployments that were releases (not CodeDeploy's rollbacks), newest first."""
    ids: list[str] = []
    request: dict[str, str] = {}
    while True:
        page = clients.codedeploy.list_deployments(
            applicationName=release.application,
            deploymentGroupName=fn.deployment_group,
            includeOnlyStatuses=["Succeeded"],
            **request,  # type: ignore[arg-type]
        )
        ids += page["deployments"]
        if not page.get("nextToken"):
            break
        request = {"nextToken": page["nextToken"]}
    infos = [clients.codedeploy.get_deployment(deploymentId=i)["deploymentInfo"] for i in ids]
    releases = [
        info
        for info in infos
        if info.get("creator") not in ROLLBACK_CREATORS
        and not info.get("rollbackInfo", {}).get("rollbackTriggeringDeploymentId")
    ]
    return sorted(releases, key=lambda info: info["createTime"], reverse=True)


def served_before(info: Any, fn: Function) -> str:
    """The AppSpec CurrentVersion of a deployment: the version that served before it."""
    try:
        content = json.loads(info["revision"]["appSpecContent"]["content"])
        resource = next(iter(content["Resources"][0].values()))
        return str(resource["Properties"]["CurrentVersion"])
    except (KeyError, IndexError, StopIteration, TypeError, ValueError):
        raise ReleaseError(
            f"{fn.name}: deployment {info.get('deploymentId')} has no AppSpec with a CurrentVersion"
        ) from None


def previous_version(clients: Clients, release: Release, fn: Function) -> str:
    """The version that served before the function's last successful release."""
    history = deployment_history(clients, release, fn)
    if not history:
        raise ReleaseError(
            f"{fn.name}: CodeDeploy has no successful release of {fn.deployment_group}, "
            "so there is no earlier version to go back to"
        )
    return served_before(history[0], fn)


def rollback(
    clients: Clients, release: Release, functions: list[Function], log: Log, waiting: Waiting = Waiting()
) -> None:
    """Point every function's alias at the version that served before its last successful release (all
    checked, and every version ready, before any alias moves)."""
    refuse_deployments_in_progress(clients, release, functions)
    plan = {}
    problems = []
    for fn in functions:
        current = alias_version(clients, release, fn)
        try:
            previous = previous_version(clients, release, fn)
        except ReleaseError as error:
            problems.append(str(error))
            continue
        if previous == current:
            log.line(
                f"{fn.name}: {release.alias} is on version {current}, "
                "the one before the last release, already"
            )
        else:
            plan[fn.name] = (current, previous)
    if problems:
        raise ReleaseError("; ".join(problems))
    wait_until_ready(
        clients,
        {name: (release.functions[name], previous) for name, (_, previous) in plan.items()},
        log,
        waiting,
    )
    started = time.monotonic()
    for name, (current, previous) in plan.items():
        fn = release.functions[name]
        clients.lambda_.update_alias(
            FunctionName=fn.function_name, Name=release.alias, FunctionVersion=previous, RoutingConfig={}
        )
        log.line(f"{name}: {release.alias} {current} -> {previous}")
        log.summary(f"- {name}: `{release.alias}` {current} -> {previous}")
    log.line(f"rolled back {len(plan)} function(s) in {time.monotonic() - started:.1f} s")


def main(
    argv: list[str] | None = None,
    clients: Clients | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["deploy", "rollback"])
    parser.add_argument(
        "--release", type=Path, required=True, help="`terraform output -json release` of the Lambda stack"
    )
    parser.add_argument("--function", action="append", default=[], help="only this function (repeatable)")
    parser.add_argument("--poll-seconds", type=float, default=10)
    parser.add_argument(
        "--wait-seconds",
        type=float,
        default=900,
        help="how long to wait for versions to become Active (and SnapStart-optimized) before giving up",
    )
    args = parser.parse_args(argv)
    waiting = Waiting(args.poll_seconds, args.wait_seconds, sleep, clock)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    log = Log(Path(summary) if summary else None)
    try:
        if args.poll_seconds < 0 or args.wait_seconds < 0:
            raise ReleaseError("--poll-seconds and --wait-seconds must not be negative")
        release = Release.load(args.release)
        functions = release.select(args.function)
        clients = clients or Clients.create()
        if args.command == "deploy":
            deploy(clients, release, functions, log, waiting)
        else:
            rollback(clients, release, functions, log, waiting)
    except ReleaseError as error:
        print(f"release.py {args.command}: {error}", file=sys.stderr)
        if os.environ.get("GITHUB_ACTIONS"):
            print(f"::error title=release {args.command}::{error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
