"""Typed errors. Each carries its HTTP status and title: this module is the one place they are mapped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One offending field of a request and what is wrong with it."""

    field: str
    message: str


class ApiError(Exception):
    """An error a client can act on; the response builder turns it into the error envelope."""

    status = 500
    title = "Internal Server Error"

    def __init__(
        self,
        message: str,
        details: tuple[FieldError, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class InvalidRequest(ApiError):
    status = 400
    title = "Bad Request"


class ValidationFailed(InvalidRequest):
    title = "Validation Failed"

    def __init__(self, details: tuple[FieldError, ...]) -> None:
        fields = ", ".join(detail.field for detail in details)
        super().__init__(f"Fix the invalid field(s) and retry: {fields}.", details)


class ProductNotFound(ApiError):
    status = 404
    title = "Not Found"

    def __init__(self, product_id: str) -> None:
        super().__init__(f"No product with id {product_id} exists.")


class RouteNotFound(ApiError):
    status = 404
    title = "Not Found"

    def __init__(self, path: str) -> None:
        super().__init__(f"No resource at {path}; the API serves /v1.0/products.")


class MethodNotAllowed(ApiError):
    status = 405
    title = "Method Not Allowed"

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        allow = ", ".join(allowed)
        super().__init__(f"{method} is not supported here; use one of: {allow}.", headers={"Allow": allow})


class NameAlreadyTaken(ApiError):
    status = 409
    title = "Conflict"


class ConcurrentModification(ApiError):
    status = 409
    title = "Conflict"

    def __init__(self) -> None:
        super().__init__("The product kept changing while this request ran; retry the request.")


class VersionMismatch(ApiError):
    status = 412
    title = "Precondition Failed"

    def __init__(self) -> None:
        super().__init__(
            "The product has changed since the version in If-Match; fetch it again and retry with its ETag."
        )


class IdempotencyKeyReused(ApiError):
    status = 422
    title = "Unprocessable Entity"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used with a different body in the last 24 hours; use a new key for a new product."
        )


class PayloadTooLarge(ApiError):
    status = 413
    title = "Payload Too Large"


class UnsupportedMediaType(ApiError):
    status = 415
    title = "Unsupported Media Type"

    def __init__(self) -> None:
        super().__init__("Send the body as JSON with the header Content-Type: application/json.")


class ServiceUnavailable(ApiError):
    status = 503
    title = "Service Unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The product store is busy or unavailable; retry after the Retry-After interval.",
            headers={"Retry-After": "1"},
        )


class WriteConflict(Exception):
    """A conditional write lost to a concurrent write (internal: the service decides 412 or retry)."""


class IdempotencyKeyTaken(Exception):
    """A create lost the race for its Idempotency-Key record (internal: the service replays the winner)."""
