"""The stored product, as the service and repository pass it around (no pydantic: read paths import this)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ProductDraft:
    """Validated client fields of a new product."""

    name: str
    description: str
    price: Decimal
    period: str
    currency: str = "ZAR"
    features: tuple[str, ...] = ()


IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class IdempotentRequest:
    """A create sent with an Idempotency-Key: hashes of the key and of the body, and when it was received."""

    key_hash: str
    body_hash: str
    received_at: int = 0

    @property
    def expires_at(self) -> int:
        """When a retry stops getting the first response (epoch seconds)."""
        return self.received_at + IDEMPOTENCY_WINDOW_SECONDS


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

    def to_api(self) -> dict[str, Any]:
        """The product's JSON representation (camelCase)."""
        return {
            "productId": self.product_id,
            "name": self.name,
            "description": self.description,
            "price": self.price,
            "currency": self.currency,
            "period": self.period,
            "features": list(self.features),
            "active": self.active,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "lastUpdatedBy": self.last_updated_by,
            "version": self.version,
        }


@dataclass(frozen=True)
class Page:
    """One page of products and the token of the next page, present only when more exist."""

    products: list[ProductRecord]
    next_token: str | None
