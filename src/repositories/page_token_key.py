"""The page-token key, read from AWS Secrets Manager on first use (never from Terraform or the environment).

AWS generates each value (scripts/ops/page_token_key.py: GetRandomPassword, PutSecretValue); a new value
becomes AWSCURRENT and the one before it AWSPREVIOUS. Tokens live 24 hours, so the previous key is read only
while the current one is younger than that: afterwards every token it sealed has expired.
"""

from __future__ import annotations

import datetime
import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from repositories.aws_clients import new_client
from repositories.dynamodb import CLIENT_CONFIG
from repositories.page_token import TOKEN_LIFETIME_SECONDS, PageTokens

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient


def create_secrets_client(region: str) -> SecretsManagerClient:
    """One Secrets Manager client per container, with the DynamoDB client's timeouts and retries."""
    client: SecretsManagerClient = new_client("secretsmanager", region, None, CLIENT_CONFIG)
    return client


def read_keys(
    client: SecretsManagerClient, secret_id: str, now: Callable[[], datetime.datetime]
) -> list[str]:
    """The current key, then the previous one while tokens it sealed can still be valid."""
    current = client.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")
    keys = [current["SecretString"]]
    if now() - current["CreatedDate"] < datetime.timedelta(seconds=TOKEN_LIFETIME_SECONDS):
        try:
            previous = client.get_secret_value(SecretId=secret_id, VersionStage="AWSPREVIOUS")
        except client.exceptions.ResourceNotFoundException:  # the first key has no predecessor
            return keys
        keys.append(previous["SecretString"])
    return keys


def page_tokens_from_secret(
    secret_id: str, region: str, clock: Callable[[], float] = time.time
) -> PageTokens:
    """Page tokens under the secret's keys, read now and again when a token no known key opens arrives."""
    client = create_secrets_client(region)

    def load() -> list[str]:
        return read_keys(client, secret_id, lambda: datetime.datetime.now(datetime.timezone.utc))

    current, *previous = load()
    # The second client's service model leaves many long-lived objects behind; without this the next full
    # collection walks them all during a later request (about 80 ms, docs/PERFORMANCE.md).
    gc.freeze()
    return PageTokens(current, clock=clock, previous=previous, reload=load)
