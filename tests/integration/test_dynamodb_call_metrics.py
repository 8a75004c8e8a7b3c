"""Over the local server and moto's DynamoDB: the request line counts the real DynamoDB calls and items read,
and names the request by the X-Request-Id the client received."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api_client import ApiClient, Response
from emf_spec import emf_problems
from samples import product_body

pytestmark = pytest.mark.integration


def request_line(capsys: pytest.CaptureFixture[str], response: Response) -> dict[str, Any]:
    """The log line of the request that got `response` (valid EMF), found by its X-Request-Id."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("requestId") == response.header("X-Request-Id")]
    assert len(mine) == 1, f"{len(mine)} lines carry X-Request-Id {response.header('X-Request-Id')}"
    assert emf_problems(json.dumps(mine[0])) == []
    return mine[0]


def test_read_by_id_is_one_dynamodb_call(api: ApiClient, capsys: pytest.CaptureFixture[str]) -> None:
    product_id = api.post("/v1.0/products", product_body(name="Counted Plan")).json()["product"]["productId"]
    capsys.readouterr()
    response = api.get(f"/v1.0/products/{product_id}")
    line = request_line(capsys, response)
    assert (response.status, line["Operation"], line["DynamoDBCalls"]) == (200, "get_product", 1)


def test_create_is_one_dynamodb_call(api: ApiClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    response = api.post("/v1.0/products", product_body(name="Single Call Plan"))
    line = request_line(capsys, response)
    assert (response.status, line["DynamoDBCalls"], line["ProductsCreated"]) == (201, 1, 1)


def test_list_by_name_reads_the_one_matching_item(api: ApiClient, capsys: pytest.CaptureFixture[str]) -> None:
    api.post("/v1.0/products", product_body(name="Findable Plan"))
    capsys.readouterr()
    response = api.get("/v1.0/products?name=findable%20plan")
    line = request_line(capsys, response)
    assert response.json()["count"] == 1
    assert (line["Operation"], line["DynamoDBCalls"], line["ItemsRead"]) == ("list_products", 1, 1)


def test_default_list_counts_at_least_the_items_it_returns(
    api: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    api.post("/v1.0/products", product_body(name="Listed Plan"))
    capsys.readouterr()
    response = api.get("/v1.0/products?limit=100")
    line = request_line(capsys, response)
    assert line["DynamoDBCalls"] >= 1 and line["ItemsRead"] >= response.json()["count"] >= 1


def test_price_change_and_delete_are_one_call_each(
    api: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    product_id = api.post("/v1.0/products", product_body(name="One Write Plan")).json()["product"][
        "productId"
    ]
    capsys.readouterr()
    reprice = api.put(f"/v1.0/products/{product_id}", {"price": 120})
    update = request_line(capsys, reprice)
    deleted = api.delete(f"/v1.0/products/{product_id}")
    delete = request_line(capsys, deleted)
    assert (reprice.status, update["DynamoDBCalls"], update["ProductsUpdated"]) == (200, 1, 1)
    assert (deleted.status, delete["DynamoDBCalls"], delete["ProductsDeleted"]) == (204, 1, 1)
