"""Every DynamoDB call of the service: product items, name claims, and the three list paths."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from exceptions.product_exceptions import (
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    StoreUnavailable,
    WriteConflict,
)
from models.commands import IdempotentRequest
from models.record import Page, ProductRecord, name_key
from repositories import keys
from repositories.page_token import decode_token, encode_token

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Item = dict[str, Any]

_UNAVAILABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
}
_THROTTLED_REASONS = {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
_ACTIVE_PRODUCTS = "#entityType = :product AND #active = :true"
_ABSENT = "attribute_not_exists(#PK)"
_OWNED_CLAIM = f"{_ABSENT} OR #productId = :id"  # a missing claim may be released too
_MAX_SCAN_BATCH = 1000


def to_item(product: ProductRecord) -> Item:
    """The DynamoDB item of a product, with its index attributes."""
    item: Item = {
        "PK": {"S": keys.product_pk(product.product_id)},
        "SK": {"S": keys.METADATA_SK},
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
        "GSI2_PK": {"S": name_key(product.name)},
    }
    if product.active:  # the price index is sparse: inactive products leave it
        item["GSI1_PK"] = {"S": keys.PRICE_PARTITION}
        item["GSI1_SK"] = {"S": keys.price_sort_key(product.price, product.product_id)}
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
    )


def name_claim_item(product: ProductRecord) -> Item:
    """The item that reserves a product's name (case-insensitively)."""
    return {
        "PK": {"S": keys.name_claim_pk(product.name)},
        "SK": {"S": keys.METADATA_SK},
        "entityType": {"S": keys.ENTITY_NAME_CLAIM},
        "productId": {"S": product.product_id},
    }


def _idempotency_item(idempotent: IdempotentRequest, product: ProductRecord) -> Item:
    return {
        "PK": {"S": keys.idempotency_pk(idempotent.key_hash)},
        "SK": {"S": keys.METADATA_SK},
        "entityType": {"S": keys.ENTITY_IDEMPOTENCY},
        "bodyHash": {"S": idempotent.body_hash},
        "product": {"M": to_item(product)},
        keys.TTL_ATTRIBUTE: {"N": str(idempotent.expires_at)},
    }


def _names(expression: str) -> dict[str, str]:
    """ExpressionAttributeNames for every `#name` in an expression: all attribute names go through them, so no
    attribute can ever collide with one of DynamoDB's reserved words."""
    return {f"#{name}": name for name in re.findall(r"#(\w+)", expression)}


def _key(pk: str) -> Item:
    return {"PK": {"S": pk}, "SK": {"S": keys.METADATA_SK}}


