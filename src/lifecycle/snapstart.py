"""Lambda SnapStart's runtime hooks: what runs before Lambda snapshots an initialised version, and after it
restores that snapshot into a new execution environment (terraform `snap_start`; docs/PERFORMANCE.md).

Before the snapshot (Lambda runs these hooks in reverse order of registration): build the service with every
client it may use (the DynamoDB client, its one-attempt twin that settles lost writes, and Secrets Manager's
for a function that reads a secret), prime one call of each operation the function's manifest entry allows,
answered in process by a botocore `before-send` handler (no network, nothing written, no log line, no metric,
the cold-start flag untouched), then collect and freeze the garbage collector's generations.

After a restore (in order of registration): reseed `random` (botocore's retry jitter draws from it, and every
restore of one snapshot would draw the same numbers), drop pooled connections, have the page tokens read their
keys afresh (the prime read a canned one), and mark the next request as the first after a restore.

The hooks library is the Lambda Python runtime's (`snapshot_restore_py`, never packaged with the functions);
without it (the local server) registering does nothing.
"""

from __future__ import annotations

import gc
import importlib
import json
import random
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from botocore import xform_name

from metrics.emf import MANIFEST_FILE
from repositories import aws_clients, keys
from services import factory
from utils.settings import get_settings

try:
    from snapshot_restore_py import (  # type: ignore[import-untyped]
        register_after_restore,
        register_before_snapshot,
    )
except ImportError:  # pragma: no cover - outside Lambda: no snapshots, nothing to register

    def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return func

    register_after_restore = register_before_snapshot


class Start(NamedTuple):
    """How a request found its execution environment."""

    cold_start: bool  # initialised on demand for it
    restore: bool  # resumed from a SnapStart snapshot for it


COLD_START, RESTORE, WARM = Start(True, False), Start(False, True), Start(False, False)
_next_start = COLD_START

# Item writes a function may make are also what its transactions (create, rename) need.
ITEM_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
# The store's sides, imported on first use (repositories.product_repository), by the operations they call.
STORE_SIDES = {"repositories.writes": ITEM_WRITES, "repositories.lists": frozenset({"Scan", "Query"})}
# What the prime's canned Secrets Manager answer holds: a key no restored container ever seals with.
PRIMED_SECRET = "primed before the snapshot; read afresh after every restore"
_ANSWERS: dict[str, dict[str, Any]] = {"GetSecretValue": {"SecretString": PRIMED_SECRET, "CreatedDate": 0}}


def take_start() -> Start:
    """How the request about to run found its environment; every later request finds it warm."""
    global _next_start
    start, _next_start = _next_start, WARM
    return start


def register(operation: str) -> None:
    """Register the before-snapshot hooks of function `operation` (its handler's `api_handler` calls this)."""
    register_before_snapshot(freeze_garbage)  # registered first: runs last
    register_before_snapshot(prime, operation)


def allowed_operations(operation: str) -> dict[str, tuple[str, ...]]:
    """Per AWS service, the API operations function `operation`'s manifest entry allows it."""
    with open(MANIFEST_FILE, encoding="utf-8") as file:
        function = json.load(file)[operation]
    dynamodb = [
        action.partition(":")[2] for action in (*function["table_actions"], *function["index_actions"])
    ]
    if ITEM_WRITES.intersection(dynamodb):
        dynamodb.append("TransactWriteItems")
    return {"dynamodb": tuple(dynamodb), "secretsmanager": ("GetSecretValue",) if function["secrets"] else ()}


def prime(operation: str) -> None:
    """Build the service and make one call of every allowed operation on every client, answered in process."""
    allowed = allowed_operations(operation)
    requests = _requests(get_settings().table_name)
    with aws_clients.answered_by(_canned_answer):
        factory.bootstrap(settling_client=bool(ITEM_WRITES.intersection(allowed["dynamodb"])))
        for client in aws_clients.made():
            for name in allowed.get(client.meta.service_model.service_name, ()):
                getattr(client, xform_name(name))(**requests[name])
    for module, operations in STORE_SIDES.items():
        if operations.intersection(allowed["dynamodb"]):
            importlib.import_module(module)


def freeze_garbage() -> None:
    """Collect, then keep everything initialisation built out of the collector's later walks."""
    gc.collect()
    gc.freeze()


def reseed_random() -> None:
    """Give this environment its own `random` state (from the kernel): the snapshot's is every restore's."""
    random.seed()


def mark_restore() -> None:
    """The next request is the first of an environment restored from a snapshot."""
    global _next_start
    _next_start = RESTORE


def _requests(table: str) -> dict[str, dict[str, Any]]:
    """A valid request of each operation the prime may call (the answers are canned, so any will do)."""
    key = keys.item_key(keys.product_pk("00000000-0000-4000-8000-000000000000"))
    return {
        "GetItem": {"TableName": table, "Key": key},
        "PutItem": {"TableName": table, "Item": key},
        "UpdateItem": {"TableName": table, "Key": key},
        "DeleteItem": {"TableName": table, "Key": key},
        "Query": {"TableName": table},
        "Scan": {"TableName": table},
        "TransactWriteItems": {"TransactItems": [{"Put": {"TableName": table, "Item": key}}]},
        "GetSecretValue": {"SecretId": "primed-before-the-snapshot"},
    }


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _canned_answer(request: Any, event_name: str, **_: Any) -> Any:
    """botocore `before-send`: answer the request in process with an empty success (Secrets Manager: a key)."""
    from botocore.awsrequest import AWSResponse

    body = json.dumps(_ANSWERS.get(event_name.rpartition(".")[2], {})).encode()
    headers: Any = {"Content-Length": str(len(body))}
    return AWSResponse(request.url, 200, headers, _Body(body))


for _hook in (reseed_random, aws_clients.drop_connections, factory.forget_page_token_keys, mark_restore):
    register_after_restore(_hook)
