"""Key formats, the table schema they rely on, and page tokens."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

import pytest

from exceptions.product_exceptions import ValidationFailed
from local_table import create_table_request, load_schema
from models.record import name_key
from repositories import keys
from repositories.page_token import decode_token, encode_token

PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"


def test_price_sort_keys_order_as_numbers_across_digit_counts() -> None:
    prices = [Decimal(p) for p in ("0.01", "0.5", "9.99", "95", "1500", "999999.99")]
    sort_keys = [keys.price_sort_key(price, PRODUCT_ID) for price in prices]
    assert sort_keys == sorted(sort_keys)
    assert sort_keys[0] == f"00000001#{PRODUCT_ID}" and sort_keys[-1] == f"99999999#{PRODUCT_ID}"


def test_name_claim_key_is_the_domain_name_key() -> None:
    assert keys.name_claim_pk("  Straße Plan ") == keys.NAME_CLAIM_PREFIX + name_key("STRASSE PLAN")


def test_repository_keys_match_the_terraform_table_schema() -> None:
    schema = load_schema()
    indexes = {gsi["name"]: gsi for gsi in schema["global_secondary_indexes"]}
    assert (schema["hash_key"], schema["range_key"]) == keys.TABLE_KEY
    price, name = indexes[keys.PRICE_INDEX], indexes[keys.NAME_INDEX]
    assert keys.TABLE_KEY + (price["hash_key"], price["range_key"]) == keys.PRICE_INDEX_KEY
    assert keys.TABLE_KEY + (name["hash_key"],) == keys.NAME_INDEX_KEY
    assert all(gsi["projection_type"] == "ALL" for gsi in indexes.values())


def test_create_table_request_declares_every_key_attribute() -> None:
    request = create_table_request("t")
    declared = {a["AttributeName"] for a in request["AttributeDefinitions"]}
    used = {k["AttributeName"] for k in request["KeySchema"]} | {
        k["AttributeName"] for gsi in request["GlobalSecondaryIndexes"] for k in gsi["KeySchema"]
    }
    assert declared == used


def test_token_round_trips_within_its_scope() -> None:
    key = {"PK": {"S": f"PRODUCT#{PRODUCT_ID}"}, "SK": {"S": "METADATA"}}
    assert decode_token("t:all", encode_token("t:all", key), keys.TABLE_KEY) == key


@pytest.mark.parametrize("scope", ["t:price:asc", "other-table:all"])
def test_token_from_another_scope_is_rejected(scope: str) -> None:
    token = encode_token("t:all", {"PK": {"S": "PRODUCT#x"}, "SK": {"S": "METADATA"}})
    with pytest.raises(ValidationFailed):
        decode_token(scope, token, keys.TABLE_KEY)


def test_token_with_other_key_attributes_is_rejected() -> None:
    token = encode_token("t:all", {"PK": {"S": "PRODUCT#x"}})
    with pytest.raises(ValidationFailed):
        decode_token("t:all", token, keys.TABLE_KEY)


def _token_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        _token_of("[" * 1500 + "\n"),  # issue 7: a RecursionError (500) before the checksum was checked
        "A" * 100_000,
        "\u00e9" * 50,
        _token_of("{}\n\u00e9\u00e9"),
        "%%%",
        "",
    ],
    ids=["deep-brackets", "overlong", "non-ascii", "non-ascii-checksum", "not-base64", "empty"],
)
def test_malformed_tokens_are_rejected_as_bad_input(token: str) -> None:
    with pytest.raises(ValidationFailed):
        decode_token("t:all", token, keys.TABLE_KEY)


def test_a_forged_token_with_a_correct_checksum_cannot_recurse() -> None:
    payload = "[" * 1500
    checksum = hashlib.sha256(f"t:all|{payload}".encode()).hexdigest()[:16]
    with pytest.raises(ValidationFailed):
        decode_token("t:all", _token_of(f"{payload}\n{checksum}"), keys.TABLE_KEY)
