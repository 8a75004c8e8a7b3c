"""API Gateway REST proxy events in, responses out: the one wrapper every handler uses.

The wrapper parses the event, runs the handler, answers typed errors from the one table of statuses
(`ERROR_ANSWERS`), adds CORS and request-id headers, and logs one line per request.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gc
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, cast

from exceptions.product_exceptions import (
    ApiError,
    ConcurrentModification,
    IdempotencyKeyReused,
    InvalidRequest,
    MethodNotAllowed,
    NameAlreadyTaken,
    OutcomeUnknown,
    PageTokenKeyUnavailable,
    PayloadTooLarge,
    ProductNotFound,
    RouteNotFound,
    StoreUnavailable,
    UnsupportedContentEncoding,
    UnsupportedMediaType,
    ValidationFailed,
    VersionMatched,
    VersionMismatch,
)
from lifecycle import snapstart
from metrics.emf import emf_fields
from metrics.recorder import RequestMetrics, start_request
from utils.logger import get_logger, log_request, log_unexpected
from utils.response_builder import ApiResponse, error_response, render
from utils.settings import get_settings, xray_trace_id

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class ApiRequest(NamedTuple):
    """The parts of a proxy event the service uses. Header names are lower-case. `client_path` is the path as
    the client sent it (`requestContext.path`: with the stage, or a custom domain's base path), which links in
    responses must start from; the event's own `path` leaves that prefix out."""

    headers: Mapping[str, str]
    query: Mapping[str, tuple[str, ...]]
    path_parameters: Mapping[str, str]
    body: bytes | None
    caller: str
    client_path: str

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower())

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ApiRequest:
        """Parse a REST API (payload 1.0) proxy event."""
        context = event.get("requestContext") or {}
        return cls(
            headers=_headers(event),
            query=_query(event),
            path_parameters=dict(event.get("pathParameters") or {}),
            body=_body(event),
            caller=_caller(context),
            client_path=str(context.get("path") or event.get("path") or ""),
        )


def _request_id(event: Mapping[str, Any]) -> str:
    """API Gateway's id of the request (a fresh one when it sends none): derived once per request, for the log
    line and the X-Request-Id header alike."""
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
        # surrogatepass: a lone surrogate in the event's text reaches the strict UTF-8 check as bad input.
        return str(body).encode("utf-8", "surrogatepass")
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


def _no_headers(error: ApiError) -> dict[str, str]:
    return {}


def _allow_header(error: ApiError) -> dict[str, str]:
    return {"Allow": ", ".join(cast(MethodNotAllowed, error).allowed)}


def _retry_after(error: ApiError) -> dict[str, str]:
    return {"Retry-After": "1"}


class ErrorAnswer(NamedTuple):
    """How the API answers one class of error: status, title, the code its request log line carries
    (`errorCode`, for queries to group by), any headers, and the metric it counts in."""

    status: int
    title: str
    code: str
    headers: Callable[[ApiError], dict[str, str]] = _no_headers
    metric: str | None = None


# The one table from error class to answer. A class not listed answers as its nearest listed parent.
ERROR_ANSWERS: dict[type[ApiError], ErrorAnswer] = {
    ApiError: ErrorAnswer(500, "Internal Server Error", "UnexpectedError", metric="UnexpectedErrors"),
    InvalidRequest: ErrorAnswer(400, "Bad Request", "InvalidRequest"),
    ValidationFailed: ErrorAnswer(400, "Validation Failed", "ValidationFailed"),
    ProductNotFound: ErrorAnswer(404, "Not Found", "NotFound"),
    RouteNotFound: ErrorAnswer(404, "Not Found", "RouteNotFound"),
    MethodNotAllowed: ErrorAnswer(405, "Method Not Allowed", "MethodNotAllowed", _allow_header),
    NameAlreadyTaken: ErrorAnswer(409, "Conflict", "NameConflict", metric="NameConflicts"),
    ConcurrentModification: ErrorAnswer(409, "Conflict", "ConcurrentModification"),
    VersionMismatch: ErrorAnswer(412, "Precondition Failed", "VersionConflict", metric="VersionConflicts"),
    VersionMatched: ErrorAnswer(412, "Precondition Failed", "VersionMatched", metric="VersionConflicts"),
    PayloadTooLarge: ErrorAnswer(413, "Payload Too Large", "PayloadTooLarge"),
    UnsupportedMediaType: ErrorAnswer(415, "Unsupported Media Type", "UnsupportedMediaType"),
    # RFC 9110 15.5.16: a 415 for a content coding says which codings the server takes.
    UnsupportedContentEncoding: ErrorAnswer(
        415,
        "Unsupported Media Type",
        "UnsupportedContentEncoding",
        lambda error: {"Accept-Encoding": "identity"},
    ),
    IdempotencyKeyReused: ErrorAnswer(422, "Unprocessable Entity", "IdempotencyKeyReused"),
    # Clients back off a second rather than retry straight into a throttled table.
    StoreUnavailable: ErrorAnswer(
        503, "Service Unavailable", "Unavailable", _retry_after, metric="Unavailable"
    ),
    # A missing key (before `page_token_key ensure` ran) or a Secrets Manager fault: like any AWS fault.
    PageTokenKeyUnavailable: ErrorAnswer(
        503, "Service Unavailable", "PageTokenKeyUnavailable", _retry_after, metric="Unavailable"
    ),
    OutcomeUnknown: ErrorAnswer(
        503, "Service Unavailable", "OutcomeUnknown", _retry_after, metric="OutcomeUnknown"
    ),
}


