"""Every DynamoDB operation the repository code calls is watched by the table's system-errors alarm and shown on
the dashboard. Both derive their operations from the actions of terraform/functions.json (the infrastructure
stack's `dynamodb_operations`, checked by its terraform test): each action's own operation, and
TransactWriteItems, which IAM authorizes as the writes it carries. So a call is watched once its action is in
the manifest, which its function's role needs anyway."""

from __future__ import annotations

from dynamodb_calls import called_operations
from scripts.function_manifest import load_functions

TRANSACTION_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
}


def watched_operations() -> set[str]:
    """The operations the manifest's actions yield, as the infrastructure stack derives them."""
    actions = {a for fn in load_functions().values() for a in fn.table_actions | fn.index_actions}
    transactions = {"TransactWriteItems"} if actions & TRANSACTION_ACTIONS else set()
    return {action.removeprefix("dynamodb:") for action in actions} | transactions


def test_the_scan_finds_the_calls_the_repository_makes() -> None:
    assert {"GetItem", "Query", "Scan", "TransactWriteItems"} <= called_operations()


def test_every_operation_the_code_calls_is_watched_by_the_alarms() -> None:
    unwatched = called_operations() - watched_operations()
    assert not unwatched, f"no alarm watches {sorted(unwatched)}: add its action to terraform/functions.json"
