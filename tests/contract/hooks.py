"""Schemathesis hooks for scripts/ci/check_contract.sh: SigV4-signed writes and the list's parameter rules.

Loaded through SCHEMATHESIS_HOOKS; not a test module.
"""

from __future__ import annotations

import os
import re
from typing import Any

import requests
import schemathesis

from scripts.ops.validate_deployment import SIGNED_METHODS, find_credentials, sigv4_headers

REGION = os.environ.get("AWS_REGION", "eu-west-1")


class SigV4(requests.auth.AuthBase):
    """Signs each request as API Gateway's AWS_IAM authorization expects (service execute-api)."""

    def __init__(self) -> None:
        credentials = find_credentials()
        if credentials is None:
            raise RuntimeError(
                "no AWS credentials for SigV4; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        self.credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        payload = body.encode() if isinstance(body, str) else body
        assert request.method is not None and request.url is not None
        unsigned = (
            {"Content-Type": request.headers["Content-Type"]} if "Content-Type" in request.headers else {}
        )
        signed = sigv4_headers(request.method, request.url, unsigned, payload, self.credentials, REGION)
        request.headers.update(signed)
        return request


schemathesis.auth.set_from_requests(SigV4()).apply_to(method=list(SIGNED_METHODS))


def _breaks_list_rules(query: dict[str, Any]) -> bool:
    """Rules of GET /v1.0/products that OpenAPI 3.0 cannot state (they are in the operation's description)."""
    return (
        "nextToken" in query  # only the server can mint a valid token; the NextPage link exercises real ones
        or (query.get("order") == "desc" and "sortBy" not in query)
        or ("name" in query and "sortBy" in query)
    )


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """Keep positive list cases within the documented parameter rules; negative cases are left alone."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return True
    if case.operation.method.upper() == "GET" and case.operation.path == "/v1.0/products":
        return not _breaks_list_rules(dict(case.query or {}))
    return True


def _negative_part(case: schemathesis.Case) -> bool:
    """Whether any part of the case (path, query, headers, body) was generated as invalid data, as labelled or
    as a header value its declared pattern refuses (the coverage phase labels some of those positive)."""
    meta = case.meta
    if meta is not None and any(not info.mode.is_positive for info in meta.components.values()):
        return True
    sent = {name.lower(): value for name, value in (case.headers or {}).items()}
    return any(
        parameter.name.lower() in sent
        and "pattern" in parameter.definition.get("schema", {})
        and not re.search(parameter.definition["schema"]["pattern"], sent[parameter.name.lower()])
        for parameter in case.operation.headers
    )


@schemathesis.hook
def filter_failure(
    context: schemathesis.HookContext, failure: Any, case: schemathesis.Case, response: Any
) -> bool:
    """Drop two verdicts that misread the case, and nothing else.

    - "Missing Authorization got 403, expected 401": API Gateway's AWS_IAM answers 403, as documented; the
      ignored_auth check still proves that every unsigned write is refused.
    - "Schema-valid request rejected" for a case the coverage phase labels positive although one of its parts
      was generated negative (seen: `If-None-Match: 0` beside a valid productId, answered 400 as documented,
      on GET, PUT and DELETE).
    """
    kind = type(failure).__name__
    if kind == "MissingHeaderNotRejected" and "'Authorization'" in str(getattr(failure, "message", "")):
        return response.status_code != 403
    if kind == "RejectedPositiveData":
        return not _negative_part(case)
    return True


@schemathesis.hook
def before_load_schema(context: schemathesis.HookContext, raw_schema: dict[str, Any]) -> None:
    """Restate Price's `x-decimal-places` as `multipleOf` for the fuzzer alone: its generator and checks
    compute multipleOf exactly, while the validators the published document serves divide in binary floats
    and refuse real prices such as 19.99 under `multipleOf: 0.01`."""
    price = raw_schema["components"]["schemas"]["Price"]
    price["multipleOf"] = 10 ** -price["x-decimal-places"]
