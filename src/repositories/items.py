"""How a product is stored: the DynamoDB items of a product, its name claim and an Idempotency-Key record."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models.commands import IdempotentRequest, ProductChanges
from models.record import WRITES_KEPT, ProductRecord, name_key
from repositories import keys

Item = dict[str, Any]
# The ids of a product's last writes, newest first, one attribute each: an UpdateItem can shift them along
# (a list attribute cannot be trimmed in the same expression that prepends to it).
WRITE_ID_ATTRIBUTES = tuple(f"writeId{n}" for n in range(WRITES_KEPT))


def to_item(product: ProductRecord) -> Item:
    """The DynamoDB item of a product, with its index attributes."""
    item: Item = {
        **keys.item_key(keys.product_pk(product.product_id)),
        "entityType": {"S": keys.ENTITY_PRODUCT},
        "productId": {"S": product.product_id},
        "name": {"S": product.name},
        "description": {"S": product.description},
        "price": {"N": str(product.price)},
        "currency": {"S": product.currency},
        "period": {"S": product.period},
        "features": {"L": [{"S": feature} for feature in product.features]},
        "active": {"BOOL": product.active},
        "createdAt": {"S": product.created_at},
        "updatedAt": {"S": product.updated_at},
        "lastUpdatedBy": {"S": product.last_updated_by},
        "version": {"N": str(product.version)},
        keys.NAME_PK: {"S": name_key(product.name)},
    }
    kept = (product.write_id, *product.earlier_write_ids)
    item.update((name, {"S": write_id}) for name, write_id in zip(WRITE_ID_ATTRIBUTES, kept) if write_id)
    if product.active:  # the price index is sparse: inactive products leave it
        item[keys.PRICE_PK] = {"S": keys.PRICE_PARTITION}
        item[keys.PRICE_SK] = {"S": keys.price_sort_key(product.price, product.product_id)}
    return item


def from_item(item: Item) -> ProductRecord:
    """The product stored in a DynamoDB item."""
    return ProductRecord(
        product_id=item["productId"]["S"],
        name=item["name"]["S"],
        description=item["description"]["S"],
        price=Decimal(item["price"]["N"]),
        currency=item["currency"]["S"],
        period=item["period"]["S"],
        features=tuple(feature["S"] for feature in item["features"]["L"]),
        active=item["active"]["BOOL"],
        created_at=item["createdAt"]["S"],
        updated_at=item["updatedAt"]["S"],
        last_updated_by=item["lastUpdatedBy"]["S"],
        version=int(item["version"]["N"]),
        write_id=_text(item, WRITE_ID_ATTRIBUTES[0]),
        earlier_write_ids=tuple(filter(None, (_text(item, name) for name in WRITE_ID_ATTRIBUTES[1:]))),
    )


def _text(item: Item, name: str) -> str:
    """A string attribute that may be missing (items written before it existed): empty then."""
    return str(item[name]["S"]) if name in item else ""


def recorded_write(write_id: str) -> tuple[list[str], Item]:
    """The SET assignments and values that record `write_id` as a product's newest write in an UpdateItem,
    shifting the ids kept along by one (oldest first: right for any order of evaluation)."""
    names = WRITE_ID_ATTRIBUTES
    assignments = [
        f"#{names[n]} = if_not_exists(#{names[n - 1]}, :noWrite)" for n in range(len(names) - 1, 0, -1)
    ]
    assignments.append(f"#{names[0]} = :writeId")
    return assignments, {":writeId": {"S": write_id}, ":noWrite": {"S": ""}}


def changed_fields(changes: ProductChanges) -> Item:
    """The attribute values of the fields a partial update sends (its name and restore never come here)."""
    sent = {
        "description": changes.description,
        "price": changes.price,
        "currency": changes.currency,
        "period": changes.period,
        "features": changes.features,
        "active": changes.active,
    }
    return {name: _value(value) for name, value in sent.items() if value is not None}


def _value(value: str | Decimal | bool | tuple[str, ...]) -> Item:
    """The DynamoDB attribute value of one client field."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, Decimal):
        return {"N": str(value)}
    if isinstance(value, tuple):
        return {"L": [{"S": member} for member in value]}
    return {"S": value}


def name_claim_item(product: ProductRecord) -> Item:
    """The item that reserves a product's name (as names are compared)."""
    return {
        **keys.item_key(keys.name_claim_pk(product.name)),
        "entityType": {"S": keys.ENTITY_NAME_CLAIM},
        "productId": {"S": product.product_id},
    }


def idempotency_item(idempotent: IdempotentRequest, product: ProductRecord) -> Item:
    """The record of an Idempotency-Key: the body it came with and the product it created, until it
    expires."""
    return {
        **keys.item_key(keys.idempotency_pk(idempotent.key_hash)),
        "entityType": {"S": keys.ENTITY_IDEMPOTENCY},
        "bodyHash": {"S": idempotent.body_hash},
        "product": {"M": to_item(product)},
        keys.TTL_ATTRIBUTE: {"N": str(idempotent.expires_at)},
    }
