"""Issue 7's page-token reproductions over HTTP against the local server: forged, altered, foreign and expired
tokens are a 400 on `nextToken`, and a real token shows nothing of the table."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import quote

import pytest

from api_client import ApiClient
from repositories.page_token import TOKEN_LIFETIME_SECONDS, Position
from samples import page_tokens, product_body
from utils.settings import get_settings

PRODUCTS = "/v1.0/products"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forged(key: dict[str, str]) -> str:
    """A token in the old format (the key as JSON, a line break and an unkeyed checksum)."""
    return b64(json.dumps(key).encode() + b"\n0123456789abcdef")


def assert_token_refused(api: ApiClient, query: str) -> str:
    response = api.get(f"{PRODUCTS}?{query}")
    assert response.status == 400, response.body
    [detail] = response.json()["details"]
    assert detail["field"] == "nextToken"
    message: str = detail["message"]
    return message


@pytest.fixture
def first_page(api: ApiClient) -> dict[str, Any]:
    """The first page of two, by price, with its token."""
    for _ in range(3):
        assert api.post(PRODUCTS, product_body()).status == 201
    body: dict[str, Any] = api.get(f"{PRODUCTS}?sortBy=price&limit=2").json()
    assert "nextToken" in body
    return body


@pytest.mark.parametrize(
    "token",
    [
        forged({"PK": "PRODUCT#zzzz", "SK": "METADATA"}),
        forged({"PK": "", "SK": "METADATA"}),
        forged({"PK": "P" * 3000, "SK": "METADATA"}),
        b64(b"[" * 1500 + b"\n"),
    ],
    ids=["forged-key", "empty-pk", "3000-char-pk", "deep-brackets"],
)
def test_forged_tokens_are_400(api: ApiClient, token: str) -> None:
    assert_token_refused(api, f"nextToken={quote(token)}")


def test_a_token_of_another_sort_or_query_is_400(api: ApiClient, first_page: dict[str, Any]) -> None:
    token = quote(first_page["nextToken"])
    assert api.get(f"{PRODUCTS}?sortBy=price&limit=2&nextToken={token}").status == 200
    for query in ("", "sortBy=price&order=desc&", "name=x&"):
        assert_token_refused(api, f"{query}nextToken={token}")


def test_a_token_altered_in_one_character_is_400(api: ApiClient, first_page: dict[str, Any]) -> None:
    token = first_page["nextToken"]
    altered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert_token_refused(api, f"sortBy=price&nextToken={quote(altered)}")


def test_an_expired_token_is_400_and_says_so(api: ApiClient) -> None:
    yesterday = time.time() - TOKEN_LIFETIME_SECONDS - 1
    product = api.post(PRODUCTS, product_body()).json()["product"]
    scope = f"{get_settings().table_name}:all"
    token = page_tokens(lambda: yesterday).seal(scope, Position(product_id=product["productId"]))
    assert "expired" in assert_token_refused(api, f"nextToken={quote(token)}")


def test_a_token_shows_no_key_layout_or_stored_value(api: ApiClient, first_page: dict[str, Any]) -> None:
    token = first_page["nextToken"]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    last = first_page["products"][-1]
    for hidden in ("PRODUCT", "GSI1_SK", "METADATA", last["productId"], get_settings().table_name):
        assert hidden not in token and hidden.encode() not in raw
