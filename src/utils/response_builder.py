"""Response envelopes, JSON encoding and the headers every response carries."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from utils.bounded_json import escape_lone_surrogates
from utils.entity_tags import entity_tag

if TYPE_CHECKING:
    from exceptions.product_exceptions import FieldError
    from models.record import ProductRecord

# The CORS lists, which Terraform (preflight and gateway responses) reads too: one file, in the package.
CORS_FILE = os.path.join(os.path.dirname(__file__), "cors.json")
_BODYLESS = (204, 304)


@dataclass(frozen=True)
class ApiResponse:
    """A response before rendering: status, JSON body (or none) and extra headers."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Prices have at most 8 significant digits, so the float's shortest repr is the exact decimal.
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def to_json(body: Any) -> str:
    """Compact JSON with decimals as numbers, always valid UTF-8: half a surrogate pair that a client sent
    (say in a query parameter's name an error quotes) is written as its escape."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return escape_lone_surrogates(text)


def to_api(product: ProductRecord) -> dict[str, Any]:
    """A product's JSON representation (camelCase)."""
    return {
        "productId": product.product_id,
        "name": product.name,
        "description": product.description,
        "price": product.price,
        "currency": product.currency,
        "period": product.period,
        "features": list(product.features),
        "active": product.active,
        "createdAt": product.created_at,
        "updatedAt": product.updated_at,
        "lastUpdatedBy": product.last_updated_by,
        "version": product.version,
    }


def product_response(product: ProductRecord, status: int = 200) -> ApiResponse:
    """`{"product": ...}` with the product's ETag."""
    return ApiResponse(status, {"product": to_api(product)}, {"ETag": entity_tag(product.version)})


def created_response(product: ProductRecord, collection_path: str) -> ApiResponse:
    """201 with the product, its ETag and its Location under `collection_path`, the path the client posted
    to (a client resolves a Location against the URL it used: without the stage it would miss the API)."""
    response = product_response(product, 201)
    response.headers["Location"] = f"{collection_path.rstrip('/')}/{product.product_id}"
    return response


def not_modified_response(product: ProductRecord) -> ApiResponse:
    """304 for a client whose cached copy is current."""
    return ApiResponse(304, None, {"ETag": entity_tag(product.version)})


def no_content_response() -> ApiResponse:
    """204 with an empty body."""
    return ApiResponse(204)


def list_response(products: list[ProductRecord], next_token: str | None) -> ApiResponse:
    """The list envelope; `nextToken` only when more products exist."""
    body: dict[str, Any] = {"products": [to_api(p) for p in products], "count": len(products)}
    if next_token:
        body["nextToken"] = next_token
    return ApiResponse(200, body)


def error_response(
    status: int,
    title: str,
    message: str,
    details: tuple[FieldError, ...] = (),
    headers: dict[str, str] | None = None,
) -> ApiResponse:
    """The error envelope (the request id is added when rendering)."""
    body: dict[str, Any] = {"error": title, "message": message}
    if details:
        body["details"] = [{"field": d.field, "message": d.message} for d in details]
    return ApiResponse(status, body, headers or {})


def cors_headers(origin: str | None, allowed_origins: tuple[str, ...]) -> dict[str, str]:
    """CORS headers for an allowed origin (`*` when configured so); none for others."""
    if "*" in allowed_origins:
        allow_origin = "*"
    elif origin and origin in allowed_origins:
        allow_origin = origin
    else:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": allow_origin, **_cors_lists(), "Vary": "Origin"}


@functools.cache
def _cors_lists() -> dict[str, str]:
    """The Allow-Headers, Allow-Methods and Expose-Headers values, read once per container."""
    with open(CORS_FILE, encoding="utf-8") as file:
        lists = json.load(file)
    return {
        "Access-Control-Allow-Headers": ",".join(lists["allow_headers"]),
        "Access-Control-Allow-Methods": ",".join(lists["allow_methods"]),
        "Access-Control-Expose-Headers": ",".join(lists["expose_headers"]),
    }


def render(
    response: ApiResponse, request_id: str, origin: str | None, allowed_origins: tuple[str, ...]
) -> dict[str, Any]:
    """The proxy-integration result API Gateway expects."""
    headers = {"X-Request-Id": request_id, **cors_headers(origin, allowed_origins), **response.headers}
    body = ""
    if response.status not in _BODYLESS:
        headers["Content-Type"] = "application/json"
        payload = dict(response.body or {})
        if response.status >= 400:
            payload["requestId"] = request_id
        body = to_json(payload)
    return {"statusCode": response.status, "headers": headers, "body": body, "isBase64Encoded": False}
