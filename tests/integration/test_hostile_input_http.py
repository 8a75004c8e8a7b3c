"""Issue 7's reproductions over HTTP against the local server: hostile bytes, tokens and preconditions."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from api_client import ApiClient, Response
from samples import product_body, to_json

pytestmark = pytest.mark.integration
PRODUCTS = "/v1.0/products"
RUNTIME_MARKERS = (
    "sys.",
    "set_int_max_str_digits",
    "utf-8-sig",
    "pydantic",
    "Input should",
    "Expecting",
    "ecursion",
)


def assert_plain_400(response: Response) -> dict[str, Any]:
    assert response.status == 400, response.body
    text = response.body.decode()
    assert not [marker for marker in RUNTIME_MARKERS if marker in text], text
    body: dict[str, Any] = response.json()
    return body


def with_raw(field: str, raw_value: str) -> bytes:
    return to_json(product_body(**{field: "__RAW__"})).replace('"__RAW__"', raw_value).encode()


def test_post_nested_1500_levels_is_a_plain_400(api: ApiClient) -> None:
    assert_plain_400(api.post(PRODUCTS, raw=b'{"features":' + b"[" * 1500))


def test_put_nested_5000_levels_is_a_plain_400(api: ApiClient, created: dict[str, Any]) -> None:
    assert_plain_400(api.put(f"{PRODUCTS}/{created['productId']}", raw=b"[" * 5000))


def test_next_token_of_1500_brackets_is_a_plain_400(api: ApiClient) -> None:
    token = base64.urlsafe_b64encode(b"[" * 1500 + b"\n").decode().rstrip("=")
    body = assert_plain_400(api.get(f"{PRODUCTS}?nextToken={token}"))
    assert body["details"][0]["field"] == "nextToken"


def test_price_of_5000_digits_is_a_plain_400_on_price(api: ApiClient) -> None:
    body = assert_plain_400(api.post(PRODUCTS, raw=with_raw("price", "9" * 5000)))
    assert [detail["field"] for detail in body["details"]] == ["price"]


def test_byte_order_mark_is_a_plain_400(api: ApiClient) -> None:
    assert (
        "byte-order mark"
        in assert_plain_400(api.post(PRODUCTS, raw=b"\xef\xbb\xbf" + with_raw("period", '"monthly"')))[
            "message"
        ]
    )


def test_lone_surrogate_is_a_plain_400(api: ApiClient) -> None:
    assert (
        "surrogate" in assert_plain_400(api.post(PRODUCTS, raw=with_raw("name", '"Plan \\ud800"')))["message"]
    )


@pytest.mark.parametrize("charset", ["iso-8859-1", "utf-16", "ISO-8859-1"])
def test_a_charset_other_than_utf8_is_415(api: ApiClient, charset: str) -> None:
    raw = to_json(product_body(name="Caf\u00e9 Plan")).encode("latin-1")
    response = api.post(PRODUCTS, raw=raw, headers={"Content-Type": f"application/json; charset={charset}"})
    assert response.status == 415


@pytest.mark.parametrize(("method", "body"), [("PUT", {"price": 5}), ("DELETE", None)])
def test_weak_if_match_never_matches(api: ApiClient, created: dict[str, Any], method: str, body: Any) -> None:
    path = f"{PRODUCTS}/{created['productId']}"
    assert api.request(method, path, body, headers={"If-Match": 'W/"1"'}).status == 412
    assert api.get(path).json()["product"]["version"] == 1


def test_if_match_compares_opaque_strings(api: ApiClient, created: dict[str, Any]) -> None:
    path = f"{PRODUCTS}/{created['productId']}"
    assert api.put(path, {"price": 5}, headers={"If-Match": '"01"'}).status == 412
    assert api.put(path, {"price": 5}, headers={"If-Match": '"1"'}).status == 200


@pytest.mark.parametrize(("tag", "status"), [('"01"', 200), ('W/"1"', 304)])
def test_if_none_match_is_weak_and_opaque(
    api: ApiClient, created: dict[str, Any], tag: str, status: int
) -> None:
    assert api.get(f"{PRODUCTS}/{created['productId']}", headers={"If-None-Match": tag}).status == status


@pytest.mark.parametrize("junk", ["\x0b", "\x1c", "\x85"])
def test_if_match_with_other_whitespace_is_400(api: ApiClient, created: dict[str, Any], junk: str) -> None:
    path = f"{PRODUCTS}/{created['productId']}"
    response = api.put(path, {"price": 5}, headers={"If-Match": f'"1"{junk}'})
    assert response.status == 400
    assert api.get(path).json()["product"]["version"] == 1


def test_a_duplicate_lone_surrogate_key_is_a_plain_400(api: ApiClient) -> None:
    assert (
        "appears twice" in assert_plain_400(api.post(PRODUCTS, raw=b'{"\\ud800":1,"\\ud800":2}'))["message"]
    )