def answer_for(error: ApiError) -> ErrorAnswer:
    """The answer of the error's class, found through its MRO, so a subclass inherits its parent's."""
    return next(ERROR_ANSWERS[kind] for kind in type(error).__mro__ if kind in ERROR_ANSWERS)


def error_response_for(error: ApiError) -> ApiResponse:
    """The error envelope answering a typed error."""
    answer = answer_for(error)
    return error_response(answer.status, answer.title, error.message, error.details, answer.headers(error))


def _metric_values(
    recording: RequestMetrics, error: ApiError | None, start: snapstart.Start, latency_ms: float
) -> dict[str, float]:
    """The request's metrics: what the layers recorded, the error's metric, its latency and how it found its
    execution environment (a cold start, or the first request after a SnapStart restore)."""
    values: dict[str, float] = {
        "Latency": latency_ms,
        "DynamoDBCalls": recording.dynamodb_calls,
        "ItemsRead": recording.items_read,
        "ColdStarts": int(start.cold_start),
        "Restores": int(start.restore),
        **recording.events,
    }
    metric = answer_for(error).metric if error is not None else None
    if metric is not None:
        values[metric] = values.get(metric, 0) + 1
    return values


def _log_fields(
    event: Mapping[str, Any], context: Any, request_id: str, start: snapstart.Start
) -> dict[str, Any]:
    """The per-request log line's fields known before the handler runs. The ids join the line to API
    Gateway's access log (requestId), the function's own REPORT line (lambdaRequestId) and X-Ray (traceId)."""
    fields: dict[str, Any] = {
        "method": event.get("httpMethod"),
        "path": event.get("path"),
        "requestId": request_id,
        "coldStart": start.cold_start,
        "restore": start.restore,
    }
    optional = {
        "lambdaRequestId": getattr(context, "aws_request_id", None),
        "functionName": getattr(context, "function_name", None),
        "traceId": xray_trace_id(),
    }
    fields.update((name, value) for name, value in optional.items() if value)
    return fields


def api_handler(handle: Callable[[ApiRequest], ApiResponse]) -> LambdaHandler:
    """Turn `handle(request) -> ApiResponse` into a Lambda handler for proxy events. The handler's module
    names the operation (`handlers.get_product`: get_product), the Operation of its metrics.

    It runs when the handler module is imported, after the module's own imports: what they built lives as
    long as the container, so it is frozen out of the garbage collector's walks (a full collection in the
    write functions' first request, over pydantic_core's objects, cost them about 5% of their cold start).
    """
    operation = handle.__module__.rpartition(".")[2]
    gc.freeze()
    snapstart.register(operation)

    @functools.wraps(handle)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        start = snapstart.take_start()
        started = time.perf_counter()
        request_id = _request_id(event)
        recording = start_request(request_id)
        settings = get_settings()
        logger = get_logger(settings.log_level)
        summary = _log_fields(event, context, request_id, start)
        failure: ApiError | None = None
        try:
            request = ApiRequest.from_event(event)
            response = handle(request)
        except ApiError as error:
            failure = error
            response = error_response_for(error)
        except Exception:
            log_unexpected(logger, summary)
            failure = ApiError("An unexpected error occurred; it has been logged.")
            response = error_response_for(failure)
        rendered = render(response, request_id, _headers(event).get("origin"), settings.allowed_origins)
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        summary["status"] = rendered["statusCode"]
        if failure is not None:
            summary["errorCode"] = answer_for(failure).code
            if failure.reason:
                summary["errorReason"] = failure.reason
        summary["durationMs"] = latency_ms
        values = _metric_values(recording, failure, start, latency_ms)
        summary.update(
            emf_fields(
                operation, settings.environment, settings.function_version, values, int(time.time() * 1000)
            )
        )
        log_request(logger, summary)
        return rendered

    return lambda_handler
