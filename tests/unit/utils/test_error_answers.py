"""The HTTP edge's one table from error class to status, title and headers."""

from __future__ import annotations

import pytest

from exceptions import product_exceptions as errors
from utils.api_gateway import ERROR_ANSWERS, answer_for, error_response_for

ANSWERS = [
    (errors.InvalidRequest("bad"), 400, "Bad Request"),
    (errors.ValidationFailed((errors.FieldError("name", "is required"),)), 400, "Validation Failed"),
    (errors.ProductNotFound("x"), 404, "Not Found"),
    (errors.RouteNotFound("/x"), 404, "Not Found"),
    (errors.MethodNotAllowed("PATCH", ("GET", "OPTIONS")), 405, "Method Not Allowed"),
    (errors.NameAlreadyTaken("taken"), 409, "Conflict"),
    (errors.ConcurrentModification(), 409, "Conflict"),
    (errors.VersionMismatch(), 412, "Precondition Failed"),
    (errors.VersionMatched(), 412, "Precondition Failed"),
    (errors.PayloadTooLarge("big"), 413, "Payload Too Large"),
    (errors.UnsupportedMediaType(), 415, "Unsupported Media Type"),
    (errors.UnsupportedContentEncoding("gzip"), 415, "Unsupported Media Type"),
    (errors.IdempotencyKeyReused(), 422, "Unprocessable Entity"),
    (errors.StoreUnavailable(), 503, "Service Unavailable"),
    (errors.OutcomeUnknown("may have been applied"), 503, "Service Unavailable"),
    (errors.PageTokenKeyUnavailable("throttled"), 503, "Service Unavailable"),
    (errors.ApiError("unexpected"), 500, "Internal Server Error"),
]


@pytest.mark.parametrize(("error", "status", "title"), ANSWERS, ids=lambda v: type(v).__name__)
def test_each_error_is_answered_with_its_status_and_title(
    error: errors.ApiError, status: int, title: str
) -> None:
    response = error_response_for(error)
    assert response.status == status
    assert response.body is not None and response.body["error"] == title
    assert response.body["message"] == error.message


def test_every_error_class_of_the_api_is_answered_from_the_table() -> None:
    listed = {type(error) for error, _, _ in ANSWERS}
    assert listed == {errors.ApiError, *_subclasses(errors.ApiError)}


def test_a_subclass_inherits_its_parents_answer() -> None:
    class StaleTag(errors.VersionMismatch):
        pass

    assert answer_for(StaleTag()) == answer_for(errors.VersionMismatch())


def test_each_answer_has_its_own_error_code() -> None:
    codes = [answer.code for answer in ERROR_ANSWERS.values()]
    assert len(set(codes)) == len(codes) and all(code.isidentifier() for code in codes)


def test_field_details_are_listed() -> None:
    error = errors.ValidationFailed((errors.FieldError("price", "must be a number"),))
    body = error_response_for(error).body
    assert body is not None and body["details"] == [{"field": "price", "message": "must be a number"}]


@pytest.mark.parametrize(
    "error",
    [
        errors.StoreUnavailable(),
        errors.OutcomeUnknown("may have been applied"),
        errors.PageTokenKeyUnavailable("throttled"),
    ],
)
def test_an_unavailable_store_asks_for_a_retry_after_one_second(error: errors.ApiError) -> None:
    assert error_response_for(error).headers == {"Retry-After": "1"}


def test_an_unsupported_content_encoding_names_the_one_coding_accepted() -> None:
    assert error_response_for(errors.UnsupportedContentEncoding("br")).headers == {
        "Accept-Encoding": "identity"
    }


def test_method_not_allowed_lists_the_allowed_methods() -> None:
    assert error_response_for(errors.MethodNotAllowed("PATCH", ("GET", "OPTIONS"))).headers == {
        "Allow": "GET, OPTIONS"
    }


def _subclasses(kind: type[errors.ApiError]) -> set[type[errors.ApiError]]:
    """The subclasses `exceptions.product_exceptions` defines (not those a test defines)."""
    direct = {sub for sub in kind.__subclasses__() if sub.__module__ == errors.__name__}
    return direct.union(*(_subclasses(sub) for sub in direct))


def test_an_unreadable_page_token_key_has_its_own_code_and_counts_as_unavailable() -> None:
    answer = answer_for(errors.PageTokenKeyUnavailable("no AWSCURRENT value"))
    assert (answer.status, answer.code, answer.metric) == (503, "PageTokenKeyUnavailable", "Unavailable")
