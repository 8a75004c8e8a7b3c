"""AWS's documented policy evaluation logic, for one request within one account.

IAM User Guide, "Policy evaluation logic" and "Policy evaluation for requests within a single account":

1. An explicit Deny in any policy that applies (identity-based, permissions boundary, resource-based) ends it.
2. A resource-based policy's Allow:
   - to a service principal ("Service": "apigateway.amazonaws.com") or to everyone ("*"): allowed;
   - to the caller's role ARN: allowed only if the permissions boundary also allows (a grant to a role ARN,
     unlike one to a role session, is limited by the boundary);
   - to the account ("AWS": "<account id>" or its root ARN): only delegates to the account's IAM policies,
     so the identity-based policies must allow.
3. Otherwise an identity-based Allow, and, when the identity has a permissions boundary, an Allow in it too.
4. Otherwise the implicit deny. `Decision.reason` names what is missing, and any statement that came close.

Statements: Effect, Action/NotAction (case-insensitive, * and ?), Resource/NotResource (ARNs case-sensitive;
each of the first five colon-separated parts matched on its own, the resource part with * spanning colons, as
AWS documents for a trailing * in a segment), Principal/NotPrincipal (resource policies), Condition (operators
AND, keys AND, values OR, negated operators NOR; keys case-insensitive; a missing key fails a condition except
for negated operators, ...IfExists, Null and ForAllValues:, as "IAM JSON policy elements: Condition operators"
says). Policy variables (${aws:username} and the like, ${*}, ${?}, ${$}) are filled from the request context.

Not modelled (not used by this project's policies): SCPs and RCPs, session policies, cross-account requests,
KMS's rule that a key policy must delegate to the account before IAM policies count, IpAddress and Binary
operators (refused with ValueError rather than guessed).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class Request:
    """One authorization: the IAM action, the ARN AWS authorizes it against, the condition context, and the
    caller (a role ARN, not its session; or a service principal such as "apigateway.amazonaws.com")."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal: str = ""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def evaluate(
    request: Request,
    *,
    identity: Sequence[Mapping[str, Any]] = (),
    boundary: Mapping[str, Any] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
) -> Decision:
    """Allow or deny `request` as AWS would, given parsed policy documents."""
    context = {key.lower(): _as_list(value) for key, value in request.context.items()}
    denial = _explicit_deny(request, context, identity, boundary, resource_policy)
    if denial:
        return denial
    granted_by_resource = _resource_grant(request, context, resource_policy)
    if granted_by_resource == "unlimited":
        return Decision(True, f"allowed by the resource policy to {request.principal}")
    boundary_allows = boundary is None or _allows(boundary, request, context, False)
    if granted_by_resource == "role" and boundary_allows:
        return Decision(True, "allowed by the resource policy to the role, within its permissions boundary")
    identity_allows = any(_allows(policy, request, context, False) for policy in identity)
    if identity_allows and boundary_allows:
        return Decision(
            True, "allowed by the identity policies" + (" within the boundary" if boundary else "")
        )
    on = f"{request.action} on {request.resource}"
    if granted_by_resource == "role" or identity_allows:
        return Decision(
            False, f"the permissions boundary allows no {on}{_misses(boundary, request, context)}"
        )
    return Decision(
        False, _nothing_allows(request, context, identity, boundary_allows, boundary, resource_policy)
    )


def _explicit_deny(
    request: Request,
    context: Mapping[str, list[str]],
    identity: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None,
    resource_policy: Mapping[str, Any] | None,
) -> Decision | None:
    """The first Deny statement, in any policy, that applies to the request."""
    sources = [(f"identity policy {index + 1}", policy, False) for index, policy in enumerate(identity)]
    if boundary is not None:
        sources.append(("permissions boundary", boundary, False))
    if resource_policy is not None:
        sources.append(("resource policy", resource_policy, True))
    for label, policy, has_principal in sources:
        for number, statement in enumerate(statements(policy)):
            if _effect(statement) == "deny" and _applies(statement, request, context, has_principal):
                return Decision(False, f"denied by statement {_name(statement, number)} of the {label}")
    return None


def _nothing_allows(
    request: Request,
    context: Mapping[str, list[str]],
    identity: Sequence[Mapping[str, Any]],
    boundary_allows: bool,
    boundary: Mapping[str, Any] | None,
    resource_policy: Mapping[str, Any] | None,
) -> str:
    """The reason of an implicit deny: the policy that should have allowed, and the statements that nearly did."""
    on = f"{request.action} on {request.resource}"
    if not identity and resource_policy is not None:
        near = _misses(resource_policy, request, context, True)
        return f"the resource policy grants {request.principal or 'the caller'} no {on}{near}"
    near = "".join(_misses(policy, request, context) for policy in identity)
    reason = f"no Allow in the identity policies for {on}{near}"
    if not boundary_allows:
        reason += f"; the permissions boundary allows none either{_misses(boundary, request, context)}"
    return reason


def read_policy(document: str | Mapping[str, Any]) -> dict[str, Any]:
    """A policy document as the APIs hand it back: a dict, JSON text, or URL-encoded JSON (IAM's raw answers)."""
    if isinstance(document, Mapping):
        return dict(document)
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise ValueError(f"a policy document is a JSON object, not {type(parsed).__name__}")
    return parsed


def statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A policy's statements: "Statement" may be one object or a list."""
    found = policy.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


# ---------------------------------------------------------------------------------------------------------------
# Statements


def _effect(statement: Mapping[str, Any]) -> str:
    return str(statement.get("Effect", "")).lower()


def _name(statement: Mapping[str, Any], number: int) -> str:
    return str(statement.get("Sid") or f"#{number + 1}")


def _applies(
    statement: Mapping[str, Any], request: Request, context: Mapping[str, list[str]], has_principal: bool
) -> bool:
    return (
        _action_matches(statement, request.action)
        and _resource_matches(statement, request.resource, context)
        and (not has_principal or _principal_match(statement, request.principal) is not None)
        and not _failed_conditions(statement.get("Condition", {}), context)
    )


def _allows(
    policy: Mapping[str, Any], request: Request, context: Mapping[str, list[str]], has_principal: bool
) -> bool:
    return any(
        _effect(statement) == "allow" and _applies(statement, request, context, has_principal)
        for statement in statements(policy)
    )


def _resource_grant(
    request: Request, context: Mapping[str, list[str]], policy: Mapping[str, Any] | None
) -> str | None:
    """How the resource policy grants the request on its own: "unlimited" (service principal or "*"), "role"
    (the role's ARN: the boundary still applies), or None (no grant, or only to the account)."""
    kinds = set()
    for statement in statements(policy or {}):
        if _effect(statement) == "allow" and _applies(statement, request, context, True):
            kinds.add(_principal_match(statement, request.principal))
    if kinds & {"service", "everyone"}:
        return "unlimited"
    return "role" if "role" in kinds else None


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(
            _glob(pattern, action, ignore_case=True) for pattern in _as_list(statement["NotAction"])
        )
    return any(_glob(pattern, action, ignore_case=True) for pattern in _as_list(statement.get("Action", [])))


def _resource_matches(statement: Mapping[str, Any], resource: str, context: Mapping[str, list[str]]) -> bool:
    if "NotResource" in statement:
        return not any(arn_like(_fill(p, context), resource) for p in _as_list(statement["NotResource"]))
    if "Resource" not in statement:
        return True  # resource policies may leave it out: the resource they are attached to
    return any(arn_like(_fill(p, context), resource) for p in _as_list(statement["Resource"]))


def _principal_match(statement: Mapping[str, Any], principal: str) -> str | None:
    """How a statement's Principal (or NotPrincipal) names the caller: "everyone", "service", "role",
    "account", or None when it does not."""
    if "NotPrincipal" in statement:
        return None if _principal_kind(statement["NotPrincipal"], principal) else "everyone"
    return _principal_kind(statement.get("Principal"), principal)


def _principal_kind(spec: Any, principal: str) -> str | None:
    if spec == "*":
        return "everyone"
    if not isinstance(spec, Mapping):
        return None
    for kind, values in spec.items():
        for value in _as_list(values):
            if kind == "AWS" and value == "*":
                return "everyone"
            if kind == "Service" and value.lower() == principal.lower():
                return "service"
            if kind == "AWS" and value == principal:
                return "role"
            if kind == "AWS" and _names_account(value) and _account_of(value) == _account_of(principal):
                return "account"
    return None


def _names_account(value: str) -> bool:
    """ "AWS": "123456789012" and "AWS": "arn:aws:iam::123456789012:root" both name the account itself."""
    return (
        re.fullmatch(r"\d{12}", value) is not None
        or re.fullmatch(r"arn:[^:]+:iam::\d{12}:root", value) is not None
    )


def _account_of(arn_or_account: str) -> str:
    """The account a principal belongs to: "123456789012", "arn:aws:iam::123456789012:root" or a role ARN."""
    if re.fullmatch(r"\d{12}", arn_or_account):
        return arn_or_account
    parts = arn_or_account.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[2] == "iam" else ""


def _misses(
    policy: Mapping[str, Any] | None,
    request: Request,
    context: Mapping[str, list[str]],
    has_principal: bool = False,
) -> str:
    """Why the Allow statements that name the action did not allow the request, for the reason."""
    notes = []
    for number, statement in enumerate(statements(policy or {})):
        if _effect(statement) != "allow" or not _action_matches(statement, request.action):
            continue
        name = _name(statement, number)
        if has_principal and _principal_match(statement, request.principal) is None:
            notes.append(f"statement {name} names another principal")
        elif not _resource_matches(statement, request.resource, context):
            where = statement.get("Resource", statement.get("NotResource"))
            notes.append(f"statement {name} allows it only on {where}")
        elif failed := _failed_conditions(statement.get("Condition", {}), context):
            notes.append(f"statement {name} matches but its condition {failed[0]}")
        elif has_principal:
            notes.append(f"statement {name} grants it only to the account, whose IAM policies must allow it")
    return f" ({'; '.join(notes)})" if notes else ""


# ---------------------------------------------------------------------------------------------------------------
# Conditions


