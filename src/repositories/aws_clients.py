"""Every AWS client the container makes is made here, so the SnapStart hooks (`lifecycle.snapstart`) can answer
their calls in process while priming them before the snapshot, and drop their pooled connections after a
restore (a connection copied into many restored containers is no connection at all)."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Literal

import boto3
from botocore.client import BaseClient
from botocore.config import Config

# botocore `before-send` handler: returns the response instead of sending the request.
Answer = Callable[..., Any]

_made: weakref.WeakSet[BaseClient] = weakref.WeakSet()
_answer: Answer | None = None


def new_client(
    service: Literal["dynamodb", "secretsmanager"], region: str, endpoint_url: str | None, config: Config
) -> Any:
    """A client of `service`, in a session of its own (boto3's default session is not thread-safe)."""
    client = boto3.session.Session().client(
        service, region_name=region, endpoint_url=endpoint_url, config=config
    )
    _made.add(client)
    if _answer is not None:
        client.meta.events.register("before-send", _answer)
    return client


def made() -> list[BaseClient]:
    """The clients the container made (in no particular order)."""
    return list(_made)


@contextlib.contextmanager
def answered_by(answer: Answer) -> Iterator[None]:
    """Within the block, `answer` answers every call of every client, those made inside it included: nothing
    reaches the network."""
    global _answer
    _answer = answer
    clients = made()
    for client in clients:
        client.meta.events.register("before-send", answer)
    try:
        yield
    finally:
        _answer = None
        for client in made():
            client.meta.events.unregister("before-send", answer)


def drop_connections() -> None:
    """Close every client's pooled connections; each client opens new ones on its next call."""
    for client in made():
        client.close()
