"""Prices: every 2-decimal value in range reads, stores and answers exactly, and its sort key orders numerically."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exceptions.product_exceptions import ValidationFailed
from repositories import keys
from samples import product_body, to_json
from utils.response_builder import to_json as response_json
from validators.product_validator import parse_new_product
from validators.request_validator import json_object_body

PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
cents_in_range = st.integers(min_value=1, max_value=99_999_999)


def spellings(cents: int) -> list[str]:
    """Ways a client may write the same price in JSON."""
    whole, part = divmod(cents, 100)
    texts = [f"{whole}.{part:02d}", f"{whole}.{part:02d}0", f"{cents}e-2"]
    if part == 0:
        texts += [str(whole), f"{whole}.0"]
    elif part % 10 == 0:
        texts.append(f"{whole}.{part // 10}")
    return texts


def read_price(text: str) -> Decimal:
    raw = to_json(product_body(price="__P__")).replace('"__P__"', text).encode()
    return parse_new_product(json_object_body("application/json", None, raw)).price


@given(cents=cents_in_range)
def test_every_two_decimal_price_in_range_round_trips_exactly(cents: int) -> None:
    expected = Decimal(cents).scaleb(-2)
    for text in spellings(cents):
        price = read_price(text)
        assert price == expected and price.as_tuple().exponent == -2, text
        answered = json.loads(response_json({"price": price}), parse_float=Decimal, parse_int=Decimal)[
            "price"
        ]
        assert answered == expected  # the response's number is the exact decimal
        assert Decimal(str(price)) == expected  # as DynamoDB stores it (a number's string form)


@given(a=cents_in_range, b=cents_in_range)
def test_price_sort_keys_order_as_the_prices_do(a: int, b: int) -> None:
    key_a = keys.price_sort_key(Decimal(a).scaleb(-2), PRODUCT_ID)
    key_b = keys.price_sort_key(Decimal(b).scaleb(-2), PRODUCT_ID)
    assert (key_a < key_b) == (a < b) and (key_a == key_b) == (a == b)
    assert len(key_a) == len(key_b)


@given(cents=st.integers(min_value=1, max_value=99_999_999), extra=st.integers(min_value=1, max_value=9))
def test_a_third_decimal_place_is_refused_on_price(cents: int, extra: int) -> None:
    whole, part = divmod(cents, 100)
    with pytest.raises(ValidationFailed) as refused:
        read_price(f"{whole}.{part:02d}{extra}")
    assert [detail.field for detail in refused.value.details] == ["price"]


@given(cents=st.integers(max_value=0) | st.integers(min_value=100_000_000))
def test_prices_out_of_range_are_refused_on_price(cents: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_price(str(Decimal(cents).scaleb(-2)))
    assert [detail.field for detail in refused.value.details] == ["price"]
