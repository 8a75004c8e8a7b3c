"""Product writes: the create transaction, the in-place revision, and the guarded save that moves a claim.

A write whose answer was lost (botocore sends a call again after a read timeout) may find its own earlier
attempt stored, and fail its condition on that, also when another caller wrote in between. Such a write counts
as success and reports itself written: `_stored_earlier` is the one place that decides it, through
`ProductRecord.holds` (the write's id among the ids of the product's last writes, which every write records). When no attempt got an answer
to trust (all timed out, or the last were refused after one that may have been stored), one consistent read of
the product settles it by the same rule; if that read fails too, the outcome is unknown (UnsettledWrite).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from exceptions.product_exceptions import (
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    StoreUnavailable,
    UnsettledWrite,
    WriteConflict,
)
from models.commands import IdempotentRequest, InPlaceChange
from models.record import ProductRecord, Revision, name_key
from repositories import keys, legacy_name_keys
from repositories.calls import ConditionFailed, Item, TransactionCancelled, attribute_names, call, read_item
from repositories.dynamodb import one_attempt_twin
from repositories.items import (
    changed_fields,
    from_item,
    idempotency_item,
    name_claim_item,
    recorded_write,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Failures = dict[int, Callable[[], Exception]]

_ABSENT = f"attribute_not_exists(#{keys.PK})"
_OWNED_CLAIM = f"{_ABSENT} OR #productId = :id"  # a missing claim may be released too


class ProductWrites:
    """The conditional writes of products and their name claims in one table."""

    def __init__(
        self, client: DynamoDBClient, table_name: str, settling_client: DynamoDBClient | None = None
    ) -> None:
        self._client = client
        self._table = table_name
        self._settling_client = settling_client  # made on first use: most containers never need it

    def create(self, product: ProductRecord, idempotent: IdempotentRequest | None = None) -> None:
        """Store a new product, claim its name and record its Idempotency-Key, all in one transaction."""
        writes = [
            {"Put": self._put(to_item(product), _ABSENT)},
            {"Put": self._put(name_claim_item(product), _ABSENT)},
        ]
        failures: Failures = {}
        if idempotent:
            free = f"{_ABSENT} OR #{keys.TTL_ATTRIBUTE} <= :now"
            now = {":now": {"N": str(idempotent.received_at)}}
            writes.append({"Put": self._put(idempotency_item(idempotent, product), free, now)})
            failures[2] = IdempotencyKeyTaken  # a live key outranks the name: its product answers the retry
        failures[1] = _name_taken
        self._check_legacy_claim(writes, failures, product.name, owned=[])
        try:
            self._transact(product, writes, failures)
        except StoreUnavailable:
            if not _stored_earlier(self._settle(product.product_id), product):
                raise

    def revise(self, change: InPlaceChange) -> Revision:
        """Make `change` (no name, no restore) in one conditional UpdateItem: only the fields sent, the next
        version, the stamps and the write's id. It writes only if the product exists, its version is one If-Match names, and
        some sent field differs; otherwise it returns the item as DynamoDB had it, to tell why."""
        changes, if_match = change.changes, change.if_match
        fields = changed_fields(changes)
        values: Item = {f":{name}": value for name, value in fields.items()}
        values.update({":one": {"N": "1"}, ":at": {"S": change.at}, ":by": {"S": change.by}})
        assignments = [f"#{name} = :{name}" for name in fields]
        assignments += ["#version = #version + :one", "#updatedAt = :at", "#lastUpdatedBy = :by"]
        if change.write_id:
            recording, recorded = recorded_write(change.write_id)
            assignments += recording
            values.update(recorded)
        removals = []
        if changes.active is False:  # the price index is sparse: inactive products leave it
            removals = [f"#{keys.PRICE_PK}", f"#{keys.PRICE_SK}"]
        elif changes.price is not None:  # harmless while inactive: the index needs its partition key too
            values[":priceKey"] = {"S": keys.price_sort_key(changes.price, change.product_id)}
            assignments.append(f"#{keys.PRICE_SK} = :priceKey")
        update = "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(removals) if removals else "")
        condition = f"attribute_exists(#{keys.PK})"
        if if_match is not None and not if_match.any_version:
            listed = [f":v{n}" for n in range(len(if_match.versions))]
            values.update({name: {"N": str(v)} for name, v in zip(listed, sorted(if_match.versions))})
            condition += f" AND #version IN ({', '.join(listed)})"
        condition += " AND (" + " OR ".join(f"#{name} <> :{name}" for name in fields) + ")"
        request = {
            "TableName": self._table,
            "Key": keys.item_key(keys.product_pk(change.product_id)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": attribute_names(f"{update} {condition}"),
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            response = call(self._client.update_item, **request)
        except ConditionFailed as failed:
            current = _product(failed.item)
            return Revision(current, written=_stored_earlier(current, change))
        except StoreUnavailable:
            current = self._settle(change.product_id)
            if current is not None and not _stored_earlier(current, change):
                raise
            return Revision(current, written=current is not None)  # no product: nothing was written
        return Revision(from_item(response["Attributes"]), written=True)

    def save(self, product: ProductRecord, previous: ProductRecord) -> None:
        """Replace `previous` with `product` if nobody wrote in between; moves the name claim on rename."""
        try:
            self._save(product, previous, others=set())
        except StoreUnavailable:
            if not _stored_earlier(self._settle(product.product_id), product):
                raise

    def _save(self, product: ProductRecord, previous: ProductRecord, others: set[str]) -> None:
        """`save`, leaving alone the claims in `others`: claims of the old name that other products hold."""
        guarded = self._put(
            to_item(product), "#version = :expected", {":expected": {"N": str(previous.version)}}
        )
        # A lost version guard comes first: the claim it also fails may be held by this very product.
        writes: list[Item] = [{"Put": guarded}]
        failures: Failures = {0: WriteConflict}
        held = [pk for pk in legacy_name_keys.claim_pks(previous.name) if pk not in others]
        releases: Failures = {}
        if name_key(product.name) != name_key(previous.name):
            writes.append({"Put": self._put(name_claim_item(product), _ABSENT)})
            failures[1] = _name_taken
            for pk in held:
                if pk not in _written_pks(writes):
                    writes.append({"Delete": self._release(pk, product.product_id)})
                    releases[len(writes) - 1] = functools.partial(_ClaimOfAnother, pk)
        # A respelling under the same key (two spaces for one) may still meet an unmigrated product's claim.
        self._check_legacy_claim(writes, failures, product.name, owned=held)
        failures.update(releases)  # last: only when nothing else failed is a release the reason
        if len(writes) > 1:
            try:
                self._transact(product, writes, failures)
            except _ClaimOfAnother as taken:
                # An unmigrated product holds its legacy claim, and the current key's claim may be its twin's
                # (scripts/ops/migrate_name_keys.py reports the pair): a rename leaves that claim to the twin.
                self._save(product, previous, others | {taken.pk})
            return
        try:
            call(self._client.put_item, **guarded)
        except ConditionFailed as failed:
            if not _stored_earlier(_product(failed.item), product):
                raise

    def _settle(self, product_id: str) -> ProductRecord | None:
        """The product as stored, read once after a write got no answer to trust; UnsettledWrite if that read
        fails too. One short attempt on a twin client: the write's attempts used most of the time."""
        if self._settling_client is None:
            self._settling_client = one_attempt_twin(self._client)
        try:
            return _product(read_item(self._settling_client, self._table, keys.product_pk(product_id)))
        except StoreUnavailable:
            raise UnsettledWrite() from None

    def _check_legacy_claim(
        self, writes: list[Item], failures: Failures, name: str, owned: list[str]
    ) -> None:
        check = legacy_name_keys.legacy_claim_check(self._table, name, _written_pks(writes) | set(owned))
        if check is not None:
            writes.append(check)
            failures[len(writes) - 1] = _name_taken

    def _release(self, claim_pk: str, product_id: str) -> Item:
        return {
            "TableName": self._table,
            "Key": keys.item_key(claim_pk),
            "ConditionExpression": _OWNED_CLAIM,
            "ExpressionAttributeNames": attribute_names(_OWNED_CLAIM),
            "ExpressionAttributeValues": {":id": {"S": product_id}},
        }

    def _put(self, item: Item, condition: str, values: Item | None = None) -> Item:
        request: Item = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": attribute_names(condition),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if values:
            request["ExpressionAttributeValues"] = values
        return request

    def _transact(self, product: ProductRecord, writes: list[Item], failures: Failures) -> None:
        """TransactWriteItems of `product`'s put (first) and other writes. A failed condition raises the error
        of the first write in `failures` (in that order) that failed, else WriteConflict."""
        try:
            # The token makes DynamoDB answer botocore's retry of this call as the first attempt (for ten
            # minutes); past that, `_stored_earlier` recognises the stored product.
            call(
                self._client.transact_write_items, TransactItems=writes, ClientRequestToken=str(uuid.uuid4())
            )
        except TransactionCancelled as cancelled:
            if _stored_earlier(_product(cancelled.items[0] if cancelled.items else None), product):
                return
            raise next((failures[i] for i in failures if i in cancelled.failed), WriteConflict)() from None


class _ClaimOfAnother(Exception):
    """A rename's release of a claim of the old name failed: another product holds that claim."""

    def __init__(self, pk: str) -> None:
        super().__init__(pk)
        self.pk = pk


def _stored_earlier(found: ProductRecord | None, write: ProductRecord | InPlaceChange) -> bool:
    """Whether a write that failed its condition (or got no answer) was stored by an earlier attempt of itself:
    the product as DynamoDB returned it records the write's id, whatever other writes followed it."""
    return found is not None and found.holds(write)


def _product(item: Item | None) -> ProductRecord | None:
    return from_item(item) if item else None


def _name_taken() -> NameAlreadyTaken:
    return NameAlreadyTaken("That name is already in use.")


def _written_pks(writes: list[Item]) -> set[str]:
    """The partition keys a transaction touches (DynamoDB refuses two operations on one item)."""
    pks = set()
    for write in writes:
        (request,) = write.values()
        item = request.get("Key") or request["Item"]
        pks.add(item[keys.PK]["S"])
    return pks
