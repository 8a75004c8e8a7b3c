"""The repository against moto's DynamoDB server over HTTP: items, claims, conditions and pages."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from exceptions.product_exceptions import (
    IdempotencyKeyTaken,
    NameAlreadyTaken,
    StoreUnavailable,
    ValidationFailed,
    WriteConflict,
)
from models.commands import IDEMPOTENCY_WINDOW_SECONDS, IdempotentRequest
from models.record import ProductRecord
from repositories import keys
from repositories.dynamodb import create_client
from repositories.product_repository import ProductRepository, from_item, to_item
from utils.settings import get_settings

pytestmark = pytest.mark.usefixtures("empty_table")


def record(name: str = "Entry Plan", price: str = "95.00", active: bool = True) -> ProductRecord:
    return ProductRecord(
        product_id=str(uuid.uuid4()),
        name=name,
        description="A one-page website for a new business.",
        price=Decimal(price),
        currency="ZAR",
        period="monthly",
        features=("One-page website",),
        active=active,
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        last_updated_by="anonymous",
        version=1,
    )


def raw_item(pk: str) -> dict[str, Any] | None:
    client = create_client(get_settings())
    item: dict[str, Any] | None = client.get_item(
        TableName=get_settings().table_name, Key={"PK": {"S": pk}, "SK": {"S": keys.METADATA_SK}}
    ).get("Item")
    return item


def test_item_round_trip_keeps_every_field() -> None:
    product = record(price="999999.99")
    assert from_item(to_item(product)) == product


def test_inactive_products_leave_the_price_index() -> None:
    assert "GSI1_PK" not in to_item(record(active=False))
    assert to_item(record())["GSI1_PK"] == {"S": keys.PRICE_PARTITION}


def test_create_stores_product_and_name_claim(repository: ProductRepository) -> None:
    product = record(name="Entry Plan")
    repository.create(product)
    assert repository.find_by_id(product.product_id) == product
    assert repository.find_name_owner("ENTRY PLAN") == product.product_id
    claim = raw_item(keys.name_claim_pk("entry plan"))
    assert claim is not None and claim["entityType"] == {"S": keys.ENTITY_NAME_CLAIM}


def test_create_with_claimed_name_writes_nothing(repository: ProductRepository) -> None:
    repository.create(record(name="Entry Plan"))
    loser = record(name="entry plan")
    with pytest.raises(NameAlreadyTaken):
        repository.create(loser)
    assert repository.find_by_id(loser.product_id) is None


def test_save_with_expected_version_replaces_the_item(repository: ProductRepository) -> None:
    product = record()
    repository.create(product)
    updated = replace(product, price=Decimal("120.50"), version=2)
    repository.save(updated, product)
    assert repository.find_by_id(product.product_id) == updated


def test_save_over_a_newer_version_is_a_conflict(repository: ProductRepository) -> None:
    product = record()
    repository.create(product)
    repository.save(replace(product, version=2), product)
    with pytest.raises(WriteConflict):
        repository.save(replace(product, period="yearly", version=2), product)
    stored = repository.find_by_id(product.product_id)
    assert stored is not None and stored.period == "monthly"


def test_rename_moves_the_claim_in_one_transaction(repository: ProductRepository) -> None:
    product = record(name="Entry Plan")
    repository.create(product)
    repository.save(replace(product, name="Starter Plan", version=2), product)
    assert repository.find_name_owner("Entry Plan") is None
    assert repository.find_name_owner("starter plan") == product.product_id


def test_rename_to_a_claimed_name_changes_nothing(repository: ProductRepository) -> None:
    first, second = record(name="Entry Plan"), record(name="Basic Plan")
    repository.create(first)
    repository.create(second)
    with pytest.raises(NameAlreadyTaken):
        repository.save(replace(second, name="ENTRY PLAN", version=2), second)
    assert repository.find_by_id(second.product_id) == second
    assert repository.find_name_owner("Basic Plan") == second.product_id


def test_rename_of_a_stale_version_is_a_conflict(repository: ProductRepository) -> None:
    product = record(name="Entry Plan")
    repository.create(product)
    repository.save(replace(product, version=2), product)
    with pytest.raises(WriteConflict):
        repository.save(replace(product, name="Starter Plan", version=2), product)
    assert repository.find_name_owner("Starter Plan") is None


def test_case_only_rename_keeps_the_claim(repository: ProductRepository) -> None:
    product = record(name="Entry Plan")
    repository.create(product)
    repository.save(replace(product, name="ENTRY PLAN", version=2), product)
    assert repository.find_name_owner("entry plan") == product.product_id


def pages(fetch: Any, limit: int) -> list[list[ProductRecord]]:
    result, token = [], None
    while True:
        page = fetch(limit, token)
        result.append(page.products)
        token = page.next_token
        if token is None:
            return result


def test_list_active_pages_through_every_active_product_once(repository: ProductRepository) -> None:
    active = [record(name=f"Plan {n:02d}") for n in range(11)]
    for product in active + [record(name="Gone Plan", active=False)]:
        repository.create(product)
    result = pages(repository.list_active, 4)
    assert [len(page) for page in result] == [4, 4, 3]
    ids = [p.product_id for page in result for p in page]
    assert sorted(ids) == sorted(p.product_id for p in active)


def test_exactly_full_last_page_has_no_token(repository: ProductRepository) -> None:
    for n in range(4):
        repository.create(record(name=f"Plan {n:02d}"))
    assert [len(page) for page in pages(repository.list_active, 2)] == [2, 2]


def test_list_by_price_orders_numerically_both_ways(repository: ProductRepository) -> None:
    prices = ["1500.00", "0.50", "999999.99", "95.00", "9.99"]
    for n, price in enumerate(prices):
        repository.create(record(name=f"Plan {n:02d}", price=price))
    ascending = [
        p.price for page in pages(lambda l, t: repository.list_by_price(l, False, t), 2) for p in page
    ]
    descending = [
        p.price for page in pages(lambda l, t: repository.list_by_price(l, True, t), 2) for p in page
    ]
    assert ascending == sorted(Decimal(p) for p in prices)
    assert descending == list(reversed(ascending))


def test_list_by_name_finds_only_the_active_product(repository: ProductRepository) -> None:
    product = record(name="Entry Plan")
    repository.create(product)
    repository.create(record(name="Basic Plan"))
    assert [p.product_id for p in repository.list_by_name("entry PLAN", 10, None).products] == [
        product.product_id
    ]
    repository.save(replace(product, active=False, version=2), product)
    assert repository.list_by_name("Entry Plan", 10, None).products == []


@pytest.mark.parametrize("token", ["garbage", "eyJQSyI6IngifQ", "e30KMTIzNA"])
def test_tampered_token_is_rejected(repository: ProductRepository, token: str) -> None:
    with pytest.raises(ValidationFailed):
        repository.list_active(10, token)


def test_token_from_another_query_is_rejected(repository: ProductRepository) -> None:
    for n in range(3):
        repository.create(record(name=f"Plan {n:02d}"))
    token = repository.list_by_price(1, False, None).next_token
    assert token is not None
    with pytest.raises(ValidationFailed):
        repository.list_active(1, token)
    with pytest.raises(ValidationFailed):
        repository.list_by_price(1, True, token)


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_throttling_and_outages_are_503(code: str) -> None:
    client = create_client(get_settings())
    repository = ProductRepository(client, "table")
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code=code)
        with pytest.raises(StoreUnavailable):
            repository.find_by_id(str(uuid.uuid4()))


def test_throttled_transaction_is_503() -> None:
    client = create_client(get_settings())
    with Stubber(client) as stub:
        stub.add_client_error(
            "transact_write_items",
            service_error_code="TransactionCanceledException",
            modeled_fields={"CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}]},
        )
        with pytest.raises(StoreUnavailable):
            ProductRepository(client, "table").create(record())


def test_unreachable_endpoint_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    client = create_client(get_settings())

    def unreachable(**kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    monkeypatch.setattr(client, "get_item", unreachable)
    with pytest.raises(StoreUnavailable):
        ProductRepository(client, "table").find_by_id(str(uuid.uuid4()))


def test_other_client_errors_propagate() -> None:
    client = create_client(get_settings())
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code="ResourceNotFoundException")
        with pytest.raises(ClientError):
            ProductRepository(client, "table").find_by_id(str(uuid.uuid4()))


def keyed(body_hash: str = "body-1", received_at: int = 1_000) -> IdempotentRequest:
    return IdempotentRequest(key_hash="key-1", body_hash=body_hash, received_at=received_at)


def test_keyed_create_records_the_result_with_a_ttl(repository: ProductRepository) -> None:
    product = record()
    repository.create(product, keyed())
    assert repository.find_idempotent_result("key-1", now=1_000) == ("body-1", product)
    stored = raw_item(keys.idempotency_pk("key-1"))
    assert stored is not None and stored[keys.TTL_ATTRIBUTE] == {"N": str(1_000 + IDEMPOTENCY_WINDOW_SECONDS)}


def test_expired_record_is_treated_as_gone_and_can_be_replaced(repository: ProductRepository) -> None:
    repository.create(record(name="Entry Plan"), keyed())
    later = 1_000 + IDEMPOTENCY_WINDOW_SECONDS
    assert repository.find_idempotent_result("key-1", now=later) is None
    replacement = record(name="Basic Plan")
    repository.create(replacement, keyed(body_hash="body-2", received_at=later))
    assert repository.find_idempotent_result("key-1", now=later) == ("body-2", replacement)


def test_second_create_with_a_live_key_writes_nothing(repository: ProductRepository) -> None:
    repository.create(record(name="Entry Plan"), keyed())
    duplicate = record(name="Entry Plan")
    with pytest.raises(IdempotencyKeyTaken):
        repository.create(duplicate, keyed(received_at=1_001))
    assert repository.find_by_id(duplicate.product_id) is None


def test_idempotency_records_are_not_listed(repository: ProductRepository) -> None:
    product = record()
    repository.create(product, keyed())
    assert [p.product_id for p in repository.list_active(10, None).products] == [product.product_id]


def test_every_attribute_in_an_expression_goes_through_attribute_names() -> None:
    sent: list[dict[str, Any]] = []
    client = create_client(get_settings())
    repository = ProductRepository(client, get_settings().table_name)
    client.meta.events.register("provide-client-params.dynamodb.*", lambda params, **_: sent.append(params))
    product = record(name="Entry Plan")
    repository.create(product, keyed())
    renamed = replace(product, name="Starter Plan", version=2)
    repository.save(renamed, product)
    repository.save(replace(renamed, period="yearly", version=3), renamed)
    repository.list_active(10, None)
    repository.list_by_price(10, True, None)
    repository.list_by_name("Starter Plan", 10, None)
    requests = sent + [item[op] for params in sent for item in params.get("TransactItems", []) for op in item]
    expressions = [(r[k], r) for r in requests for k in r if k.endswith("Expression")]
    assert len(expressions) >= 9
    for expression, request in expressions:
        bare = re.sub(r"[#:]\w+|attribute_not_exists|\bAND\b|\bOR\b|[()=<>\s]", "", expression)
        assert bare == "", f"bare attribute name in {expression!r}"
        names = set(re.findall(r"#\w+", expression))
        assert names <= set(request["ExpressionAttributeNames"]), expression
