"""The API's contract over HTTP: routing, bad input, lists, pagination and races."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from api_client import ApiClient, Response
from samples import product_body
from utils.response_builder import CORS_FILE
from validators.request_validator import MAX_BODY_BYTES

pytestmark = pytest.mark.integration
PRODUCTS = "/v1.0/products"
UNKNOWN_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"


def in_parallel(count: int, call: Callable[[], Response]) -> list[Response]:
    """Run `call` from `count` threads released together."""
    barrier = threading.Barrier(count)

    def run() -> Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: run(), range(count)))


def test_unknown_path_is_a_json_404(api: ApiClient) -> None:
    response = api.get("/v2/things")
    assert response.status == 404
    assert set(response.json()) == {"error", "message", "requestId"}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", PRODUCTS, "GET, POST, OPTIONS"),
        ("POST", f"{PRODUCTS}/{UNKNOWN_ID}", "GET, PUT, DELETE, OPTIONS"),
    ],
)
def test_wrong_method_is_405_with_allow(api: ApiClient, method: str, path: str, allow: str) -> None:
    response = api.request(method, path, {"name": "x"})
    assert (response.status, response.header("Allow")) == (405, allow)
    assert response.json()["error"] == "Method Not Allowed"


def test_preflight_is_answered_for_an_allowed_origin(api: ApiClient) -> None:
    response = api.request("OPTIONS", PRODUCTS, headers={"Origin": "https://admin.example.com"})
    assert response.status == 204
    assert response.header("Access-Control-Allow-Origin") == "https://admin.example.com"
    allowed = json.loads(Path(CORS_FILE).read_text())["allow_headers"]
    assert (response.header("Access-Control-Allow-Headers") or "").split(",") == allowed


def test_unsigned_write_is_403_and_writes_nothing(api: ApiClient, table_snapshot: Any) -> None:
    before = table_snapshot()
    response = api.post(PRODUCTS, product_body(), sign=False)
    assert response.status == 403
    assert table_snapshot() == before


def test_every_response_has_a_request_id(api: ApiClient) -> None:
    for response in (
        api.get(PRODUCTS),
        api.get("/nowhere"),
        api.post(PRODUCTS, {}),
        api.request("OPTIONS", PRODUCTS),
    ):
        assert response.header("X-Request-Id")


BAD_CREATES: list[tuple[str, dict[str, Any], int, str | None]] = [
    ("malformed JSON", {"raw": b'{"name": '}, 400, None),
    ("array body", {"raw": b"[]"}, 400, None),
    ("NaN", {"raw": b'{"price": NaN}'}, 400, None),
    ("Infinity", {"raw": b'{"price": Infinity}'}, 400, None),
    ("not UTF-8", {"raw": b'{"name": "\xff\xfe"}'}, 400, None),
    ("control character", {"body": product_body(name="Plan\u0007 One")}, 400, "name"),
    ("price as string", {"body": product_body(price="95.00")}, 400, "price"),
    ("price as boolean", {"body": product_body(price=True)}, 400, "price"),
    ("three decimals", {"body": product_body(price=1.005)}, 400, "price"),
    ("unknown currency", {"body": product_body(currency="ABC")}, 400, "currency"),
    ("unknown field", {"body": product_body(colour="red")}, 400, "colour"),
    ("server field", {"body": product_body(productId=UNKNOWN_ID)}, 400, "productId"),
    ("active on create", {"body": product_body(active=True)}, 400, "active"),
    (
        "too many features",
        {"body": product_body(features=[f"Feature {n}" for n in range(21)])},
        400,
        "features",
    ),
    ("missing fields", {"body": {"name": "Lonely Plan"}}, 400, "description"),
    ("too large", {"body": product_body(description="x" * (MAX_BODY_BYTES + 1))}, 413, None),
    ("wrong media type", {"body": product_body(), "headers": {"Content-Type": "text/plain"}}, 415, None),
]


@pytest.mark.parametrize(
    ("case", "request_args", "status", "field"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES]
)
def test_bad_create_gets_its_4xx_and_changes_nothing(
    api: ApiClient,
    table_snapshot: Any,
    case: str,
    request_args: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    before = table_snapshot()
    response = api.post(PRODUCTS, **request_args)
    assert response.status == status, response.body
    body = response.json()
    assert body["message"] and body["requestId"]
    if field:
        assert field in {detail["field"] for detail in body["details"]}
    assert table_snapshot() == before


BAD_UPDATES: list[tuple[str, dict[str, Any], int]] = [
    ("empty object", {"body": {}}, 400),
    ("empty body", {"raw": b""}, 400),
    ("null field", {"body": {"name": None}}, 400),
    ("server field", {"body": {"version": 9}}, 400),
    ("bad If-Match", {"body": {"price": 5}, "headers": {"If-Match": "1"}}, 400),
    ("stale If-Match", {"body": {"price": 5}, "headers": {"If-Match": '"7"'}}, 412),
    ("wrong media type", {"body": {"price": 5}, "headers": {"Content-Type": "text/csv"}}, 415),
]


@pytest.mark.parametrize(("case", "request_args", "status"), BAD_UPDATES, ids=[c[0] for c in BAD_UPDATES])
def test_bad_update_gets_its_4xx_and_changes_nothing(
    api: ApiClient,
    table_snapshot: Any,
    created: dict[str, Any],
    case: str,
    request_args: dict[str, Any],
    status: int,
) -> None:
    before = table_snapshot()
    response = api.put(f"{PRODUCTS}/{created['productId']}", **request_args)
    assert response.status == status, response.body
    assert table_snapshot() == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_malformed_product_id_is_400(api: ApiClient, method: str) -> None:
    assert (
        api.request(method, f"{PRODUCTS}/not-a-uuid", {"price": 5} if method == "PUT" else None).status == 400
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_product_is_404(api: ApiClient, method: str) -> None:
    assert (
        api.request(method, f"{PRODUCTS}/{UNKNOWN_ID}", {"price": 5} if method == "PUT" else None).status
        == 404
    )


@pytest.mark.usefixtures("empty_table")
def test_pagination_returns_every_active_product_exactly_once(api: ApiClient) -> None:
    ids = {api.post(PRODUCTS, product_body()).json()["product"]["productId"] for _ in range(11)}
    gone = api.post(PRODUCTS, product_body()).json()["product"]["productId"]
    api.delete(f"{PRODUCTS}/{gone}")
    seen: list[str] = []
    page_sizes = []
    path = f"{PRODUCTS}?limit=4"
    while True:
        body = api.get(path).json()
        page_sizes.append(body["count"])
        seen += [product["productId"] for product in body["products"]]
        if "nextToken" not in body:
            break
        path = f"{PRODUCTS}?limit=4&nextToken={quote(body['nextToken'])}"
    assert page_sizes == [4, 4, 3]
    assert Counter(seen) == Counter(ids)


@pytest.mark.usefixtures("empty_table")
def test_price_order_is_numeric_across_digit_counts(api: ApiClient) -> None:
    for price in (1500, 999999.99, 0.5, 95):
        assert api.post(PRODUCTS, product_body(price=price)).status == 201
    ascending = [p["price"] for p in api.get(f"{PRODUCTS}?sortBy=price").json()["products"]]
    descending = [
        p["price"] for p in api.get(f"{PRODUCTS}?sortBy=price&order=desc&limit=2").json()["products"]
    ]
    assert ascending == [0.5, 95, 1500, 999999.99]
    assert descending == [999999.99, 1500]


def test_name_query_is_exact_and_case_insensitive(api: ApiClient, created: dict[str, Any]) -> None:
    found = api.get(f"{PRODUCTS}?name={quote(created['name'].upper())}").json()
    assert [p["productId"] for p in found["products"]] == [created["productId"]]
    assert api.get(f"{PRODUCTS}?name={quote(created['name'][:-1])}").json()["count"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "sortBy=name",
        "order=desc",
        "sortBy=price&name=x",
        "colour=red",
        "nextToken=abc",
    ],
)
def test_bad_list_query_is_400(api: ApiClient, query: str) -> None:
    response = api.get(f"{PRODUCTS}?{query}")
    assert response.status == 400
    assert response.json()["details"]


def test_concurrent_creates_with_one_name_make_exactly_one_product(api: ApiClient) -> None:
    body = product_body()
    responses = in_parallel(6, lambda: api.post(PRODUCTS, body))
    assert sorted(r.status for r in responses) == [201] + [409] * 5
    assert api.get(f"{PRODUCTS}?name={quote(body['name'])}").json()["count"] == 1


def test_concurrent_puts_with_one_if_match_have_exactly_one_winner(
    api: ApiClient, created: dict[str, Any]
) -> None:
    path = f"{PRODUCTS}/{created['productId']}"
    prices = iter(range(10, 100))
    lock = threading.Lock()

    def put() -> Response:
        with lock:
            price = next(prices)
        return api.put(path, {"price": price}, headers={"If-Match": '"1"'})

    responses = in_parallel(6, put)
    assert sorted(r.status for r in responses) == [200] + [412] * 5
    winner = next(r for r in responses if r.status == 200).json()["product"]
    assert api.get(path).json()["product"] == winner


def test_concurrent_puts_without_if_match_lose_no_field(api: ApiClient, created: dict[str, Any]) -> None:
    path = f"{PRODUCTS}/{created['productId']}"
    changes = [
        {"price": 42},
        {"period": "per domain/year"},
        {"features": ["Daily backups"]},
        {"currency": "USD"},
    ]
    fields = iter(changes)
    lock = threading.Lock()

    def put() -> Response:
        with lock:
            change = next(fields)
        return api.put(path, change)

    assert all(r.status == 200 for r in in_parallel(len(changes), put))
    final = api.get(path).json()["product"]
    assert (final["price"], final["period"], final["features"], final["currency"]) == (
        42,
        "per domain/year",
        ["Daily backups"],
        "USD",
    )
    assert final["version"] == 1 + len(changes)


def test_one_rename_sent_at_once_answers_every_request_200(api: ApiClient) -> None:
    for _ in range(3):
        created = api.post(PRODUCTS, product_body()).json()["product"]
        path, name = f"{PRODUCTS}/{created['productId']}", f"Renamed {created['name']}"
        responses = in_parallel(10, lambda: api.put(path, {"name": name}))
        assert [r.status for r in responses] == [200] * 10, [r.body for r in responses if r.status != 200]
        final = api.get(path).json()["product"]
        assert (final["name"], final["version"]) == (name, 2)


def test_one_rename_sent_at_once_with_if_match_answers_200_or_412(
    api: ApiClient, created: dict[str, Any]
) -> None:
    path, name = f"{PRODUCTS}/{created['productId']}", f"Renamed {created['name']}"
    responses = in_parallel(10, lambda: api.put(path, {"name": name}, headers={"If-Match": '"1"'}))
    assert set(r.status for r in responses) == {200, 412}, [r.body for r in responses]
    # Every 200 is the one stored write (two requests can only both win by writing the very same product).
    assert {r.json()["product"]["version"] for r in responses if r.status == 200} == {2}
    assert api.get(path).json()["product"]["name"] == name


def test_rename_with_a_price_racing_the_same_rename_applies_both(api: ApiClient) -> None:
    for _ in range(3):
        created = api.post(PRODUCTS, product_body()).json()["product"]
        path, name = f"{PRODUCTS}/{created['productId']}", f"Renamed {created['name']}"
        bodies = iter([{"name": name, "price": 5}, {"name": name}])
        lock = threading.Lock()

        def put() -> Response:
            with lock:
                body = next(bodies)
            return api.put(path, body)

        assert [r.status for r in in_parallel(2, put)] == [200, 200]
        final = api.get(path).json()["product"]
        assert (final["name"], final["price"]) == (name, 5)
