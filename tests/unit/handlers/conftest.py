"""Handlers wired, through the composition root, to the service over the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes import FakeProductStore
from services import factory
from services.product_service import ProductService


@pytest.fixture(autouse=True)
def wired(fake_store: FakeProductStore) -> Iterator[ProductService]:
    yield factory.bootstrap(fake_store)
    factory.reset()
