"""The DynamoDB client: created once per container, with timeouts that end well inside the function's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from metrics.recorder import count_dynamodb_call, count_items_read
from utils.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Worst case 3 attempts x (1 s connect + 2 s read) plus backoff stays under the 15 s function timeout.
CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": 3},
    tcp_keepalive=True,
)


def create_client(settings: Settings) -> DynamoDBClient:
    """A DynamoDB client for the configured region and (locally) endpoint, counting the calls each request
    makes and the items its reads go through (botocore's event hooks: no repository code involved)."""
    client = boto3.session.Session().client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint_url,
        config=CLIENT_CONFIG,
    )
    client.meta.events.register("before-call.dynamodb", count_dynamodb_call)
    for operation in ("Scan", "Query"):
        client.meta.events.register(f"after-call.dynamodb.{operation}", count_items_read)
    return client
