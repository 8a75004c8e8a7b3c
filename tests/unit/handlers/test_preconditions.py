"""If-Match and If-None-Match through the handlers, as RFC 9110 compares entity tags (issue 7, item 5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from handlers import create_product, delete_product, get_product, update_product
from samples import product_body

Event = Callable[..., dict[str, Any]]


def create_at_version(make_event: Event, version: int) -> str:
    """A new product written `version - 1` more times; its id."""
    created = create_product.handler(make_event("POST", body=product_body()), None)
    product_id: str = json.loads(created["body"])["product"]["productId"]
    for n in range(2, version + 1):
        event = make_event("PUT", body={"period": f"period {n}"}, path_parameters={"productId": product_id})
        assert update_product.handler(event, None)["statusCode"] == 200
    return product_id


def current_version(make_event: Event, product_id: str) -> int:
    response = get_product.handler(make_event("GET", path_parameters={"productId": product_id}), None)
    return int(json.loads(response["body"])["product"]["version"])


def put(make_event: Event, product_id: str, if_match: str) -> dict[str, Any]:
    event = make_event(
        "PUT", body={"price": 123}, path_parameters={"productId": product_id}, headers={"If-Match": if_match}
    )
    return update_product.handler(event, None)


def delete(make_event: Event, product_id: str, if_match: str) -> dict[str, Any]:
    event = make_event("DELETE", path_parameters={"productId": product_id}, headers={"If-Match": if_match})
    return delete_product.handler(event, None)


def test_put_with_a_weak_if_match_is_412_and_changes_nothing(make_event: Event) -> None:
    product_id = create_at_version(make_event, 1)
    assert put(make_event, product_id, 'W/"1"')["statusCode"] == 412
    assert current_version(make_event, product_id) == 1


def test_delete_with_a_weak_if_match_is_412_and_deletes_nothing(make_event: Event) -> None:
    product_id = create_at_version(make_event, 5)
    assert delete(make_event, product_id, 'W/"5"')["statusCode"] == 412
    assert current_version(make_event, product_id) == 5


def test_if_match_compares_tags_as_opaque_strings(make_event: Event) -> None:
    product_id = create_at_version(make_event, 4)
    assert put(make_event, product_id, '"0004"')["statusCode"] == 412
    assert put(make_event, product_id, '"4"')["statusCode"] == 200


@pytest.mark.parametrize(("if_none_match", "status"), [('"01"', 200), ('W/"1"', 304), ('"2", W/"1"', 304)])
def test_if_none_match_compares_weakly_as_opaque_strings(
    make_event: Event, if_none_match: str, status: int
) -> None:
    product_id = create_at_version(make_event, 1)
    event = make_event(
        "GET", path_parameters={"productId": product_id}, headers={"If-None-Match": if_none_match}
    )
    assert get_product.handler(event, None)["statusCode"] == status


@pytest.mark.parametrize("junk", ["\x0b", "\x1c", "\x85", "\x00", "\u00a0"])
def test_a_tag_followed_by_other_whitespace_is_400_on_put_and_delete(make_event: Event, junk: str) -> None:
    product_id = create_at_version(make_event, 1)
    for response in (put(make_event, product_id, f'"1"{junk}'), delete(make_event, product_id, f'"1"{junk}')):
        assert response["statusCode"] == 400, response["body"]
        assert "If-Match must be" in json.loads(response["body"])["message"]
    assert current_version(make_event, product_id) == 1
