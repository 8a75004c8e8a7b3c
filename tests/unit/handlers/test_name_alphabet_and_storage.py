"""Issue 15 section 1 through the handlers: every accepted name has a storable key, what GET returns can be sent
back, and letters of any script may carry the combining marks their writing needs."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from handlers import create_product, get_product, list_products, update_product
from models.record import MAX_NAME_KEY_BYTES
from samples import product_body

Event = Callable[..., dict[str, Any]]

# U+FDFA is one letter that NFKC writes as 18 letters and spaces (33 bytes): 70 of them need a 2,312-byte key.
EXPANDING = "Ab" + "\ufdfa" * 70
# U+0958-U+095F are excluded from NFC composition: each is stored as a consonant and the nukta U+093C.
NUKTA_LETTERS = "".join(chr(code) for code in range(0x0958, 0x0960))

WITH_MARKS = [
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092a\u094d\u0932\u093e\u0928",  # Hindi: vowel signs, virama
    "\u0e41\u0e1c\u0e19\u0e1a\u0e49\u0e32\u0e19",  # Thai: tone mark above a consonant
    "Go\u0301i Vie\u0323\u0302t",  # Vietnamese, decomposed
    "\u0628\u0627\u0642\u064e\u0629 \u0645\u064f\u0645\u064e\u064a\u0651\u064e\u0632\u064e\u0629",  # harakat
    "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd",  # Hebrew with points (shin dot, qamats, holam)
]
MISPLACED_MARKS = [
    ("\u0301Plan", "must follow a letter"),  # at the start
    ("Plan \u0301x", "must follow a letter"),  # after a space
    ("Plan 2\u0301", "must follow a letter"),  # after a digit
    ("Plan-\u0301x", "must follow a letter"),  # after punctuation
    ("Plane\u0301\u0302\u0303\u0304\u0306", "at most 4 combining marks"),  # five on one letter
]


def call(handler: Any, event: dict[str, Any]) -> tuple[int, Any]:
    response = handler(event, None)
    return response["statusCode"], json.loads(response["body"])


def create(make_event: Event, name: str) -> tuple[int, Any]:
    return call(create_product.handler, make_event("POST", body=product_body(name=name)))


def rename(make_event: Event, product_id: str, name: str) -> tuple[int, Any]:
    event = make_event("PUT", body={"name": name}, path_parameters={"productId": product_id})
    return call(update_product.handler, event)


def name_error(body: Any) -> str:
    (detail,) = body["details"]
    assert detail["field"] == "name"
    message: str = detail["message"]
    return message


def test_create_with_a_name_whose_key_is_too_long_to_store_is_400_stating_the_limit(
    make_event: Event,
) -> None:
    status, body = create(make_event, EXPANDING)
    assert status == 400
    assert f"{MAX_NAME_KEY_BYTES} bytes" in name_error(body)


def test_rename_to_a_name_whose_key_is_too_long_to_store_is_400(make_event: Event) -> None:
    _, created = create(make_event, "Basic Plan")
    status, body = rename(make_event, created["product"]["productId"], EXPANDING)
    assert status == 400 and f"{MAX_NAME_KEY_BYTES} bytes" in name_error(body)


def test_a_name_query_whose_key_is_too_long_to_read_is_400(make_event: Event) -> None:
    status, body = call(list_products.handler, make_event(query={"name": [EXPANDING]}))
    assert status == 400 and f"{MAX_NAME_KEY_BYTES} bytes" in name_error(body)


def test_the_name_get_returns_can_be_put_back_unchanged(make_event: Event) -> None:
    status, created = create(make_event, f"Plan {NUKTA_LETTERS}")
    assert status == 201
    product_id = created["product"]["productId"]
    _, got = call(get_product.handler, make_event(path_parameters={"productId": product_id}))
    returned = got["product"]["name"]
    status, renamed = rename(make_event, product_id, returned)
    assert (status, renamed["product"]["name"]) == (200, returned)


def test_a_name_stored_longer_than_100_characters_is_400(make_event: Event) -> None:
    # 100 letters as sent, 200 as stored: each becomes a consonant and a nukta.
    status, body = create(make_event, NUKTA_LETTERS * 12 + NUKTA_LETTERS[:4])
    assert status == 400 and "at most 100 characters" in name_error(body)


def test_a_name_of_letters_nfc_splits_is_accepted_while_its_stored_form_has_at_most_100(
    make_event: Event,
) -> None:
    status, created = create(make_event, NUKTA_LETTERS * 6 + NUKTA_LETTERS[:2])  # 50 sent, 100 stored
    assert status == 201 and len(created["product"]["name"]) == 100


@pytest.mark.parametrize("name", WITH_MARKS)
def test_names_with_the_combining_marks_of_their_script_are_accepted(make_event: Event, name: str) -> None:
    status, created = create(make_event, name)
    assert status == 201, created
    assert created["product"]["name"] == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(("name", "message"), MISPLACED_MARKS)
def test_a_combining_mark_that_follows_no_letter_or_one_too_many_is_400(
    make_event: Event, name: str, message: str
) -> None:
    status, body = create(make_event, name)
    assert status == 400 and message in name_error(body)


def test_four_combining_marks_on_one_letter_are_accepted(make_event: Event) -> None:
    assert create(make_event, "Plane\u0301\u0302\u0303\u0304")[0] == 201
