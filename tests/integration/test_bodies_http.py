"""Bodies over HTTP against the local server: the worst-case valid product fits; encoded bodies are 415."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from api_client import ApiClient
from samples import product_body, to_json, worst_case_body
from validators.request_validator import MAX_BODY_BYTES

pytestmark = pytest.mark.integration
PRODUCTS = "/v1.0/products"
# Accepted in every text field but the name (an astral symbol: a surrogate pair when escaped), and in the name.
# Each test names its product with another letter: names are unique in the session's table.
SYMBOL, LETTER, OTHER_LETTER = "\U0001f600", "\u4e00", "\u4e8c"


def test_the_largest_valid_product_in_the_longest_escaping_is_created(api: ApiClient) -> None:
    body = worst_case_body(LETTER, SYMBOL)
    assert len(body) > 56_000
    response = api.post(PRODUCTS, raw=body)
    assert response.status == 201, response.body[:300]
    assert response.json()["product"]["features"][0] == SYMBOL * 200


def test_the_largest_valid_update_is_applied(api: ApiClient, created: dict[str, Any]) -> None:
    response = api.put(
        f"{PRODUCTS}/{created['productId']}", raw=worst_case_body(OTHER_LETTER, SYMBOL, active=True)
    )
    assert response.status == 200, response.body[:300]


def test_a_body_over_the_limit_is_413(api: ApiClient) -> None:
    text = to_json(product_body())
    response = api.post(PRODUCTS, raw=(text[:-1] + " " * (MAX_BODY_BYTES - len(text) + 1) + "}").encode())
    assert response.status == 413
    assert str(MAX_BODY_BYTES) in response.json()["message"]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_compressed_body_is_415_naming_the_encoding(api: ApiClient, encoding: str) -> None:
    response = api.post(
        PRODUCTS, raw=gzip.compress(to_json(product_body()).encode()), headers={"Content-Encoding": encoding}
    )
    assert response.status == 415
    assert encoding in response.json()["message"]
    assert response.header("Accept-Encoding") == "identity"
