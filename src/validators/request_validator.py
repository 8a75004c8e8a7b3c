"""Rules for the parts of a request other than the product fields (lean: read functions import this)."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
from typing import Any

from models.commands import DEFAULT_PAGE_SIZE, IdempotentRequest, ListQuery, ProductDraft
from models.record import name_key_problem
from utils.bounded_json import JsonRejected, loads_bounded
from exceptions.product_exceptions import (
    FieldError,
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedContentEncoding,
    UnsupportedMediaType,
    ValidationFailed,
)

# Admits the largest valid body written the longest way JSON allows: every field at its longest, the text
# fields in astral characters escaped as surrogate pairs (12 bytes each; a name's letters are of the Basic
# Multilingual Plane, 6), keys and currency escaped too, a 40-character price, `active`: 56,249 bytes
# (tests/unit/handlers/test_body_limits.py); the rest is room for white space.
MAX_BODY_BYTES = 64 * 1024
MAX_PAGE_SIZE = 100
_PRODUCT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
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

# A product is an object whose deepest member is the features array: two levels.
MAX_BODY_DEPTH = 2


def _require_json_utf8(content_type: str | None) -> None:
    """`application/json`, with no charset parameter or `utf-8` in any case; anything else is a 415."""
    media_type, *parameters = (content_type or "").split(";")
    if media_type.strip(" \t").lower() != "application/json":
        raise UnsupportedMediaType()
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip(" \t").lower() == "charset" and value.strip(" \t").strip('"').lower() != "utf-8":
            raise UnsupportedMediaType()


def _require_identity_encoding(content_encoding: str | None) -> None:
    """No Content-Encoding, or only `identity`: the API reads bodies as sent and decompresses none (415)."""
    for member in (content_encoding or "").split(","):
        coding = member.strip(" \t")
        if coding and coding.lower() != "identity":
            raise UnsupportedContentEncoding(coding)


def json_object_body(
    content_type: str | None, content_encoding: str | None, body: bytes | None
) -> dict[str, Any]:
    """Decode a POST/PUT body: JSON media type in UTF-8, not compressed, at most MAX_BODY_BYTES, one JSON object
    with exact numbers."""
    _require_json_utf8(content_type)
    _require_identity_encoding(content_encoding)
    raw = body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is {len(raw)} bytes; send at most {MAX_BODY_BYTES} bytes.")
    if raw.startswith(codecs.BOM_UTF8):
        raise InvalidRequest("The body starts with a byte-order mark; send UTF-8 JSON without one.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("The body is not valid UTF-8; send the JSON as UTF-8 text.") from None
    try:
        document = loads_bounded(text, MAX_BODY_DEPTH)
    except JsonRejected as error:
        raise InvalidRequest(error.message) from None
    if not isinstance(document, dict):
        raise InvalidRequest('The body must be a JSON object, like {"name": "..."}.')
    return document


def idempotent_request(key: str | None, caller: str, draft: ProductDraft) -> IdempotentRequest | None:
    """An Idempotency-Key header (1-255 visible ASCII characters) scoped to its caller, and the product it came
    with: another caller's same key is another key, and bodies that validate to the same product are the same.
    """
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all("!" <= ch <= "~" for ch in key):
        raise InvalidRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces), such as a UUID."
        )
    product = json.dumps(draft._asdict(), sort_keys=True, separators=(",", ":"), default=str)
    return IdempotentRequest(key_hash=_sha256(json.dumps([caller, key])), body_hash=_sha256(product))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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
        # Length first: int() of thousands of digits is an interpreter error, not a number.
        if len(text) <= 3 and text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE_SIZE:
            limit = int(text)
        else:
            errors.append(FieldError("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}"))
    sort_by = values.get("sortBy")
    if sort_by is not None and sort_by != "price":
        errors.append(FieldError("sortBy", "must be price"))
    order = values.get("order")
    if order is not None and order not in ("asc", "desc"):
        errors.append(FieldError("order", "must be asc or desc"))
    elif order == "desc" and sort_by is None:
        # `asc` alone is the declared default, which generated clients send with every list call.
        errors.append(FieldError("order", "desc applies only with sortBy=price"))
    name = values.get("name")
    if name is not None:
        if sort_by is not None:
            errors.append(FieldError("name", "cannot be combined with sortBy"))
        elif not 1 <= len(name.strip()) <= 100:
            errors.append(FieldError("name", "must be 1 to 100 characters"))
        elif any(unicodedata.category(ch) == "Cs" for ch in name):
            # Half a surrogate pair has no UTF-8 form: DynamoDB would refuse the query.
            errors.append(FieldError("name", "must not contain unpaired surrogates"))
        elif problem := name_key_problem(name):  # no product has such a name, and DynamoDB refuses the key
            errors.append(FieldError("name", problem))
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
