"""Running DynamoDB calls: expression attribute names, boto errors translated into the store's own, and the
consistent read of one item."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from exceptions.product_exceptions import StoreUnavailable, WriteConflict
from repositories import keys

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
_ATTRIBUTE_NAME = re.compile(r"#(\w+)")


def attribute_names(expression: str) -> dict[str, str]:
    """ExpressionAttributeNames for every `#name` in an expression: all attribute names go through them, so no
    attribute can ever collide with one of DynamoDB's reserved words."""
    return {f"#{name}": name for name in _ATTRIBUTE_NAME.findall(expression)}


class ConditionFailed(WriteConflict):
    """A single-item write's condition failed; `item` is the item as it was (None: there was none)."""

    def __init__(self, item: Item | None) -> None:
        super().__init__()
        self.item = item


class TransactionCancelled(WriteConflict):
    """A transaction failed a condition; `items` are the items as they were, in the transaction's order (None
    where the write was not the one that failed or the item was missing), `failed` the indexes that failed."""

    def __init__(self, items: list[Item | None], failed: set[int]) -> None:
        super().__init__()
        self.items = items
        self.failed = failed


def call(operation: Callable[..., Any], **request: Any) -> Any:
    """Run one DynamoDB call. Throttling and outages become StoreUnavailable; a failed condition becomes
    ConditionFailed, or TransactionCancelled for TransactWriteItems."""
    try:
        return operation(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            item: Item | None = error.response.get("Item")  # type: ignore[assignment]  # ALL_OLD, untyped
            raise ConditionFailed(item) from None
        if code == "TransactionCanceledException":
            raise _cancelled(error.response.get("CancellationReasons", [])) from None  # type: ignore[arg-type]
        if code in _UNAVAILABLE:
            raise StoreUnavailable() from None
        raise
    except BotoCoreError:
        raise StoreUnavailable() from None


def read_item(client: DynamoDBClient, table: str, pk: str) -> Item | None:
    """The item with partition key `pk`, read strongly consistently (None: there is none)."""
    request = {"TableName": table, "Key": keys.item_key(pk), "ConsistentRead": True}
    item: Item | None = call(client.get_item, **request).get("Item")
    return item


def _cancelled(reasons: list[dict[str, Any]]) -> Exception:
    codes = [reason.get("Code") for reason in reasons]
    if _THROTTLED_REASONS.intersection(codes):
        return StoreUnavailable()
    failed = {index for index, code in enumerate(codes) if code == "ConditionalCheckFailed"}
    return TransactionCancelled(
        [dict(reason["Item"]) if "Item" in reason else None for reason in reasons], failed
    )
