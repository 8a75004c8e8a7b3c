"""The local DynamoDB's fast answers (scripts/local_server/dynamodb.py) read the same to botocore as moto's own."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from scripts.local_server.dynamodb import EmbeddedDynamoDB
from scripts.local_server.table import create_table

pytestmark = pytest.mark.integration
TABLE = "bbws-products-answers"
KEY = {"PK": {"S": "PRODUCT#1"}, "SK": {"S": "METADATA"}}
ITEM = KEY | {
    "name": {"S": "Entry Plan"},
    "price": {"N": "95.00"},
    "features": {"L": [{"S": "Email support"}]},
    "tags": {"SS": ["a", "b"]},
    "active": {"BOOL": True},
    "note": {"NULL": True},
    "meta": {"M": {"n": {"N": "1"}}},
}


def _calls(client: Any) -> list[Any]:
    """Every item operation the repository makes, successful and refused, in one fixed order."""
    update = dict(UpdateExpression="SET #p = :p", ExpressionAttributeNames={"#p": "price"})
    refused = dict(ConditionExpression="attribute_not_exists(PK)")
    return [
        lambda: client.put_item(TableName=TABLE, Item=ITEM),
        lambda: client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True),
        lambda: client.get_item(TableName=TABLE, Key={"PK": {"S": "none"}, "SK": {"S": "none"}}),
        lambda: client.update_item(
            TableName=TABLE,
            Key=KEY,
            **update,
            ExpressionAttributeValues={":p": {"N": "9"}},
            ReturnValues="ALL_NEW",
        ),
        lambda: client.scan(TableName=TABLE, Limit=1),
        lambda: client.query(
            TableName=TABLE,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": KEY["PK"]},
        ),
        lambda: client.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": ITEM | {"SK": {"S": "OTHER"}}}}]
        ),
        lambda: client.put_item(
            TableName=TABLE, Item=ITEM, **refused, ReturnValuesOnConditionCheckFailure="ALL_OLD"
        ),
        lambda: client.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": ITEM, **refused}}]
        ),
        lambda: client.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": KEY}}]}),
        lambda: client.delete_item(TableName=TABLE, Key=KEY, ReturnValues="ALL_OLD"),
    ]


def _answers(fast: bool) -> Iterator[Any]:
    server = EmbeddedDynamoDB(fast_answers=fast)
    try:
        client = boto3.client(
            "dynamodb",
            endpoint_url=server.endpoint_url,
            region_name="eu-west-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        create_table(client, TABLE)
        for call in _calls(client):
            try:
                answer = call()
            except client.exceptions.ClientError as error:
                answer = error.response
            answer.pop("ResponseMetadata", None)
            yield answer
    finally:
        server.stop()


def test_fast_answers_parse_the_same_as_motos_own() -> None:
    assert list(_answers(fast=True)) == list(_answers(fast=False))


def test_the_server_keeps_no_copy_of_the_items_its_transactions_touched(
    dynamodb_endpoint: str, dynamodb_client: Any
) -> None:
    """moto records every model object for its dashboard and a transaction copies the whole table, so memory and
    the garbage collection at exit grew with the square of the table (a stop took a minute with 300 products).
    """
    create_table(dynamodb_client, TABLE)
    for n in range(5):
        item = KEY | {"SK": {"S": f"COPY#{n}"}}
        dynamodb_client.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item}}])
    # The endpoint is the session's loopback moto server.
    with urllib.request.urlopen(
        f"{dynamodb_endpoint}/moto-api/data.json", timeout=30
    ) as answer:  # nosec B310
        tracked = json.load(answer)["dynamodb"]
    assert (tracked["Item"], tracked["Table"]) == ([], [])
