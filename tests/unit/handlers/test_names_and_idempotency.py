"""Issue 7 items 4, 6 and 7 through the handlers: names a person reads as one, Idempotency-Keys scoped to the
caller, and "the same body" meaning the same validated product."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from handlers import create_product, list_products, update_product
from samples import product_body

Event = Callable[..., dict[str, Any]]
ALICE = {"userArn": "arn:aws:iam::111122223333:user/alice"}
BOB = {"userArn": "arn:aws:iam::111122223333:user/bob"}

# (a name already taken, a name a person reads as the same)
LOOK_ALIKES = [
    ("Basic Plan", "\uff22asic Plan"),
    ("Basic Plan", "Basic  Plan"),
    ("Basic Plan", "BASIC PLAN"),
    ("Plan 2", "Plan \u00b2"),
    ("Cloud Plan", "\u2102loud Plan"),
]
INVISIBLE = [
    ("Basic Plan\u3164", "U+3164"),
    ("\u115fBasic Plan", "U+115F"),
    ("Basic Plan\uffa0", "U+FFA0"),
    ("Basic\u200b Plan", "U+200B"),
]


def post(make_event: Event, body: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
    response = create_product.handler(make_event("POST", body=body, **kwargs), None)
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize(("taken", "variant"), LOOK_ALIKES)
def test_create_with_a_look_alike_of_a_taken_name_is_409(make_event: Event, taken: str, variant: str) -> None:
    assert post(make_event, product_body(name=taken))[0] == 201
    status, body = post(make_event, product_body(name=variant))
    assert status == 409 and "already used" in body["message"]


@pytest.mark.parametrize(("taken", "variant"), LOOK_ALIKES)
def test_rename_to_a_look_alike_of_a_taken_name_is_409(make_event: Event, taken: str, variant: str) -> None:
    post(make_event, product_body(name=taken))
    _, other = post(make_event, product_body())
    event = make_event(
        "PUT", body={"name": variant}, path_parameters={"productId": other["product"]["productId"]}
    )
    assert update_product.handler(event, None)["statusCode"] == 409


@pytest.mark.parametrize(("name", "code_point"), INVISIBLE)
def test_invisible_characters_in_a_name_are_400_naming_the_code_point(
    make_event: Event, name: str, code_point: str
) -> None:
    status, body = post(make_event, product_body(name=name))
    assert status == 400
    (detail,) = body["details"]
    assert detail["field"] == "name" and code_point in detail["message"]


def test_the_name_is_stored_trimmed_in_nfc(make_event: Event) -> None:
    status, body = post(make_event, product_body(name="  Ohm \u2126 "))
    assert (status, body["product"]["name"]) == (201, "Ohm \u03a9")


def test_name_search_finds_a_product_by_a_look_alike(make_event: Event) -> None:
    _, created = post(make_event, product_body(name="Cloud Plan 2"))
    event = make_event(query={"name": ["\u2102LOUD  plan \u00b2"]})
    found = json.loads(list_products.handler(event, None)["body"])["products"]
    assert [p["productId"] for p in found] == [created["product"]["productId"]]


def test_another_callers_same_key_and_body_never_replays_the_first_product(make_event: Event) -> None:
    key = {"Idempotency-Key": "shared-key"}
    body = product_body()
    _, alice = post(make_event, body, headers=key, identity=ALICE)
    status, answer = post(make_event, body, headers=key, identity=BOB)
    # Bob's request is judged as his own: the name is Alice's product's, so it is taken (as without a key).
    assert status == 409 and alice["product"]["productId"] not in json.dumps(answer)


def test_another_callers_same_key_with_another_body_gets_its_own_201(make_event: Event) -> None:
    key = {"Idempotency-Key": "shared-key"}
    _, alice = post(make_event, product_body(), headers=key, identity=ALICE)
    status, bob = post(make_event, product_body(), headers=key, identity=BOB)
    assert status == 201
    assert bob["product"]["productId"] != alice["product"]["productId"]
    assert bob["product"]["lastUpdatedBy"] == BOB["userArn"]


def test_the_first_caller_still_replays_its_key_after_another_caller_used_it(make_event: Event) -> None:
    key = {"Idempotency-Key": "shared-key"}
    body = product_body()
    _, alice = post(make_event, body, headers=key, identity=ALICE)
    post(make_event, product_body(), headers=key, identity=BOB)
    assert post(make_event, body, headers=key, identity=ALICE) == (201, alice)


@pytest.mark.parametrize(
    "respelled",
    [
        {"price": 100.0},
        {"name": "X Plan "},
        {"name": " X Plan", "price": 100.00, "currency": "ZAR"},
        {"period": "monthly  ", "features": [" Free SSL certificate"]},
    ],
)
def test_a_body_that_validates_to_the_same_product_is_replayed(
    make_event: Event, respelled: dict[str, Any]
) -> None:
    key = {"Idempotency-Key": "same-product"}
    body = product_body(name="X Plan", price=100, features=["Free SSL certificate"])
    first = post(make_event, body, headers=key)
    assert first[0] == 201
    assert post(make_event, dict(body, **respelled), headers=key) == first


def test_a_body_that_validates_to_another_product_is_422(make_event: Event) -> None:
    key = {"Idempotency-Key": "another-product"}
    body = product_body(price=100)
    assert post(make_event, body, headers=key)[0] == 201
    assert post(make_event, dict(body, price=100.01), headers=key)[0] == 422