class ProductRepository:
    """Products in one DynamoDB table (see `repositories.keys` for the layout)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- reads -------------------------------------------------------------------------------

    def find_by_id(self, product_id: str) -> ProductRecord | None:
        """The product, active or not, read strongly consistently."""
        item = self._get(keys.product_pk(product_id))
        return from_item(item) if item else None

    def find_name_owner(self, name: str) -> str | None:
        """The id of the product holding `name` (case-insensitively), if any."""
        item = self._get(keys.name_claim_pk(name))
        return item["productId"]["S"] if item else None

    def _get(self, pk: str) -> Item | None:
        response = _call(self._client.get_item, TableName=self._table, Key=_key(pk), ConsistentRead=True)
        item: Item | None = response.get("Item")
        return item

    # --- writes ------------------------------------------------------------------------------

    def find_idempotent_result(self, key_hash: str, now: int) -> tuple[str, ProductRecord] | None:
        """The body hash and created product of an unexpired Idempotency-Key record."""
        item = self._get(keys.idempotency_pk(key_hash))
        if item is None or int(item[keys.TTL_ATTRIBUTE]["N"]) <= now:
            return None  # TTL deletes expired records lazily: an expired one is treated as gone
        return item["bodyHash"]["S"], from_item(item["product"]["M"])

    def create(self, product: ProductRecord, idempotent: IdempotentRequest | None = None) -> None:
        """Store a new product, claim its name and record its Idempotency-Key, all in one transaction."""
        writes = [
            {"Put": self._put(to_item(product), _ABSENT)},
            {"Put": self._put(name_claim_item(product), _ABSENT)},
        ]
        if idempotent:
            record = _idempotency_item(idempotent, product)
            free = f"{_ABSENT} OR #{keys.TTL_ATTRIBUTE} <= :now"
            now = {":now": {"N": str(idempotent.received_at)}}
            writes.append({"Put": self._put(record, free, now)})
        _transact(self._client, writes, name_claim_index=1, idempotency_index=2 if idempotent else None)

    def save(self, product: ProductRecord, previous: ProductRecord) -> None:
        """Replace `previous` with `product` if nobody wrote in between; moves the name claim on rename."""
        guarded = self._put(
            to_item(product), "#version = :expected", {":expected": {"N": str(previous.version)}}
        )
        if name_key(product.name) == name_key(previous.name):
            _call(self._client.put_item, **guarded)
            return
        release = {
            "TableName": self._table,
            "Key": _key(keys.name_claim_pk(previous.name)),
            "ConditionExpression": _OWNED_CLAIM,
            "ExpressionAttributeNames": _names(_OWNED_CLAIM),
            "ExpressionAttributeValues": {":id": {"S": product.product_id}},
        }
        _transact(
            self._client,
            [
                {"Put": guarded},
                {"Delete": release},
                {"Put": self._put(name_claim_item(product), _ABSENT)},
            ],
            name_claim_index=2,
        )

    def _put(self, item: Item, condition: str, values: Item | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": _names(condition),
        }
        if values:
            request["ExpressionAttributeValues"] = values
        return request

    # --- lists -------------------------------------------------------------------------------

    def list_active(self, limit: int, token: str | None) -> Page:
        """Active products in table order, strongly consistent."""
        request = {
            "TableName": self._table,
            "FilterExpression": _ACTIVE_PRODUCTS,
            "ExpressionAttributeNames": _names(_ACTIVE_PRODUCTS),
            "ExpressionAttributeValues": {":product": {"S": keys.ENTITY_PRODUCT}, ":true": {"BOOL": True}},
            "ConsistentRead": True,
        }
        # Scan's Limit counts items read before the filter; read ahead so most pages take one call.
        return self._page(self._client.scan, request, "all", keys.TABLE_KEY, limit, token, read_ahead=2)

    def list_by_price(self, limit: int, descending: bool, token: str | None) -> Page:
        """Active products by price (the sparse price index)."""
        request = {
            "TableName": self._table,
            "IndexName": keys.PRICE_INDEX,
            "KeyConditionExpression": "#GSI1_PK = :partition",
            "ExpressionAttributeNames": _names("#GSI1_PK"),
            "ExpressionAttributeValues": {":partition": {"S": keys.PRICE_PARTITION}},
            "ScanIndexForward": not descending,
        }
        scope = "price:desc" if descending else "price:asc"
        return self._page(self._client.query, request, scope, keys.PRICE_INDEX_KEY, limit, token)

    def list_by_name(self, name: str, limit: int, token: str | None) -> Page:
        """Active products whose name equals `name` case-insensitively (the name index)."""
        request = {
            "TableName": self._table,
            "IndexName": keys.NAME_INDEX,
            "KeyConditionExpression": "#GSI2_PK = :name",
            "FilterExpression": "#active = :true",
            "ExpressionAttributeNames": _names("#GSI2_PK #active"),
            "ExpressionAttributeValues": {":name": {"S": name_key(name)}, ":true": {"BOOL": True}},
        }
        scope = f"name:{name_key(name)}"
        return self._page(self._client.query, request, scope, keys.NAME_INDEX_KEY, limit, token, read_ahead=2)

    def _page(
        self,
        operation: Callable[..., Any],
        request: dict[str, Any],
        scope: str,
        key_attributes: tuple[str, ...],
        limit: int,
        token: str | None,
        read_ahead: int = 1,
    ) -> Page:
        """Read until the page and one more item are found (so `nextToken` means more exist) or the end."""
        scope = f"{self._table}:{scope}"
        start = decode_token(scope, token, key_attributes) if token else None
        items: list[Item] = []
        while len(items) <= limit:
            wanted = min((limit + 1 - len(items)) * read_ahead, _MAX_SCAN_BATCH)
            call = dict(request, Limit=wanted, **({"ExclusiveStartKey": start} if start else {}))
            response = _call(operation, **call)
            items.extend(response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        if len(items) <= limit:
            return Page([from_item(item) for item in items], None)
        page = items[:limit]
        last_key = {name: page[-1][name] for name in key_attributes}
        return Page([from_item(item) for item in page], encode_token(scope, last_key))


def _call(operation: Callable[..., Any], **request: Any) -> Any:
    """Run one DynamoDB call; throttling and outages become StoreUnavailable, lost conditions a WriteConflict."""
    try:
        return operation(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise WriteConflict() from None
        if code in _UNAVAILABLE:
            raise StoreUnavailable() from None
        raise
    except BotoCoreError:
        raise StoreUnavailable() from None


def _transact(
    client: DynamoDBClient,
    items: list[dict[str, Any]],
    name_claim_index: int,
    idempotency_index: int | None = None,
) -> None:
    """TransactWriteItems, naming which condition failed: idempotency key, name claim, or (else) the version."""
    try:
        _call(client.transact_write_items, TransactItems=items)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        if _THROTTLED_REASONS.intersection(reasons):
            raise StoreUnavailable() from None
        failed = {index for index, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
        if idempotency_index in failed:
            raise IdempotencyKeyTaken() from None
        if name_claim_index in failed:
            raise NameAlreadyTaken("That name is already in use.") from None
        raise WriteConflict() from None
