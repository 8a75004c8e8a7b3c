"""Rules for the parts of a request other than the product fields (lean: read functions import this)."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any

from models.commands import DEFAULT_PAGE_SIZE, IdempotentRequest, ListQuery, VersionCondition
from exceptions.product_exceptions import (
    FieldError,
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)

MAX_BODY_BYTES = 10 * 1024
MAX_PAGE_SIZE = 100
_PRODUCT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ENTITY_TAG = re.compile(r'\s*(?:W/)?"(\d{1,18})"\s*')
_LIST_PARAMETERS = ("limit", "nextToken", "sortBy", "order", "name")


def product_id_from(path_parameters: Any) -> str:
    """The `productId` path parameter, if it is a canonical lower-case UUID."""
    product_id = str((path_parameters or {}).get("productId") or "")
    if not _PRODUCT_ID.fullmatch(product_id):
        raise InvalidRequest(
            "productId must be a UUID in canonical lower-case form, "
            "like 3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f."
        )
    return product_id


# --- JSON bodies -------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f'the key "{key}" appears twice')
        result[key] = value
    return result


def json_object_body(content_type: str | None, body: bytes | None) -> dict[str, Any]:
    """Decode a POST/PUT body: JSON media type, at most 10 KiB, a JSON object with exact numbers."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType()
    raw = body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is {len(raw)} bytes; send at most {MAX_BODY_BYTES} bytes.")
    try:
        document = json.loads(
            raw.decode("utf-8"),
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError:
        raise InvalidRequest("The body must be UTF-8 encoded JSON.") from None
    except ValueError as error:
        raise InvalidRequest(f"The body is not valid JSON: {error}.") from None
    if not isinstance(document, dict):
        raise InvalidRequest('The body must be a JSON object, like {"name": "..."}.')
    return document


def idempotent_request(key: str | None, body: dict[str, Any]) -> IdempotentRequest | None:
    """Hashes of an Idempotency-Key header (1-255 visible ASCII characters) and of the body it came with."""
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all("!" <= ch <= "~" for ch in key):
        raise InvalidRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces), such as a UUID."
        )
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return IdempotentRequest(
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        body_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )


# --- Conditional requests -----------------------------------------------------------------------


def version_condition(header_name: str, value: str | None) -> VersionCondition | None:
    """Parse `*` or a list of entity tags like `"3"`; None when the header is absent."""
    if value is None:
        return None
    if value.strip() == "*":
        return VersionCondition(True, frozenset())
    versions = set()
    for tag in value.split(","):
        match = _ENTITY_TAG.fullmatch(tag)
        if not match:
            raise InvalidRequest(f'{header_name} must be * or an ETag from this API, like "3".')
        versions.add(int(match.group(1)))
    return VersionCondition(False, frozenset(versions))


# --- List queries -------------------------------------------------------------------------------


def list_query(parameters: dict[str, tuple[str, ...]]) -> ListQuery:
    """Validate the list query parameters; every problem is reported, one detail per parameter."""
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    for name, given in parameters.items():
        if name not in _LIST_PARAMETERS:
            errors.append(FieldError(name, f"is not a query parameter; use {', '.join(_LIST_PARAMETERS)}"))
        elif len(given) != 1:
            errors.append(FieldError(name, "must be given once"))
        else:
            values[name] = given[0]
    query = _build_list_query(values, errors)
    if errors:
        raise ValidationFailed(tuple(errors))
    return query


def _build_list_query(values: dict[str, str], errors: list[FieldError]) -> ListQuery:
    limit = DEFAULT_PAGE_SIZE
    if "limit" in values:
        text = values["limit"]
        if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE_SIZE:
            limit = int(text)
        else:
            errors.append(FieldError("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}"))
    sort_by = values.get("sortBy")
    if sort_by is not None and sort_by != "price":
        errors.append(FieldError("sortBy", "must be price"))
    order = values.get("order")
    if order is not None and order not in ("asc", "desc"):
        errors.append(FieldError("order", "must be asc or desc"))
    elif order is not None and sort_by is None:
        errors.append(FieldError("order", "applies only with sortBy=price"))
    name = values.get("name")
    if name is not None:
        if sort_by is not None:
            errors.append(FieldError("name", "cannot be combined with sortBy"))
        elif not 1 <= len(name.strip()) <= 100:
            errors.append(FieldError("name", "must be 1 to 100 characters"))
    token = values.get("nextToken")
    if token is not None and not token:
        errors.append(FieldError("nextToken", "must be the nextToken of a previous page"))
    return ListQuery(
        limit=limit,
        next_token=token or None,
        sort_by_price=sort_by == "price",
        descending=order == "desc",
        name=name.strip() if name is not None else None,
    )
