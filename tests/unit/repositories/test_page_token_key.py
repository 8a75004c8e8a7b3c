"""The page-token key from Secrets Manager (moto in process): the current key, the previous one while its
tokens can still be valid, and a container that learns a newer key from a token sealed with it."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from exceptions.product_exceptions import ValidationFailed
from repositories.page_token import PageTokens, Position
from repositories.page_token_key import page_tokens_from_secret, read_keys

SECRET_NAME = "bbws-page-token-key-dev"
FIRST, SECOND = (
    "first-key-made-by-aws-of-at-least-32-characters",
    "second-key-made-by-aws-of-at-least-32-chars",
)
POSITION = Position(product_id="3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f")


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        client.create_secret(Name=SECRET_NAME)
        yield client


def later(hours: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)


def test_the_first_key_alone_is_read(secrets: Any) -> None:
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=FIRST)
    assert read_keys(secrets, SECRET_NAME, lambda: later(0)) == [FIRST]


def test_after_a_rotation_the_previous_key_is_read_until_its_tokens_expire(secrets: Any) -> None:
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=FIRST)
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=SECOND)
    assert read_keys(secrets, SECRET_NAME, lambda: later(23)) == [SECOND, FIRST]
    assert read_keys(secrets, SECRET_NAME, lambda: later(25)) == [SECOND]


def test_tokens_sealed_with_the_previous_key_still_open_after_a_rotation(secrets: Any) -> None:
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=FIRST)
    token = page_tokens_from_secret(SECRET_NAME, "eu-west-1").seal("t:all", POSITION)
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=SECOND)
    rotated = page_tokens_from_secret(SECRET_NAME, "eu-west-1")
    assert rotated.open("t:all", token) == POSITION
    assert (
        PageTokens(SECOND).open("t:all", rotated.seal("t:all", POSITION)) == POSITION
    )  # seals with the new key


def test_a_container_started_before_a_rotation_learns_the_new_key_from_a_token_sealed_with_it(
    secrets: Any,
) -> None:
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=FIRST)
    clock = [1_800_000_000.0]
    old_container = page_tokens_from_secret(SECRET_NAME, "eu-west-1", clock=lambda: clock[0])
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=SECOND)
    new_token = PageTokens(SECOND, clock=lambda: clock[0]).seal("t:all", POSITION)
    with pytest.raises(ValidationFailed):  # within a minute of its last read it does not ask again
        old_container.open("t:all", new_token)
    clock[0] += 60
    assert old_container.open("t:all", new_token) == POSITION
