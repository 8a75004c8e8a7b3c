"""Each function's role in terraform/functions.json allows exactly the DynamoDB actions the function makes.

Every path of each handler runs against the real repository on moto's server while a botocore hook records the
operations sent; a transaction needs the action of each of its items (Put, Delete, ...), not one of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scripts.function_manifest import load_functions
from handlers import create_product, delete_product, get_product, list_products, update_product
from repositories.dynamodb import create_client
from repositories.product_repository import ProductRepository
from samples import page_tokens, product_body
from services import factory
from utils.settings import get_settings

Event = Callable[..., dict[str, Any]]
_TRANSACTION_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "Update": "UpdateItem",
    "ConditionCheck": "ConditionCheckItem",
}


@pytest.fixture
def actions(dynamodb_endpoint: str) -> Iterator[set[str]]:
    """The IAM actions of every DynamoDB call the handlers make, on the real repository."""
    made: set[str] = set()

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            made.update(_TRANSACTION_ITEM_ACTIONS[op] for item in params["TransactItems"] for op in item)
        else:
            made.add(model.name)

    client = create_client(get_settings())
    client.meta.events.register("provide-client-params.dynamodb.*", record)
    factory.bootstrap(ProductRepository(client, get_settings().table_name, page_tokens()))
    yield made
    factory.reset()


def call(handler: Any, event: dict[str, Any], status: int) -> dict[str, Any]:
    response: dict[str, Any] = handler(event, None)
    assert response["statusCode"] == status, response["body"]
    return json.loads(response["body"]) if response["body"] else {}


def created(make_event: Event) -> str:
    product_id: str = call(create_product.handler, make_event("POST", body=product_body()), 201)["product"][
        "productId"
    ]
    return product_id


def every_path_of(name: str, make_event: Event, actions: set[str]) -> None:
    """Run each path of one function (its setup's calls are not counted)."""
    product_id = created(make_event)
    by_id = {"productId": product_id}
    actions.clear()
    if name == "list_products":
        for query in [None, {"sortBy": ["price"]}, {"name": ["Entry Plan"]}]:
            call(list_products.handler, make_event(query=query), 200)
    elif name == "get_product":
        call(get_product.handler, make_event(path_parameters=by_id), 200)
    elif name == "create_product":
        call(create_product.handler, make_event("POST", body=product_body()), 201)
        keyed = make_event("POST", body=product_body(), headers={"Idempotency-Key": "permissions-test"})
        call(create_product.handler, keyed, 201)
    elif name == "update_product":
        for body in [{"price": 7}, {"name": f"Renamed {product_id}"}, {"active": False}, {"active": True}]:
            call(update_product.handler, make_event("PUT", body=body, path_parameters=by_id), 200)
    else:
        call(delete_product.handler, make_event("DELETE", path_parameters=by_id), 204)


@pytest.mark.parametrize("name", sorted(load_functions()))
def test_role_allows_exactly_the_actions_the_function_makes(
    name: str, make_event: Event, actions: set[str], empty_table: None
) -> None:
    every_path_of(name, make_event, actions)
    function = load_functions()[name]
    assert {f"dynamodb:{action}" for action in actions} == function.table_actions | function.index_actions
