"""Each request's log line is an EMF record of what the request did: its operation, outcome and events."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emf_spec import emf_problems
from exceptions.product_exceptions import StoreUnavailable
from fakes import FakeProductStore
from handlers import create_product, delete_product, get_product, list_products, update_product
from lifecycle import snapstart
from metrics.emf import declared_metrics
from models.commands import ProductDraft
from repositories.page_token_key import page_tokens_from_secret
from repositories.product_repository import ProductRepository
from scripts.local_server.table import create_table
from services import factory
from samples import product_body
from services.product_service import ProductService
from utils import api_gateway
from utils.logger import get_logger
from utils.settings import get_settings

Event = Callable[..., dict[str, Any]]
EVENT_METRICS = (
    "ProductsCreated",
    "ProductsUpdated",
    "ProductsDeleted",
    "ProductsRestored",
    "IdempotentReplays",
    "NameConflicts",
    "VersionConflicts",
    "Unavailable",
    "OutcomeUnknown",
    "UnexpectedErrors",
)


def run(
    handler: Any, event: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    """Status and the EMF record of one request (checked against the specification)."""
    capsys.readouterr()
    status = handler(event, None)["statusCode"]
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and emf_problems(lines[-1]) == []
    record: dict[str, Any] = json.loads(lines[-1])
    return status, record


def events(record: dict[str, Any]) -> dict[str, Any]:
    """The event metrics the record declares, with their values, zeros left out."""
    return {name: record[name] for name in EVENT_METRICS if name in record and record[name]}


def created_id(make_event: Event, name: str = "Metrics Plan") -> str:
    response = create_product.handler(make_event("POST", body=product_body(name=name)), None)
    product_id: str = json.loads(response["body"])["product"]["productId"]
    return product_id


def by_id(product_id: str) -> dict[str, str]:
    return {"productId": product_id}


@pytest.mark.parametrize(
    "handler, operation",
    [
        (list_products.handler, "list_products"),
        (get_product.handler, "get_product"),
        (create_product.handler, "create_product"),
        (update_product.handler, "update_product"),
        (delete_product.handler, "delete_product"),
    ],
)
def test_every_operation_writes_its_declared_metrics(
    handler: Any, operation: str, make_event: Event, capsys: pytest.CaptureFixture[str]
) -> None:
    _, record = run(handler, make_event("GET"), capsys)
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "BBWS/ProductApi"
    assert [m["Name"] for m in directive["Metrics"]] == list(declared_metrics(operation))
    assert (record["Operation"], record["Environment"], record["FunctionVersion"]) == (
        operation,
        "local",
        "$LATEST",
    )
    assert record["Latency"] == record["durationMs"] and record["Latency"] > 0


def test_create_counts_a_created_product(make_event: Event, capsys: pytest.CaptureFixture[str]) -> None:
    status, record = run(create_product.handler, make_event("POST", body=product_body()), capsys)
    assert status == 201 and events(record) == {"ProductsCreated": 1} and "errorCode" not in record


def test_idempotent_retry_counts_a_replay_not_a_creation(
    make_event: Event, capsys: pytest.CaptureFixture[str]
) -> None:
    event = make_event("POST", body=product_body(), headers={"Idempotency-Key": "retry-1"})
    create_product.handler(event, None)
    status, record = run(create_product.handler, event, capsys)
    assert status == 201 and events(record) == {"IdempotentReplays": 1}


def test_name_taken_counts_a_name_conflict(make_event: Event, capsys: pytest.CaptureFixture[str]) -> None:
    created_id(make_event, "Taken Plan")
    status, record = run(
        create_product.handler, make_event("POST", body=product_body(name="Taken Plan")), capsys
    )
    assert status == 409 and events(record) == {"NameConflicts": 1}
    assert record["errorCode"] == "NameConflict"


def test_update_counts_an_update_and_a_restore_only_when_reactivating(
    make_event: Event, capsys: pytest.CaptureFixture[str]
) -> None:
    product_id = created_id(make_event)
    delete_product.handler(make_event("DELETE", path_parameters=by_id(product_id)), None)
    restore = make_event("PUT", body={"active": True}, path_parameters=by_id(product_id))
    status, record = run(update_product.handler, restore, capsys)
    assert status == 200 and events(record) == {"ProductsUpdated": 1, "ProductsRestored": 1}

    reprice = make_event("PUT", body={"price": 99}, path_parameters=by_id(product_id))
    assert events(run(update_product.handler, reprice, capsys)[1]) == {"ProductsUpdated": 1}


def test_stale_if_match_counts_a_version_conflict(
    make_event: Event, capsys: pytest.CaptureFixture[str]
) -> None:
    product_id = created_id(make_event)
    event = make_event(
        "PUT", body={"price": 99}, path_parameters=by_id(product_id), headers={"If-Match": '"7"'}
    )
    status, record = run(update_product.handler, event, capsys)
    assert status == 412 and events(record) == {"VersionConflicts": 1}
    assert record["errorCode"] == "VersionConflict"


def test_delete_counts_a_deletion_once(make_event: Event, capsys: pytest.CaptureFixture[str]) -> None:
    product_id = created_id(make_event)
    event = make_event("DELETE", path_parameters=by_id(product_id))
    first = run(delete_product.handler, event, capsys)
    # Another caller: the same caller at the same (fixed) time would be a retry of the first, which counts.
    other = make_event(
        "DELETE", path_parameters=by_id(product_id), identity={"userArn": "arn:aws:iam::user/eve"}
    )
    again = run(delete_product.handler, other, capsys)
    assert (first[0], events(first[1])) == (204, {"ProductsDeleted": 1})
    assert (again[0], events(again[1])) == (204, {})


def test_unavailable_store_counts_a_503(
    make_event: Event, fake_store: FakeProductStore, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_store.create_error = StoreUnavailable()
    status, record = run(create_product.handler, make_event("POST", body=product_body()), capsys)
    assert status == 503 and events(record) == {"Unavailable": 1} and record["errorCode"] == "Unavailable"


UNSETTLED_CHANGES = {
    "update in place": (update_product.handler, "PUT", {"price": 99}),
    "rename": (update_product.handler, "PUT", {"name": "Renamed Plan"}),
    "restore": (update_product.handler, "PUT", {"active": True}),
    "delete": (delete_product.handler, "DELETE", None),
}


def unsettled(
    handler: Any, event: dict[str, Any], store: FakeProductStore, capsys: pytest.CaptureFixture[str]
) -> tuple[str, dict[str, Any]]:
    """The message and EMF record of a write whose answers, and the read that would settle it, are lost."""
    store.unsettled_writes = 1
    capsys.readouterr()
    response = handler(event, None)
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert response["statusCode"] == 503, response["body"]
    assert response["headers"]["Retry-After"] == "1"
    assert events(record) == {"OutcomeUnknown": 1}
    message: str = json.loads(response["body"])["message"]
    return message, record


@pytest.mark.parametrize("change", list(UNSETTLED_CHANGES))
def test_a_change_whose_outcome_is_unknown_is_a_503_saying_it_may_have_been_applied(
    make_event: Event, fake_store: FakeProductStore, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    product_id = created_id(make_event)
    if change == "restore":
        delete_product.handler(make_event("DELETE", path_parameters=by_id(product_id)), None)
    handler, method, body = UNSETTLED_CHANGES[change]
    message, _ = unsettled(
        handler, make_event(method, body=body, path_parameters=by_id(product_id)), fake_store, capsys
    )
    assert "may have been applied" in message and f"GET /v1.0/products/{product_id}" in message


@pytest.mark.parametrize(
    "headers, advice",
    [
        ({}, "send the request again only if that answers 404"),
        ({"Idempotency-Key": "k-9"}, "same Idempotency-Key"),
    ],
    ids=["without a key", "with an Idempotency-Key"],
)
def test_a_create_whose_outcome_is_unknown_is_a_503_naming_where_the_product_would_be(
    make_event: Event,
    fake_store: FakeProductStore,
    capsys: pytest.CaptureFixture[str],
    headers: dict[str, str],
    advice: str,
) -> None:
    event = make_event("POST", body=product_body(), headers=headers)
    message, _ = unsettled(create_product.handler, event, fake_store, capsys)
    (product_id,) = fake_store.products  # the write went through; only its answers were lost
    assert (
        "may have been applied" in message
        and f"/v1.0/products/{product_id})" in message
        and advice in message
    )


def test_unexpected_error_counts_a_500(
    make_event: Event,
    wired: ProductService,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(wired, "get", lambda product_id: 1 / 0)
    capsys.readouterr()
    event = make_event(path_parameters=by_id("0b7e5c1e-8f3a-4a51-9d0c-5f3b2a9c4e10"))
    assert get_product.handler(event, None)["statusCode"] == 500
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert emf_problems(json.dumps(record)) == [] and events(record) == {"UnexpectedErrors": 1}
    assert record["errorCode"] == "UnexpectedError"


def test_first_request_of_a_container_counts_a_cold_start(
    make_event: Event, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(snapstart, "_next_start", snapstart.COLD_START)
    first = run(list_products.handler, make_event(), capsys)[1]
    second = run(list_products.handler, make_event(), capsys)[1]
    assert [
        (line["ColdStarts"], line["Restores"], line["coldStart"], line["restore"]) for line in (first, second)
    ] == [
        (1, 0, True, False),
        (0, 0, False, False),
    ]


def test_first_request_after_a_snapstart_restore_counts_a_restore_not_a_cold_start(
    make_event: Event, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(snapstart, "_next_start", snapstart.COLD_START)
    snapstart.mark_restore()
    first = run(list_products.handler, make_event(), capsys)[1]
    second = run(list_products.handler, make_event(), capsys)[1]
    assert [
        (line["ColdStarts"], line["Restores"], line["coldStart"], line["restore"]) for line in (first, second)
    ] == [
        (0, 1, False, True),
        (0, 0, False, False),
    ]


def test_the_metrics_line_is_written_whatever_the_log_level(
    make_event: Event, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(api_gateway, "get_logger", lambda level: get_logger("ERROR"))
    _, record = run(list_products.handler, make_event(), capsys)
    assert record["message"] == "request"


@pytest.mark.parametrize(
    "handler, method, body, code",
    [
        (get_product.handler, "GET", None, "NotFound"),
        (create_product.handler, "POST", {"name": ""}, "ValidationFailed"),
    ],
)
def test_an_error_line_names_the_error_by_its_code_and_holds_no_body(
    handler: Any,
    method: str,
    body: dict[str, Any] | None,
    code: str,
    make_event: Event,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = make_event(method, body=body, path_parameters=by_id("0b7e5c1e-8f3a-4a51-9d0c-5f3b2a9c4e10"))
    _, record = run(handler, event, capsys)
    assert record["errorCode"] == code and "name" not in record and "body" not in record


@pytest.mark.parametrize("query", [{"nextToken": ["AQ" + "A" * 66]}, {"limit": ["1"]}])
def test_a_list_whose_page_token_key_has_no_value_yet_is_a_503_counted_as_unavailable(
    make_event: Event, capsys: pytest.CaptureFixture[str], query: dict[str, list[str]]
) -> None:
    # Between the first apply and `page_token_key ensure` the secret exists without a value.
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_table(client, get_settings().table_name)
        boto3.client("secretsmanager", region_name="eu-west-1").create_secret(Name="page-token-key")
        tokens = page_tokens_from_secret("page-token-key", "eu-west-1")
        service = factory.bootstrap(ProductRepository(client, get_settings().table_name, tokens))
        for name in ("First Plan", "Second Plan"):
            service.create(ProductDraft(name, "A plan.", Decimal(10), "monthly"), "tester")
        capsys.readouterr()
        response = list_products.handler(make_event("GET", query=query), None)
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert response["statusCode"] == 503, response["body"]
    assert response["headers"]["Retry-After"] == "1"
    assert (line["errorCode"], line["Unavailable"], line.get("UnexpectedErrors", 0)) == (
        "PageTokenKeyUnavailable",
        1,
        0,
    )
    assert "ResourceNotFoundException" in line["errorReason"]  # why, for the operators alone
    assert "ResourceNotFoundException" not in response["body"]
