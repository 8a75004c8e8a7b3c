"""The record's rules, without any store: creation, revision, deactivation and restore."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.commands import InPlaceChange, ProductChanges, ProductDraft
from models.record import WRITES_KEPT, ProductRecord, name_key

PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
CREATED = "2026-01-01T00:00:00.000Z"
LATER = "2026-01-02T00:00:00.000Z"


@pytest.fixture
def product(draft: ProductDraft) -> ProductRecord:
    return ProductRecord.new(PRODUCT_ID, draft, "alice", CREATED)


def test_name_key_ignores_case_and_surrounding_space() -> None:
    assert name_key("  Straße Plan ") == name_key("STRASSE PLAN")


def test_new_product_is_active_at_version_1_with_the_drafts_fields(
    product: ProductRecord, draft: ProductDraft
) -> None:
    assert (product.product_id, product.active, product.version) == (PRODUCT_ID, True, 1)
    assert (product.name, product.price, product.currency, product.features) == (
        draft.name,
        draft.price,
        draft.currency,
        draft.features,
    )
    assert (product.created_at, product.updated_at, product.last_updated_by) == (CREATED, CREATED, "alice")


def test_revision_changes_only_the_fields_sent_and_stamps_the_next_version(product: ProductRecord) -> None:
    revised = product.revised(ProductChanges(price=Decimal("120.00"), features=()), "bob", LATER)
    assert (revised.price, revised.features, revised.name) == (Decimal("120.00"), (), product.name)
    assert (revised.version, revised.updated_at, revised.last_updated_by) == (2, LATER, "bob")
    assert revised.created_at == CREATED


def test_revision_that_changes_nothing_is_the_same_record(product: ProductRecord) -> None:
    unchanged = ProductChanges(name=product.name, price=Decimal("95.0"), active=True)
    assert product.revised(unchanged, "bob", LATER) is product
    assert product.revised(ProductChanges(), "bob", LATER) is product


def test_deactivation_stamps_the_next_version_once(product: ProductRecord) -> None:
    deleted = product.revised(ProductChanges(active=False), "bob", LATER)
    assert (deleted.active, deleted.version, deleted.last_updated_by) == (False, 2, "bob")
    assert deleted.revised(ProductChanges(active=False), "carol", LATER) is deleted


def test_restore_reactivates_a_deactivated_product_with_any_other_changes(product: ProductRecord) -> None:
    deleted = product.revised(ProductChanges(active=False), "bob", LATER)
    restored = deleted.restored(ProductChanges(period="yearly"), "carol", LATER)
    assert (restored.active, restored.period, restored.version) == (True, "yearly", 3)
    assert restored.last_updated_by == "carol"
    assert product.restored(ProductChanges(active=True), "carol", LATER) is product


def test_a_record_holds_the_write_that_made_it(product: ProductRecord) -> None:
    changes = ProductChanges(price=Decimal("120.00"))
    revised = product.revised(changes, "bob", LATER)
    assert revised.holds(InPlaceChange(PRODUCT_ID, changes, "bob", LATER))
    assert not revised.holds(InPlaceChange(PRODUCT_ID, changes, "carol", LATER))
    assert not revised.holds(InPlaceChange(PRODUCT_ID, changes, "bob", CREATED))
    assert not revised.holds(InPlaceChange(PRODUCT_ID, ProductChanges(price=Decimal("121.00")), "bob", LATER))


def test_a_write_with_an_id_is_held_while_its_id_is_among_the_last_kept(product: ProductRecord) -> None:
    mine = InPlaceChange(PRODUCT_ID, ProductChanges(price=Decimal("120.00")), "bob", LATER, None, "mine")
    revised = product.revised(mine.changes, mine.by, mine.at, mine.write_id)
    assert revised.holds(mine)
    for n in range(WRITES_KEPT - 1):
        revised = revised.revised(ProductChanges(description=f"Edit {n}."), "carol", LATER, f"theirs-{n}")
    assert revised.holds(mine) and revised.price == Decimal("120.00")
    assert not revised.revised(ProductChanges(period="yearly"), "carol", LATER, "one-more").holds(mine)


def test_a_write_with_an_id_is_not_held_by_an_equal_product_it_never_made(product: ProductRecord) -> None:
    theirs = product.revised(ProductChanges(price=Decimal("120.00")), "bob", LATER, "theirs")
    assert not theirs.holds(
        InPlaceChange(PRODUCT_ID, ProductChanges(price=Decimal("120.00")), "bob", LATER, None, "mine")
    )
    assert not theirs.holds(product.revised(ProductChanges(price=Decimal("120.00")), "bob", LATER, "mine"))


def test_a_change_that_changes_nothing_records_no_write(product: ProductRecord) -> None:
    assert product.revised(ProductChanges(name=product.name), "bob", LATER, "w1") is product
