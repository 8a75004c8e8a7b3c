"""If-None-Match on PUT and DELETE over HTTP against the local server: 412 and nothing written (issue 15, 2)."""

from __future__ import annotations

from typing import Any

import pytest

from api_client import ApiClient

pytestmark = pytest.mark.integration
PRODUCTS = "/v1.0/products"


@pytest.mark.parametrize("tags", ["*", '"1"', 'W/"1"'])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_if_none_match_naming_the_product_is_412_and_nothing_is_written(
    api: ApiClient, created: dict[str, Any], table_snapshot: Any, method: str, tags: str
) -> None:
    before = table_snapshot()
    path = f"{PRODUCTS}/{created['productId']}"
    body = {"name": f"{created['name']} Renamed"} if method == "PUT" else None
    response = api.request(method, path, body, headers={"If-None-Match": tags})
    assert response.status == 412, response.body
    assert table_snapshot() == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_if_none_match_naming_another_version_writes(
    api: ApiClient, created: dict[str, Any], method: str
) -> None:
    path = f"{PRODUCTS}/{created['productId']}"
    body = {"price": 12} if method == "PUT" else None
    response = api.request(method, path, body, headers={"If-None-Match": '"2"'})
    assert response.status in (200, 204), response.body
