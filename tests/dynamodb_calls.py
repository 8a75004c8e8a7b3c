"""The DynamoDB operations the repository code calls, found statically: what the alarms must watch."""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
from botocore import xform_name

REPOSITORIES = Path(__file__).resolve().parents[1] / "src" / "repositories"


def called_operations() -> set[str]:
    """The DynamoDB operations src/repositories names as client methods (`client.get_item`), by API name."""
    model = botocore.session.get_session().get_service_model("dynamodb")
    by_method = {xform_name(operation): operation for operation in model.operation_names}
    called = set()
    for path in REPOSITORIES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in by_method:
                called.add(by_method[node.attr])
    return called
