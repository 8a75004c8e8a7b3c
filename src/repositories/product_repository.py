"""Every DynamoDB call of the service: product items, name claims, and the three list paths."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from exceptions.product_exceptions import (
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    StoreUnavailable,
    ValidationFailed,
    WriteConflict,
)
from models.commands import IdempotentRequest, InPlaceChange, ProductChanges
from models.record import Page, ProductRecord, Revision, name_key
from repositories import keys
from repositories.page_token import PageTokens, Position, rejected

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
_TABLE_PREFIXES = (keys.PRODUCT_PREFIX, keys.NAME_CLAIM_PREFIX, keys.IDEMPOTENCY_PREFIX)


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


def _value(value: str | Decimal | bool | tuple[str, ...]) -> Item:
    """The DynamoDB attribute value of one client field."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, Decimal):
        return {"N": str(value)}
    if isinstance(value, tuple):
        return {"L": [{"S": member} for member in value]}
    return {"S": value}


def _changed_fields(changes: ProductChanges) -> Item:
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

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        page_tokens: PageTokens | None = None,
        scan_budget: ScanBudget | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._tokens = page_tokens  # only the list function is given the secret
        self._budget = scan_budget or ScanBudget()

    # --- reads -------------------------------------------------------------------------------

    def find_by_id(self, product_id: str) -> ProductRecord | None:
        """The product, active or not, read strongly consistently."""
        item = self._get(keys.product_pk(product_id))
        return from_item(item) if item else None

    def find_name_owner(self, name: str) -> str | None:
        """The id of the product holding `name` (as names are compared, legacy claims included), if any."""
        for pk in _claim_pks(name):
            item = self._get(pk)
            if item:
                return str(item["productId"]["S"])
        return None

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
        failures: dict[int, Callable[[], Exception]] = {2: IdempotencyKeyTaken} if idempotent else {}
        failures[1] = _name_taken
        failures.update(dict.fromkeys(self._with_legacy_claim_check(writes, product.name), _name_taken))
        self._transact(product, writes, failures)

    def _with_legacy_claim_check(
        self, writes: list[dict[str, Any]], name: str, owned: list[str] | None = None
    ) -> set[int]:
        """Add a check that no unmigrated claim holds `name` under its legacy key (no extra round trip), unless
        the writes already touch it or the product holds it (`owned`); the index of the check, if added."""
        legacy = keys.legacy_name_claim_pk(name)
        if legacy is None or legacy in _written_pks(writes) or legacy in (owned or []):
            return set()
        check = {
            "TableName": self._table,
            "Key": _key(legacy),
            "ConditionExpression": _ABSENT,
            "ExpressionAttributeNames": _names(_ABSENT),
        }
        writes.append({"ConditionCheck": check})
        return {len(writes) - 1}

    def revise(self, change: InPlaceChange) -> Revision:
        """Make `change` (no name, no restore) in one conditional UpdateItem: only the fields sent, the next
        version and the stamps. It writes only if the product exists, its version is one If-Match names, and
        some sent field differs; otherwise it returns the item as DynamoDB had it, to tell why."""
        changes, if_match = change.changes, change.if_match
        fields = _changed_fields(changes)
        values: Item = {f":{name}": value for name, value in fields.items()}
        values.update({":one": {"N": "1"}, ":at": {"S": change.at}, ":by": {"S": change.by}})
        assignments = [f"#{name} = :{name}" for name in fields]
        assignments += ["#version = #version + :one", "#updatedAt = :at", "#lastUpdatedBy = :by"]
        removals = []
        if changes.active is False:  # the price index is sparse: inactive products leave it
            removals = ["#GSI1_PK", "#GSI1_SK"]
        elif changes.price is not None:  # harmless while inactive: the index needs GSI1_PK too
            values[":priceKey"] = {"S": keys.price_sort_key(changes.price, change.product_id)}
            assignments.append("#GSI1_SK = :priceKey")
        update = "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(removals) if removals else "")
        condition = "attribute_exists(#PK)"
        if if_match is not None and not if_match.any_version:
            listed = [f":v{n}" for n in range(len(if_match.versions))]
            values.update({name: {"N": str(v)} for name, v in zip(listed, sorted(if_match.versions))})
            condition += f" AND #version IN ({', '.join(listed)})"
        condition += " AND (" + " OR ".join(f"#{name} <> :{name}" for name in fields) + ")"
        request = {
            "TableName": self._table,
            "Key": _key(keys.product_pk(change.product_id)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": _names(f"{update} {condition}"),
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            response = _call(self._client.update_item, **request)
        except _ConditionFailed as failed:
            return Revision(from_item(failed.item) if failed.item else None, written=False)
        return Revision(from_item(response["Attributes"]), written=True)

    def save(self, product: ProductRecord, previous: ProductRecord) -> None:
        """Replace `previous` with `product` if nobody wrote in between; moves the name claim on rename."""
        guarded = self._put(
            to_item(product), "#version = :expected", {":expected": {"N": str(previous.version)}}
        )
        # A lost version guard comes first: the claim it also fails may be held by this very product.
        writes: list[dict[str, Any]] = [{"Put": guarded}]
        failures: dict[int, Callable[[], Exception]] = {0: WriteConflict}
        if name_key(product.name) != name_key(previous.name):
            writes.append({"Put": self._put(name_claim_item(product), _ABSENT)})
            failures[1] = _name_taken
            for pk in _claim_pks(previous.name):  # an unmigrated product's claim is under its legacy key
                if pk not in _written_pks(writes):
                    writes.append({"Delete": self._release(pk, product.product_id)})
        # A respelling under the same key (two spaces for one) may still meet an unmigrated product's claim.
        added = self._with_legacy_claim_check(writes, product.name, owned=_claim_pks(previous.name))
        failures.update(dict.fromkeys(added, _name_taken))
        if len(writes) > 1:
            self._transact(product, writes, failures)
            return
        try:
            _call(self._client.put_item, **guarded)
        except _ConditionFailed as failed:
            if not _holds(failed.item, product):
                raise

    def _release(self, claim_pk: str, product_id: str) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": _key(claim_pk),
            "ConditionExpression": _OWNED_CLAIM,
            "ExpressionAttributeNames": _names(_OWNED_CLAIM),
            "ExpressionAttributeValues": {":id": {"S": product_id}},
        }

    def _put(self, item: Item, condition: str, values: Item | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": _names(condition),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if values:
            request["ExpressionAttributeValues"] = values
        return request

    def _transact(
        self, product: ProductRecord, writes: list[Item], failures: dict[int, Callable[[], Exception]]
    ) -> None:
        """TransactWriteItems of `product`'s put (first) and other writes. A failed condition raises the error
        of the first write in `failures` (in that order) that failed, else WriteConflict.

        The client request token makes AWS answer a retried transaction as the first one; where that does not
        hold (a retry after the token expired, or a store that ignores tokens), a product item that already
        equals `product` shows the transaction was stored.
        """
        try:
            _call(
                self._client.transact_write_items, TransactItems=writes, ClientRequestToken=str(uuid.uuid4())
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            codes = [reason.get("Code") for reason in reasons]
            if _THROTTLED_REASONS.intersection(codes):
                raise StoreUnavailable() from None
            if reasons and "Item" in reasons[0] and _holds(dict(reasons[0]["Item"]), product):
                return
            failed = {index for index, code in enumerate(codes) if code == "ConditionalCheckFailed"}
            raise next((failures[i] for i in failures if i in failed), WriteConflict)() from None

    # --- lists -------------------------------------------------------------------------------

    def list_active(self, limit: int, token: str | None) -> Page:
        """Active products in table order, strongly consistent; a bounded read (see ScanBudget)."""
        request = {
            "TableName": self._table,
            "FilterExpression": _ACTIVE_PRODUCTS,
            "ExpressionAttributeNames": _names(_ACTIVE_PRODUCTS),
            "ExpressionAttributeValues": {":product": {"S": keys.ENTITY_PRODUCT}, ":true": {"BOOL": True}},
            "ConsistentRead": True,
        }
        # Scan's Limit counts items read before the filter; read ahead so most pages take one call.
        return self._page(self._client.scan, request, _Listing("all", read_ahead=2), limit, token)

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
        listing = _Listing("price:desc" if descending else "price:asc", index_key=_price_index_key)
        return self._page(self._client.query, request, listing, limit, token)

    def list_by_name(self, name: str, limit: int, token: str | None) -> Page:
        """Active products whose name reads as `name` (the name index). Products not yet migrated are indexed
        under the legacy key: when the name's current key finds none, its legacy key is tried."""
        name_keys = list(dict.fromkeys((name_key(name), keys.legacy_name_key(name))))
        if token is not None:  # a later page continues the key whose query issued the token
            name_keys = [next((key for key in name_keys if self._issued_for(key, token)), name_keys[0])]
        for key in name_keys:
            page = self._list_name_key(key, limit, token)
            if page.products:
                break
        return page

    def _issued_for(self, key: str, token: str) -> bool:
        if self._tokens is None:
            return False
        try:
            self._tokens.open(f"{self._table}:name:{key}", token)
        except ValidationFailed:
            return False
        return True

    def _list_name_key(self, key: str, limit: int, token: str | None) -> Page:
        request = {
            "TableName": self._table,
            "IndexName": keys.NAME_INDEX,
            "KeyConditionExpression": "#GSI2_PK = :name",
            "FilterExpression": "#active = :true",
            "ExpressionAttributeNames": _names("#GSI2_PK #active"),
            "ExpressionAttributeValues": {":name": {"S": key}, ":true": {"BOOL": True}},
        }
        listing = _Listing(f"name:{key}", index_key=lambda _: {"GSI2_PK": {"S": key}}, read_ahead=2)
        return self._page(self._client.query, request, listing, limit, token)

    def _page(
        self,
        operation: Callable[..., Any],
        request: dict[str, Any],
        listing: _Listing,
        limit: int,
        token: str | None,
    ) -> Page:
        """Read until the page is full, the end, or the budget's last call. The first call reads one product
        more than the page where it can, so a page that ends the walk mostly says so; a page filled at the end
        of a later call, or cut short by the budget (even empty), carries a token that resumes where DynamoDB
        stopped."""
        if self._tokens is None:
            raise RuntimeError("PAGE_TOKEN_SECRET is not set: listing needs the page token secret")
        scope = f"{self._table}:{listing.scope}"
        start = _start_key(self._tokens.open(scope, token), listing) if token else None
        items: list[Item] = []
        read, first = 0, (limit + 1) * listing.read_ahead
        for call in range(self._budget.calls):
            wanted = first if call == 0 else self._budget.next_batch(first, limit, read, items)
            response = _call(
                operation, **request, Limit=wanted, **({"ExclusiveStartKey": start} if start else {})
            )
            items.extend(response.get("Items", []))
            read += response.get("ScannedCount", 0)
            start = response.get("LastEvaluatedKey")
            if not start or len(items) >= limit:
                break
        if len(items) > limit:
            items, start = items[:limit], items[limit - 1]
        next_token = self._tokens.seal(scope, _position(start, listing)) if start else None
        return Page([from_item(item) for item in items], next_token)


@dataclass(frozen=True)
class ScanBudget:
    """How much one list request may read: at most `calls` DynamoDB calls (the SPEC's bar is 5). The first is
    sized to the page; the others to what the calls before found, at most `batch` items each (DynamoDB also ends a
    call at 1 MB read). When the budget runs out, the page is returned short with a `nextToken`."""

    calls: int = 5
    batch: int = 4000

    def next_batch(self, first: int, limit: int, read: int, found: list[Item]) -> int:
        """Items to read next: twice what the density of products found so far suggests, at least the first
        call's size (a call's latency is mostly fixed) and at most `batch`."""
        if not found:
            return self.batch
        missing = limit - len(found)
        return min(self.batch, max(first, 2 * missing * read // len(found)))


@dataclass(frozen=True)
class _Listing:
    """One list path: the scope its tokens are bound to, and how a position becomes its start key (the table's
    key plus, on an index, the index's key; without `index_key`, the path is the Scan of the whole table)."""

    scope: str
    index_key: Callable[[Position], Item] | None = None
    read_ahead: int = 1


def _price_index_key(position: Position) -> Item:
    if position.cents is None or position.product_id is None or not 0 < position.cents <= keys.MAX_CENTS:
        raise rejected()
    sort_key = keys.cents_sort_key(position.cents, position.product_id)
    return {"GSI1_PK": {"S": keys.PRICE_PARTITION}, "GSI1_SK": {"S": sort_key}}


def _position(key: Item, listing: _Listing) -> Position:
    """What a token keeps of a DynamoDB key: the product id (and its price in cents on the price index), or the
    partition key of another kind of item the Scan stopped on (the token's encryption hides it)."""
    pk = key["PK"]["S"]
    product_id = pk.removeprefix(keys.PRODUCT_PREFIX)
    if pk == product_id or not _canonical_uuid(product_id):
        return Position(partition_key=pk)
    if listing.index_key is _price_index_key:
        return Position(product_id=product_id, cents=int(key["GSI1_SK"]["S"].split("#", 1)[0]))
    return Position(product_id=product_id)


def _start_key(position: Position, listing: _Listing) -> Item:
    """The ExclusiveStartKey a position stands for, rebuilt by the server from the key formats."""
    if position.partition_key is not None:
        if listing.index_key is not None or not position.partition_key.startswith(_TABLE_PREFIXES):
            raise rejected()
        return _key(position.partition_key)
    if position.product_id is None or (
        position.cents is not None and listing.index_key is not _price_index_key
    ):
        raise rejected()
    key = _key(keys.product_pk(position.product_id))
    return key if listing.index_key is None else {**key, **listing.index_key(position)}


def _canonical_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _name_taken() -> NameAlreadyTaken:
    return NameAlreadyTaken("That name is already in use.")


def _holds(item: Item | None, product: ProductRecord) -> bool:
    """Whether a write's condition failed because an earlier attempt of this very write was stored (botocore
    retries a call whose response timed out): the item already is `product`, version and stamps included."""
    return item is not None and from_item(item) == product


class _ConditionFailed(WriteConflict):
    """A single-item write's condition failed; `item` is the item as it was (None: there was none)."""

    def __init__(self, item: Item | None) -> None:
        super().__init__()
        self.item = item


def _claim_pks(name: str) -> list[str]:
    """Where a name's claim may be: its key, then its legacy key when that differs."""
    legacy = keys.legacy_name_claim_pk(name)
    return [keys.name_claim_pk(name)] + ([legacy] if legacy else [])


def _written_pks(writes: list[dict[str, Any]]) -> set[str]:
    """The partition keys a transaction touches (DynamoDB refuses two operations on one item)."""
    pks = set()
    for write in writes:
        (request,) = write.values()
        item = request.get("Key") or request["Item"]
        pks.add(item["PK"]["S"])
    return pks


def _call(operation: Callable[..., Any], **request: Any) -> Any:
    """Run one DynamoDB call; throttling and outages become StoreUnavailable, lost conditions a WriteConflict."""
    try:
        return operation(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            item: Item | None = error.response.get("Item")  # type: ignore[assignment]  # ALL_OLD, untyped
            raise _ConditionFailed(item) from None
        if code in _UNAVAILABLE:
            raise StoreUnavailable() from None
        raise
    except BotoCoreError:
        raise StoreUnavailable() from None
