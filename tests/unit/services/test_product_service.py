"""Business rules, against the in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from exceptions.product_exceptions import (
    ConcurrentModification,
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    ProductNotFound,
    VersionMismatch,
    WriteConflict,
)
from fakes import FakeProductStore
from samples import FIXED_NOW, keyed
from models.commands import (
    IDEMPOTENCY_WINDOW_SECONDS,
    ListQuery,
    ProductChanges,
    ProductDraft,
)
from services.product_service import MAX_VERSIONS, MAX_WRITE_ATTEMPTS, ProductService, utc_now
from utils.entity_tags import if_match_condition

MISSING_ID = "00000000-0000-4000-8000-000000000000"


def test_create_sets_server_fields(service: ProductService, draft: ProductDraft) -> None:
    product = service.create(draft, "alice@example.com")
    assert product.active is True
    assert product.version == 1
    assert product.created_at == product.updated_at
    assert product.last_updated_by == "alice@example.com"
    assert service.get(product.product_id) == product


def test_create_with_taken_name_is_409(service: ProductService, draft: ProductDraft) -> None:
    service.create(draft, "alice")
    with pytest.raises(NameAlreadyTaken, match="already used"):
        service.create(draft._replace(name="ENTRY plan"), "bob")


def test_create_with_name_of_deleted_product_says_how_to_restore(
    service: ProductService, draft: ProductDraft
) -> None:
    deleted = service.create(draft, "alice")
    service.delete(deleted.product_id, "alice", None)
    with pytest.raises(NameAlreadyTaken, match=f"restore it with PUT /v1.0/products/{deleted.product_id}"):
        service.create(draft, "bob")


def test_create_losing_a_write_race_is_a_conflict(
    service: ProductService,
    draft: ProductDraft,
    fake_store: FakeProductStore,
) -> None:
    fake_store.create_error = WriteConflict()
    with pytest.raises(ConcurrentModification):
        service.create(draft, "alice")


def test_get_of_missing_product_is_not_found(service: ProductService) -> None:
    with pytest.raises(ProductNotFound):
        service.get(MISSING_ID)


def test_get_of_inactive_product_is_not_found(service: ProductService, draft: ProductDraft) -> None:
    product = service.create(draft, "alice")
    service.delete(product.product_id, "alice", None)
    with pytest.raises(ProductNotFound):
        service.get(product.product_id)


def test_update_changes_only_given_fields_and_bumps_version(
    service: ProductService, draft: ProductDraft
) -> None:
    product = service.create(draft, "alice")
    updated = service.update(product.product_id, ProductChanges(price=Decimal("120.00")), "bob", None)
    assert updated.price == Decimal("120.00")
    assert updated.name == product.name
    assert updated.version == 2
    assert updated.last_updated_by == "bob"
    assert updated.created_at == product.created_at


def test_update_with_matching_if_match_applies(service: ProductService, draft: ProductDraft) -> None:
    product = service.create(draft, "alice")
    updated = service.update(
        product.product_id, ProductChanges(period="yearly"), "bob", if_match_condition('"1"')
    )
    assert updated.period == "yearly"


def test_update_with_stale_if_match_is_412(service: ProductService, draft: ProductDraft) -> None:
    product = service.create(draft, "alice")
    service.update(product.product_id, ProductChanges(period="yearly"), "bob", None)
    with pytest.raises(VersionMismatch):
        service.update(product.product_id, ProductChanges(period="weekly"), "bob", if_match_condition('"1"'))
    assert service.get(product.product_id).period == "yearly"


@pytest.mark.parametrize(
    "changes",
    [ProductChanges(price=Decimal("1.00")), ProductChanges(name="Starter Plan"), ProductChanges(active=True)],
    ids=["in place", "rename", "restore"],
)
def test_update_of_missing_product_is_404(service: ProductService, changes: ProductChanges) -> None:
    with pytest.raises(ProductNotFound):
        service.update(MISSING_ID, changes, "bob", None)


def test_update_can_restore_an_inactive_product(service: ProductService, draft: ProductDraft) -> None:
    product = service.create(draft, "alice")
    service.delete(product.product_id, "alice", None)
    restored = service.update(product.product_id, ProductChanges(active=True), "bob", None)
    assert restored.active is True
    assert restored.version == 3
    assert service.get(product.product_id).active is True


@pytest.mark.parametrize(
    "changes",
    [ProductChanges(name="Entry Plan"), ProductChanges(price=Decimal("95.0")), ProductChanges(active=True)],
    ids=["read first", "in place", "restore"],
)
def test_update_without_any_difference_writes_nothing(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore, changes: ProductChanges
) -> None:
    product = service.create(draft, "alice")
    assert service.update(product.product_id, changes, "bob", if_match_condition('"1"')) == product
    assert service.update(product.product_id, changes, "bob", None) == product
    assert fake_store.writes == 0


def test_update_in_place_with_stale_if_match_and_no_difference_is_412(
    service: ProductService, draft: ProductDraft
) -> None:
    product = service.create(draft, "alice")
    with pytest.raises(VersionMismatch):
        service.update(
            product.product_id,
            ProductChanges(price=product.price),
            "bob",
            if_match_condition('"2"'),
        )


def test_update_naming_more_versions_than_one_condition_holds_reads_first(
    service: ProductService, draft: ProductDraft
) -> None:
    product = service.create(draft, "alice")
    tags = ", ".join(f'"{n}"' for n in range(1, MAX_VERSIONS + 2))
    stale_tags = ", ".join(f'"{n}"' for n in range(3, MAX_VERSIONS + 4))
    changes = ProductChanges(period="yearly")
    assert service.update(product.product_id, changes, "bob", if_match_condition(tags)).version == 2
    with pytest.raises(VersionMismatch):
        service.update(product.product_id, changes, "bob", if_match_condition(stale_tags))


def test_in_place_update_already_stored_by_an_earlier_attempt_succeeds(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    fake_store.answer_lost_then = lambda: None  # the first attempt is stored, its answer lost, then retried
    updated = service.update(
        product.product_id, ProductChanges(price=Decimal("120.00")), "bob", if_match_condition('"1"')
    )
    assert (updated.price, updated.version) == (Decimal("120.00"), 2)


def test_delete_with_stale_if_match_already_stored_by_an_earlier_attempt_succeeds(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    fake_store.answer_lost_then = lambda: None
    service.delete(product.product_id, "bob", if_match_condition('"1"'))
    with pytest.raises(VersionMismatch):
        service.delete(product.product_id, "carol", if_match_condition('"1"'))


def another_callers_edit(service: ProductService, product_id: str) -> Callable[[], None]:
    return lambda: service.update(product_id, ProductChanges(description="Edited meanwhile."), "carol", None)


@pytest.mark.parametrize(
    ("changes", "deleted_first"),
    [
        (ProductChanges(price=Decimal("120.00")), False),
        (ProductChanges(active=False), False),
        (ProductChanges(name="Starter Plan"), False),
        (ProductChanges(active=True), True),
    ],
    ids=["price", "delete", "rename", "restore"],
)
def test_a_conditional_write_retried_after_another_callers_write_succeeds(
    service: ProductService,
    draft: ProductDraft,
    fake_store: FakeProductStore,
    changes: ProductChanges,
    deleted_first: bool,
) -> None:
    product = service.create(draft, "alice")
    if deleted_first:
        service.delete(product.product_id, "alice", None)
    version = 2 if deleted_first else 1
    fake_store.answer_lost_then = another_callers_edit(service, product.product_id)
    if changes.active is False:
        service.delete(product.product_id, "bob", if_match_condition('"1"'))
    else:
        service.update(product.product_id, changes, "bob", if_match_condition(f'"{version}"'))
    stored = fake_store.products[product.product_id]
    assert (stored.version, stored.description) == (version + 2, "Edited meanwhile.")
    assert all(
        getattr(stored, field) == value for field, value in changes._asdict().items() if value is not None
    )


def test_a_create_retried_after_another_callers_write_succeeds(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    edits: list[str] = []

    def edit_the_new_product() -> None:
        (product_id,) = fake_store.products
        edits.append(product_id)
        another_callers_edit(service, product_id)()

    fake_store.answer_lost_then = edit_the_new_product
    created = service.create(draft, "alice")
    assert edits == [created.product_id] and fake_store.products[created.product_id].version == 2


def test_each_write_carries_an_id_of_its_own(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    service.update(product.product_id, ProductChanges(price=Decimal("120.00")), "bob", None)
    service.update(product.product_id, ProductChanges(name="Starter Plan"), "bob", None)
    service.delete(product.product_id, "bob", None)
    ids = fake_store.products[product.product_id].write_ids()
    assert len(ids) == len(set(ids)) == 4 and all(ids)


def test_rename_to_a_taken_name_is_409(service: ProductService, draft: ProductDraft) -> None:
    service.create(draft, "alice")
    other = service.create(draft._replace(name="Basic Plan"), "alice")
    with pytest.raises(NameAlreadyTaken):
        service.update(other.product_id, ProductChanges(name="entry PLAN"), "bob", None)


def test_rename_frees_the_old_name(service: ProductService, draft: ProductDraft) -> None:
    product = service.create(draft, "alice")
    service.update(product.product_id, ProductChanges(name="Starter Plan"), "bob", None)
    assert service.create(draft, "carol").name == draft.name


def test_update_retries_a_lost_race_without_if_match(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    fake_store.lose_next_writes = MAX_WRITE_ATTEMPTS - 1
    assert (
        service.update(product.product_id, ProductChanges(name="Starter Plan"), "bob", None).name
        == "Starter Plan"
    )


def test_update_gives_up_after_repeated_lost_races(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    fake_store.lose_next_writes = MAX_WRITE_ATTEMPTS
    with pytest.raises(ConcurrentModification):
        service.update(product.product_id, ProductChanges(name="Starter Plan"), "bob", None)


def test_update_with_if_match_that_loses_the_race_is_412(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    fake_store.lose_next_writes = 1
    with pytest.raises(VersionMismatch):
        service.update(
            product.product_id,
            ProductChanges(name="Starter Plan"),
            "bob",
            if_match_condition('"1"'),
        )


def test_update_with_if_match_star_retries_a_lost_race(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    fake_store.lose_next_writes = 1
    updated = service.update(
        product.product_id, ProductChanges(name="Starter Plan"), "bob", if_match_condition("*")
    )
    assert updated.name == "Starter Plan"


def test_delete_marks_inactive_and_bumps_version(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    service.delete(product.product_id, "bob", None)
    stored = fake_store.products[product.product_id]
    assert (stored.active, stored.version, stored.last_updated_by) == (False, 2, "bob")


def test_delete_of_inactive_product_changes_nothing(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    product = service.create(draft, "alice")
    service.delete(product.product_id, "bob", None)
    service.delete(product.product_id, "carol", None)
    assert fake_store.products[product.product_id].version == 2
    assert fake_store.writes == 1


def test_delete_of_missing_product_is_404(service: ProductService) -> None:
    with pytest.raises(ProductNotFound):
        service.delete(MISSING_ID, "bob", None)


def test_delete_with_stale_if_match_is_412(service: ProductService, draft: ProductDraft) -> None:
    product = service.create(draft, "alice")
    with pytest.raises(VersionMismatch):
        service.delete(product.product_id, "bob", if_match_condition('"7"'))
    assert service.get(product.product_id).active is True


def test_list_routes_to_the_right_read_path(service: ProductService, draft: ProductDraft) -> None:
    cheap = service.create(draft._replace(name="Cheap Plan", price=Decimal("5.00")), "alice")
    dear = service.create(draft._replace(name="Dear Plan", price=Decimal("500.00")), "alice")
    hidden = service.create(draft._replace(name="Hidden Plan"), "alice")
    service.delete(hidden.product_id, "alice", None)
    assert {p.product_id for p in service.list(ListQuery()).products} == {cheap.product_id, dear.product_id}
    descending = service.list(ListQuery(sort_by_price=True, descending=True)).products
    assert [p.product_id for p in descending] == [dear.product_id, cheap.product_id]
    assert [p.product_id for p in service.list(ListQuery(name="cheap plan")).products] == [cheap.product_id]


def test_utc_now_is_iso_8601_with_z() -> None:
    assert utc_now().endswith("Z") and "T" in utc_now()


def test_retry_with_same_key_and_body_returns_the_first_product(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    first = service.create(draft, "alice", keyed())
    assert service.create(draft, "alice", keyed()) == first
    assert len(fake_store.products) == 1


def test_retry_is_replayed_even_after_the_product_changed(
    service: ProductService, draft: ProductDraft
) -> None:
    first = service.create(draft, "alice", keyed())
    service.update(first.product_id, ProductChanges(period="yearly"), "bob", None)
    assert service.create(draft, "alice", keyed()) == first


def test_same_key_with_another_body_is_422(service: ProductService, draft: ProductDraft) -> None:
    service.create(draft, "alice", keyed())
    with pytest.raises(IdempotencyKeyReused):
        service.create(draft._replace(name="Other Plan"), "alice", keyed(body_hash="body-2"))


def test_key_expires_after_24_hours(fake_store: FakeProductStore, draft: ProductDraft) -> None:
    now = [1_000_000]
    service = ProductService(fake_store, epoch=lambda: now[0])
    first = service.create(draft, "alice", keyed())
    now[0] += IDEMPOTENCY_WINDOW_SECONDS
    second = service.create(draft._replace(name="Later Plan"), "alice", keyed(body_hash="body-2"))
    assert second.product_id != first.product_id


# DynamoDB cancels the loser's transaction because the record exists (IdempotencyKeyTaken), or because another
# transaction was still writing the same items (TransactionConflict: a WriteConflict): either way it replays.
@pytest.mark.parametrize("lost", [IdempotencyKeyTaken(), WriteConflict()], ids=["key-taken", "in-flight"])
def test_losing_the_key_race_replays_the_winner(
    service: ProductService,
    draft: ProductDraft,
    fake_store: FakeProductStore,
    monkeypatch: pytest.MonkeyPatch,
    lost: Exception,
) -> None:
    winner = service.create(draft, "alice", keyed())
    lookups = iter([None, ("body-1", winner)])

    monkeypatch.setattr(fake_store, "find_idempotent_result", lambda key, now: next(lookups))
    fake_store.create_error = lost
    assert service.create(draft, "alice", keyed()) == winner


def test_a_create_without_a_key_that_loses_a_transaction_is_a_conflict(
    service: ProductService, draft: ProductDraft, fake_store: FakeProductStore
) -> None:
    fake_store.create_error = WriteConflict()
    with pytest.raises(ConcurrentModification):
        service.create(draft, "alice")


def test_losing_the_key_race_to_an_expiring_record_is_a_conflict(
    service: ProductService,
    draft: ProductDraft,
    fake_store: FakeProductStore,
) -> None:
    fake_store.create_error = IdempotencyKeyTaken()
    with pytest.raises(ConcurrentModification):
        service.create(draft, "alice", keyed())
