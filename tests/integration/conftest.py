"""The real local server (scripts/local_server/api.py) over HTTP, against the session's moto DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api_client import ApiClient
from scripts.local_server.api import LocalApi
from models.record import ProductRecord
from repositories import keys
from repositories.dynamodb import create_client
from repositories.items import name_claim_item, to_item
from repositories.legacy_name_keys import legacy_name_key
from samples import product_body
from utils.settings import get_settings


@pytest.fixture(scope="session")
def local_api(dynamodb_endpoint: str) -> Iterator[LocalApi]:
    with LocalApi(port=0) as api:
        yield api


@pytest.fixture
def api(local_api: LocalApi) -> ApiClient:
    return ApiClient(local_api.base_url)


@pytest.fixture
def table_snapshot(dynamodb_endpoint: str) -> Any:
    """Every item in the table, to show a request changed nothing."""

    def snapshot() -> list[dict[str, Any]]:
        client = create_client(get_settings())
        items = client.scan(TableName=get_settings().table_name, ConsistentRead=True)["Items"]
        return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))

    return snapshot


@pytest.fixture
def created(api: ApiClient) -> dict[str, Any]:
    """A freshly created product, as the API returned it."""
    response = api.post("/v1.0/products", product_body())
    assert response.status == 201, response.body
    product: dict[str, Any] = response.json()["product"]
    return product


@pytest.fixture
def write_legacy(dynamodb_endpoint: str) -> Any:
    """Store a product as the code before the current name key did: its claim and GSI2_PK under the legacy key."""

    def write(product: ProductRecord) -> None:
        client = create_client(get_settings())
        item = dict(to_item(product), GSI2_PK={"S": legacy_name_key(product.name)})
        claim = dict(
            name_claim_item(product), PK={"S": keys.NAME_CLAIM_PREFIX + legacy_name_key(product.name)}
        )
        for stored in (item, claim):
            client.put_item(TableName=get_settings().table_name, Item=stored)

    return write
