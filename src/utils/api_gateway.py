"""API Gateway REST proxy events in, responses out: the one wrapper every handler uses.

The wrapper parses the event, runs the handler, maps typed errors to the error envelope, adds CORS and
request-id headers, and logs one line per request.
"""

from __future__ import annotations

import base64
import binascii
import functools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from exceptions.product_exceptions import ApiError, InvalidRequest
from utils.logger import get_logger, log_request, log_unexpected
from utils.response_builder import ApiResponse, error_response, render
from utils.settings import get_settings

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

_cold_start = True


@dataclass(frozen=True)
class ApiRequest:
    """The parts of a proxy event the service uses. Header names are lower-case."""

    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    caller: str = "anonymous"

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower())

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ApiRequest:
        """Parse a REST API (payload 1.0) proxy event."""
        context = event.get("requestContext") or {}
        return cls(
            request_id=_request_id(event),
            headers=_headers(event),
            query=_query(event),
            path_parameters=dict(event.get("pathParameters") or {}),
            body=_body(event),
            caller=_caller(context),
        )


def _request_id(event: Mapping[str, Any]) -> str:
    context = event.get("requestContext") or {}
    return str(context.get("requestId") or uuid.uuid4())


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    multi = event.get("multiValueHeaders") or {}
    if multi:
        return {name.lower(): ", ".join(values) for name, values in multi.items() if values}
    return {name.lower(): value for name, value in (event.get("headers") or {}).items() if value is not None}


def _query(event: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    multi = event.get("multiValueQueryStringParameters") or {}
    if multi:
        return {name: tuple(values) for name, values in multi.items()}
    return {name: (value,) for name, value in (event.get("queryStringParameters") or {}).items()}


def _body(event: Mapping[str, Any]) -> bytes | None:
    body = event.get("body")
    if body is None:
        return None
    if not event.get("isBase64Encoded"):
        return str(body).encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("The body is marked base64-encoded but is not valid base64.") from None


def _caller(context: Mapping[str, Any]) -> str:
    """Who made the request, as API Gateway identified them."""
    claims = (context.get("authorizer") or {}).get("claims") or {}
    for claim in ("email", "cognito:username", "username"):
        if claims.get(claim):
            return str(claims[claim])
    user_arn = (context.get("identity") or {}).get("userArn")
    return str(user_arn) if user_arn else "anonymous"


def api_handler(handle: Callable[[ApiRequest], ApiResponse]) -> LambdaHandler:
    """Turn `handle(request) -> ApiResponse` into a Lambda handler for proxy events."""

    @functools.wraps(handle)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        global _cold_start
        cold_start, _cold_start = _cold_start, False
        started = time.perf_counter()
        settings = get_settings()
        logger = get_logger(settings.log_level)
        request_id = _request_id(event)
        summary: dict[str, Any] = {
            "method": event.get("httpMethod"),
            "path": event.get("path"),
            "requestId": request_id,
            "coldStart": cold_start,
        }
        try:
            request = ApiRequest.from_event(event)
            response = handle(request)
        except ApiError as error:
            response = error_response(error)
        except Exception:
            log_unexpected(logger, summary)
            response = error_response(ApiError("An unexpected error occurred; it has been logged."))
        rendered = render(response, request_id, _headers(event).get("origin"), settings.allowed_origins)
        summary["status"] = rendered["statusCode"]
        summary["durationMs"] = round((time.perf_counter() - started) * 1000, 2)
        log_request(logger, summary)
        return rendered

    return lambda_handler