def _failed_conditions(block: Mapping[str, Any], context: Mapping[str, list[str]]) -> list[str]:
    """Each condition of a statement that does not hold, described; empty when all hold."""
    failed = []
    for operator, keys in block.items():
        for key, values in keys.items():
            wanted = [_fill(value, context) for value in _as_list(values)]
            present = context.get(key.lower())
            if not condition_holds(operator, wanted, present):
                seen = "absent" if present is None else repr(present[0] if len(present) == 1 else present)
                failed.append(f"{operator} {key} {wanted} fails on {seen}")
    return failed


def condition_holds(operator: str, wanted: Sequence[str], present: Sequence[str] | None) -> bool:
    """One operator and key: the policy's values against the request's (None: the key is not in the context)."""
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base == "Null":
        return any((value.lower() == "true") == (present is None) for value in wanted)
    if present is None:
        if if_exists or qualifier:
            return if_exists or qualifier == "ForAllValues"
        return _negated(base)
    matches = _operator(base)
    negated = _negated(base)

    def holds(value: str) -> bool:
        found = any(matches(pattern, value) for pattern in wanted)
        return not found if negated else found

    if qualifier == "ForAllValues":
        return all(holds(value) for value in present)
    if qualifier == "ForAnyValue":
        return any(holds(value) for value in present)
    if qualifier:
        raise ValueError(f"unknown set operator {qualifier!r} in {operator!r}")
    if negated:
        return all(holds(value) for value in present)
    return any(holds(value) for value in present)


def _negated(base: str) -> bool:
    return "Not" in base


def _operator(base: str) -> Callable[[str, str], bool]:
    positive = base.replace("Not", "")
    if positive in _OPERATORS:
        return _OPERATORS[positive]
    raise ValueError(f"condition operator {base!r} is not modelled")


def _numbers(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(pattern: str, value: str) -> bool:
        try:
            return compare(float(value), float(pattern))
        except ValueError:
            return False

    return match


def _dates(compare: Callable[[datetime, datetime], bool]) -> Callable[[str, str], bool]:
    def match(pattern: str, value: str) -> bool:
        try:
            return compare(_date(value), _date(pattern))
        except ValueError:
            return False

    return match


def _date(text: str) -> datetime:
    """ISO 8601 or epoch seconds, as AWS accepts in Date conditions."""
    if re.fullmatch(r"\d+", text):
        return datetime.fromtimestamp(int(text), tz=timezone.utc)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda pattern, value: _plain(pattern) == value,
    "StringEqualsIgnoreCase": lambda pattern, value: _plain(pattern).lower() == value.lower(),
    "StringLike": lambda pattern, value: _glob(pattern, value),
    "ArnEquals": lambda pattern, value: arn_like(pattern, value),
    "ArnLike": lambda pattern, value: arn_like(pattern, value),
    "Bool": lambda pattern, value: pattern.lower() == value.lower(),
    "NumericEquals": _numbers(lambda value, pattern: value == pattern),
    "NumericLessThan": _numbers(lambda value, pattern: value < pattern),
    "NumericLessThanEquals": _numbers(lambda value, pattern: value <= pattern),
    "NumericGreaterThan": _numbers(lambda value, pattern: value > pattern),
    "NumericGreaterThanEquals": _numbers(lambda value, pattern: value >= pattern),
    "DateEquals": _dates(lambda value, pattern: value == pattern),
    "DateLessThan": _dates(lambda value, pattern: value < pattern),
    "DateLessThanEquals": _dates(lambda value, pattern: value <= pattern),
    "DateGreaterThan": _dates(lambda value, pattern: value > pattern),
    "DateGreaterThanEquals": _dates(lambda value, pattern: value >= pattern),
}


# ---------------------------------------------------------------------------------------------------------------
# Matching


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike (and Resource) matching: "*" matches everything; otherwise each of the first five colon-separated
    parts (arn, partition, service, region, account) on its own, then the resource part, where * spans colons.
    """
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    given = arn.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return False
    return all(_glob(part, value) for part, value in zip(wanted, given, strict=True))


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """* any run of characters, ? exactly one; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(_plain(c)) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


_VARIABLE = re.compile(r"\$\{([^}]+)\}")
# ${*} and ${?} stand for the characters themselves, not wildcards: kept apart (private-use code points) until
# matched.
_LITERALS = {"*": "\ue000", "?": "\ue001", "$": "$"}


def _plain(text: str) -> str:
    return text.replace("\ue000", "*").replace("\ue001", "?")


def _fill(text: str, context: Mapping[str, list[str]]) -> str:
    """Policy variables: ${key} from the context (left as is when absent), ${*} ${?} ${$} as literals."""

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name in _LITERALS:
            return _LITERALS[name]
        key, _, default = name.partition(",")
        values = context.get(key.strip().lower())
        if values:
            return values[0]
        return default.strip().strip("'") if default else found.group(0)

    return _VARIABLE.sub(value, text)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, (int, float)):
        return [str(value)]
    if isinstance(value, Iterable):
        return [_as_list(item)[0] for item in value]
    raise ValueError(f"not a policy value: {value!r}")
