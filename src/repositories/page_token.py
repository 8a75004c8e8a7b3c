"""Opaque `nextToken`s: DynamoDB's LastEvaluatedKey, tied to the query and table that produced it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from exceptions.product_exceptions import FieldError, ValidationFailed
from utils.bounded_json import loads_bounded

_CHECK_LENGTH = 16
MAX_TOKEN_LENGTH = 1024  # a real token is a few hundred characters


def _checksum(scope: str, payload: str) -> str:
    return hashlib.sha256(f"{scope}|{payload}".encode()).hexdigest()[:_CHECK_LENGTH]


def encode_token(scope: str, key: dict[str, Any]) -> str:
    """Pack a LastEvaluatedKey (string attributes only) for the query `scope`."""
    payload = json.dumps({name: value["S"] for name, value in sorted(key.items())}, separators=(",", ":"))
    raw = f"{payload}\n{_checksum(scope, payload)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _key_of(scope: str, token: str) -> Any:
    """The key a token carries, or None; bounded: the length first, the checksum before parsing, a flat object."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        payload, check = raw.rsplit("\n", 1)
        if not hmac.compare_digest(check.encode(), _checksum(scope, payload).encode()):
            return None
        return loads_bounded(payload, max_depth=1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def decode_token(scope: str, token: str, key_attributes: tuple[str, ...]) -> dict[str, Any]:
    """Unpack a token made by `encode_token` for the same scope; anything else is a 400."""
    key = _key_of(scope, token)
    valid = (
        isinstance(key, dict)
        and sorted(key) == sorted(key_attributes)
        and all(isinstance(value, str) for value in key.values())
    )
    if not valid:
        message = "is not a nextToken this query returned; start again without it"
        raise ValidationFailed((FieldError("nextToken", message),))
    return {name: {"S": value} for name, value in key.items()}
