"""Writes whose every answer is lost (issue 15 §4), through the handlers on moto's DynamoDB.

A botocore hook sends each attempt of a write to DynamoDB and then raises the read timeout botocore raises
when an answer stalls, so every attempt is stored or refused by DynamoDB and none is answered. The service
settles the outcome with one consistent read of the product and answers as if the write had returned; only when
that read fails too is it a 503 that says the write may have been applied.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff

from handlers import create_product, delete_product, update_product
from models.commands import ProductChanges
from repositories import keys
from repositories.calls import read_item
from repositories.dynamodb import create_client, one_attempt_twin
from repositories.items import from_item
from repositories.product_repository import ProductRepository
from samples import product_body
from services import factory
from services.product_service import ProductService
from utils.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.usefixtures("empty_table")

Event = Callable[..., dict[str, Any]]
ATTEMPTS = 3  # repositories/dynamodb.py: CLIENT_CONFIG


class Wired:
    """The handlers over the DynamoDB repository, with the clients its writes and its settling read use."""

    def __init__(self) -> None:
        self.client = create_client(get_settings())
        self.settling = one_attempt_twin(self.client)
        table = get_settings().table_name
        factory.bootstrap(ProductRepository(self.client, table, settling_client=self.settling))


def retry_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retries without their backoff: the attempts are the same, the test is not slower."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wired]:
    retry_at_once(monkeypatch)
    yield Wired()
    factory.reset()


def lose_answers(client: DynamoDBClient, operation: str, deliver: bool = True) -> list[str]:
    """Make every attempt of `operation` reach DynamoDB (unless not `deliver`) and then time out reading its
    answer; the list records the attempts."""
    attempts: list[str] = []

    def send_then_time_out(request: Any, **_: Any) -> None:
        attempts.append(operation)
        if deliver:
            client._endpoint.http_session.send(request)  # type: ignore[attr-defined]
        raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register(f"before-send.dynamodb.{operation}", send_then_time_out)
    return attempts


def stored(product_id: str) -> dict[str, Any]:
    """The product as the table holds it, in its wire form's field names."""
    item = read_item(create_client(get_settings()), get_settings().table_name, keys.product_pk(product_id))
    assert item is not None
    record = from_item(item)
    fields = ("version", "name", "active", "price", "description")
    return {field: getattr(record, field) for field in fields}


def answered(handler: Any, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = handler(event, None)
    body = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], response["headers"], body


def create(make_event: Event, **fields: Any) -> str:
    status, _, body = answered(create_product.handler, make_event("POST", body=product_body(**fields)))
    assert status == 201
    product_id: str = body["product"]["productId"]
    return product_id


def test_a_create_whose_every_answer_was_lost_is_201_with_the_stored_product(
    wired: Wired, make_event: Event
) -> None:
    factory.bootstrap(ProductRepository(wired.client, get_settings().table_name))  # its own twin, as deployed
    attempts = lose_answers(wired.client, "TransactWriteItems")
    status, headers, body = answered(
        create_product.handler, make_event("POST", body=product_body(name="Unanswered Plan"))
    )
    product_id = body["product"]["productId"]
    assert (status, attempts) == (201, ["TransactWriteItems"] * ATTEMPTS)
    assert headers["Location"] == f"/v1.0/products/{product_id}"
    assert stored(product_id)["name"] == "Unanswered Plan"


class Change(NamedTuple):
    operation: str  # the DynamoDB call that makes it
    method: str
    body: dict[str, Any] | None
    deleted_first: bool  # a restore needs a deleted product
    after: dict[str, Any]  # the product as stored after it


CHANGES = {
    "update": Change(
        "UpdateItem", "PUT", {"price": 120}, False, {"version": 2, "price": 120, "active": True}
    ),
    "delete": Change("UpdateItem", "DELETE", None, False, {"version": 2, "active": False}),
    "rename": Change(
        "TransactWriteItems", "PUT", {"name": "New Plan"}, False, {"version": 2, "name": "New Plan"}
    ),
    "restore": Change("PutItem", "PUT", {"active": True}, True, {"version": 3, "active": True}),
}


