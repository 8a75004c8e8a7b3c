"""Sample request bodies, stored products and page tokens for tests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from models.commands import IdempotentRequest
from models.record import ProductRecord
from repositories.page_token import PageTokens
from scripts.local_server.table import create_table
from utils.settings import get_settings

FIXED_NOW = "2026-01-02T03:04:05.000Z"  # the service fixture's clock


def product_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body with a unique name; override any field."""
    body: dict[str, Any] = {
        "name": f"Plan {uuid.uuid4().hex[:10]}",
        "description": "A website plan for a small business.",
        "price": Decimal("95.50"),
        "period": "monthly",
        "features": ["Free SSL certificate", "Email support"],
    }
    body.update(overrides)
    return body


def to_json(body: Any) -> str:
    """JSON text of a request body; Decimals become numbers (prices have at most 8 significant digits)."""
    return json.dumps(body, default=lambda value: float(value) if isinstance(value, Decimal) else str(value))


def product_record(name: str = "Entry Plan", price: str = "95.00", active: bool = True) -> ProductRecord:
    """A stored product with a fresh id; override the name, price or active flag."""
    return ProductRecord(
        product_id=str(uuid.uuid4()),
        name=name,
        description="A one-page website for a new business.",
        price=Decimal(price),
        currency="ZAR",
        period="monthly",
        features=("One-page website",),
        active=active,
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        last_updated_by="anonymous",
        version=1,
    )


def keyed(body_hash: str = "body-1", received_at: int = 1_000) -> IdempotentRequest:
    """A create's Idempotency-Key record request (key "key-1")."""
    return IdempotentRequest(key_hash="key-1", body_hash=body_hash, received_at=received_at)


def page_tokens(clock: Callable[[], float] = time.time) -> PageTokens:
    """Page tokens under the session's secret (the one the factory and the local server read), at a chosen
    clock: to make tokens the server accepts, or expired ones."""
    secret = get_settings().page_token_secret
    assert secret is not None
    return PageTokens(secret, clock=clock)


def fresh_table(client: Any) -> None:
    """Drop and re-create the products table on moto's server: a few calls, where deleting what earlier tests
    left took one call per item."""
    table = get_settings().table_name
    client.delete_table(TableName=table)
    create_table(client, table)


def escaped(text: str) -> str:
    """A JSON string literal of `text` with every character as a `\\u` escape (a pair for astral characters):
    the longest spelling JSON allows, 12 bytes for one astral character."""
    units = text.encode("utf-16-be")
    return '"' + "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2)) + '"'


# Every field at its longest (src/models/product.py), for the largest body a valid product can be.
LONGEST_PRICE = "1." + "0" * 38  # 40 characters, the longest number the API reads; it is 1.00
LONGEST = {"name": 100, "description": 500, "period": 100, "feature": 200, "features": 20}


def worst_case_body(name_character: str, text_character: str, active: bool = False) -> bytes:
    """The largest body of a valid product: every field at its longest in characters whose escapes are longest,
    every key and the currency escaped too, compact. `active` adds the one field only an update takes."""
    fields = {
        "name": escaped(name_character * LONGEST["name"]),
        "description": escaped(text_character * LONGEST["description"]),
        "price": LONGEST_PRICE,
        "currency": escaped("ZAR"),
        "period": escaped(text_character * LONGEST["period"]),
        "features": "["
        + ",".join([escaped(text_character * LONGEST["feature"])] * LONGEST["features"])
        + "]",
    }
    if active:
        fields["active"] = "false"
    return ("{" + ",".join(f"{escaped(key)}:{value}" for key, value in fields.items()) + "}").encode()
