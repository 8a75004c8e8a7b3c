"""The legacy name key's one extra write: a check of the legacy claim inside the create's transaction (the
rest of the legacy path runs on moto: tests/integration/test_legacy_name_keys.py)."""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from repositories import keys
from repositories.dynamodb import create_client
from repositories.product_repository import ProductRepository
from samples import product_record
from utils.settings import get_settings


def test_a_create_checks_the_legacy_claim_in_its_one_transaction() -> None:
    client = create_client(get_settings())
    calls: list[tuple[str, dict[str, Any]]] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.*",
        lambda params, model, **kwargs: calls.append((model.name, params)),
    )
    with Stubber(client) as stub:
        stub.add_response("transact_write_items", {})
        ProductRepository(client, "table").create(product_record(name="Basic  Plan"))
    ((operation, params),) = calls
    checks = [
        item["ConditionCheck"]["Key"]["PK"]["S"]
        for item in params["TransactItems"]
        if "ConditionCheck" in item
    ]
    assert operation == "TransactWriteItems" and checks == [keys.NAME_CLAIM_PREFIX + "basic  plan"]
