"""The repository's own logic without a server: item mapping and how DynamoDB failures are reported."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from exceptions.product_exceptions import StoreUnavailable
from models.commands import ProductChanges
from models.record import WRITES_KEPT
from repositories import keys
from repositories.dynamodb import create_client
from repositories.items import from_item, to_item
from repositories.product_repository import ProductRepository
from samples import product_record
from utils.response_builder import to_api
from utils.settings import get_settings


def test_item_round_trip_keeps_every_field() -> None:
    product = product_record(price="999999.99")
    assert from_item(to_item(product)) == product


def test_the_write_ids_kept_round_trip_and_an_item_without_them_reads_as_none() -> None:
    product = product_record()
    for n in range(WRITES_KEPT + 2):
        product = product.revised(
            ProductChanges(description=f"Edit {n}."), "bob", "2026-02-01T00:00:00.000Z", f"w{n}"
        )
    assert from_item(to_item(product)) == product
    assert product.write_ids() == tuple(f"w{n}" for n in range(WRITES_KEPT + 1, 1, -1))
    legacy = {name: value for name, value in to_item(product).items() if not name.startswith("writeId")}
    assert from_item(legacy).write_ids() == ()


def test_the_write_ids_are_not_part_of_the_api() -> None:
    product = product_record().revised(
        ProductChanges(period="yearly"), "bob", "2026-02-01T00:00:00.000Z", "w1"
    )
    assert "w1" not in json.dumps(to_api(product), default=str)


def test_inactive_products_leave_the_price_index() -> None:
    assert "GSI1_PK" not in to_item(product_record(active=False))
    assert to_item(product_record())["GSI1_PK"] == {"S": keys.PRICE_PARTITION}


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_throttling_and_outages_are_503(code: str) -> None:
    client = create_client(get_settings())
    repository = ProductRepository(client, "table")
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code=code)
        with pytest.raises(StoreUnavailable):
            repository.find_by_id(str(uuid.uuid4()))


def test_throttled_transaction_that_the_settling_read_finds_unstored_is_503() -> None:
    client, settling = create_client(get_settings()), create_client(get_settings())
    with Stubber(client) as stub, Stubber(settling) as settling_stub:
        stub.add_client_error(
            "transact_write_items",
            service_error_code="TransactionCanceledException",
            modeled_fields={"CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}]},
        )
        settling_stub.add_response("get_item", {})
        with pytest.raises(StoreUnavailable):
            ProductRepository(client, "table", settling_client=settling).create(product_record())
        settling_stub.assert_no_pending_responses()


def test_unreachable_endpoint_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    client = create_client(get_settings())

    def unreachable(**kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    monkeypatch.setattr(client, "get_item", unreachable)
    with pytest.raises(StoreUnavailable):
        ProductRepository(client, "table").find_by_id(str(uuid.uuid4()))


def test_other_client_errors_propagate() -> None:
    client = create_client(get_settings())
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code="ResourceNotFoundException")
        with pytest.raises(ClientError):
            ProductRepository(client, "table").find_by_id(str(uuid.uuid4()))
