"""The store contract: every behaviour the service relies on, run against the in-memory fake the unit tests
use and against the DynamoDB repository on moto's server, so the fake cannot drift from the real store."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal
from collections.abc import Callable
from typing import Any

import pytest

from exceptions.product_exceptions import (
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    UnsettledWrite,
    ValidationFailed,
    WriteConflict,
)
from fakes import FakeProductStore
from models.commands import IDEMPOTENCY_WINDOW_SECONDS, InPlaceChange, ProductChanges
from models.record import WRITES_KEPT, ProductRecord, Revision
from samples import keyed, product_record
from repositories.dynamodb import create_client, one_attempt_twin
from repositories.product_repository import ProductRepository
from services.product_service import ProductStore
from test_unanswered_writes import lose_answers, lose_first_answer, retry_at_once
from utils.entity_tags import if_match_condition
from utils.settings import get_settings

LATER = "2026-02-01T00:00:00.000Z"


@pytest.fixture(params=["fake", "dynamodb"])
def store(request: pytest.FixtureRequest) -> ProductStore:
    if request.param == "fake":
        return FakeProductStore()
    request.getfixturevalue("empty_table")
    repository: ProductStore = request.getfixturevalue("repository")
    return repository


def test_create_stores_the_product_and_claims_its_name(store: ProductStore) -> None:
    product = product_record(name="Entry Plan")
    store.create(product)
    assert store.find_by_id(product.product_id) == product
    assert store.find_name_owner("ENTRY PLAN") == product.product_id


def test_keyed_create_records_the_result(store: ProductStore) -> None:
    product = product_record()
    store.create(product, keyed())
    assert store.find_idempotent_result("key-1", now=1_000) == ("body-1", product)


def test_create_with_claimed_name_writes_nothing(store: ProductStore) -> None:
    store.create(product_record(name="Entry Plan"))
    loser = product_record(name="entry plan")
    with pytest.raises(NameAlreadyTaken):
        store.create(loser)
    assert store.find_by_id(loser.product_id) is None


def test_save_with_expected_version_replaces_the_item(store: ProductStore) -> None:
    product = product_record()
    store.create(product)
    updated = replace(product, price=Decimal("120.50"), version=2)
    store.save(updated, product)
    assert store.find_by_id(product.product_id) == updated


def test_save_over_a_newer_version_is_a_conflict(store: ProductStore) -> None:
    product = product_record()
    store.create(product)
    store.save(replace(product, version=2), product)
    with pytest.raises(WriteConflict):
        store.save(replace(product, period="yearly", version=2), product)
    stored = store.find_by_id(product.product_id)
    assert stored is not None and stored.period == "monthly"


def test_rename_moves_the_claim_in_one_transaction(store: ProductStore) -> None:
    product = product_record(name="Entry Plan")
    store.create(product)
    store.save(replace(product, name="Starter Plan", version=2), product)
    assert store.find_name_owner("Entry Plan") is None
    assert store.find_name_owner("starter plan") == product.product_id


def test_rename_to_a_claimed_name_changes_nothing(store: ProductStore) -> None:
    first, second = product_record(name="Entry Plan"), product_record(name="Basic Plan")
    store.create(first)
    store.create(second)
    with pytest.raises(NameAlreadyTaken):
        store.save(replace(second, name="ENTRY PLAN", version=2), second)
    assert store.find_by_id(second.product_id) == second
    assert store.find_name_owner("Basic Plan") == second.product_id


def test_rename_of_a_stale_version_is_a_conflict(store: ProductStore) -> None:
    product = product_record(name="Entry Plan")
    store.create(product)
    store.save(replace(product, version=2), product)
    with pytest.raises(WriteConflict):
        store.save(replace(product, name="Starter Plan", version=2), product)
    assert store.find_name_owner("Starter Plan") is None


def test_case_only_rename_keeps_the_claim(store: ProductStore) -> None:
    product = product_record(name="Entry Plan")
    store.create(product)
    store.save(replace(product, name="ENTRY PLAN", version=2), product)
    assert store.find_name_owner("entry plan") == product.product_id


def pages(fetch: Any, limit: int) -> list[list[ProductRecord]]:
    result, token = [], None
    while True:
        page = fetch(limit, token)
        result.append(page.products)
        token = page.next_token
        if token is None:
            return result


def test_list_active_pages_through_every_active_product_once(store: ProductStore) -> None:
    active = [product_record(name=f"Plan {n:02d}") for n in range(11)]
    for product in active + [product_record(name="Gone Plan", active=False)]:
        store.create(product)
    result = pages(store.list_active, 4)
    assert [len(page) for page in result] == [4, 4, 3]
    ids = [p.product_id for page in result for p in page]
    assert sorted(ids) == sorted(p.product_id for p in active)


@pytest.mark.parametrize("token", ["not-a-token", "9" * 5000, "[" * 1500])
def test_a_token_the_store_did_not_issue_is_refused_on_next_token(store: ProductStore, token: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        store.list_active(10, token)
    assert [detail.field for detail in refused.value.details] == ["nextToken"]


def test_exactly_full_last_page_has_no_token(store: ProductStore) -> None:
    for n in range(4):
        store.create(product_record(name=f"Plan {n:02d}"))
    assert [len(page) for page in pages(store.list_active, 2)] == [2, 2]


def test_list_by_price_orders_numerically_both_ways(store: ProductStore) -> None:
    prices = ["1500.00", "0.50", "999999.99", "95.00", "9.99"]
    for n, price in enumerate(prices):
        store.create(product_record(name=f"Plan {n:02d}", price=price))
    ascending = [p.price for page in pages(lambda l, t: store.list_by_price(l, False, t), 2) for p in page]
    descending = [p.price for page in pages(lambda l, t: store.list_by_price(l, True, t), 2) for p in page]
    assert ascending == sorted(Decimal(p) for p in prices)
    assert descending == list(reversed(ascending))


def test_list_by_name_finds_only_the_active_product(store: ProductStore) -> None:
    product = product_record(name="Entry Plan")
    store.create(product)
    store.create(product_record(name="Basic Plan"))
    assert [p.product_id for p in store.list_by_name("entry PLAN", 10, None).products] == [product.product_id]
    store.save(replace(product, active=False, version=2), product)
    assert store.list_by_name("Entry Plan", 10, None).products == []


def test_expired_record_is_treated_as_gone_and_can_be_replaced(store: ProductStore) -> None:
    store.create(product_record(name="Entry Plan"), keyed())
    later = 1_000 + IDEMPOTENCY_WINDOW_SECONDS
    assert store.find_idempotent_result("key-1", now=later) is None
    replacement = product_record(name="Basic Plan")
    store.create(replacement, keyed(body_hash="body-2", received_at=later))
    assert store.find_idempotent_result("key-1", now=later) == ("body-2", replacement)


def test_second_create_with_a_live_key_writes_nothing(store: ProductStore) -> None:
    store.create(product_record(name="Entry Plan"), keyed())
    duplicate = product_record(name="Entry Plan")
    with pytest.raises(IdempotencyKeyTaken):
        store.create(duplicate, keyed(received_at=1_001))
    assert store.find_by_id(duplicate.product_id) is None


def test_idempotency_records_are_not_listed(store: ProductStore) -> None:
    product = product_record()
    store.create(product, keyed())
    assert [p.product_id for p in store.list_active(10, None).products] == [product.product_id]


def test_revise_sets_only_the_fields_sent_and_stamps_the_next_version(store: ProductStore) -> None:
    product = product_record()
    store.create(product)
    revision = store.revise(
        InPlaceChange(product.product_id, ProductChanges(price=Decimal("120.50")), "bob", LATER, None)
    )
    expected = replace(product, price=Decimal("120.50"), version=2, updated_at=LATER, last_updated_by="bob")
    assert revision == Revision(expected, written=True)
    assert store.find_by_id(product.product_id) == expected


def test_revisions_of_different_fields_merge(store: ProductStore) -> None:
    product = product_record()
    store.create(product)
    store.revise(
        InPlaceChange(product.product_id, ProductChanges(price=Decimal("42.00")), "bob", LATER, None)
    )
    store.revise(
        InPlaceChange(
            product.product_id, ProductChanges(features=("Backups",), period="yearly"), "eve", LATER, None
        )
    )
    stored = store.find_by_id(product.product_id)
    assert stored is not None
    assert (stored.price, stored.features, stored.period, stored.version) == (
        Decimal("42.00"),
        ("Backups",),
        "yearly",
        3,
    )


def test_revise_of_a_missing_product_finds_nothing(store: ProductStore) -> None:
    assert store.revise(
        InPlaceChange(str(uuid.uuid4()), ProductChanges(active=False), "bob", LATER, None)
    ) == Revision(None, written=False)


@pytest.mark.parametrize(
    "changes, if_match",
    [
        (ProductChanges(period="yearly"), '"2"'),
        (ProductChanges(price=Decimal("95.0"), features=("One-page website",)), None),
        (ProductChanges(price=Decimal("95.0")), '"1"'),
    ],
    ids=["stale version", "no difference", "no difference at the version"],
)
def test_revise_that_fails_its_condition_returns_the_product_unchanged(
    store: ProductStore, changes: ProductChanges, if_match: str | None
) -> None:
    product = product_record()
    store.create(product)
    condition = if_match_condition(if_match)
    assert store.revise(InPlaceChange(product.product_id, changes, "bob", LATER, condition)) == Revision(
        product, written=False
    )
    assert store.find_by_id(product.product_id) == product


def test_deactivating_revision_leaves_the_lists(store: ProductStore) -> None:
    product = product_record()
    store.create(product)
    store.revise(
        InPlaceChange(
            product.product_id,
            ProductChanges(active=False),
            "bob",
            LATER,
            if_match_condition('"1"'),
        )
    )
    assert store.list_active(10, None).products == []
    assert store.list_by_price(10, False, None).products == []
    assert store.list_by_name(product.name, 10, None).products == []


def test_revised_price_moves_the_product_in_price_order(store: ProductStore) -> None:
    cheap, dear = product_record(name="Cheap Plan", price="5.00"), product_record(
        name="Dear Plan", price="50.00"
    )
    store.create(cheap)
    store.create(dear)
    store.revise(InPlaceChange(cheap.product_id, ProductChanges(price=Decimal("500.00")), "bob", LATER, None))
    ordered = [p.product_id for p in store.list_by_price(10, False, None).products]
    assert ordered == [dear.product_id, cheap.product_id]


def test_repeating_a_stored_create_succeeds(store: ProductStore) -> None:
    product = product_record()
    store.create(product, keyed())
    store.create(product, keyed())
    assert store.find_by_id(product.product_id) == product


@pytest.mark.parametrize("name", ["Entry Plan", "Starter Plan"], ids=["same name", "rename"])
def test_repeating_a_stored_save_succeeds(store: ProductStore, name: str) -> None:
    product = product_record(name="Entry Plan")
    store.create(product)
    updated = replace(product, name=name, period="yearly", version=2, updated_at=LATER)
    store.save(updated, product)
    store.save(updated, product)
    assert store.find_by_id(product.product_id) == updated
    assert store.find_name_owner(name) == product.product_id


def test_a_stale_rename_to_a_name_this_product_holds_is_a_conflict(store: ProductStore) -> None:
    product = product_record(name="Entry Plan")
    store.create(product)
    store.save(replace(product, name="Starter Plan", version=2, updated_at=LATER), product)
    with pytest.raises(WriteConflict):  # not NameAlreadyTaken: the claim's owner is this product
        store.save(replace(product, name="Starter Plan", version=2, last_updated_by="eve"), product)


@pytest.fixture(params=["fake", "dynamodb"])
def unanswering(request: pytest.FixtureRequest) -> tuple[ProductStore, Callable[[], None]]:
    """A store, and what makes its later writes go through while their answers, and the read that would
    settle them, are lost."""
    if request.param == "fake":
        fake = FakeProductStore()
        return fake, lambda: setattr(fake, "unsettled_writes", 1)
    request.getfixturevalue("empty_table")
    retry_at_once(request.getfixturevalue("monkeypatch"))
    client = create_client(get_settings())
    settling = one_attempt_twin(client)

    def lose() -> None:
        lose_answers(client, "UpdateItem")
        lose_answers(settling, "GetItem")

    return ProductRepository(client, get_settings().table_name, settling_client=settling), lose


def test_a_write_whose_answers_and_settling_read_are_lost_is_unsettled_yet_stored(
    unanswering: tuple[ProductStore, Callable[[], None]],
) -> None:
    store, lose = unanswering
    product = product_record()
    store.create(product)
    lose()
    change = InPlaceChange(product.product_id, ProductChanges(price=Decimal("120.50")), "bob", LATER, None)
    with pytest.raises(UnsettledWrite):
        store.revise(change)
    stored = store.find_by_id(product.product_id)
    assert stored is not None and stored.holds(change)


@pytest.fixture(params=["fake", "dynamodb"])
def retried(
    request: pytest.FixtureRequest,
) -> tuple[ProductStore, Callable[[Callable[[], Any], str], None]]:
    """A store, and what makes its next write (a DynamoDB `operation`) go through with its answer lost, run
    `meanwhile` (another caller's write), and be tried again, as botocore retries it."""
    if request.param == "fake":
        fake = FakeProductStore()
        return fake, lambda meanwhile, operation: setattr(fake, "answer_lost_then", meanwhile)
    request.getfixturevalue("empty_table")
    retry_at_once(request.getfixturevalue("monkeypatch"))
    client = create_client(get_settings())

    def lose_first(meanwhile: Callable[[], Any], operation: str) -> None:
        lose_first_answer(client, operation, meanwhile)

    return ProductRepository(client, get_settings().table_name), lose_first


def another_callers_change(product: ProductRecord) -> InPlaceChange:
    changes = ProductChanges(description="Another caller's description.")
    return InPlaceChange(product.product_id, changes, "carol", LATER, None, "their-write")


def test_a_conditional_revision_retried_after_another_write_is_written(
    retried: tuple[ProductStore, Callable[[Callable[[], Any], str], None]],
) -> None:
    store, lose_first = retried
    product = product_record()
    store.create(product)
    lose_first(lambda: store.revise(another_callers_change(product)), "UpdateItem")
    changes = ProductChanges(price=Decimal("120.50"))
    mine = InPlaceChange(product.product_id, changes, "bob", LATER, if_match_condition('"1"'), "my-write")
    revision = store.revise(mine)
    assert revision.written and revision.product is not None
    assert (revision.product.version, revision.product.price) == (3, Decimal("120.50"))
    assert revision.product.description == "Another caller's description."


@pytest.mark.parametrize(
    ("name", "operation"), [("Entry Plan", "PutItem"), ("Starter Plan", "TransactWriteItems")]
)
def test_a_save_retried_after_another_write_succeeds(
    retried: tuple[ProductStore, Callable[[Callable[[], Any], str], None]], name: str, operation: str
) -> None:
    store, lose_first = retried
    product = product_record(name="Entry Plan")
    store.create(product)
    lose_first(lambda: store.revise(another_callers_change(product)), operation)
    store.save(product.revised(ProductChanges(name=name, period="yearly"), "bob", LATER, "my-write"), product)
    stored = store.find_by_id(product.product_id)
    assert stored is not None and (stored.version, stored.name, stored.period) == (3, name, "yearly")
    assert store.find_name_owner(name) == product.product_id


def test_a_create_retried_after_another_write_succeeds(
    retried: tuple[ProductStore, Callable[[Callable[[], Any], str], None]],
) -> None:
    store, lose_first = retried
    product = replace(product_record(), write_id="my-write")
    lose_first(lambda: store.revise(another_callers_change(product)), "TransactWriteItems")
    store.create(product)
    stored = store.find_by_id(product.product_id)
    assert stored is not None and stored.holds(product) and stored.version == 2


def test_a_write_is_known_among_the_last_writes_kept_and_no_longer(store: ProductStore) -> None:
    product = replace(product_record(), write_id="first-write")
    store.create(product)
    for n in range(WRITES_KEPT - 1):
        change = ProductChanges(description=f"Edit {n}.")
        store.revise(InPlaceChange(product.product_id, change, "carol", LATER, None, f"edit-{n}"))
    stored = store.find_by_id(product.product_id)
    assert stored is not None and stored.holds(product)
    last = ProductChanges(description="One more.")
    store.revise(InPlaceChange(product.product_id, last, "carol", LATER, None, "one-more"))
    stored = store.find_by_id(product.product_id)
    assert stored is not None and not stored.holds(product)
