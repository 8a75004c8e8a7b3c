"""Opaque `nextToken`s: where a page ended, sealed with a key only the deployment knows.

A token is `base64url(version | nonce | ciphertext | tag)`: the position is encrypted with an HMAC-SHA256
keystream and authenticated with an HMAC-SHA256 tag over the query's scope and everything before the tag
(encrypt-then-MAC, standard library only). The tag is checked in constant time before anything is decrypted,
and the plaintext has one fixed binary layout whose every length is known, so no client byte ever reaches a
general parser. A position is what the API already shows (a product id, its price in cents); only when a
bounded Scan stops on another kind of item does it carry that item's partition key, which the encryption keeps
from the client (see docs/SECURITY.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time
import uuid
from collections.abc import Callable
from typing import NamedTuple

from exceptions.product_exceptions import FieldError, ValidationFailed

TOKEN_LIFETIME_SECONDS = 24 * 60 * 60
MAX_PARTITION_KEY_BYTES = 2048  # DynamoDB's limit for a partition key
MIN_SECRET_LENGTH = 32

_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER = struct.Struct(">IB")  # expiry (epoch seconds), kind
_CENTS = struct.Struct(">I")
_PRODUCT, _PRICED_PRODUCT, _PARTITION_KEY = 1, 2, 3
_MAX_RAW_BYTES = len(_VERSION) + _NONCE_BYTES + _HEADER.size + MAX_PARTITION_KEY_BYTES + _TAG_BYTES
MAX_TOKEN_LENGTH = -(-_MAX_RAW_BYTES * 4 // 3)  # base64 without padding
_BASE64URL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class Position(NamedTuple):
    """Where a page ended: a product (with its price in cents on the price index), or the partition key of
    the item a bounded Scan stopped on when that item is not a product."""

    product_id: str | None = None
    cents: int | None = None
    partition_key: str | None = None


def rejected(
    reason: str = "is not a nextToken this query returned; start again without it",
) -> ValidationFailed:
    """The 400 for any token the server cannot use."""
    return ValidationFailed((FieldError("nextToken", reason),))


class PageTokens:
    """Seals positions into tokens and opens them again, for one deployment's secret."""

    def __init__(
        self,
        secret: str,
        clock: Callable[[], float] = time.time,
        lifetime: int = TOKEN_LIFETIME_SECONDS,
    ) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the page token secret must be at least {MIN_SECRET_LENGTH} characters")
        root = secret.encode()
        # Separate keys for encryption and authentication, derived from the one configured secret.
        self._cipher_key = hmac.digest(root, b"bbws page token: encryption", hashlib.sha256)
        self._mac_key = hmac.digest(root, b"bbws page token: authentication", hashlib.sha256)
        self._clock = clock
        self._lifetime = lifetime

    def seal(self, scope: str, position: Position) -> str:
        """A token for `position`, valid for `scope` (the query that produced it) until it expires."""
        expires = int(self._clock()) + self._lifetime
        plaintext = _HEADER.pack(expires, _kind(position)) + _body(position)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = _VERSION + nonce + self._xor(nonce, plaintext)
        return base64.urlsafe_b64encode(sealed + self._tag(scope, sealed)).decode().rstrip("=")

    def open(self, scope: str, token: str) -> Position:
        """The position a token made by `seal` for the same scope carries; anything else is a 400."""
        sealed = self._authenticated(scope, token)
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        plaintext = self._xor(nonce, ciphertext)
        if len(plaintext) < _HEADER.size:
            raise rejected()
        expires, kind = _HEADER.unpack_from(plaintext)
        now = int(self._clock())
        if expires > now + self._lifetime:
            raise rejected()
        if expires <= now:
            raise rejected("has expired; start again without it")
        return _position(kind, plaintext[_HEADER.size :])

    def _authenticated(self, scope: str, token: str) -> bytes:
        """The token's bytes up to the tag, once the length, alphabet and tag have been checked."""
        if not 0 < len(token) <= MAX_TOKEN_LENGTH or not token.isascii():
            raise rejected()
        text = token.encode()
        if not _BASE64URL.issuperset(text) or len(text) % 4 == 1:
            raise rejected()
        try:
            raw = base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
        except binascii.Error:  # pragma: no cover - the alphabet and length are checked above
            raise rejected() from None
        if base64.urlsafe_b64encode(raw).rstrip(b"=") != text:
            raise rejected()  # unused low bits set in the last character: one token has one spelling
        sealed, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if len(sealed) < len(_VERSION) + _NONCE_BYTES or not sealed.startswith(_VERSION):
            raise rejected()
        if not hmac.compare_digest(tag, self._tag(scope, sealed)):
            raise rejected()
        return sealed

    def _tag(self, scope: str, sealed: bytes) -> bytes:
        scope_bytes = scope.encode()
        message = struct.pack(">I", len(scope_bytes)) + scope_bytes + sealed
        return hmac.digest(self._mac_key, message, hashlib.sha256)[:_TAG_BYTES]

    def _xor(self, nonce: bytes, data: bytes) -> bytes:
        """XOR with the keystream HMAC(key, nonce | counter): encryption and decryption alike."""
        stream = b"".join(
            hmac.digest(self._cipher_key, nonce + struct.pack(">I", block), hashlib.sha256)
            for block in range(-(-len(data) // 32))
        )
        return bytes(a ^ b for a, b in zip(data, stream))


def _kind(position: Position) -> int:
    if position.partition_key is not None:
        return _PARTITION_KEY
    return _PRODUCT if position.cents is None else _PRICED_PRODUCT


def _body(position: Position) -> bytes:
    if position.partition_key is not None:
        return position.partition_key.encode()
    body = uuid.UUID(position.product_id).bytes
    return body if position.cents is None else body + _CENTS.pack(position.cents)


def _position(kind: int, body: bytes) -> Position:
    """Rebuild a position from its fixed layout; a length or value out of place is a 400."""
    if kind == _PRODUCT and len(body) == 16:
        return Position(product_id=str(uuid.UUID(bytes=body)))
    if kind == _PRICED_PRODUCT and len(body) == 16 + _CENTS.size:
        (cents,) = _CENTS.unpack_from(body, 16)
        return Position(product_id=str(uuid.UUID(bytes=body[:16])), cents=cents)
    if kind == _PARTITION_KEY and 0 < len(body) <= MAX_PARTITION_KEY_BYTES:
        try:
            return Position(partition_key=body.decode())
        except UnicodeDecodeError:
            raise rejected() from None
    raise rejected()
