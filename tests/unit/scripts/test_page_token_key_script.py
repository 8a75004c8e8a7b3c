"""scripts/ops/page_token_key.py against moto's Secrets Manager: AWS makes every value, a rotation keeps the
previous key for the tokens' lifetime, and bad input changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.ops.page_token_key import main, rotate

SECRET = "bbws-page-token-key-dev"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        made = boto3.client("secretsmanager", region_name="eu-west-1")
        made.create_secret(Name=SECRET)
        yield made


def stages(client: Any) -> list[list[str]]:
    versions = client.list_secret_version_ids(SecretId=SECRET)["Versions"]
    return sorted(sorted(v["VersionStages"]) for v in versions)


def test_ensure_puts_a_first_key_generated_by_aws_once(client: Any) -> None:
    assert main(["ensure", SECRET], client=client) == 0
    first = client.get_secret_value(SecretId=SECRET)["SecretString"]
    assert len(first) == 64 and first.isalnum()
    assert main(["ensure", SECRET], client=client) == 0
    assert client.get_secret_value(SecretId=SECRET)["SecretString"] == first


def test_rotate_keeps_the_old_key_as_previous(client: Any) -> None:
    main(["ensure", SECRET], client=client)
    first = client.get_secret_value(SecretId=SECRET)["SecretString"]
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=25)
    assert rotate(client, SECRET, later) == 0
    assert client.get_secret_value(SecretId=SECRET, VersionStage="AWSPREVIOUS")["SecretString"] == first
    assert client.get_secret_value(SecretId=SECRET)["SecretString"] != first


@pytest.mark.parametrize(
    ("argv", "ensured", "message"),
    [
        (["rotate", SECRET], True, "Rotate after that"),  # within the tokens' 24 hours
        (["rotate", SECRET], False, "has no key to rotate"),
        (["ensure", "bbws-no-such-secret-dev"], False, "no such secret"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: Any, capsys: pytest.CaptureFixture[str], argv: list[str], ensured: bool, message: str
) -> None:
    if ensured:
        main(["ensure", SECRET], client=client)
    before = stages(client)
    assert main(argv, client=client) == 1
    assert message in capsys.readouterr().err
    assert stages(client) == before
