"""Body decoding, path ids and list queries (conditional headers: tests/unit/utils/test_entity_tags.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exceptions.product_exceptions import (
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from models.commands import IdempotentRequest, ListQuery, ProductDraft
from validators.product_validator import parse_new_product
from validators.request_validator import (
    MAX_BODY_BYTES,
    idempotent_request,
    json_object_body,
    list_query,
    product_id_from,
)

PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_media_types_are_accepted(content_type: str) -> None:
    assert json_object_body(content_type, None, b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    "content_type", [None, "", "text/plain", "application/xml", "application/json-patch+json"]
)
def test_other_media_types_are_415(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        json_object_body(content_type, None, b"{}")


def test_body_over_the_limit_is_413() -> None:
    with pytest.raises(PayloadTooLarge):
        json_object_body("application/json", None, b'{"d": "' + b"x" * MAX_BODY_BYTES + b'"}')


def test_body_of_exactly_the_limit_is_read() -> None:
    body = b'{"d": "' + b"x" * (MAX_BODY_BYTES - 9) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    assert json_object_body("application/json", None, body)["d"].startswith("x")


def test_floats_are_parsed_as_exact_decimals() -> None:
    assert json_object_body("application/json", None, b'{"price": 0.1}')["price"] == Decimal("0.1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b'{"price": NaN}', "NaN is not a JSON number"),
        (b'{"price": Infinity}', "Infinity is not a JSON number"),
        (b'{"price": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1, "a": 2}', 'The key "a" appears twice'),
        (b'{"a": "line\x01"}', "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_bodies_are_400(body: bytes, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        json_object_body("application/json", None, body)


def test_canonical_product_id_is_accepted() -> None:
    assert product_id_from({"productId": PRODUCT_ID}) == PRODUCT_ID


@pytest.mark.parametrize(
    "product_id",
    [
        None,
        "",
        "123",
        PRODUCT_ID.upper(),
        PRODUCT_ID.replace("-", ""),
        "{" + PRODUCT_ID + "}",
        PRODUCT_ID + "0",
    ],
)
def test_non_canonical_product_ids_are_400(product_id: str | None) -> None:
    with pytest.raises(InvalidRequest, match="canonical lower-case"):
        product_id_from({"productId": product_id} if product_id is not None else None)


def test_empty_query_gives_defaults() -> None:
    assert list_query({}) == ListQuery(limit=50)


def test_full_price_query_is_parsed() -> None:
    query = list_query({"limit": ("10",), "sortBy": ("price",), "order": ("desc",), "nextToken": ("abc",)})
    assert query == ListQuery(limit=10, next_token="abc", sort_by_price=True, descending=True)


@pytest.mark.parametrize("extra", [{}, {"name": ("Entry Plan",)}, {"limit": ("50",)}])
def test_order_asc_alone_is_the_default_list(extra: dict[str, tuple[str, ...]]) -> None:
    # Clients generated from openapi.yaml send every declared default: order=asc with or without sortBy.
    assert list_query({"order": ("asc",), **extra}) == list_query(extra)


def test_name_query_is_trimmed() -> None:
    assert list_query({"name": ("  Entry Plan ",)}).name == "Entry Plan"


@pytest.mark.parametrize(
    ("parameters", "field", "message"),
    [
        ({"limit": ("0",)}, "limit", "from 1 to 100"),
        ({"limit": ("101",)}, "limit", "from 1 to 100"),
        ({"limit": ("ten",)}, "limit", "from 1 to 100"),
        ({"limit": ("-1",)}, "limit", "from 1 to 100"),
        ({"limit": ("５",)}, "limit", "from 1 to 100"),
        ({"limit": ("1", "2")}, "limit", "given once"),
        ({"sortBy": ("name",)}, "sortBy", "must be price"),
        ({"order": ("desc",)}, "order", "only with sortBy"),
        ({"sortBy": ("price",), "order": ("up",)}, "order", "asc or desc"),
        ({"sortBy": ("price",), "name": ("Entry",)}, "name", "cannot be combined"),
        ({"name": ("  ",)}, "name", "1 to 100"),
        ({"nextToken": ("",)}, "nextToken", "previous page"),
        ({"page": ("2",)}, "page", "not a query parameter"),
    ],
)
def test_bad_list_queries_are_400_with_a_detail(
    parameters: dict[str, tuple[str, ...]], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        list_query(parameters)
    details = {detail.field: detail.message for detail in caught.value.details}
    assert message in details[field]


def test_no_idempotency_key_means_no_replay(draft: ProductDraft) -> None:
    assert idempotent_request(None, "alice", draft) is None


def test_idempotency_body_hash_is_the_validated_product_not_its_spelling() -> None:
    spelled = [
        {"name": "X Plan", "description": "A plan for tests.", "price": 100, "period": "monthly"},
        {
            "period": " monthly",
            "price": Decimal("100.0"),
            "name": "X Plan ",
            "description": "A plan for tests.",
        },
        {
            "name": "X Plan",
            "description": "A plan for tests.",
            "price": 100,
            "period": "monthly",
            "currency": "ZAR",
        },
    ]
    hashes = {_keyed("key-1", "alice", parse_new_product(body)).body_hash for body in spelled}
    other = _keyed("key-1", "alice", parse_new_product(dict(spelled[0], price=Decimal("100.01"))))
    assert len(hashes) == 1 and other.body_hash not in hashes


def test_idempotency_key_is_scoped_to_its_caller(draft: ProductDraft) -> None:
    alice = _keyed("key-1", "alice", draft)
    assert alice.key_hash != _keyed("key-1", "bob", draft).key_hash
    assert alice.key_hash == _keyed("key-1", "alice", draft).key_hash
    assert alice.key_hash != _keyed("key-2", "alice", draft).key_hash
    assert "key-1" not in alice.key_hash


def _keyed(key: str, caller: str, draft: ProductDraft) -> IdempotentRequest:
    found = idempotent_request(key, caller, draft)
    assert found is not None
    return found


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there", "with space", "naïve"])
def test_bad_idempotency_keys_are_400(key: str, draft: ProductDraft) -> None:
    with pytest.raises(InvalidRequest, match="Idempotency-Key"):
        idempotent_request(key, "alice", draft)
