"""What one request did, recorded by the layer that knows it: DynamoDB calls and items read (the client's
event hooks), business events (the service). The HTTP edge starts a recording per request and writes it
into the request's log line.

The recording lives in a context variable: one per Lambda invocation, and one per request thread of the
local server, which serves requests concurrently.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

# Business events: the metric each one increments (terraform/product_metrics.json declares them).
PRODUCT_CREATED = "ProductsCreated"
PRODUCT_UPDATED = "ProductsUpdated"
PRODUCT_DELETED = "ProductsDeleted"
PRODUCT_RESTORED = "ProductsRestored"
IDEMPOTENT_REPLAY = "IdempotentReplays"


class RequestMetrics:
    """Counts of one request, and its id (API Gateway's), for what the layers derive per request."""

    def __init__(self, request_id: str = "") -> None:
        self.request_id = request_id
        self.dynamodb_calls = 0
        self.items_read = 0
        self.events: dict[str, int] = {}


_current: ContextVar[RequestMetrics | None] = ContextVar("request_metrics", default=None)


def start_request(request_id: str = "") -> RequestMetrics:
    """A fresh recording for the request about to run in this context."""
    metrics = RequestMetrics(request_id)
    _current.set(metrics)
    return metrics


def current_request_id() -> str:
    """The id of the request running in this context ("" outside a request)."""
    metrics = _current.get()
    return metrics.request_id if metrics is not None else ""


def record_event(name: str) -> None:
    """Count a business event of the current request (nothing outside a request)."""
    metrics = _current.get()
    if metrics is not None:
        metrics.events[name] = metrics.events.get(name, 0) + 1


def count_dynamodb_call(**_: Any) -> None:
    """botocore `before-call` hook: one DynamoDB API call (retries of it are not separate calls)."""
    metrics = _current.get()
    if metrics is not None:
        metrics.dynamodb_calls += 1


def count_items_read(parsed: dict[str, Any] | None = None, **_: Any) -> None:
    """botocore `after-call` hook: the items a Scan or Query read (before its filter)."""
    metrics = _current.get()
    if metrics is not None and parsed:
        metrics.items_read += int(parsed.get("ScannedCount", 0))
