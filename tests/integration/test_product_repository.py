"""The repository against moto's DynamoDB server over HTTP: stored items, page tokens and expressions.

The behaviours it shares with the in-memory fake (finding what was created, the idempotency record's result,
claims, conditions, pages) are in test_store_contract.py, which runs them against both.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from exceptions.product_exceptions import ValidationFailed
from models.commands import IDEMPOTENCY_WINDOW_SECONDS
from repositories import keys
from repositories.dynamodb import create_client
from repositories.product_repository import ProductRepository
from samples import keyed, product_record
from utils.settings import get_settings

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
    repository = ProductRepository(client, get_settings().table_name)
    client.meta.events.register("provide-client-params.dynamodb.*", lambda params, **_: sent.append(params))
    product = product_record(name="Entry Plan")
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
