"""An in-memory product store with the repository's contract, for fast service and handler tests.

mypy checks it against `ProductStore` (pyproject.toml), and tests/integration/test_store_contract.py runs the
same behaviours against it and against the DynamoDB repository.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TypeVar

from exceptions.product_exceptions import (
    FieldError,
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    UnsettledWrite,
    ValidationFailed,
    WriteConflict,
)
from models.commands import IdempotentRequest, InPlaceChange
from models.record import Page, ProductRecord, Revision, name_key
from services.product_service import ProductStore

T = TypeVar("T")


@dataclass
class FakeProductStore(ProductStore):
    """Products by id and name claims by name key; page tokens are offsets.

    `lose_next_writes` makes saves lose to a simulated concurrent writer; `create_error` makes creates fail so.
    `unsettled_writes` makes that many writes go through as DynamoDB would take them while every answer and the
    read that would settle the outcome are lost: UnsettledWrite. `answer_lost_then` makes the next write go
    through with its answer lost, runs (say another caller's write), and tries the write again, as botocore's
    retry (or the settling read) meets it. `writes` counts the writes made (saves and revisions).
    """

    products: dict[str, ProductRecord] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, ProductRecord, int]] = field(default_factory=dict)
    lose_next_writes: int = 0
    create_error: Exception | None = None
    unsettled_writes: int = 0
    answer_lost_then: Callable[[], None] | None = None
    writes: int = 0

    def find_by_id(self, product_id: str) -> ProductRecord | None:
        return self.products.get(product_id)

    def find_name_owner(self, name: str) -> str | None:
        return self.claims.get(name_key(name))

    def find_idempotent_result(self, key_hash: str, now: int) -> tuple[str, ProductRecord] | None:
        found = self.idempotency.get(key_hash)
        return (found[0], found[1]) if found and found[2] > now else None

    def create(self, product: ProductRecord, idempotent: IdempotentRequest | None = None) -> None:
        self._answered(lambda: self._create(product, idempotent))

    def _create(self, product: ProductRecord, idempotent: IdempotentRequest | None) -> None:
        if self.create_error:
            raise self.create_error
        if _stored_earlier(self.products.get(product.product_id), product):
            return
        if idempotent and self.find_idempotent_result(idempotent.key_hash, idempotent.received_at):
            raise IdempotencyKeyTaken()
        if name_key(product.name) in self.claims:
            raise NameAlreadyTaken("taken")
        self.products[product.product_id] = product
        self.claims[name_key(product.name)] = product.product_id
        if idempotent:
            self.idempotency[idempotent.key_hash] = (idempotent.body_hash, product, idempotent.expires_at)

    def revise(self, change: InPlaceChange) -> Revision:
        return self._answered(lambda: self._revise(change))

    def _revise(self, change: InPlaceChange) -> Revision:
        current = self.products.get(change.product_id)
        if _stored_earlier(current, change):
            return Revision(current, written=True)
        if current is None or (change.if_match is not None and not change.if_match.matches(current.version)):
            return Revision(current, written=False)
        revised = current.revised(change.changes, change.by, change.at, change.write_id)
        if revised is current:
            return Revision(current, written=False)
        self.writes += 1
        self.products[change.product_id] = revised
        return Revision(revised, written=True)

    def save(self, product: ProductRecord, previous: ProductRecord) -> None:
        self._answered(lambda: self._save(product, previous))

    def _save(self, product: ProductRecord, previous: ProductRecord) -> None:
        if _stored_earlier(self.products[product.product_id], product):
            return
        if self.lose_next_writes:
            self.lose_next_writes -= 1
            raise WriteConflict()
        if self.products[product.product_id].version != previous.version:
            raise WriteConflict()
        self.writes += 1
        new_key, old_key = name_key(product.name), name_key(previous.name)
        if new_key != old_key:
            if new_key in self.claims:
                raise NameAlreadyTaken("taken")
            del self.claims[old_key]
            self.claims[new_key] = product.product_id
        self.products[product.product_id] = product

    def _answered(self, write: Callable[[], T]) -> T:
        """Run a write as DynamoDB and botocore would with the answers `unsettled_writes` and
        `answer_lost_then` lose."""
        if self.unsettled_writes:
            self.unsettled_writes -= 1
            with suppress(Exception):
                write()
            raise UnsettledWrite()
        meanwhile, self.answer_lost_then = self.answer_lost_then, None
        if meanwhile is not None:
            with suppress(Exception):
                write()
            meanwhile()
        return write()

    def list_active(self, limit: int, token: str | None) -> Page:
        return _page([p for p in self.products.values() if p.active], limit, token)

    def list_by_price(self, limit: int, descending: bool, token: str | None) -> Page:
        active = [p for p in self.products.values() if p.active]
        return _page(sorted(active, key=lambda p: p.price, reverse=descending), limit, token)

    def list_by_name(self, name: str, limit: int, token: str | None) -> Page:
        named = [p for p in self.products.values() if p.active and name_key(p.name) == name_key(name)]
        return _page(named, limit, token)


def _stored_earlier(found: ProductRecord | None, write: ProductRecord | InPlaceChange) -> bool:
    """As the repository's writes decide it: a write finding its own earlier attempt stored succeeds."""
    return found is not None and found.holds(write)


def _page(products: list[ProductRecord], limit: int, token: str | None) -> Page:
    if token is not None and not (token.isascii() and token.isdigit() and len(token) <= 9):
        # As the repository answers a token it did not issue.
        raise ValidationFailed((FieldError("nextToken", "is not a nextToken this query returned"),))
    start = int(token or 0)
    end = start + limit
    return Page(products[start:end], str(end) if end < len(products) else None)
