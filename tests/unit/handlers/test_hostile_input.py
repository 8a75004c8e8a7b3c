"""Hostile and careless input through the handlers (issue 7, items 1, 2 and 8): always a 4xx, in plain words."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from handlers import create_product, list_products, update_product
from samples import product_body, to_json

Event = Callable[..., dict[str, Any]]
PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
# Text that would show a response quoting the runtime instead of speaking to a person.
RUNTIME_MARKERS = (
    "sys.",
    "set_int_max_str_digits",
    "utf-8-sig",
    "decode using",
    "pydantic",
    "Input should",
    "Expecting",
    "line 1 column",
    "codec",
    "Recursion",
    "recursion",
    "Traceback",
    "Exception",
)


def raw_event(make_event: Event, method: str, raw: bytes, **kwargs: Any) -> dict[str, Any]:
    """An event whose body is these exact bytes (API Gateway base64-encodes bodies it cannot pass as text)."""
    event = make_event(method, **kwargs)
    event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)
    return event


def body_with(field: str, raw_value: str) -> str:
    """A valid create body whose `field` is this raw JSON text."""
    return to_json(product_body(**{field: "__RAW__"})).replace('"__RAW__"', raw_value)


def assert_plain_400(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 400, response["body"]
    body: dict[str, Any] = json.loads(response["body"])
    assert {"error", "message", "requestId"} <= set(body)
    for marker in RUNTIME_MARKERS:
        assert marker not in response["body"], f"{marker!r} in {response['body']}"
    return body


def test_create_nested_1500_levels_deep_is_a_plain_400(make_event: Event) -> None:
    event = make_event("POST", body='{"features":' + "[" * 1500)
    body = assert_plain_400(create_product.handler(event, None))
    assert "nests" in body["message"]


def test_update_nested_5000_levels_deep_is_a_plain_400(make_event: Event) -> None:
    event = make_event("PUT", body="[" * 5000, path_parameters={"productId": PRODUCT_ID})
    assert_plain_400(update_product.handler(event, None))


def test_create_nested_deeper_than_a_product_is_400_even_when_well_formed(make_event: Event) -> None:
    event = make_event("POST", body=to_json(product_body(features=[["Nested feature"]])))
    assert "nests" in assert_plain_400(create_product.handler(event, None))["message"]


def test_a_limit_of_5000_digits_is_400(make_event: Event) -> None:
    body = assert_plain_400(list_products.handler(make_event("GET", query={"limit": ["9" * 5000]}), None))
    assert body["details"] == [{"field": "limit", "message": "must be a whole number from 1 to 100"}]


@pytest.mark.parametrize("digits", [5000, 41])
def test_price_with_too_many_digits_is_400_naming_the_price(make_event: Event, digits: int) -> None:
    text = body_with("price", "9" * digits)
    body = assert_plain_400(create_product.handler(make_event("POST", body=text), None))
    assert [detail["field"] for detail in body["details"]] == ["price"]
    assert "999999.99" in body["details"][0]["message"]


@pytest.mark.parametrize("price", ["1e999999999", "1E-999999999", "-0.0e5", "12345678901234567890.5"])
def test_price_with_an_extreme_exponent_or_size_is_a_400_on_price(make_event: Event, price: str) -> None:
    text = body_with("price", price)
    body = assert_plain_400(create_product.handler(make_event("POST", body=text), None))
    assert [detail["field"] for detail in body["details"]] == ["price"]


def test_a_long_number_in_another_field_is_reported_on_that_field(make_event: Event) -> None:
    text = body_with("period", "1" * 5000)
    body = assert_plain_400(create_product.handler(make_event("POST", body=text), None))
    assert [detail["field"] for detail in body["details"]] == ["period"]


def test_body_with_a_byte_order_mark_is_a_plain_400(make_event: Event) -> None:
    raw = b"\xef\xbb\xbf" + to_json(product_body()).encode()
    body = assert_plain_400(create_product.handler(raw_event(make_event, "POST", raw), None))
    assert "byte-order mark" in body["message"]


@pytest.mark.parametrize(
    "raw",
    [b'{"name": "Caf\xe9 Plan"}', b'{"name": "\xed\xa0\x80 Plan"}', b"\xff\xfe{\x00}\x00"],
    ids=["latin-1", "encoded-surrogate", "utf-16"],
)
def test_body_that_is_not_utf8_is_a_plain_400(make_event: Event, raw: bytes) -> None:
    body = assert_plain_400(create_product.handler(raw_event(make_event, "POST", raw), None))
    assert "UTF-8" in body["message"]


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ude00\\ud83d"])
def test_lone_surrogate_escape_is_a_plain_400(make_event: Event, escape: str) -> None:
    text = body_with("name", f'"Plan {escape}"')
    body = assert_plain_400(create_product.handler(make_event("POST", body=text), None))
    assert "surrogate" in body["message"]


def test_a_surrogate_pair_escape_is_one_character_and_fine(make_event: Event) -> None:
    text = body_with("description", '"Smile \\ud83d\\ude00 for the website plan."')
    response = create_product.handler(make_event("POST", body=text), None)
    assert response["statusCode"] == 201, response["body"]
    assert "\U0001f600" in json.loads(response["body"])["product"]["description"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/json; charset=latin1",
        "application/json;charset=",
        "text/plain",
    ],
)
def test_a_charset_other_than_utf8_is_415(make_event: Event, content_type: str) -> None:
    raw = to_json(product_body(name="Caf\u00e9 Plan")).encode("latin-1")
    event = raw_event(make_event, "POST", raw, headers={"Content-Type": content_type})
    response = create_product.handler(event, None)
    assert response["statusCode"] == 415, response["body"]
    assert json.loads(response["body"])["error"] == "Unsupported Media Type"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON; Charset=UTF-8",
        'application/json; charset="utf-8"',
    ],
)
def test_utf8_json_is_accepted_with_or_without_charset(make_event: Event, content_type: str) -> None:
    event = make_event("POST", body=to_json(product_body()), headers={"Content-Type": content_type})
    assert create_product.handler(event, None)["statusCode"] == 201


def test_a_text_body_holding_a_lone_surrogate_is_a_plain_400(make_event: Event) -> None:
    event = make_event("POST", body=to_json(product_body()).replace("monthly", "month\ud800ly"))
    assert "UTF-8" in assert_plain_400(create_product.handler(event, None))["message"]


def test_a_name_search_holding_a_lone_surrogate_is_400(make_event: Event) -> None:
    event = make_event("GET", query={"name": ["Basic\ud800Plan"]})
    body = assert_plain_400(list_products.handler(event, None))
    assert body["details"][0]["field"] == "name"


@pytest.mark.parametrize("key", ["\\ud800", "\\udfff", 'a\\"b', "\\u0000"])
def test_a_duplicate_key_is_quoted_as_valid_utf8_json(make_event: Event, key: str) -> None:
    # Lambda's runtime sends the body as UTF-8: a raw lone surrogate in it is no answer at all.
    text = f'{{"{key}": 1, "{key}": 2}}'
    response = create_product.handler(make_event("POST", body=text), None)
    body = json.loads(response["body"].encode("utf-8").decode("utf-8"))
    assert response["statusCode"] == 400
    assert "appears twice" in body["message"]


def test_a_query_parameter_named_with_a_lone_surrogate_is_a_utf8_400(make_event: Event) -> None:
    response = list_products.handler(make_event("GET", query={"\ud800x": ["1"]}), None)
    body = json.loads(response["body"].encode("utf-8"))
    assert response["statusCode"] == 400
    assert body["details"][0]["field"] == "\ud800x"