def make_unanswered(
    wired: Wired, make_event: Event, change: Change, settling_read_lost: bool, deliver: bool = True
) -> tuple[str, list[str], tuple[int, dict[str, str], Any]]:
    """Make `change` to a new product with every answer lost (and the settling read's, if asked; with every
    attempt lost on the way, unless `deliver`): the product's id, the write's attempts and the answer."""
    path = {"productId": create(make_event, name="Changing Plan")}
    if change.deleted_first:
        assert answered(delete_product.handler, make_event("DELETE", path_parameters=path))[0] == 204
    attempts = lose_answers(wired.client, change.operation, deliver)
    if settling_read_lost:
        lose_answers(wired.settling, "GetItem")
    handler = update_product.handler if change.method == "PUT" else delete_product.handler
    event = make_event(change.method, body=change.body, path_parameters=path)
    return path["productId"], attempts, answered(handler, event)


def assert_stored(product_id: str, after: dict[str, Any]) -> dict[str, Any]:
    now = stored(product_id)
    assert {field: now[field] for field in after} == after
    return now


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_whose_every_answer_was_lost_answers_as_if_it_had_returned(
    wired: Wired, make_event: Event, name: str
) -> None:
    change = CHANGES[name]
    product_id, attempts, (status, headers, answer) = make_unanswered(wired, make_event, change, False)
    assert (status, attempts) == (204 if change.method == "DELETE" else 200, [change.operation] * ATTEMPTS)
    now = assert_stored(product_id, change.after)
    if answer is not None:
        assert (answer["product"]["version"], headers["ETag"]) == (now["version"], f'"{now["version"]}"')


def test_a_create_that_never_reached_the_table_stays_a_plain_503(wired: Wired, make_event: Event) -> None:
    lose_answers(wired.client, "TransactWriteItems", deliver=False)
    status, headers, body = answered(create_product.handler, make_event("POST", body=product_body()))
    assert (status, headers["Retry-After"]) == (503, "1")
    assert "retry in a moment" in body["message"]
    assert wired.client.scan(TableName=get_settings().table_name)["Count"] == 0


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_that_never_reached_the_table_stays_a_plain_503(
    wired: Wired, make_event: Event, name: str
) -> None:
    product_id, _, (status, _, answer) = make_unanswered(
        wired, make_event, CHANGES[name], False, deliver=False
    )
    assert status == 503 and "retry in a moment" in answer["message"]
    assert stored(product_id)["version"] == (2 if CHANGES[name].deleted_first else 1)


def test_a_change_of_a_missing_product_whose_answers_were_lost_is_404(
    wired: Wired, make_event: Event
) -> None:
    attempts = lose_answers(wired.client, "UpdateItem")
    event = make_event("PUT", body={"price": 5}, path_parameters={"productId": str(uuid.uuid4())})
    assert (answered(update_product.handler, event)[0], attempts) == (404, ["UpdateItem"] * ATTEMPTS)


@pytest.mark.parametrize("key", [None, "unsettled-1"], ids=["without a key", "with an Idempotency-Key"])
def test_a_create_whose_settling_read_fails_too_is_a_503_saying_where_to_look(
    wired: Wired, make_event: Event, capsys: pytest.CaptureFixture[str], key: str | None
) -> None:
    lose_answers(wired.client, "TransactWriteItems")
    reads = lose_answers(wired.settling, "GetItem")
    headers = {"Idempotency-Key": key} if key else {}
    capsys.readouterr()
    status, answer_headers, body = answered(
        create_product.handler, make_event("POST", body=product_body(), headers=headers)
    )
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (item,) = wired.client.scan(
        TableName=get_settings().table_name,
        FilterExpression="entityType = :p",
        ExpressionAttributeValues={":p": {"S": keys.ENTITY_PRODUCT}},
    )["Items"]
    product_id = item["productId"]["S"]
    assert (status, answer_headers["Retry-After"], reads) == (503, "1", ["GetItem"])
    assert "may have been applied" in body["message"] and f"/v1.0/products/{product_id})" in body["message"]
    assert ("same Idempotency-Key" in body["message"]) == (key is not None)
    assert (line["OutcomeUnknown"], line["Unavailable"]) == (1, 0)


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_whose_settling_read_fails_too_is_a_503_saying_it_may_have_been_applied(
    wired: Wired, make_event: Event, name: str
) -> None:
    change = CHANGES[name]
    product_id, _, (status, _, answer) = make_unanswered(wired, make_event, change, True)
    assert status == 503 and "may have been applied" in answer["message"]
    assert f"GET /v1.0/products/{product_id}" in answer["message"]
    assert_stored(product_id, change.after)  # it was, in fact


def another_callers_write(product_id: Callable[[], str]) -> Callable[[], None]:
    """Another caller's change of the product (its description), through a store and client of its own."""

    def write() -> None:
        other = ProductService(ProductRepository(create_client(get_settings()), get_settings().table_name))
        changes = ProductChanges(description="Edited by another caller meanwhile.")
        other.update(product_id(), changes, "another-caller", None)

    return write


