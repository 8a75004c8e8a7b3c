"""The DynamoDB store of the service (`ProductStore`): single-item reads here, writes in `writes`, the list
paths in `lists`; the item layout is `items` and `keys`, boto errors are translated in `calls`.

Each function uses one side only, so `writes` and `lists` are imported on first use: a function's cold start
pays for the classes it runs, not for the other side's (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from models.commands import IdempotentRequest, InPlaceChange
from models.record import Page, ProductRecord, Revision
from repositories import keys, legacy_name_keys
from repositories.calls import Item, read_item
from repositories.items import from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from repositories.lists import ProductLists, ScanBudget
    from repositories.page_token import PageTokens
    from repositories.writes import ProductWrites


class ProductRepository:
    """Products in one DynamoDB table (see `repositories.keys` for the layout)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        page_tokens: PageTokens | None = None,
        scan_budget: ScanBudget | None = None,
        settling_client: DynamoDBClient | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._page_tokens = page_tokens
        self._scan_budget = scan_budget
        self._settling_client = settling_client  # see ProductWrites

    @functools.cached_property
    def _writes(self) -> ProductWrites:
        from repositories.writes import ProductWrites

        return ProductWrites(self._client, self._table, self._settling_client)

    @functools.cached_property
    def _lists(self) -> ProductLists:
        from repositories.lists import ProductLists

        return ProductLists(self._client, self._table, self._page_tokens, self._scan_budget)

    def find_by_id(self, product_id: str) -> ProductRecord | None:
        """The product, active or not, read strongly consistently."""
        item = self._get(keys.product_pk(product_id))
        return from_item(item) if item else None

    def find_name_owner(self, name: str) -> str | None:
        """The id of the product holding `name` (as names are compared, legacy claims included), if any."""
        for pk in legacy_name_keys.claim_pks(name):
            item = self._get(pk)
            if item:
                return str(item["productId"]["S"])
        return None

    def find_idempotent_result(self, key_hash: str, now: int) -> tuple[str, ProductRecord] | None:
        """The body hash and created product of an unexpired Idempotency-Key record."""
        item = self._get(keys.idempotency_pk(key_hash))
        if item is None or int(item[keys.TTL_ATTRIBUTE]["N"]) <= now:
            return None  # TTL deletes expired records lazily: an expired one is treated as gone
        return item["bodyHash"]["S"], from_item(item["product"]["M"])

    def _get(self, pk: str) -> Item | None:
        return read_item(self._client, self._table, pk)

    def create(self, product: ProductRecord, idempotent: IdempotentRequest | None = None) -> None:
        """See `ProductWrites.create`."""
        self._writes.create(product, idempotent)

    def revise(self, change: InPlaceChange) -> Revision:
        """See `ProductWrites.revise`."""
        return self._writes.revise(change)

    def save(self, product: ProductRecord, previous: ProductRecord) -> None:
        """See `ProductWrites.save`."""
        self._writes.save(product, previous)

    def list_active(self, limit: int, token: str | None) -> Page:
        """See `ProductLists.list_active`."""
        return self._lists.list_active(limit, token)

    def list_by_price(self, limit: int, descending: bool, token: str | None) -> Page:
        """See `ProductLists.list_by_price`."""
        return self._lists.list_by_price(limit, descending, token)

    def list_by_name(self, name: str, limit: int, token: str | None) -> Page:
        """See `ProductLists.list_by_name`."""
        return self._lists.list_by_name(name, limit, token)
