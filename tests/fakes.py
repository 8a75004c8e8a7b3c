"""An in-memory product store with the repository's contract, for fast service and handler tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from exceptions.product_exceptions import IdempotencyKeyTaken, NameAlreadyTaken, WriteConflict
from models.commands import IdempotentRequest
from models.record import Page, ProductRecord, name_key


@dataclass
class FakeProductStore:
    """Products by id and name claims by name key.

    `lose_next_writes` makes saves lose to a simulated concurrent writer; `create_error` makes creates fail so.
    """

    products: dict[str, ProductRecord] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, ProductRecord, int]] = field(default_factory=dict)
    lose_next_writes: int = 0
    create_error: Exception | None = None
    saves: int = 0

    def find_by_id(self, product_id: str) -> ProductRecord | None:
        return self.products.get(product_id)

    def find_name_owner(self, name: str) -> str | None:
        return self.claims.get(name_key(name))

    def find_idempotent_result(self, key_hash: str, now: int) -> tuple[str, ProductRecord] | None:
        found = self.idempotency.get(key_hash)
        return (found[0], found[1]) if found and found[2] > now else None

    def create(self, product: ProductRecord, idempotent: IdempotentRequest | None = None) -> None:
        if self.create_error:
            raise self.create_error
        if idempotent and self.find_idempotent_result(idempotent.key_hash, idempotent.received_at):
            raise IdempotencyKeyTaken()
        if name_key(product.name) in self.claims:
            raise NameAlreadyTaken("taken")
        self.products[product.product_id] = product
        self.claims[name_key(product.name)] = product.product_id
        if idempotent:
            self.idempotency[idempotent.key_hash] = (idempotent.body_hash, product, idempotent.expires_at)

    def save(self, product: ProductRecord, previous: ProductRecord) -> None:
        self.saves += 1
        if self.lose_next_writes:
            self.lose_next_writes -= 1
            raise WriteConflict()
        if self.products[product.product_id].version != previous.version:
            raise WriteConflict()
        new_key, old_key = name_key(product.name), name_key(previous.name)
        if new_key != old_key:
            if new_key in self.claims:
                raise NameAlreadyTaken("taken")
            del self.claims[old_key]
            self.claims[new_key] = product.product_id
        self.products[product.product_id] = product

    def _active(self) -> list[ProductRecord]:
        return [p for p in self.products.values() if p.active]

    def list_active(self, limit: int, token: str | None) -> Page:
        return Page(self._active()[:limit], None)

    def list_by_price(self, limit: int, descending: bool, token: str | None) -> Page:
        ordered = sorted(self._active(), key=lambda p: p.price, reverse=descending)
        return Page(ordered[:limit], None)

    def list_by_name(self, name: str, limit: int, token: str | None) -> Page:
        return Page([p for p in self._active() if name_key(p.name) == name_key(name)][:limit], None)
