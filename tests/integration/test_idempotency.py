"""Idempotency-Key on POST over HTTP: replays, reuse with another body, concurrent retries."""

from __future__ import annotations

import uuid

import pytest

from api_client import ApiClient
from scripts.local_server.api import LocalApi
from samples import product_body
from test_product_api import PRODUCTS, in_parallel

pytestmark = pytest.mark.integration


def test_retry_with_the_same_key_replays_the_201(api: ApiClient, table_snapshot: object) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = product_body()
    first = api.post(PRODUCTS, body, headers=key)
    assert first.status == 201
    before_retry = table_snapshot()  # type: ignore[operator]
    retry = api.post(PRODUCTS, body, headers=key)
    assert (retry.status, retry.json(), retry.header("Location")) == (
        201,
        first.json(),
        first.header("Location"),
    )
    assert table_snapshot() == before_retry  # type: ignore[operator]


def test_same_key_with_another_body_is_422(api: ApiClient) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert api.post(PRODUCTS, product_body(), headers=key).status == 201
    reused = api.post(PRODUCTS, product_body(), headers=key)
    assert reused.status == 422
    assert "Idempotency-Key" in reused.json()["message"]


def test_without_a_key_a_retry_is_a_name_clash(api: ApiClient) -> None:
    body = product_body()
    assert api.post(PRODUCTS, body).status == 201
    assert api.post(PRODUCTS, body).status == 409


def test_concurrent_retries_with_one_key_create_one_product(api: ApiClient) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = product_body()
    responses = in_parallel(5, lambda: api.post(PRODUCTS, body, headers=key))
    assert [r.status for r in responses] == [201] * 5
    assert len({r.json()["product"]["productId"] for r in responses}) == 1


def test_malformed_key_is_400(api: ApiClient) -> None:
    response = api.post(PRODUCTS, product_body(), headers={"Idempotency-Key": "x" * 256})
    assert response.status == 400


def test_another_caller_with_the_same_key_and_body_never_gets_the_first_product(local_api: LocalApi) -> None:
    alice, bob = (ApiClient(local_api.base_url, access_key=name) for name in ("alice", "bob"))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = product_body()
    first = alice.post(PRODUCTS, body, headers=key)
    assert first.status == 201
    answer = bob.post(PRODUCTS, body, headers=key)
    # Bob's key is his own: his request is a new create, and Alice's product already holds the name.
    assert answer.status == 409 and first.json()["product"]["productId"] not in answer.body.decode()


def test_another_caller_with_the_same_key_and_another_body_gets_its_own_201(local_api: LocalApi) -> None:
    alice, bob = (ApiClient(local_api.base_url, access_key=name) for name in ("alice", "bob"))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = alice.post(PRODUCTS, product_body(), headers=key).json()["product"]
    answer = bob.post(PRODUCTS, product_body(), headers=key)
    assert answer.status == 201
    product = answer.json()["product"]
    assert product["productId"] != first["productId"] and product["lastUpdatedBy"].endswith("/bob")
    assert alice.post(PRODUCTS, product_body(), headers=key).status == 422  # Alice's key is still hers


@pytest.mark.parametrize(
    "respelled", [{"price": 100.0}, {"name": "{name} "}, {"currency": "ZAR", "period": " monthly"}]
)
def test_a_body_that_validates_to_the_same_product_is_replayed(
    api: ApiClient, respelled: dict[str, object]
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = product_body(price=100)
    first = api.post(PRODUCTS, body, headers=key)
    assert first.status == 201
    again = {
        field: str(value).format(name=body["name"]) if field == "name" else value
        for field, value in respelled.items()
    }
    retry = api.post(PRODUCTS, dict(body, **again), headers=key)
    assert (retry.status, retry.json()["product"]) == (201, first.json()["product"])
