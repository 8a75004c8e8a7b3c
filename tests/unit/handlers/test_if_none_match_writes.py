"""If-None-Match on PUT and DELETE (RFC 9110 13.1.2; issue 15, 2): `*` on an existing product, or a list holding
its current tag (weak comparison), is 412 and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from handlers import create_product, delete_product, get_product, update_product
from samples import product_body

Event = Callable[..., dict[str, Any]]
NEVER_CREATED = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"


def create(make_event: Event) -> str:
    response = create_product.handler(make_event("POST", body=product_body()), None)
    assert response["statusCode"] == 201
    product_id: str = json.loads(response["body"])["product"]["productId"]
    return product_id


def stored(make_event: Event, product_id: str) -> dict[str, Any]:
    """The product as GET shows it (None when deleted)."""
    response = get_product.handler(make_event("GET", path_parameters={"productId": product_id}), None)
    return json.loads(response["body"]).get("product") or {}


def put(make_event: Event, product_id: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    event = make_event("PUT", body=body, path_parameters={"productId": product_id}, headers=headers)
    return update_product.handler(event, None)


def delete(make_event: Event, product_id: str, **headers: str) -> dict[str, Any]:
    event = make_event("DELETE", path_parameters={"productId": product_id}, headers=headers)
    return delete_product.handler(event, None)


@pytest.mark.parametrize("tags", ["*", '"1"', 'W/"1"', '"7", "1"', ' "1" '])
@pytest.mark.parametrize(
    "change",
    [{"price": 120}, {"name": "Renamed By Precondition"}, {"active": False}],
    ids=["field", "rename", "off"],
)
def test_put_with_if_none_match_naming_the_product_is_412_and_writes_nothing(
    make_event: Event, tags: str, change: dict[str, Any]
) -> None:
    product_id = create(make_event)
    before = stored(make_event, product_id)
    response = put(make_event, product_id, change, **{"If-None-Match": tags})
    assert response["statusCode"] == 412, response["body"]
    assert "If-None-Match" in json.loads(response["body"])["message"]
    assert stored(make_event, product_id) == before


@pytest.mark.parametrize("tags", ['"2"', '"01"', 'W/"2", "3"'])
def test_put_with_if_none_match_naming_other_versions_applies(make_event: Event, tags: str) -> None:
    product_id = create(make_event)
    response = put(make_event, product_id, {"price": 120}, **{"If-None-Match": tags})
    assert response["statusCode"] == 200, response["body"]
    assert stored(make_event, product_id)["version"] == 2


@pytest.mark.parametrize("tags", ["*", '"1"', 'W/"1"'])
def test_delete_with_if_none_match_naming_the_product_is_412_and_writes_nothing(
    make_event: Event, tags: str
) -> None:
    product_id = create(make_event)
    response = delete(make_event, product_id, **{"If-None-Match": tags})
    assert response["statusCode"] == 412, response["body"]
    assert stored(make_event, product_id)["active"] is True


def test_delete_with_if_none_match_naming_another_version_deletes(make_event: Event) -> None:
    product_id = create(make_event)
    assert delete(make_event, product_id, **{"If-None-Match": '"5"'})["statusCode"] == 204
    assert stored(make_event, product_id) == {}


def test_delete_of_an_inactive_product_with_if_none_match_star_is_412(make_event: Event) -> None:
    product_id = create(make_event)
    assert delete(make_event, product_id)["statusCode"] == 204
    assert delete(make_event, product_id, **{"If-None-Match": "*"})["statusCode"] == 412


def write(make_event: Event, method: str, product_id: str, if_none_match: str) -> dict[str, Any]:
    """A PUT of a new price or a DELETE, with this If-None-Match."""
    if method == "PUT":
        return put(make_event, product_id, {"price": 1}, **{"If-None-Match": if_none_match})
    return delete(make_event, product_id, **{"If-None-Match": if_none_match})


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_if_none_match_star_on_a_product_that_never_existed_is_404(make_event: Event, method: str) -> None:
    assert write(make_event, method, NEVER_CREATED, "*")["statusCode"] == 404


def test_if_match_is_evaluated_before_if_none_match(make_event: Event) -> None:
    product_id = create(make_event)
    stale = put(make_event, product_id, {"price": 1}, **{"If-Match": '"9"', "If-None-Match": '"4"'})
    assert stale["statusCode"] == 412 and "If-Match" in json.loads(stale["body"])["message"]
    both = put(make_event, product_id, {"price": 1}, **{"If-Match": '"1"', "If-None-Match": '"1"'})
    assert both["statusCode"] == 412 and "If-None-Match" in json.loads(both["body"])["message"]
    assert stored(make_event, product_id)["version"] == 1


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_malformed_if_none_match_on_a_write_is_400(make_event: Event, method: str) -> None:
    assert write(make_event, method, create(make_event), "1")["statusCode"] == 400
