"""Names a person reads as the same, over HTTP against the local server (issue 7 item 4)."""

from __future__ import annotations

import uuid
from typing import Any
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


# U+FDFA, one letter, is 18 letters and spaces under NFKC (33 bytes of the key): 70 of them make a key of 2,310
# bytes, over DynamoDB's 2,048 for a partition key.
EXPANDING = "Ab" + "\ufdfa" * 70


def test_a_name_whose_key_dynamodb_cannot_store_is_400_stating_the_limit(api: ApiClient) -> None:
    response = api.post(PRODUCTS, product_body(name=EXPANDING))
    assert response.status == 400, response.body
    (detail,) = response.json()["details"]
    assert detail["field"] == "name" and "2036 bytes" in detail["message"]


def test_a_rename_to_a_name_whose_key_dynamodb_cannot_store_is_400(
    api: ApiClient, created: dict[str, Any]
) -> None:
    response = api.put(f"{PRODUCTS}/{created['productId']}", {"name": EXPANDING})
    assert response.status == 400, response.body
    assert api.get(f"{PRODUCTS}/{created['productId']}").json()["product"]["name"] == created["name"]


def test_a_name_query_whose_key_dynamodb_cannot_read_is_400(api: ApiClient) -> None:
    # No product can have this name. moto answers such a query with an empty page; the key is over DynamoDB's
    # limit, so the API refuses it before asking, stating the limit as for a product's name.
    response = api.get(PRODUCTS + "?" + urlencode({"name": EXPANDING}))
    assert response.status == 400, response.body
    assert [d["field"] for d in response.json()["details"]] == ["name"]


def test_the_name_get_returns_can_be_sent_back_even_where_nfc_splits_a_letter(
    api: ApiClient, created: dict[str, Any]
) -> None:
    # U+095B (ज़) is excluded from NFC composition: it is stored as U+091C and the combining nukta U+093C.
    path = f"{PRODUCTS}/{created['productId']}"
    assert api.put(path, {"name": unique("\u095b\u0930\u093e")}).status == 200
    returned = api.get(path).json()["product"]["name"]
    assert "\u093c" in returned
    response = api.put(path, {"name": returned})
    assert response.status == 200, response.body
    assert response.json()["product"]["name"] == returned


@pytest.mark.parametrize(
    "name",
    [
        "\u0939\u093f\u0928\u094d\u0926\u0940 \u092a\u094d\u0932\u093e\u0928",  # Hindi: vowel signs and virama
        "\u0e41\u0e1c\u0e19\u0e1a\u0e49\u0e32\u0e19",  # Thai: a tone mark above a consonant
        "Go\u0301i Vie\u0323\u0302t",  # Vietnamese written decomposed
        "\u0628\u0627\u0642\u064e\u0629 \u0645\u064f\u0645\u064e\u064a\u0651\u064e\u0632\u064e\u0629",  # harakat
    ],
)
def test_names_written_with_combining_marks_are_stored_and_found(api: ApiClient, name: str) -> None:
    created = api.post(PRODUCTS, product_body(name=unique(name)))
    assert created.status == 201, created.body
    stored = created.json()["product"]["name"]
    found = api.get(PRODUCTS + "?" + urlencode({"name": stored})).json()["products"]
    assert [p["productId"] for p in found] == [created.json()["product"]["productId"]]
