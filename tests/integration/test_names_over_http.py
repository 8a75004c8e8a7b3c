"""Names a person reads as the same, over HTTP against the local server (issue 7 item 4)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest

from api_client import ApiClient
from samples import product_body
from test_product_api import PRODUCTS

pytestmark = pytest.mark.integration


def unique(name: str) -> str:
    """`name` with a fresh plain word in front, so tests sharing the table do not collide."""
    return f"T{uuid.uuid4().hex[:8]} {name}"


@pytest.mark.parametrize(
    ("taken", "variant"),
    [
        ("Basic Plan", "\uff22asic Plan"),
        ("Basic Plan", "Basic  Plan"),
        ("Plan 2", "Plan \u00b2"),
        ("Cloud Plan", "\u2102loud Plan"),
    ],
)
def test_a_look_alike_of_a_taken_name_is_409(api: ApiClient, taken: str, variant: str) -> None:
    prefix = unique("")
    assert api.post(PRODUCTS, product_body(name=prefix + taken)).status == 201
    assert api.post(PRODUCTS, product_body(name=prefix + variant)).status == 409


@pytest.mark.parametrize(
    ("name", "code_point"),
    [("Basic Plan\u3164", "U+3164"), ("\u115fBasic Plan", "U+115F"), ("Basic Plan\uffa0", "U+FFA0")],
)
def test_an_invisible_character_is_400_naming_it(api: ApiClient, name: str, code_point: str) -> None:
    response = api.post(PRODUCTS, product_body(name=name))
    assert response.status == 400
    assert [d["field"] for d in response.json()["details"]] == ["name"]
    assert code_point in response.json()["details"][0]["message"]


def test_the_ohm_sign_is_stored_as_omega_and_found_by_either(api: ApiClient) -> None:
    name = unique("Ohm \u2126")
    created = api.post(PRODUCTS, product_body(name=name))
    assert created.status == 201 and created.json()["product"]["name"] == name.replace("\u2126", "\u03a9")
    for query in (name, name.upper().replace("\u2126", "\u03a9")):
        found = api.get(PRODUCTS + "?" + urlencode({"name": query}))
        assert [p["productId"] for p in found.json()["products"]] == [created.json()["product"]["productId"]]
