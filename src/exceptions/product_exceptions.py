"""Typed errors: what went wrong, in words a person can act on. The HTTP edge (`utils/api_gateway.py`)
alone decides which status, title and headers each one is answered with."""

from __future__ import annotations

from typing import NamedTuple


class FieldError(NamedTuple):
    """One offending field of a request and what is wrong with it."""

    field: str
    message: str


class ApiError(Exception):
    """An error the caller can act on: a message and, for invalid input, one detail per field. `reason`, when
    set, is for the operators (the request's log line), never for the client."""

    reason: str | None = None

    def __init__(self, message: str, details: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(ApiError):
    """The request is malformed."""


class ValidationFailed(InvalidRequest):
    """One or more fields break the contract's rules."""

    def __init__(self, details: tuple[FieldError, ...]) -> None:
        fields = ", ".join(detail.field for detail in details)
        super().__init__(f"Fix the invalid field(s) and retry: {fields}.", details)


class ProductNotFound(ApiError):
    def __init__(self, product_id: str) -> None:
        super().__init__(f"No product with id {product_id} exists.")


class RouteNotFound(ApiError):
    def __init__(self, path: str) -> None:
        super().__init__(f"No resource at {path}; the API serves /v1.0/products.")


class MethodNotAllowed(ApiError):
    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        self.allowed = allowed
        super().__init__(f"{method} is not supported here; use one of: {', '.join(allowed)}.")


class NameAlreadyTaken(ApiError):
    """Another product (active or not) holds the name."""


class ConcurrentModification(ApiError):
    def __init__(self) -> None:
        super().__init__("The product kept changing while this request ran; retry the request.")


class VersionMismatch(ApiError):
    def __init__(self) -> None:
        super().__init__(
            "The product has changed since the version in If-Match; fetch it again and retry with its ETag."
        )


class VersionMatched(ApiError):
    """If-None-Match on a write named the product's current version (or was `*`, and the product exists)."""

    def __init__(self) -> None:
        super().__init__(
            "The product exists at a version If-None-Match names, so nothing was written; "
            "fetch it to see its current version."
        )


class IdempotencyKeyReused(ApiError):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used with a different body in the last 24 hours; use a new key for a new product."
        )


class PayloadTooLarge(ApiError):
    """The body is larger than the API accepts."""


class UnsupportedMediaType(ApiError):
    def __init__(
        self,
        message: str = "Send the body as UTF-8 JSON with the header Content-Type: application/json "
        "(a charset parameter, if any, must be utf-8).",
    ) -> None:
        super().__init__(message)


class UnsupportedContentEncoding(UnsupportedMediaType):
    """The body is compressed or otherwise encoded (Content-Encoding other than identity)."""

    def __init__(self, coding: str) -> None:
        super().__init__(
            f"The body is sent with Content-Encoding {coding[:40]}; send it unencoded "
            "(no Content-Encoding, or identity).",
        )


class StoreUnavailable(ApiError):
    """The product store is throttling or out of service: a retry shortly after may succeed."""

    def __init__(self) -> None:
        super().__init__("The product store is busy or unavailable; retry in a moment.")


class PageTokenKeyUnavailable(StoreUnavailable):
    """The key that seals page tokens cannot be read: Secrets Manager failed (throttling, an outage, the
    network, access denied, no such secret) or holds no usable value yet; `reason` says which."""

    def __init__(self, reason: str) -> None:
        ApiError.__init__(
            self, "Lists cannot be paged right now (their page-token key is unavailable); retry in a moment."
        )
        self.reason = reason


class OutcomeUnknown(ApiError):
    """A write got no answer, and the read that would tell whether it was stored failed too: it may have been
    applied."""


class WriteConflict(Exception):
    """A conditional write lost to a concurrent write (internal: the service decides 412 or retry)."""


class IdempotencyKeyTaken(Exception):
    """A create lost the race for its Idempotency-Key record (internal: the service replays the winner)."""


class UnsettledWrite(Exception):
    """A write got no answer and the read that settles whether it was stored failed too (internal: the service
    words the OutcomeUnknown)."""
