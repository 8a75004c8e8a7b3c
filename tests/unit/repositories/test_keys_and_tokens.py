"""Key formats and the table schema they rely on (page tokens: test_page_tokens.py)."""

from __future__ import annotations

from decimal import Decimal

from scripts.local_server.table import create_table_request, load_schema
from models.record import name_key
from repositories import keys

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
