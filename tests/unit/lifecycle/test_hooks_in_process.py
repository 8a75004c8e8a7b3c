"""The hooks in this process (tests/unit/lifecycle/test_snapstart.py runs them as Lambda does, in fresh
interpreters): a prime never reaches botocore's HTTP send, and the restore hooks leave a working service."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.endpoint import Endpoint

from lifecycle import snapstart
from repositories import aws_clients
from services import factory


@pytest.fixture(autouse=True)
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    sent: list[str] = []

    def send(self: Endpoint, request: Any) -> None:
        sent.append(request.url)
        raise AssertionError("a SnapStart hook reached the network")

    monkeypatch.setattr(Endpoint, "_send", send)
    monkeypatch.setattr(snapstart, "_next_start", snapstart.COLD_START)
    yield sent
    factory.reset()


@pytest.mark.parametrize("operation", ["update_product", "list_products"])
def test_priming_builds_the_service_without_a_send(operation: str, fresh_container: list[str]) -> None:
    snapstart.prime(operation)
    assert factory.bootstrapped() and fresh_container == []
    assert snapstart.take_start() == snapstart.COLD_START  # the prime leaves the cold-start flag alone


def test_the_restore_hooks_reseed_drop_connections_and_mark_the_restore() -> None:
    snapstart.prime("get_product")
    snapstart.freeze_garbage()
    gc.unfreeze()
    state = random.getstate()
    for hook in (snapstart.reseed_random, aws_clients.drop_connections, factory.forget_page_token_keys):
        hook()
    snapstart.mark_restore()
    assert random.getstate() != state
    assert (snapstart.take_start(), snapstart.take_start()) == (snapstart.RESTORE, snapstart.WARM)
