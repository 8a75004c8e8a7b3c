"""Key formats, index names and entity types of the single products table: defined once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models.record import name_key

PRODUCT_PREFIX = "PRODUCT#"
NAME_CLAIM_PREFIX = "PRODUCTNAME#"
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"
METADATA_SK = "METADATA"
ENTITY_PRODUCT = "PRODUCT"
ENTITY_NAME_CLAIM = "PRODUCT_NAME"
ENTITY_IDEMPOTENCY = "IDEMPOTENCY"
TTL_ATTRIBUTE = "expiresAt"
PRICE_INDEX = "ProductsByPriceIndex"
NAME_INDEX = "ProductsByNameIndex"
PRICE_PARTITION = "PRODUCT"
PRICE_DIGITS = 8  # 999999.99 is 99999999 cents
MAX_CENTS = 10**PRICE_DIGITS - 1

# The key attributes of the table and its indexes (terraform/infrastructure/products_table.json declares them).
PK, SK = "PK", "SK"
PRICE_PK, PRICE_SK = "GSI1_PK", "GSI1_SK"
NAME_PK = "GSI2_PK"
TABLE_KEY = (PK, SK)
PRICE_INDEX_KEY = TABLE_KEY + (PRICE_PK, PRICE_SK)
NAME_INDEX_KEY = TABLE_KEY + (NAME_PK,)


def item_key(pk: str) -> dict[str, Any]:
    """The table key (DynamoDB attribute values) of the item with partition key `pk`."""
    return {PK: {"S": pk}, SK: {"S": METADATA_SK}}


def product_pk(product_id: str) -> str:
    """Partition key of a product item."""
    return f"{PRODUCT_PREFIX}{product_id}"


def name_claim_pk(name: str) -> str:
    """Partition key of the item that reserves a name."""
    return f"{NAME_CLAIM_PREFIX}{name_key(name)}"


def price_cents(price: Decimal) -> int:
    """A price in whole cents."""
    return int((price * 100).to_integral_value())


def price_sort_key(price: Decimal, product_id: str) -> str:
    """GSI1 sort key: zero-padded cents, so string order is numeric order."""
    return cents_sort_key(price_cents(price), product_id)


def cents_sort_key(cents: int, product_id: str) -> str:
    """GSI1 sort key from a price already in cents (as a page token carries it)."""
    return f"{cents:0{PRICE_DIGITS}d}#{product_id}"


def idempotency_pk(key_hash: str) -> str:
    """Partition key of the record of an Idempotency-Key."""
    return f"{IDEMPOTENCY_PREFIX}{key_hash}"
