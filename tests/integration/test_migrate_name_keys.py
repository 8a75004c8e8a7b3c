"""scripts/ops/migrate_name_keys.py against moto's DynamoDB: dry run by default, idempotent, resumable, and
collisions reported rather than overwritten."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from exceptions.product_exceptions import NameAlreadyTaken
from scripts.ops.migrate_name_keys import main, migrate, plan, scan, transaction
from models.commands import ProductChanges
from models.record import ProductRecord, name_key, name_key_problem
from repositories import keys
from repositories.dynamodb import create_client
from repositories.legacy_name_keys import legacy_name_key
from repositories.product_repository import ProductRepository
from samples import product_record
from services.product_service import ProductService
from utils.entity_tags import if_match_condition
from utils.settings import get_settings

pytestmark = pytest.mark.usefixtures("empty_table")

WriteLegacy = Callable[[ProductRecord], None]


def table() -> tuple[Any, str]:
    return create_client(get_settings()), get_settings().table_name


def item(pk: str) -> dict[str, Any] | None:
    client, name = table()
    found: dict[str, Any] | None = client.get_item(
        TableName=name, Key={"PK": {"S": pk}, "SK": {"S": "METADATA"}}
    ).get("Item")
    return found


def test_a_dry_run_writes_nothing(write_legacy: WriteLegacy, table_snapshot: Any) -> None:
    write_legacy(product_record(name="Basic  Plan"))
    before = table_snapshot()
    report = migrate(*table(), apply=False)
    assert (report.products, report.migrated, report.collisions) == (1, 1, 0)
    assert table_snapshot() == before


def test_apply_moves_the_claim_and_the_index_key(
    write_legacy: WriteLegacy, repository: ProductRepository
) -> None:
    legacy = product_record(name="\uff22asic  Plan")
    write_legacy(legacy)
    assert migrate(*table(), apply=True).migrated == 1
    assert item(keys.name_claim_pk(legacy.name)) is not None
    assert item(keys.NAME_CLAIM_PREFIX + legacy_name_key(legacy.name)) is None
    stored = item(keys.product_pk(legacy.product_id))
    assert stored is not None and stored["GSI2_PK"] == {"S": "basic plan"}
    assert [p.product_id for p in repository.list_by_name("Basic Plan", 10, None).products] == [
        legacy.product_id
    ]
    with pytest.raises(NameAlreadyTaken):  # every look-alike is blocked now, not only the legacy spelling
        repository.create(product_record(name="BASIC PLAN"))


def test_a_second_run_changes_nothing(write_legacy: WriteLegacy, table_snapshot: Any) -> None:
    write_legacy(product_record(name="Plan \u00b2"))
    migrate(*table(), apply=True)
    after_first = table_snapshot()
    report = migrate(*table(), apply=True)
    assert (report.migrated, report.already) == (0, 1)
    assert table_snapshot() == after_first


def test_a_stopped_run_resumes(write_legacy: WriteLegacy, repository: ProductRepository) -> None:
    done, half_done, not_done = (
        product_record(name=name) for name in ("Plan \u00b9", "Plan \u00b2", "Plan \u00b3")
    )
    for product in (done, half_done, not_done):
        write_legacy(product)
    client, name = table()
    moves, _ = plan(list(scan(client, name)))
    first = next(move for move in moves if move.product_id == done.product_id)
    client.transact_write_items(TransactItems=transaction(name, first))
    client.put_item(  # a claim that a run had written before it stopped: this product's, so kept
        TableName=name,
        Item={
            "PK": {"S": keys.name_claim_pk(half_done.name)},
            "SK": {"S": keys.METADATA_SK},
            "entityType": {"S": keys.ENTITY_NAME_CLAIM},
            "productId": {"S": half_done.product_id},
        },
    )
    report = migrate(client, name, apply=True)
    assert (report.migrated, report.already, report.collisions) == (2, 1, 0)
    for product in (done, half_done, not_done):
        assert repository.find_name_owner(name_key(product.name)) == product.product_id


def test_a_collision_is_reported_and_left_as_it_was(
    write_legacy: WriteLegacy, repository: ProductRepository, table_snapshot: Any, capsys: Any
) -> None:
    current = product_record(name="Basic Plan")
    repository.create(current)
    twin = product_record(name="Basic  Plan")  # written before the key collapsed spaces
    write_legacy(twin)
    before = table_snapshot()
    assert main(["--apply"]) == 1
    output = capsys.readouterr().out
    assert f"COLLISION {twin.product_id}" in output and current.product_id in output
    assert table_snapshot() == before


def test_two_legacy_look_alikes_collide_with_each_other_not_with_the_table(
    write_legacy: WriteLegacy, table_snapshot: Any
) -> None:
    first, second = product_record(name="Cloud  Plan"), product_record(name="\u2102loud Plan")
    write_legacy(first)
    write_legacy(second)
    report = migrate(*table(), apply=True)
    assert (report.migrated, report.collisions) == (1, 1)


def test_a_product_renamed_since_the_scan_is_not_overwritten(write_legacy: WriteLegacy) -> None:
    legacy = product_record(name="Basic  Plan")
    write_legacy(legacy)
    client, name = table()
    (move,) = plan(list(scan(client, name)))[0]
    stale = replace(move, name="Some  Other Plan", claim_pk=keys.name_claim_pk("Some Other Plan"))
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=transaction(name, stale))
    assert item(keys.name_claim_pk("Some Other Plan")) is None


def test_the_default_is_a_dry_run(write_legacy: WriteLegacy, table_snapshot: Any) -> None:
    write_legacy(product_record(name="Basic  Plan"))
    before = table_snapshot()
    assert main([]) == 0
    assert table_snapshot() == before


@pytest.mark.parametrize("if_match", [None, '"1"'], ids=["no If-Match", "If-Match of its tag"])
def test_renaming_the_unmigrated_twin_as_the_report_says_lets_the_migration_finish(
    write_legacy: WriteLegacy, repository: ProductRepository, capsys: Any, if_match: str | None
) -> None:
    current = product_record(name="Basic Plan")
    repository.create(current)
    twin = product_record(name="Basic  Plan")
    write_legacy(twin)
    assert main(["--apply"]) == 1
    service = ProductService(repository)
    renamed = service.update(
        twin.product_id, ProductChanges(name="Free Plan"), "bob", if_match_condition(if_match)
    )
    assert (renamed.name, renamed.version) == ("Free Plan", 2)
    assert main(["--apply"]) == 0
    assert "0 collisions, 0 changed" in capsys.readouterr().out
    assert repository.find_name_owner("basic plan") == current.product_id
    assert repository.find_name_owner("free plan") == twin.product_id
    assert repository.find_name_owner("Basic  Plan") == current.product_id


def test_a_name_whose_new_key_is_too_long_for_dynamodb_is_reported_as_rename_first(
    write_legacy: WriteLegacy, table_snapshot: Any, capsys: Any
) -> None:
    long = product_record(name="\ufdfa" * 100)  # each character is 18 once compared as names are
    write_legacy(long)
    write_legacy(product_record(name="Basic  Plan"))
    assert name_key_problem(long.name) is not None
    before = table_snapshot()
    assert main([]) == 1
    assert main(["--apply"]) == 1
    output = capsys.readouterr().out
    assert f"RENAME FIRST {long.product_id}" in output and "at most 2036 bytes" in output
    assert (
        "1 migrated, 0 already migrated, 0 collisions, 0 changed during the run, 1 to rename first" in output
    )
    assert [item for item in table_snapshot() if long.product_id in str(item)] == [
        item for item in before if long.product_id in str(item)
    ]
