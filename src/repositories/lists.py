"""The list read side: the three list paths, each a bounded read, and page tokens from and to DynamoDB keys.

Kept apart from the writes, as cosmicpython keeps its views apart from the repository that saves aggregates:
this module answers "how is a page read?".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from exceptions.product_exceptions import ValidationFailed
from models.record import Page
from repositories import keys, legacy_name_keys
from repositories.calls import Item, attribute_names, call
from repositories.items import from_item
from repositories.page_token import PageTokens, Position, rejected

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_ACTIVE_PRODUCTS = "#entityType = :product AND #active = :true"
_TABLE_PREFIXES = (keys.PRODUCT_PREFIX, keys.NAME_CLAIM_PREFIX, keys.IDEMPOTENCY_PREFIX)


class ScanBudget(NamedTuple):
    """How much one list request may read: at most `calls` DynamoDB calls (the contract's bar is 5). The first is
    sized to the page; the others to what the calls before found, at most `batch` items each (DynamoDB also ends
    a call at 1 MB read). When the budget runs out, the page is returned short with a `nextToken`."""

    calls: int = 5
    batch: int = 4000

    def next_batch(self, first: int, limit: int, read: int, found: list[Item]) -> int:
        """Items to read next: twice what the density of products found so far suggests, at least the first
        call's size (a call's latency is mostly fixed) and at most `batch`."""
        if not found:
            return self.batch
        missing = limit - len(found)
        return min(self.batch, max(first, 2 * missing * read // len(found)))


class ProductLists:
    """Pages of active products from one table, resumed by sealed page tokens."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        page_tokens: PageTokens | None,
        scan_budget: ScanBudget | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._tokens = page_tokens  # only the list function is given the secret
        self._budget = scan_budget or ScanBudget()

    def list_active(self, limit: int, token: str | None) -> Page:
        """Active products in table order, strongly consistent; a bounded read (see ScanBudget)."""
        request = {
            "TableName": self._table,
            "FilterExpression": _ACTIVE_PRODUCTS,
            "ExpressionAttributeNames": attribute_names(_ACTIVE_PRODUCTS),
            "ExpressionAttributeValues": {":product": {"S": keys.ENTITY_PRODUCT}, ":true": {"BOOL": True}},
            "ConsistentRead": True,
        }
        # Scan's Limit counts items read before the filter; read ahead so most pages take one call.
        return self._page(self._client.scan, request, _Listing("all", read_ahead=2), limit, token)

    def list_by_price(self, limit: int, descending: bool, token: str | None) -> Page:
        """Active products by price (the sparse price index)."""
        condition = f"#{keys.PRICE_PK} = :partition"
        request = {
            "TableName": self._table,
            "IndexName": keys.PRICE_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": attribute_names(condition),
            "ExpressionAttributeValues": {":partition": {"S": keys.PRICE_PARTITION}},
            "ScanIndexForward": not descending,
        }
        listing = _Listing("price:desc" if descending else "price:asc", index_key=_price_index_key)
        return self._page(self._client.query, request, listing, limit, token)

    def list_by_name(self, name: str, limit: int, token: str | None) -> Page:
        """Active products whose name reads as `name` (the name index), under each key the name may be indexed
        by until the first that finds some; a later page continues the key whose query issued the token."""
        name_keys = legacy_name_keys.name_index_keys(name)
        if token is not None:
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
        condition, active = f"#{keys.NAME_PK} = :name", "#active = :true"
        request = {
            "TableName": self._table,
            "IndexName": keys.NAME_INDEX,
            "KeyConditionExpression": condition,
            "FilterExpression": active,
            "ExpressionAttributeNames": attribute_names(f"{condition} {active}"),
            "ExpressionAttributeValues": {":name": {"S": key}, ":true": {"BOOL": True}},
        }
        listing = _Listing(f"name:{key}", index_key=lambda _: {keys.NAME_PK: {"S": key}}, read_ahead=2)
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
        for number in range(self._budget.calls):
            wanted = first if number == 0 else self._budget.next_batch(first, limit, read, items)
            response = call(
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


class _Listing(NamedTuple):
    """One list path: the scope its tokens are bound to, and how a position becomes its start key (the table's
    key plus, on an index, the index's key; without `index_key`, the path is the Scan of the whole table)."""

    scope: str
    index_key: Callable[[Position], Item] | None = None
    read_ahead: int = 1


def _price_index_key(position: Position) -> Item:
    if position.cents is None or position.product_id is None or not 0 < position.cents <= keys.MAX_CENTS:
        raise rejected()
    sort_key = keys.cents_sort_key(position.cents, position.product_id)
    return {keys.PRICE_PK: {"S": keys.PRICE_PARTITION}, keys.PRICE_SK: {"S": sort_key}}


def _position(key: Item, listing: _Listing) -> Position:
    """What a token keeps of a DynamoDB key: the product id (and its price in cents on the price index), or
    the partition key of another kind of item the Scan stopped on (the token's encryption hides it)."""
    pk = key[keys.PK]["S"]
    product_id = pk.removeprefix(keys.PRODUCT_PREFIX)
    if pk == product_id or not _canonical_uuid(product_id):
        return Position(partition_key=pk)
    if listing.index_key is _price_index_key:
        return Position(product_id=product_id, cents=int(key[keys.PRICE_SK]["S"].split("#", 1)[0]))
    return Position(product_id=product_id)


def _start_key(position: Position, listing: _Listing) -> Item:
    """The ExclusiveStartKey a position stands for, rebuilt by the server from the key formats."""
    if position.partition_key is not None:
        if listing.index_key is not None or not position.partition_key.startswith(_TABLE_PREFIXES):
            raise rejected()
        return keys.item_key(position.partition_key)
    if position.product_id is None or (
        position.cents is not None and listing.index_key is not _price_index_key
    ):
        raise rejected()
    key = keys.item_key(keys.product_pk(position.product_id))
    return key if listing.index_key is None else {**key, **listing.index_key(position)}


def _canonical_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
