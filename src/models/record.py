"""The stored product and its rules: how it is created, revised and deactivated (no pydantic: read paths
import this)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import NamedTuple, TypeVar

from models.commands import InPlaceChange, ProductChanges, ProductDraft

T = TypeVar("T")


_WHITESPACE_RUN = re.compile(r"\s+")
# DynamoDB keys are at most 2,048 bytes. The name key is GSI2's partition key and, after the 12-byte prefix
# "PRODUCTNAME#" (repositories/keys.py), the name claim's: NFKC can write one character as 18 (U+FDFA).
MAX_NAME_KEY_BYTES = 2048 - len("PRODUCTNAME#")
# A write knows its own attempt by its id among the product's last writes: an attempt whose answer was lost is
# recognised as long as fewer than this many writes of others followed it before its retry or settling read
# (seconds; a product takes a handful of writes in that time at most).
WRITES_KEPT = 8


def name_key(name: str) -> str:
    """The identity of a product name as a person reads it: two products may not share one.

    NFKC folds compatibility forms (full-width letters, ligatures, superscripts, Kelvin and Ohm signs) into plain
    ones, full case folding makes `ß` and `SS` one, and every whitespace run counts as one space. NFKC runs again
    after folding because folding can un-normalize (so the key of a key is itself).
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return _WHITESPACE_RUN.sub(" ", folded).strip()


def name_key_problem(name: str) -> str | None:
    """Why `name` cannot be stored (its key is too long for a DynamoDB key), or None when it can."""
    size = len(name_key(name).encode())
    if size <= MAX_NAME_KEY_BYTES:
        return None
    return (
        f"is too long once compared as names are (NFKC expands some characters, such as U+FDFA, into many): "
        f"{size} bytes of UTF-8, at most {MAX_NAME_KEY_BYTES} bytes"
    )


def _sent_or(value: T | None, current: T) -> T:
    return current if value is None else value


@dataclass(frozen=True)
class ProductRecord:
    """A product as stored, including the fields the server sets."""

    product_id: str
    name: str
    description: str
    price: Decimal
    currency: str
    period: str
    features: tuple[str, ...]
    active: bool
    created_at: str
    updated_at: str
    last_updated_by: str
    version: int
    write_id: str = ""  # the write that made this version (not part of the API)
    earlier_write_ids: tuple[str, ...] = ()  # the writes before it, newest first, WRITES_KEPT in all

    @classmethod
    def new(cls, product_id: str, draft: ProductDraft, by: str, at: str, write_id: str = "") -> ProductRecord:
        """A new active product at version 1, created by `by` at `at` in the write `write_id`."""
        return cls(
            product_id=product_id,
            name=draft.name,
            description=draft.description,
            price=draft.price,
            currency=draft.currency,
            period=draft.period,
            features=draft.features,
            active=True,
            created_at=at,
            updated_at=at,
            last_updated_by=by,
            version=1,
            write_id=write_id,
        )

    def revised(self, changes: ProductChanges, by: str, at: str, write_id: str = "") -> ProductRecord:
        """This product with `changes` made by `by` at `at` in the write `write_id` (the next version); itself
        if nothing differs."""
        changed = replace(
            self,
            name=_sent_or(changes.name, self.name),
            description=_sent_or(changes.description, self.description),
            price=_sent_or(changes.price, self.price),
            currency=_sent_or(changes.currency, self.currency),
            period=_sent_or(changes.period, self.period),
            features=_sent_or(changes.features, self.features),
            active=_sent_or(changes.active, self.active),
        )
        if changed == self:
            return self
        return replace(
            changed,
            updated_at=at,
            last_updated_by=by,
            version=self.version + 1,
            write_id=write_id,
            earlier_write_ids=self.write_ids()[: WRITES_KEPT - 1],
        )

    def restored(self, changes: ProductChanges, by: str, at: str, write_id: str = "") -> ProductRecord:
        """This product made active again by `by` at `at`, with any other `changes` (one new version); itself
        if it is active and nothing else differs."""
        return self.revised(changes._replace(active=True), by, at, write_id)

    def write_ids(self) -> tuple[str, ...]:
        """The ids of the last writes of this product, newest first (writes made without one left out)."""
        return tuple(write_id for write_id in (self.write_id, *self.earlier_write_ids) if write_id)

    def holds(self, write: ProductRecord | InPlaceChange) -> bool:
        """Whether `write` has been applied to this product (say by an earlier attempt whose answer was lost),
        also when other writes followed it: its id is among the product's last writes. A write without an id
        is held only where this product is its result: the product it stores, or the fields a change sets and
        its stamps."""
        if write.write_id:
            return write.write_id in self.write_ids()
        if isinstance(write, ProductRecord):
            return self == write
        stamped = self.updated_at == write.at and self.last_updated_by == write.by
        return stamped and self.revised(write.changes, write.by, write.at) is self


class Revision(NamedTuple):
    """The outcome of a conditional change made in place: the product after the change when `written` (also
    when an earlier attempt of this very change was stored), else the product as it stood when the condition
    failed (None: there is no such product)."""

    product: ProductRecord | None
    written: bool


class Page(NamedTuple):
    """One page of products and the token of the next page, present only when more exist."""

    products: list[ProductRecord]
    next_token: str | None
