"""Swagger UI's "Try it out" for a first-time user: what the explorer pre-fills from openapi.yaml (parameter
examples and defaults, the first body example) succeeds through a whole life cycle on an empty table."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from api_client import ApiClient
from openapi_contract import _resolve, spec

pytestmark = pytest.mark.integration
PRODUCTS = "/v1.0/products"
ITEM = "/v1.0/products/{productId}"


def operation(path: str, method: str) -> dict[str, Any]:
    resolved: dict[str, Any] = _resolve(spec()["paths"][path])
    return {
        **resolved[method],
        "parameters": resolved.get("parameters", []) + resolved[method].get("parameters", []),
    }


def prefilled(path: str, method: str, where: str) -> dict[str, str]:
    """The values Swagger UI puts in the query or header inputs: each parameter's example, else its default."""
    values = {}
    for parameter in operation(path, method)["parameters"]:
        schema = parameter.get("schema", {})
        value = parameter.get("example", schema.get("example", schema.get("default")))
        if parameter["in"] == where and value is not None:
            values[parameter["name"]] = str(value)
    return values


def body_examples(path: str, method: str) -> list[Any]:
    examples = operation(path, method)["requestBody"]["content"]["application/json"]["examples"]
    return [example["value"] for example in examples.values()]


def test_no_header_parameter_pre_fills_a_value() -> None:
    headers = [
        parameter["name"]
        for path in (PRODUCTS, ITEM)
        for method in ("get", "post", "put", "delete")
        if method in spec()["paths"][path]
        for parameter in operation(path, method)["parameters"]
        if parameter["in"] == "header"
        and ("example" in parameter or "examples" in parameter or "example" in parameter.get("schema", {}))
    ]
    assert headers == [], "a pre-filled tag or key makes a first-time user's request fail"


def test_a_first_time_user_trying_each_operation_succeeds(api: ApiClient, empty_table: None) -> None:
    listed = api.get(f"{PRODUCTS}?{urlencode(prefilled(PRODUCTS, 'get', 'query'))}")
    assert listed.status == 200, listed.body

    first, second = body_examples(PRODUCTS, "post")[:2]
    for body in (
        first,
        second,
    ):  # the example picked first, then another one with the same pre-filled headers
        created = api.post(PRODUCTS, body, headers=prefilled(PRODUCTS, "post", "header"))
        assert created.status == 201, created.body
    item = f"{PRODUCTS}/{created.json()['product']['productId']}"

    read = api.get(item, headers=prefilled(ITEM, "get", "header"))
    assert read.status == 200, read.body

    updated = api.put(item, body_examples(ITEM, "put")[0], headers=prefilled(ITEM, "put", "header"))
    assert updated.status == 200, updated.body

    deleted = api.delete(item, headers=prefilled(ITEM, "delete", "header"))
    assert deleted.status == 204, deleted.body
