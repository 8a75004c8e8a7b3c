"""The catalogue's use cases: uniqueness, versions, soft delete and restore."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol

from exceptions.product_exceptions import (
    ConcurrentModification,
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    OutcomeUnknown,
    ProductNotFound,
    UnsettledWrite,
    VersionMatched,
    VersionMismatch,
    WriteConflict,
)
from metrics.recorder import (
    IDEMPOTENT_REPLAY,
    PRODUCT_CREATED,
    PRODUCT_DELETED,
    PRODUCT_RESTORED,
    PRODUCT_UPDATED,
    record_event,
)
from models.commands import (
    IdempotentRequest,
    InPlaceChange,
    ListQuery,
    ProductChanges,
    ProductDraft,
    VersionCondition,
)
from models.record import Page, ProductRecord, Revision

MAX_WRITE_ATTEMPTS = 5
MAX_VERSIONS = 100  # the most If-Match versions one condition names (DynamoDB's IN takes 100 values)


class ProductStore(Protocol):
    """What the service needs from storage (the DynamoDB repository, or a fake in unit tests)."""

    def find_by_id(self, product_id: str) -> ProductRecord | None: ...
    def find_name_owner(self, name: str) -> str | None: ...
    def find_idempotent_result(self, key_hash: str, now: int) -> tuple[str, ProductRecord] | None: ...
    def create(self, product: ProductRecord, idempotent: IdempotentRequest | None = None) -> None: ...
    def revise(self, change: InPlaceChange) -> Revision: ...
    def save(self, product: ProductRecord, previous: ProductRecord) -> None: ...
    def list_active(self, limit: int, token: str | None) -> Page: ...
    def list_by_price(self, limit: int, descending: bool, token: str | None) -> Page: ...
    def list_by_name(self, name: str, limit: int, token: str | None) -> Page: ...


def _fits_one_condition(if_match: VersionCondition | None) -> bool:
    """Whether one conditional write can name the versions If-Match allows: DynamoDB's IN takes at most 100
    values, and when no version can match, a read tells 412 from 404."""
    return if_match is None or if_match.any_version or 0 < len(if_match.versions) <= MAX_VERSIONS


def _record_update(before: ProductRecord, after: ProductRecord) -> None:
    record_event(PRODUCT_UPDATED)
    if after.active and not before.active:
        record_event(PRODUCT_RESTORED)


def _outcome_unknown(product_id: str, created: bool = False, keyed: bool = False) -> OutcomeUnknown:
    """The store never answered a write, nor the read that would tell whether it was stored. Every such message
    says "may have been applied": clients and docs/API.md look for that phrase."""
    path = f"/v1.0/products/{product_id}"
    if not created:
        return OutcomeUnknown(
            "The product store did not answer in time, so this change may have been applied: GET "
            f"{path} shows whether it was (404 once deleted) before you send it again."
        )
    how = (
        "GET it, or retry with the same Idempotency-Key (answered with this product if it was created)"
        if keyed
        else "GET it, and send the request again only if that answers 404"
    )
    return OutcomeUnknown(
        f"The product store did not answer in time, so this create may have been applied (the product would be "
        f"{path}): {how}."
    )


def utc_now() -> str:
    """ISO 8601 UTC timestamp with a Z suffix."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ProductService:
    """Products: create, read, list, partial update (incl. restore) and soft delete."""

    def __init__(
        self,
        store: ProductStore,
        clock: Callable[[], str] = utc_now,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        epoch: Callable[[], int] = lambda: int(time.time()),
        new_write_id: Callable[[], str] = lambda: uuid.uuid4().hex[:16],
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._epoch = epoch
        # Each write carries an id the store keeps with the product: an attempt whose answer was lost is
        # recognised as this write's even after other writes (60 random bits: no two writes share one).
        self._new_write_id = new_write_id

    def get(self, product_id: str) -> ProductRecord:
        """An active product; inactive ones are not found."""
        product = self._store.find_by_id(product_id)
        if product is None or not product.active:
            raise ProductNotFound(product_id)
        return product

    def list(self, query: ListQuery) -> Page:
        """A page of active products for the query."""
        if query.name is not None:
            return self._store.list_by_name(query.name, query.limit, query.next_token)
        if query.sort_by_price:
            return self._store.list_by_price(query.limit, query.descending, query.next_token)
        return self._store.list_active(query.limit, query.next_token)

    def create(
        self, draft: ProductDraft, caller: str, idempotent: IdempotentRequest | None = None
    ) -> ProductRecord:
        """Store a new active product at version 1; its name must be free.

        A retry with the same Idempotency-Key and body within 24 hours returns the first product and creates
        nothing; the same key with another body is refused.
        """
        if idempotent is not None:
            idempotent = idempotent._replace(received_at=self._epoch())
        for _ in range(MAX_WRITE_ATTEMPTS):
            earlier = self._earlier_result(idempotent) if idempotent else None
            if earlier is not None:
                record_event(IDEMPOTENT_REPLAY)
                return earlier
            product = ProductRecord.new(self._new_id(), draft, caller, self._clock(), self._new_write_id())
            try:
                self._store.create(product, idempotent)
                record_event(PRODUCT_CREATED)
                return product
            except NameAlreadyTaken:
                raise self._name_taken(draft.name) from None
            except UnsettledWrite:
                raise _outcome_unknown(
                    product.product_id, created=True, keyed=idempotent is not None
                ) from None
            except (IdempotencyKeyTaken, WriteConflict):
                # Lost to a concurrent request: with the same key, answer with its product (read again above,
                # also when DynamoDB cancelled this transaction while the other was still committing).
                if idempotent is None:
                    raise ConcurrentModification() from None
        raise ConcurrentModification()

    def _earlier_result(self, idempotent: IdempotentRequest) -> ProductRecord | None:
        found = self._store.find_idempotent_result(idempotent.key_hash, idempotent.received_at)
        if found is None:
            return None
        body_hash, product = found
        if body_hash != idempotent.body_hash:
            raise IdempotencyKeyReused()
        return product

    def update(
        self,
        product_id: str,
        changes: ProductChanges,
        caller: str,
        if_match: VersionCondition | None,
        if_none_match: VersionCondition | None = None,
    ) -> ProductRecord:
        """Apply a partial change (restore with active=true); the version must match If-Match if given, and
        must not match If-None-Match if given.

        A change of other fields is made in place, in one conditional write; a rename (its name claim moves),
        a restore (it rejoins the price index) and a write under If-None-Match read the product first.
        """
        at, write_id = self._clock(), self._new_write_id()
        if changes.name is None and not changes.active and if_none_match is None:
            change = InPlaceChange(product_id, changes, caller, at, if_match, write_id)
            return self._revise(change, PRODUCT_UPDATED)
        apply = ProductRecord.restored if changes.active else ProductRecord.revised
        try:
            return self._write(
                product_id,
                lambda current: apply(current, changes, caller, at, write_id),
                if_match,
                _record_update,
                if_none_match,
            )
        except NameAlreadyTaken:
            assert changes.name is not None  # only a rename can lose the race for a name
            raise self._name_taken(changes.name) from None

    def delete(
        self,
        product_id: str,
        caller: str,
        if_match: VersionCondition | None,
        if_none_match: VersionCondition | None = None,
    ) -> None:
        """Soft delete: mark inactive. Deleting an inactive product changes nothing."""
        change = InPlaceChange(
            product_id, ProductChanges(active=False), caller, self._clock(), if_match, self._new_write_id()
        )
        if if_none_match is None:
            self._revise(change, PRODUCT_DELETED)
            return
        self._write(
            product_id,
            lambda current: current.revised(change.changes, change.by, change.at, change.write_id),
            if_match,
            lambda before, after: record_event(PRODUCT_DELETED),
            if_none_match,
        )

    def _revise(self, change: InPlaceChange, event: str) -> ProductRecord:
        """Change the product in place in one conditional write: it merges with concurrent changes of other
        fields, so it needs no retry; a failed condition is told apart by the product as it stood. A write
        counts as `event` in the request's metrics."""
        if_match = change.if_match
        if not _fits_one_condition(if_match):
            return self._write(
                change.product_id,
                lambda current: current.revised(change.changes, change.by, change.at, change.write_id),
                if_match,
                lambda before, after: record_event(event),
            )
        try:
            revision = self._store.revise(change)
        except UnsettledWrite:
            raise _outcome_unknown(change.product_id) from None
        current = revision.product
        if current is None:
            raise ProductNotFound(change.product_id)
        if revision.written:  # by this attempt or an earlier one of this very request
            record_event(event)
            return current
        if if_match is not None and not if_match.matches(current.version):
            raise VersionMismatch()
        return current  # nothing differed: nothing written

    def _write(
        self,
        product_id: str,
        change: Callable[[ProductRecord], ProductRecord],
        if_match: VersionCondition | None,
        on_saved: Callable[[ProductRecord, ProductRecord], None],
        if_none_match: VersionCondition | None = None,
    ) -> ProductRecord:
        """Read, change and conditionally write; without a specific If-Match, retry lost races (re-checking
        If-None-Match against each version read). `on_saved` hears of the stored change (before, after); a
        change that changes nothing is not stored."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = self._store.find_by_id(product_id)
            if current is None:
                raise ProductNotFound(product_id)
            if if_match is not None and not if_match.matches(current.version):
                raise VersionMismatch()
            if if_none_match is not None and if_none_match.matches(current.version):
                raise VersionMatched()
            updated = change(current)
            if updated is current:
                return current
            try:
                self._store.save(updated, current)
                on_saved(current, updated)
                return updated
            except UnsettledWrite:
                raise _outcome_unknown(product_id) from None
            except WriteConflict:
                if if_match is not None and not if_match.any_version:
                    raise VersionMismatch() from None
        raise ConcurrentModification()

    def _name_taken(self, name: str) -> NameAlreadyTaken:
        owner_id = self._store.find_name_owner(name)
        owner = self._store.find_by_id(owner_id) if owner_id else None
        if owner is not None and not owner.active:
            return NameAlreadyTaken(
                f"The name '{name}' belongs to deleted product {owner.product_id}; restore it with "
                "PUT /v1.0/products/" + owner.product_id + ' and {"active": true}, or choose another name.'
            )
        return NameAlreadyTaken(f"The name '{name}' is already used by another product; choose another name.")
