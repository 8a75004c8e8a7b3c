"""The repository against moto's DynamoDB server over HTTP: stored items, page tokens and expressions.

The behaviours it shares with the in-memory fake (finding what was created, the idempotency record's result,
claims, conditions, pages) are in test_store_contract.py, which runs them against both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ReadTimeoutError

from exceptions.product_exceptions import ValidationFailed
from models.commands import IDEMPOTENCY_WINDOW_SECONDS, InPlaceChange, ProductChanges, ProductDraft
from repositories import keys
from repositories.dynamodb import create_client
from repositories.product_repository import ProductRepository
from samples import FIXED_NOW, keyed, page_tokens, product_record
from services.product_service import ProductService
from utils.settings import get_settings
from utils.entity_tags import if_match_condition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("empty_table")


def raw_item(pk: str) -> dict[str, Any] | None:
    client = create_client(get_settings())
    item: dict[str, Any] | None = client.get_item(
        TableName=get_settings().table_name, Key={"PK": {"S": pk}, "SK": {"S": keys.METADATA_SK}}
    ).get("Item")
    return item


def test_create_stores_the_name_claim_as_its_own_item(repository: ProductRepository) -> None:
    repository.create(product_record(name="Entry Plan"))
    claim = raw_item(keys.name_claim_pk("entry plan"))
    assert claim is not None and claim["entityType"] == {"S": keys.ENTITY_NAME_CLAIM}


@pytest.mark.parametrize("token", ["garbage", "eyJQSyI6IngifQ", "e30KMTIzNA"])
def test_tampered_token_is_rejected(repository: ProductRepository, token: str) -> None:
    with pytest.raises(ValidationFailed):
        repository.list_active(10, token)


def test_token_from_another_query_is_rejected(repository: ProductRepository) -> None:
    for n in range(3):
        repository.create(product_record(name=f"Plan {n:02d}"))
    token = repository.list_by_price(1, False, None).next_token
    assert token is not None
    with pytest.raises(ValidationFailed):
        repository.list_active(1, token)
    with pytest.raises(ValidationFailed):
        repository.list_by_price(1, True, token)


def test_keyed_create_records_the_result_with_a_ttl(repository: ProductRepository) -> None:
    repository.create(product_record(), keyed())
    stored = raw_item(keys.idempotency_pk("key-1"))
    assert stored is not None and stored[keys.TTL_ATTRIBUTE] == {"N": str(1_000 + IDEMPOTENCY_WINDOW_SECONDS)}


def test_every_attribute_in_an_expression_goes_through_attribute_names() -> None:
    sent: list[dict[str, Any]] = []
    client = create_client(get_settings())
    repository = ProductRepository(client, get_settings().table_name, page_tokens())
    client.meta.events.register("provide-client-params.dynamodb.*", lambda params, **_: sent.append(params))
    product = product_record(name="Entry Plan")
    repository.create(product, keyed())
    renamed = replace(product, name="Starter Plan", version=2)
    repository.save(renamed, product)
    repository.save(replace(renamed, period="yearly", version=3), renamed)
    changes = ProductChanges(price=Decimal("1.00"), features=("Backups",))
    repository.revise(
        InPlaceChange(product.product_id, changes, "bob", FIXED_NOW, if_match_condition('"3", "4"'))
    )
    repository.revise(InPlaceChange(product.product_id, ProductChanges(active=False), "bob", FIXED_NOW, None))
    repository.list_active(10, None)
    repository.list_by_price(10, True, None)
    repository.list_by_name("Starter Plan", 10, None)
    requests = sent + [item[op] for params in sent for item in params.get("TransactItems", []) for op in item]
    expressions = [(r[k], r) for r in requests for k in r if k.endswith("Expression")]
    assert len(expressions) >= 13
    for expression, request in expressions:
        bare = re.sub(
            r"[#:]\w+|attribute_(not_)?exists|\b(AND|OR|IN|SET|REMOVE)\b|[(),+=<>\s]", "", expression
        )
        assert bare == "", f"bare attribute name in {expression!r}"
        names = set(re.findall(r"#\w+", expression))
        assert names <= set(request["ExpressionAttributeNames"]), expression


def test_deactivation_removes_the_price_index_attributes(repository: ProductRepository) -> None:
    product = product_record()
    repository.create(product)
    repository.revise(InPlaceChange(product.product_id, ProductChanges(active=False), "bob", FIXED_NOW, None))
    stored = raw_item(keys.product_pk(product.product_id))
    assert stored is not None and not {"GSI1_PK", "GSI1_SK"} & set(stored)


def counted_service(client: DynamoDBClient) -> tuple[ProductService, list[str]]:
    """The service on the real repository, and the DynamoDB operations it calls (each retry counted)."""
    calls: list[str] = []
    client.meta.events.register("before-send.dynamodb.*", lambda event_name, **_: calls.append(event_name))
    service = ProductService(ProductRepository(client, get_settings().table_name), clock=lambda: FIXED_NOW)
    return service, calls


def operations(calls: list[str]) -> list[str]:
    names = [call.rsplit(".", 1)[1] for call in calls]
    calls.clear()
    return names


def test_each_write_makes_the_fewest_dynamodb_calls(draft: ProductDraft) -> None:
    service, calls = counted_service(create_client(get_settings()))
    product_id = service.create(draft, "alice").product_id
    assert operations(calls) == ["TransactWriteItems"]
    service.update(product_id, ProductChanges(price=Decimal("120.00")), "bob", None)
    assert operations(calls) == ["UpdateItem"]
    service.delete(product_id, "bob", if_match_condition('"2"'))
    assert operations(calls) == ["UpdateItem"]
    service.delete(product_id, "bob", None)
    assert operations(calls) == ["UpdateItem"]
    service.update(product_id, ProductChanges(active=True), "bob", None)
    assert operations(calls) == ["GetItem", "PutItem"]
    service.update(product_id, ProductChanges(name="Starter Plan"), "bob", None)
    assert operations(calls) == ["GetItem", "TransactWriteItems"]


def stored_then_timed_out(client: DynamoDBClient, operation: str) -> list[str]:
    """Make the next `operation` reach DynamoDB and be stored, then lose its response to a read timeout, so
    botocore sends it again (as it does in AWS when a response stalls past the client's read timeout)."""
    attempts: list[str] = []

    def send(request: Any, **_: Any) -> None:
        attempts.append(operation)
        if len(attempts) == 1:
            client._endpoint.http_session.send(request)  # type: ignore[attr-defined]
            raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register(f"before-send.dynamodb.{operation}", send)
    return attempts


IF_MATCH_1 = if_match_condition('"1"')
RETRIED_WRITES: dict[str, tuple[str, Callable[[ProductService, str], Any]]] = {
    "update in place": (
        "UpdateItem",
        lambda s, i: s.update(i, ProductChanges(price=Decimal("1.00")), "bob", IF_MATCH_1),
    ),
    "delete": ("UpdateItem", lambda s, i: s.delete(i, "bob", IF_MATCH_1)),
    "rename": (
        "TransactWriteItems",
        lambda s, i: s.update(i, ProductChanges(name="Starter Plan"), "bob", IF_MATCH_1),
    ),
    "name kept": ("PutItem", lambda s, i: s.update(i, ProductChanges(name="entry plan"), "bob", IF_MATCH_1)),
}


@pytest.mark.parametrize("write", list(RETRIED_WRITES))
def test_write_stored_before_a_read_timeout_answers_success(draft: ProductDraft, write: str) -> None:
    operation, call = RETRIED_WRITES[write]
    client = create_client(get_settings())
    service = ProductService(ProductRepository(client, get_settings().table_name), clock=lambda: FIXED_NOW)
    product = service.create(draft, "alice")
    attempts = stored_then_timed_out(client, operation)
    call(service, product.product_id)
    assert attempts == [operation, operation]
    stored = service_store_item(product.product_id)
    assert (stored["version"], stored["lastUpdatedBy"]) == ({"N": "2"}, {"S": "bob"})


def test_create_stored_before_a_read_timeout_answers_success(draft: ProductDraft) -> None:
    client = create_client(get_settings())
    service = ProductService(ProductRepository(client, get_settings().table_name), clock=lambda: FIXED_NOW)
    attempts = stored_then_timed_out(client, "TransactWriteItems")
    product = service.create(draft, "alice")
    assert attempts == ["TransactWriteItems"] * 2
    assert service.get(product.product_id) == product


def service_store_item(product_id: str) -> dict[str, Any]:
    item = raw_item(keys.product_pk(product_id))
    assert item is not None
    return item
