"""Settings from the environment, CORS, and response rendering."""

from __future__ import annotations

from decimal import Decimal

import pytest

from utils.response_builder import ApiResponse, cors_headers, render, to_json
from utils.settings import DEFAULT_REGION, Settings


def test_settings_read_every_variable() -> None:
    settings = Settings.from_environ(
        {
            "TABLE_NAME": "bbws-products-dev",
            "LOG_LEVEL": "debug",
            "ALLOWED_ORIGINS": "https://a.example, https://b.example,",
            "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:8000",
            "AWS_REGION": "af-south-1",
            "AWS_LAMBDA_FUNCTION_VERSION": "12",
        }
    )
    assert settings == Settings(
        table_name="bbws-products-dev",
        log_level="DEBUG",
        allowed_origins=("https://a.example", "https://b.example"),
        dynamodb_endpoint_url="http://127.0.0.1:8000",
        region="af-south-1",
        function_version="12",
    )


def test_settings_defaults() -> None:
    settings = Settings.from_environ({"TABLE_NAME": "t"})
    assert (
        settings.region,
        settings.allowed_origins,
        settings.dynamodb_endpoint_url,
        settings.function_version,
    ) == (DEFAULT_REGION, (), None, "$LATEST")


def test_settings_require_a_table_name() -> None:
    with pytest.raises(RuntimeError, match="TABLE_NAME"):
        Settings.from_environ({})


def test_wildcard_origin_allows_everyone() -> None:
    assert cors_headers("https://any.example", ("*",))["Access-Control-Allow-Origin"] == "*"


def test_decimal_prices_are_encoded_as_exact_numbers() -> None:
    assert to_json({"price": Decimal("999999.99")}) == '{"price":999999.99}'
    assert to_json({"price": Decimal("0.1")}) == '{"price":0.1}'


def test_unknown_types_are_not_silently_encoded() -> None:
    with pytest.raises(TypeError):
        to_json({"value": object()})


def test_error_bodies_carry_the_request_id() -> None:
    rendered = render(ApiResponse(404, {"error": "Not Found", "message": "m"}), "req-1", None, ())
    assert rendered["body"] == '{"error":"Not Found","message":"m","requestId":"req-1"}'
    assert rendered["headers"]["X-Request-Id"] == "req-1"
    assert rendered["headers"]["Content-Type"] == "application/json"
