"""What a caller asks the service for, validated and typed (no pydantic: read paths import this)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

DEFAULT_PAGE_SIZE = 50
DEFAULT_CURRENCY = "ZAR"
IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60


class ProductDraft(NamedTuple):
    """Validated client fields of a new product."""

    name: str
    description: str
    price: Decimal
    period: str
    currency: str = DEFAULT_CURRENCY
    features: tuple[str, ...] = ()


class ProductChanges(NamedTuple):
    """Validated client fields of a partial update; None is a field not sent (no field may be null)."""

    name: str | None = None
    description: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    period: str | None = None
    features: tuple[str, ...] | None = None
    active: bool | None = None


class IdempotentRequest(NamedTuple):
    """A create sent with an Idempotency-Key: hashes of the key and of the body, and when it was received."""

    key_hash: str
    body_hash: str
    received_at: int = 0

    @property
    def expires_at(self) -> int:
        """When a retry stops getting the first response (epoch seconds)."""
        return self.received_at + IDEMPOTENCY_WINDOW_SECONDS


class VersionCondition(NamedTuple):
    """An If-Match or If-None-Match condition: any version (`*`), or the versions its tags name."""

    any_version: bool
    versions: frozenset[int]

    def matches(self, version: int) -> bool:
        return self.any_version or version in self.versions


class InPlaceChange(NamedTuple):
    """A partial change of fields other than the name, made by `by` at `at` in the write `write_id`, written in
    place if the product's version is one `if_match` names (any version without it)."""

    product_id: str
    changes: ProductChanges
    by: str
    at: str
    if_match: VersionCondition | None = None
    write_id: str = ""


class ListQuery(NamedTuple):
    """A validated GET /v1.0/products query."""

    limit: int = DEFAULT_PAGE_SIZE
    next_token: str | None = None
    sort_by_price: bool = False
    descending: bool = False
    name: str | None = None
