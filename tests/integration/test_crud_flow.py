"""A product's whole life over HTTP, with read-your-writes checks after every write."""

from __future__ import annotations

from typing import Any

import pytest

from api_client import ApiClient
from samples import product_body

pytestmark = pytest.mark.integration


def test_full_crud_flow_reads_its_own_writes(api: ApiClient) -> None:
    created = api.post("/v1.0/products", product_body(name="Flow Plan", price=95))
    assert created.status == 201
    product = created.json()["product"]
    location = created.header("Location")
    assert location == f"/v1.0/products/{product['productId']}"
    assert product["lastUpdatedBy"] == "arn:aws:iam::000000000000:user/integration-tester"

    read = api.get(location)
    assert (read.status, read.json()["product"], read.header("ETag")) == (200, product, '"1"')
    assert product["productId"] in {p["productId"] for p in _all_products(api)}

    updated = api.put(
        location, {"price": 120.5, "features": ["Priority support"]}, headers={"If-Match": '"1"'}
    )
    assert updated.status == 200
    assert updated.json()["product"]["price"] == 120.5
    assert updated.json()["product"]["version"] == 2
    assert api.get(location).json()["product"] == updated.json()["product"]

    assert api.delete(location, headers={"If-Match": '"2"'}).status == 204
    assert api.get(location).status == 404
    assert product["productId"] not in {p["productId"] for p in _all_products(api)}


def test_restore_brings_a_deleted_product_back(api: ApiClient, created: dict[str, Any]) -> None:
    path = f"/v1.0/products/{created['productId']}"
    assert api.delete(path).status == 204
    assert api.delete(path).status == 204
    name_clash = api.post("/v1.0/products", product_body(name=created["name"]))
    assert name_clash.status == 409 and "restore it" in name_clash.json()["message"]
    restored = api.put(path, {"active": True})
    assert restored.status == 200 and restored.json()["product"]["active"] is True
    assert restored.json()["product"]["version"] == 3
    assert api.get(path).status == 200


def test_cached_copy_is_revalidated_with_if_none_match(api: ApiClient, created: dict[str, Any]) -> None:
    path = f"/v1.0/products/{created['productId']}"
    assert api.get(path, headers={"If-None-Match": '"1"'}).status == 304
    api.put(path, {"period": "yearly"})
    fresh = api.get(path, headers={"If-None-Match": '"1"'})
    assert (fresh.status, fresh.header("ETag")) == (200, '"2"')


def test_rename_frees_the_old_name_at_once(api: ApiClient, created: dict[str, Any]) -> None:
    old_name = created["name"]
    renamed = api.put(f"/v1.0/products/{created['productId']}", {"name": old_name + " Two"})
    assert renamed.status == 200
    assert api.post("/v1.0/products", product_body(name=old_name)).status == 201


def _all_products(api: ApiClient) -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    path = "/v1.0/products?limit=100"
    while True:
        body = api.get(path).json()
        products += body["products"]
        if "nextToken" not in body:
            return products
        path = f"/v1.0/products?limit=100&nextToken={body['nextToken']}"
