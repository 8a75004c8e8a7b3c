"""The authorization rehearsal: every AWS call the deploy roles made on moto, evaluated as AWS would.

moto accepts almost any call; AWS evaluates each against the caller's policies. Every request moto answered
is recorded (moto_server.py); each one a role of an environment made (dev's and prod's plan role for plans,
deploy role for the rest, each command its own role session: LocalAws.callers) becomes the IAM requests AWS authorizes for it (tests/authorization/aws_requests.py:
the action, its resource, the condition context and the dependent actions) and is evaluated against the
role's inline policies and permissions boundary as the bootstrap stack left them
(tests/authorization/evaluation.py). The validation's signed requests are evaluated as execute-api:Invoke on
the deployed API's ARN. One test per phase of the deploy; a denied call fails it with the call, the role and
what it lacks, and a request that cannot be mapped fails it too. Each environment's findings, all phases
together, are also written to build/reports/rehearsal-<env>.txt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest

from authorization.aws_requests import Call, Rehearsal
from authorization.evaluation import Decision, Request, evaluate
from local_aws import REGION, REPO_ROOT, LocalAws

# Each phase of a deploy and the commands (LocalAws labels) that make it.
PHASES = {
    "infrastructure stack": ("plan-infrastructure", "apply-infrastructure"),
    "page-token key (ensure, rotate)": ("page-token-key", "page-token-key-rotate"),
    "Lambda stack": ("plan-lambda", "apply-lambda", "plan-release", "apply-release"),
    "release": ("release",),
    "rollback": ("rollback",),
}


@pytest.fixture(scope="module")
def environments(deployed: LocalAws, deployed_prod: LocalAws) -> dict[str, LocalAws]:
    return {deployed.environment: deployed, deployed_prod.environment: deployed_prod}


@pytest.fixture(scope="module")
def rehearsal(deployed: LocalAws, environments: dict[str, LocalAws]) -> Rehearsal:
    deployed.settle()  # the fresh plans started in the background are part of the rehearsal
    callers = {key: caller.role_arn for aws in environments.values() for key, caller in aws.callers.items()}
    account = deployed.client("sts").get_caller_identity()["Account"]
    with deployed.recording.open() as lines:
        rehearsal = Rehearsal(account, callers).read(lines)
    # The whole finding per environment, kept with the run's reports (CI keeps build/reports).
    reports = REPO_ROOT / "build" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for name, aws in environments.items():
        own = {name: aws}
        problems = _unmapped(rehearsal, own, None) + list(denials(_of_environment(rehearsal, aws), own, None))
        (reports / f"rehearsal-{name}.txt").write_text(_report(problems, f"{name}'s deploy") + "\n")
    return rehearsal


class Policies:
    """Each role's inline policies and boundary, read back from the account."""

    def __init__(self, aws: LocalAws) -> None:
        self._iam = aws.client("iam")
        self._read: dict[str, tuple[list[dict[str, Any]], dict[str, Any] | None]] = {}

    def of(self, role_arn: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if role_arn not in self._read:
            self._read[role_arn] = self._policies(role_arn)
        return self._read[role_arn]

    def _policies(self, role_arn: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        name = role_arn.rsplit("/", 1)[-1]
        identity = [
            _document(self._iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
            for policy in self._iam.list_role_policies(RoleName=name)["PolicyNames"]
        ]
        boundary_arn = self._iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary", {})
        if not boundary_arn:
            return identity, None
        policy = self._iam.get_policy(PolicyArn=boundary_arn["PermissionsBoundaryArn"])["Policy"]
        version = self._iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        return identity, _document(version["PolicyVersion"]["Document"])


def _document(document: str | dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(document)) if isinstance(document, str) else dict(document)


def denials(
    calls: Sequence[tuple[str, Call]], environments: dict[str, LocalAws], labels: Sequence[str] | None
) -> Iterator[str]:
    """One line per denied request of the calls made by the labelled commands (None: any command)."""
    policies = Policies(next(iter(environments.values())))
    callers = {key: caller for aws in environments.values() for key, caller in aws.callers.items()}
    for key, call in calls:
        caller = callers[key]
        if labels is not None and caller.label not in labels:
            continue
        identity, boundary = policies.of(caller.role_arn)
        for request in call.requests:
            asked = Request(request.action, request.resource, request.context, caller.role_arn)
            decision = evaluate(asked, identity=identity, boundary=boundary)
            if not decision.allowed:
                yield _denied(caller.label, call.describe(), caller.role_arn, asked, decision)


def _denied(label: str, call: str, role: str, request: Request, decision: Decision) -> str:
    context = f" with {dict(request.context)}" if request.context else ""
    return f"[{label}] {call}\n    {role} may not {request.action} on {request.resource}{context}: {decision.reason}"


def _unmapped(
    rehearsal: Rehearsal, environments: dict[str, LocalAws], labels: Sequence[str] | None
) -> list[str]:
    callers = {key: caller for aws in environments.values() for key, caller in aws.callers.items()}
    return [
        f"[{callers[key].label}] unmapped: {problem}"
        for key, problem in rehearsal.unmapped
        if key in callers and (labels is None or callers[key].label in labels)
    ]


def _of_environment(rehearsal: Rehearsal, aws: LocalAws) -> list[tuple[str, Call]]:
    return [(key, call) for key, call in rehearsal.calls if key in aws.callers]


def _report(problems: Sequence[str], what: str) -> str:
    return f"{len(problems)} problem(s) in {what}:\n" + "\n".join(problems)


@pytest.mark.parametrize("phase", sorted(PHASES))
def test_the_dev_roles_may_make_every_call_of(
    phase: str, rehearsal: Rehearsal, deployed: LocalAws, environments: dict[str, LocalAws]
) -> None:
    labels = PHASES[phase]
    calls = _of_environment(rehearsal, deployed)
    problems = _unmapped(rehearsal, {"dev": deployed}, labels) + list(
        denials(calls, {"dev": deployed}, labels)
    )
    assert not problems, _report(problems, f"dev's {phase}")


def test_the_dev_roles_may_make_every_other_terraform_call(rehearsal: Rehearsal, deployed: LocalAws) -> None:
    """Outputs, state reads and the fresh plans the tests run (no phase above)."""
    phased = {label for labels in PHASES.values() for label in labels} | {"validation"}
    others = sorted({caller.label for caller in deployed.callers.values()} - phased)
    calls = _of_environment(rehearsal, deployed)
    problems = _unmapped(rehearsal, {"dev": deployed}, others) + list(
        denials(calls, {"dev": deployed}, others)
    )
    assert not problems, _report(problems, f"dev's other commands {others}")


def test_the_prod_roles_may_make_every_call_of_their_deploy(
    rehearsal: Rehearsal, deployed_prod: LocalAws
) -> None:
    envs = {"prod": deployed_prod}
    problems = _unmapped(rehearsal, envs, None) + list(
        denials(_of_environment(rehearsal, deployed_prod), envs, None)
    )
    assert not problems, _report(problems, "prod's deploy")


def test_the_rehearsal_saw_every_phase(rehearsal: Rehearsal, environments: dict[str, LocalAws]) -> None:
    """A recording that lost a phase would pass for the wrong reason."""
    callers = {key: caller for aws in environments.values() for key, caller in aws.callers.items()}
    seen = {(callers[key].role_arn.rsplit("-", 1)[-1], callers[key].label) for key, _ in rehearsal.calls}
    expected = {("dev", label) for labels in PHASES.values() for label in labels}
    expected |= {("prod", label) for label in ("apply-infrastructure", "page-token-key", "apply-lambda")}
    assert expected <= seen, f"no recorded call of {sorted(expected - seen)}"


def test_the_deploy_role_may_invoke_every_request_the_validation_signs(
    deployed: LocalAws,
) -> None:
    signed = [
        request for request in deployed.signed_requests if "authorization" in _lower(request["headers"])
    ]
    assert signed, "the validation signed no request"
    api_id = next(
        api["id"]
        for api in deployed.client("apigateway").get_rest_apis()["items"]
        if api["name"].endswith(f"-{deployed.environment}")
    )
    account = deployed.client("sts").get_caller_identity()["Account"]
    role = Policies(deployed)
    problems = []
    for request in signed:
        key = re.search(r"Credential=([^/]+)/", _lower(request["headers"])["authorization"]).group(1)  # type: ignore[union-attr]
        caller = deployed.callers.get(key)
        assert (
            caller is not None
        ), f"{request['method']} {request['path']} was signed by no deploy role session"
        path = urlsplit(request["path"]).path
        resource = f"arn:aws:execute-api:{REGION}:{account}:{api_id}/{deployed.environment}/{request['method']}{path}"
        asked = Request("execute-api:Invoke", resource, {}, caller.role_arn)
        identity, boundary = role.of(caller.role_arn)
        decision = evaluate(asked, identity=identity, boundary=boundary)
        if not decision.allowed:
            problems.append(
                _denied("validation", f"{request['method']} {path}", caller.role_arn, asked, decision)
            )
    assert not problems, _report(problems, "the validation's signed requests")


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}
