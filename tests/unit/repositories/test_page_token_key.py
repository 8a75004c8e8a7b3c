"""The page-token key from Secrets Manager (moto in process): the current key, the previous one while its
tokens can still be valid, and a container that learns a newer key from a token sealed with it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws

from exceptions.product_exceptions import PageTokenKeyUnavailable
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


def test_a_container_started_before_a_rotation_opens_a_token_sealed_with_the_new_key_at_once(
    secrets: Any,
) -> None:
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=FIRST)
    container_a = page_tokens_from_secret(SECRET_NAME, "eu-west-1")
    assert container_a.open("t:all", container_a.seal("t:all", POSITION)) == POSITION  # A has read the key
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=SECOND)
    container_b = page_tokens_from_secret(SECRET_NAME, "eu-west-1")
    assert container_a.open("t:all", container_b.seal("t:all", POSITION)) == POSITION


def test_a_secret_with_no_value_yet_is_an_unavailable_key_and_read_again_on_the_next_use(
    secrets: Any,
) -> None:
    tokens = page_tokens_from_secret(SECRET_NAME, "eu-west-1")  # the function starts before `ensure` ran
    with pytest.raises(PageTokenKeyUnavailable):
        tokens.seal("t:all", POSITION)
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=FIRST)
    assert PageTokens(FIRST).open("t:all", tokens.seal("t:all", POSITION)) == POSITION


def test_a_missing_secret_is_an_unavailable_key(secrets: Any) -> None:
    with nullcontext():
        assert "ResourceNotFoundException" in unavailable(
            lambda: read_keys(secrets, "no-such-secret", lambda: later(0))
        )


def unavailable(read: Callable[[], Any]) -> str:
    """Why reading the keys failed, as the operators' log would say."""
    with pytest.raises(PageTokenKeyUnavailable) as raised:
        read()
    return raised.value.reason


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    return client, Stubber(client)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("InternalServiceError", 500),
        ("ServiceUnavailable", 503),
        ("AccessDeniedException", 400),
        ("ResourceNotFoundException", 400),
        ("DecryptionFailure", 400),
        ("InvalidRequestException", 400),
    ],
)
def test_every_secrets_manager_error_is_an_unavailable_key(code: str, status: int) -> None:
    client, stubber = stubbed()
    stubber.add_client_error("get_secret_value", service_error_code=code, http_status_code=status)
    with stubber:
        assert code in unavailable(lambda: read_keys(client, SECRET_NAME, lambda: later(0)))


@pytest.mark.parametrize(
    "value",
    [{}, {"SecretBinary": b"x" * 40}, {"SecretString": "short"}],
    ids=["no value", "binary", "too short"],
)
def test_a_value_that_is_not_a_key_is_an_unavailable_key(value: dict[str, Any]) -> None:
    client, stubber = stubbed()
    answer = {
        "ARN": f"arn:aws:secretsmanager:eu-west-1:000000000000:secret:{SECRET_NAME}",
        "Name": SECRET_NAME,
        "CreatedDate": later(-48),
        **value,
    }
    stubber.add_response("get_secret_value", answer)
    with stubber:
        assert "AWSCURRENT" in unavailable(lambda: read_keys(client, SECRET_NAME, lambda: later(0)))


@pytest.mark.parametrize(
    "fault",
    [
        EndpointConnectionError(endpoint_url="https://secretsmanager.eu-west-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://secretsmanager.eu-west-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://secretsmanager.eu-west-1.amazonaws.com"),
    ],
    ids=["no connection", "read timeout", "connect timeout"],
)
def test_a_network_fault_is_an_unavailable_key(fault: Exception) -> None:
    client = boto3.client("secretsmanager", region_name="eu-west-1")

    def fail(**request: Any) -> None:
        raise fault

    client.meta.events.register("before-send.secrets-manager.GetSecretValue", fail)
    assert type(fault).__name__ in unavailable(lambda: read_keys(client, SECRET_NAME, lambda: later(0)))


def test_an_empty_value_is_an_unavailable_key() -> None:
    # Secrets Manager's API refuses to store one, so a stand-in client answers it.
    client = SimpleNamespace(get_secret_value=lambda **_: {"SecretString": "", "CreatedDate": later(-48)})
    assert "AWSCURRENT" in unavailable(lambda: read_keys(client, SECRET_NAME, lambda: later(0)))  # type: ignore[arg-type]


def test_a_fault_reading_the_previous_key_is_an_unavailable_key() -> None:
    client, stubber = stubbed()
    stubber.add_response("get_secret_value", {"SecretString": SECOND, "CreatedDate": later(-1)})
    stubber.add_client_error("get_secret_value", service_error_code="ThrottlingException")
    with stubber:
        assert "ThrottlingException" in unavailable(lambda: read_keys(client, SECRET_NAME, lambda: later(0)))
