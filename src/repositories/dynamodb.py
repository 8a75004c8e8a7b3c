"""The DynamoDB client: created once per container, with timeouts that end well inside the function's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.config import Config

from metrics.recorder import count_dynamodb_call, count_items_read
from repositories.aws_clients import new_client
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
# A write whose every attempt lost its answer (12 s at worst, above) is settled by one read of at most 1 s + 1 s,
# on a twin made then (0.1-0.2 s here): about 14.2 s, still inside the function's 15 s.
ONE_ATTEMPT = Config(read_timeout=1, retries={"mode": "standard", "total_max_attempts": 1})


def create_client(settings: Settings) -> DynamoDBClient:
    """A DynamoDB client for the configured region and (locally) endpoint, counting the calls each request
    makes and the items its reads go through (botocore's event hooks: no repository code involved)."""
    return _counted(settings.region, settings.dynamodb_endpoint_url, CLIENT_CONFIG)


def one_attempt_twin(client: DynamoDBClient) -> DynamoDBClient:
    """A client like `client` (region, endpoint, counting) that makes one short attempt per call: for the read
    that settles a write whose every attempt lost its answer."""
    config = client.meta.config.merge(ONE_ATTEMPT)
    return _counted(client.meta.region_name, client.meta.endpoint_url, config)


def _counted(region: str, endpoint_url: str | None, config: Config) -> DynamoDBClient:
    client: DynamoDBClient = new_client("dynamodb", region, endpoint_url, config)
    client.meta.events.register("before-call.dynamodb", count_dynamodb_call)
    for operation in ("Scan", "Query"):
        client.meta.events.register(f"after-call.dynamodb.{operation}", count_items_read)
    return client
