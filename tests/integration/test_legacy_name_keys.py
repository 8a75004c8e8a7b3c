"""Products stored under the legacy name key (NFC + case fold only) until scripts/ops/migrate_name_keys.py rewrites
them: they are still found by name and still block duplicates, on moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from api_client import ApiClient
from exceptions.product_exceptions import NameAlreadyTaken
from models.record import ProductRecord
from repositories.dynamodb import create_client
from repositories.legacy_name_keys import legacy_claim_pk
from repositories.product_repository import ProductRepository
from samples import product_body, product_record
from utils.settings import get_settings

pytestmark = pytest.mark.usefixtures("empty_table")

WriteLegacy = Callable[[ProductRecord], None]
# Names whose legacy key differs from the current one.
LEGACY_NAMES = ["Basic  Plan", "\uff22asic Plan", "Plan \u00b2", "\u2102loud Plan"]


def table_items(pk: str) -> list[dict[str, Any]]:
    client = create_client(get_settings())
    found = client.query(
        TableName=get_settings().table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )
    return list(found["Items"])


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_a_legacy_claim_blocks_a_create_of_the_same_spelling(
    repository: ProductRepository, write_legacy: WriteLegacy, name: str
) -> None:
    write_legacy(product_record(name=name))
    with pytest.raises(NameAlreadyTaken):
        repository.create(product_record(name=name.upper()))


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_a_legacy_claim_blocks_a_rename_to_the_same_spelling(
    repository: ProductRepository, write_legacy: WriteLegacy, name: str
) -> None:
    write_legacy(product_record(name=name))
    other = product_record(name="Other Plan")
    repository.create(other)
    with pytest.raises(NameAlreadyTaken):
        repository.save(replace(other, name=name, version=2), other)


def test_the_owner_of_a_legacy_claim_is_found(
    repository: ProductRepository, write_legacy: WriteLegacy
) -> None:
    legacy = product_record(name="Basic  Plan")
    write_legacy(legacy)
    assert repository.find_name_owner("basic  plan") == legacy.product_id


def test_name_search_finds_a_legacy_product_by_its_spelling(
    repository: ProductRepository, write_legacy: WriteLegacy
) -> None:
    legacy = product_record(name="\uff22asic Plan")
    write_legacy(legacy)
    assert [p.product_id for p in repository.list_by_name("\uff42ASIC plan", 10, None).products] == [
        legacy.product_id
    ]


def test_name_search_pages_through_legacy_products(
    repository: ProductRepository, write_legacy: WriteLegacy
) -> None:
    twins = [product_record(name="Basic  Plan") for _ in range(3)]  # only a pre-claim table could hold these
    for twin in twins:
        write_legacy(twin)
    first = repository.list_by_name("Basic  Plan", 2, None)
    assert first.next_token is not None
    rest = repository.list_by_name("Basic  Plan", 2, first.next_token)
    found = {p.product_id for p in first.products + rest.products}
    assert found == {twin.product_id for twin in twins} and rest.next_token is None


def test_renaming_a_legacy_product_frees_its_legacy_claim(
    repository: ProductRepository, write_legacy: WriteLegacy
) -> None:
    legacy = product_record(name="Basic  Plan")
    write_legacy(legacy)
    repository.save(replace(legacy, name="Renamed Plan", version=2), legacy)
    legacy_claim = legacy_claim_pk("Basic  Plan")
    assert legacy_claim is not None and table_items(legacy_claim) == []
    assert repository.find_name_owner("Basic  Plan") is None
    repository.create(product_record(name="Basic  Plan"))


def test_a_name_whose_keys_agree_needs_no_legacy_check(repository: ProductRepository) -> None:
    assert legacy_claim_pk("Entry Plan") is None
    repository.create(product_record(name="Entry Plan"))
    assert repository.find_name_owner("ENTRY PLAN") is not None


def test_a_respelling_under_the_same_key_meets_a_legacy_claim(
    repository: ProductRepository, write_legacy: WriteLegacy
) -> None:
    write_legacy(product_record(name="Basic  Plan"))
    plain = product_record(name="Basic Plan")  # its key and legacy key agree: nothing checks the legacy claim
    repository.create(plain)
    with pytest.raises(NameAlreadyTaken):
        repository.save(replace(plain, name="Basic  Plan", version=2), plain)


def test_a_legacy_product_keeps_its_own_spelling_on_update(
    repository: ProductRepository, write_legacy: WriteLegacy
) -> None:
    legacy = product_record(name="Basic  Plan")
    write_legacy(legacy)
    repository.save(replace(legacy, price=legacy.price + 1, version=2), legacy)
    repository.save(replace(legacy, name="BASIC  PLAN", version=3), replace(legacy, version=2))
    assert repository.find_by_id(legacy.product_id) == replace(legacy, name="BASIC  PLAN", version=3)


@pytest.mark.parametrize("if_match", [{}, {"If-Match": '"1"'}], ids=["no If-Match", "If-Match of its tag"])
def test_over_http_the_unmigrated_twin_of_an_active_name_can_be_renamed(
    api: ApiClient, write_legacy: WriteLegacy, if_match: dict[str, str]
) -> None:
    assert api.post("/v1.0/products", product_body(name="Basic Plan")).status == 201
    twin = product_record(name="Basic  Plan")  # stored before the key collapsed spaces
    write_legacy(twin)
    renamed = api.put(f"/v1.0/products/{twin.product_id}", {"name": "Free Plan"}, headers=if_match)
    assert (renamed.status, renamed.json()["product"]["name"], renamed.header("ETag")) == (
        200,
        "Free Plan",
        '"2"',
    )
