"""The page-token key, read from AWS Secrets Manager on first use (never from Terraform or the environment).

AWS generates each value (scripts/ops/page_token_key.py: GetRandomPassword, PutSecretValue); a new value
becomes AWSCURRENT and the one before it AWSPREVIOUS. Tokens live 24 hours, so the previous key is read only
while the current one is younger than that: afterwards every token it sealed has expired.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from exceptions.product_exceptions import PageTokenKeyUnavailable
from repositories.aws_clients import new_client
from repositories.dynamodb import CLIENT_CONFIG
from repositories.page_token import MIN_SECRET_LENGTH, TOKEN_LIFETIME_SECONDS, PageTokens

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import GetSecretValueResponseTypeDef


def create_secrets_client(region: str) -> SecretsManagerClient:
    """One Secrets Manager client per container, with the DynamoDB client's timeouts and retries."""
    client: SecretsManagerClient = new_client("secretsmanager", region, None, CLIENT_CONFIG)
    return client


def read_keys(
    client: SecretsManagerClient, secret_id: str, now: Callable[[], datetime.datetime]
) -> list[str]:
    """The current key, then the previous one while tokens it sealed can still be valid. Any failure (a
    Secrets Manager or network fault, no such secret, no AWSCURRENT value, a value too short to be a key) is a
    PageTokenKeyUnavailable: answered 503, like every other AWS fault, never 500."""
    try:
        current = client.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")
        keys = [_usable(current, "AWSCURRENT")]
        if now() - current["CreatedDate"] < datetime.timedelta(seconds=TOKEN_LIFETIME_SECONDS):
            try:
                previous = client.get_secret_value(SecretId=secret_id, VersionStage="AWSPREVIOUS")
            except client.exceptions.ResourceNotFoundException:  # the first key has no predecessor
                return keys
            keys.append(_usable(previous, "AWSPREVIOUS"))
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "unknown")
        raise PageTokenKeyUnavailable(f"Secrets Manager answered {code}") from None
    except BotoCoreError as error:
        raise PageTokenKeyUnavailable(
            f"Secrets Manager could not be reached: {type(error).__name__}"
        ) from None
    return keys


def _usable(value: GetSecretValueResponseTypeDef, stage: str) -> str:
    """The key a GetSecretValue answer holds, if it is one (text, long enough)."""
    key = value.get("SecretString")
    if key is None or len(key) < MIN_SECRET_LENGTH:
        raise PageTokenKeyUnavailable(
            f"the {stage} value is not a key of at least {MIN_SECRET_LENGTH} characters"
        )
    return key


def page_tokens_from_secret(
    secret_id: str, region: str, clock: Callable[[], float] = time.time
) -> PageTokens:
    """Page tokens under the secret's keys, read now and again when a token names a key not among them. A
    failure to read them now is answered when a request needs them (503), and they are read again then."""
    client = create_secrets_client(region)

    def load() -> list[str]:
        return read_keys(client, secret_id, lambda: datetime.datetime.now(datetime.timezone.utc))

    tokens = PageTokens(clock=clock, source=load)
    with contextlib.suppress(PageTokenKeyUnavailable):
        tokens.load_keys()
    # The second client's service model leaves many long-lived objects behind; without this the next full
    # collection walks them all during a later request (about 80 ms, docs/PERFORMANCE.md).
    gc.freeze()
    return tokens
