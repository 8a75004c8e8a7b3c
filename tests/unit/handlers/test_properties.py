"""Properties through the handlers: whatever a client sends, the answer is a 2xx or a 4xx in the envelope."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import create_product, delete_product, get_product, list_products, update_product
from samples import product_body, to_json

Event = Callable[..., dict[str, Any]]
# The fixtures (an in-memory store behind the handlers) may keep state between examples: every answer must
# still be a 2xx or a 4xx, whatever earlier examples stored.
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
# Bodies: any bytes, any text, any JSON document, and valid products with one field replaced by anything.
bodies = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(str.encode),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.tuples(
        st.sampled_from(["name", "description", "price", "period", "currency", "features", "active"]),
        json_values,
    ).map(lambda pair: to_json(product_body(**{pair[0]: pair[1]})).encode()),
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "application/json; charset=latin-1", "text/plain"]
)


def assert_answered(response: dict[str, Any]) -> None:
    """A 2xx or 3xx, or a 4xx with the error envelope: never a 5xx."""
    status = response["statusCode"]
    assert status < 500, response["body"]
    if status >= 400:
        assert {"error", "message", "requestId"} <= set(json.loads(response["body"]))


def with_body(event: dict[str, Any], raw: bytes) -> dict[str, Any]:
    event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)
    return event


@PROPERTY
@given(raw=bodies, content_type=content_types)
def test_any_bytes_as_a_create_body_get_a_2xx_or_4xx(
    make_event: Event, raw: bytes, content_type: str
) -> None:
    event = with_body(make_event("POST", headers={"Content-Type": content_type}), raw)
    assert_answered(create_product.handler(event, None))


@PROPERTY
@given(raw=bodies)
def test_any_bytes_as_an_update_body_get_a_2xx_or_4xx(make_event: Event, raw: bytes) -> None:
    created = create_product.handler(make_event("POST", body=product_body()), None)
    product_id = json.loads(created["body"])["product"]["productId"]
    event = with_body(make_event("PUT", path_parameters={"productId": product_id}), raw)
    assert_answered(update_product.handler(event, None))


@PROPERTY
@given(
    tag=st.text(max_size=40)
    | st.lists(st.sampled_from(['"1"', 'W/"1"', "*", ",", " ", "\t", '"', "W/", "1"])).map("".join)
)
def test_any_entity_tag_header_gets_a_2xx_3xx_or_4xx(make_event: Event, tag: str) -> None:
    created = create_product.handler(make_event("POST", body=product_body()), None)
    path = {"productId": json.loads(created["body"])["product"]["productId"]}
    assert_answered(
        get_product.handler(make_event("GET", path_parameters=path, headers={"If-None-Match": tag}), None)
    )
    put = make_event("PUT", body={"price": 7}, path_parameters=path, headers={"If-Match": tag})
    assert_answered(update_product.handler(put, None))
    assert_answered(
        delete_product.handler(make_event("DELETE", path_parameters=path, headers={"If-Match": tag}), None)
    )


@PROPERTY
@given(
    parameters=st.dictionaries(
        st.sampled_from(["limit", "nextToken", "sortBy", "order", "name"]) | st.text(max_size=8),
        st.lists(st.text(max_size=60), min_size=1, max_size=2),
        max_size=4,
    )
)
def test_any_list_query_gets_a_2xx_or_4xx(make_event: Event, parameters: dict[str, list[str]]) -> None:
    assert_answered(list_products.handler(make_event("GET", query=parameters or None), None))


@PROPERTY
@given(product_id=st.text(max_size=60))
def test_any_product_id_gets_a_2xx_or_4xx(make_event: Event, product_id: str) -> None:
    assert_answered(get_product.handler(make_event("GET", path_parameters={"productId": product_id}), None))