def before_next(client: DynamoDBClient, operation: str, write: Callable[[], None]) -> None:
    """Make `write` happen just before the next attempt of `operation` on `client` is sent."""
    pending = [write]

    def run_first(**_: Any) -> None:
        while pending:
            pending.pop()()

    client.meta.events.register(f"before-send.dynamodb.{operation}", run_first)


def lose_first_answer(client: DynamoDBClient, operation: str, meanwhile: Callable[[], None]) -> list[str]:
    """Make the first attempt of `operation` reach DynamoDB and lose its answer, with `meanwhile` happening
    before botocore's retry, which is answered; the list records the attempts."""
    attempts: list[str] = []

    def send_first_then_time_out(request: Any, **_: Any) -> None:
        attempts.append(operation)
        if len(attempts) == 1:
            client._endpoint.http_session.send(request)  # type: ignore[attr-defined]
            meanwhile()
            raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register(f"before-send.dynamodb.{operation}", send_first_then_time_out)
    return attempts


def the_only_product(client: DynamoDBClient) -> str:
    (item,) = client.scan(
        TableName=get_settings().table_name,
        FilterExpression="entityType = :p",
        ExpressionAttributeValues={":p": {"S": keys.ENTITY_PRODUCT}},
    )["Items"]
    return str(item["productId"]["S"])


def changed(wired: Wired, make_event: Event, change: Change, if_match: str | None = None) -> tuple[str, Any]:
    """A new product (deleted first when `change` restores), and the event that makes `change` to it."""
    path = {"productId": create(make_event, name="Changing Plan")}
    if change.deleted_first:
        assert answered(delete_product.handler, make_event("DELETE", path_parameters=path))[0] == 204
    headers = {"If-Match": if_match} if if_match else {}
    event = make_event(change.method, body=change.body, path_parameters=path, headers=headers)
    return path["productId"], event


def handler_of(change: Change) -> Any:
    return update_product.handler if change.method == "PUT" else delete_product.handler


def assert_both_applied(product_id: str, change: Change) -> None:
    now = assert_stored(product_id, {**change.after, "version": change.after["version"] + 1})
    assert now["description"] == "Edited by another caller meanwhile."


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_whose_answers_were_lost_while_another_caller_wrote_is_answered_as_applied(
    wired: Wired, make_event: Event, name: str
) -> None:
    change = CHANGES[name]
    product_id, event = changed(wired, make_event, change)
    attempts = lose_answers(wired.client, change.operation)
    before_next(wired.settling, "GetItem", another_callers_write(lambda: product_id))
    status, _, _ = answered(handler_of(change), event)
    assert (status, attempts) == (204 if change.method == "DELETE" else 200, [change.operation] * ATTEMPTS)
    assert_both_applied(product_id, change)


def test_a_create_whose_answers_were_lost_while_another_caller_wrote_is_201(
    wired: Wired, make_event: Event
) -> None:
    lose_answers(wired.client, "TransactWriteItems")
    before_next(wired.settling, "GetItem", another_callers_write(lambda: the_only_product(wired.client)))
    status, _, body = answered(
        create_product.handler, make_event("POST", body=product_body(name="Raced Plan"))
    )
    assert (status, body["product"]["name"]) == (201, "Raced Plan")
    assert stored(body["product"]["productId"])["description"] == "Edited by another caller meanwhile."


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_conditional_change_retried_after_another_caller_wrote_is_answered_as_applied(
    wired: Wired, make_event: Event, name: str
) -> None:
    change = CHANGES[name]
    version = 2 if change.deleted_first else 1
    product_id, event = changed(wired, make_event, change, if_match=f'"{version}"')
    attempts = lose_first_answer(wired.client, change.operation, another_callers_write(lambda: product_id))
    status, _, body = answered(handler_of(change), event)
    assert status == (204 if change.method == "DELETE" else 200), body
    assert attempts == [change.operation] * 2
    assert_both_applied(product_id, change)


def test_a_create_retried_after_another_caller_wrote_is_201(wired: Wired, make_event: Event) -> None:
    meanwhile = another_callers_write(lambda: the_only_product(wired.client))
    lose_first_answer(wired.client, "TransactWriteItems", meanwhile)
    status, _, body = answered(
        create_product.handler, make_event("POST", body=product_body(name="Raced Plan"))
    )
    assert (status, body["product"]["name"]) == (201, "Raced Plan")
    assert stored(body["product"]["productId"])["description"] == "Edited by another caller meanwhile."
