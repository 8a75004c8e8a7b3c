"""Move each function's `live` alias: a CodeDeploy release after the apply, or a rollback in seconds.

    terraform -chdir=terraform output -json release > build/release.json
    python -m scripts.ops.release deploy --release build/release.json [--function NAME ...]
    python -m scripts.ops.release rollback --release build/release.json [--function NAME ...]

`deploy` starts one CodeDeploy deployment per function whose alias is not on the version the apply published
(AppSpec: current and target version), waits for all of them, prints each status change (and, in GitHub
Actions, a table in the step summary), and fails naming the alarm when CodeDeploy rolled a release back.
`rollback` points `live` of every function at the version before the one it is on, at once, without
CodeDeploy and without a rebuild.

Either command checks everything first and changes nothing when a function is unknown, has no earlier version
to go back to, or has a deployment in progress: it says which and exits 1.
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
        document = json.loads(path.read_text(encoding="utf-8"))
        document = document.get("value", document)  # `terraform output -json release` or the bare value
        return cls(
            application=document["application"],
            alias=document["alias"],
            functions={name: Function(name=name, **fn) for name, fn in document["functions"].items()},
        )

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


def deploy(
    clients: Clients,
    release: Release,
    functions: list[Function],
    log: Log,
    poll_seconds: float = 10,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """One deployment per function whose alias is not on the target version; wait for all of them."""
    refuse_deployments_in_progress(clients, release, functions)
    changed = {fn.name: alias_version(clients, release, fn) for fn in functions}
    changed = {
        name: current for name, current in changed.items() if current != release.functions[name].version
    }
    for fn in functions:
        if fn.name not in changed:
            log.line(f"{fn.name}: {release.alias} is on version {fn.version} already; nothing to release")
    if not changed:
        return
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
    outcome = wait(clients, started, log, poll_seconds, sleep)
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


def previous_version(clients: Clients, fn: Function, current: str) -> str:
    versions: list[int] = []
    for page in clients.lambda_.get_paginator("list_versions_by_function").paginate(
        FunctionName=fn.function_name
    ):
        versions += [int(v["Version"]) for v in page["Versions"] if v["Version"].isdigit()]
    earlier = [v for v in versions if v < int(current)] if current.isdigit() else []
    if not earlier:
        raise ReleaseError(
            f"{fn.name}: live is on version {current}, and there is no earlier version to go back to"
        )
    return str(max(earlier))


def rollback(clients: Clients, release: Release, functions: list[Function], log: Log) -> None:
    """Point every function's alias at the version before its current one (checked for all before any moves)."""
    refuse_deployments_in_progress(clients, release, functions)
    plan = {}
    problems = []
    for fn in functions:
        current = alias_version(clients, release, fn)
        try:
            plan[fn.name] = (current, previous_version(clients, fn, current))
        except ReleaseError as error:
            problems.append(str(error))
    if problems:
        raise ReleaseError("; ".join(problems))
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
    argv: list[str] | None = None, clients: Clients | None = None, sleep: Callable[[float], None] = time.sleep
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
    args = parser.parse_args(argv)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    log = Log(Path(summary) if summary else None)
    try:
        release = Release.load(args.release)
        functions = release.select(args.function)
        clients = clients or Clients.create()
        if args.command == "deploy":
            deploy(clients, release, functions, log, args.poll_seconds, sleep)
        else:
            rollback(clients, release, functions, log)
    except ReleaseError as error:
        print(f"release.py {args.command}: {error}", file=sys.stderr)
        if os.environ.get("GITHUB_ACTIONS"):
            print(f"::error title=release {args.command}::{error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
