"""The response check the integration tests rely on must reject what the document does not allow."""

from __future__ import annotations

import json

import pytest

from openapi_contract import validate_response

JSON = {"Content-Type": "application/json", "X-Request-Id": "r-1"}


def test_a_documented_list_response_passes() -> None:
    validate_response("GET", "/v1.0/products", 200, JSON, b'{"products":[],"count":0}')


@pytest.mark.parametrize(
    ("method", "path", "status", "headers", "body"),
    [
        ("GET", "/v1.0/products", 200, JSON, b'{"products":[],"count":"0"}'),
        ("GET", "/v1.0/products", 200, JSON, b'{"products":[],"count":0,"extra":1}'),
        ("GET", "/v1.0/products", 418, JSON, b'{"error":"x","message":"y","requestId":"r-1"}'),
        ("GET", "/v1.0/products", 200, {"Content-Type": "application/json"}, b'{"products":[],"count":0}'),
        (
            "DELETE",
            "/v1.0/products",
            405,
            JSON,
            json.dumps({"error": "x", "message": "y", "requestId": "r"}).encode(),
        ),
    ],
    ids=["count as string", "unknown field", "undocumented status", "no request id", "405 without Allow"],
)
def test_undocumented_responses_fail(
    method: str, path: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(AssertionError):
        validate_response(method, path, status, headers, body)
