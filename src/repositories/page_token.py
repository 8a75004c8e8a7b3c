"""Opaque `nextToken`s: where a page ended, sealed with a key only the deployment knows.

A token is `base64url(version | nonce | ciphertext | tag)`: the position is encrypted with an HMAC-SHA256
keystream and authenticated with an HMAC-SHA256 tag over the query's scope and everything before the tag
(encrypt-then-MAC, standard library only). The nonce's first 4 bytes are the key id (4 bytes of an HMAC of the
key, never the key), the other 8 random: the id names the key that sealed the token, so a container that does not
know it reads the keys again at once, and a token sealed with a key rotated in moments ago opens everywhere.
The layout is the first one's (whose nonce was 12 random bytes): tokens sealed before key ids, and by a version
still serving during a release, open as before, tried against every key this container knows. The tag is
checked in constant time before anything is decrypted, and the plaintext has one fixed binary layout whose
every length is known, so no client byte ever reaches a general parser. A position is what the API already
shows (a product id, its price in cents); only when a bounded Scan stops on another kind of item does it carry
that item's partition key, which the encryption keeps from the client (see docs/SECURITY.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import os
import struct
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from exceptions.product_exceptions import FieldError, ValidationFailed
from metrics.recorder import current_request_id
from metrics.recorder import current_request_id

TOKEN_LIFETIME_SECONDS = 24 * 60 * 60
MAX_PARTITION_KEY_BYTES = 2048  # DynamoDB's limit for a partition key
MIN_SECRET_LENGTH = 32
# A token naming a key id this container does not know makes it read the keys again, once per id so often: a
# genuine id is found by its first read, and a forged one costs one read.
RELOAD_INTERVAL_SECONDS = 60

_VERSION = b"\x01"
_KEY_ID_BYTES = 4  # the start of the nonce
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER = struct.Struct(">IB")  # expiry (epoch seconds), kind
_CENTS = struct.Struct(">I")
_PRODUCT, _PRICED_PRODUCT, _PARTITION_KEY = 1, 2, 3
_MAX_RAW_BYTES = len(_VERSION) + _NONCE_BYTES + _HEADER.size + MAX_PARTITION_KEY_BYTES + _TAG_BYTES
MAX_TOKEN_LENGTH = -(-_MAX_RAW_BYTES * 4 // 3)  # base64 without padding
_SEALS = itertools.count()
_SEALS = itertools.count()
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


class _Key(NamedTuple):
    """One secret's keys: its id (in the tokens it seals), the encryption key and the authentication key."""

    key_id: bytes
    cipher: bytes
    mac: bytes


class PageTokens:
    """Seals positions into tokens with the current secret and opens tokens sealed with it or with the
    previous ones (after a rotation, tokens made before it stay valid until they expire).

    The secrets come from `source` (current first), read on first use and again after `forget_keys` or when a
    token names a key not among them; a source that cannot give them raises (PageTokenKeyUnavailable)."""

    def __init__(
        self,
        secret: str = "",
        clock: Callable[[], float] = time.time,
        lifetime: int = TOKEN_LIFETIME_SECONDS,
        previous: Sequence[str] = (),
        source: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        """Under the fixed `secret` and `previous` ones (the local server, tests), or, given `source`, under
        the secrets it gives."""
        self._clock = clock
        self._lifetime = lifetime
        self._known: list[_Key] | None = None
        self._reread_for: dict[bytes, float] = {}  # unknown key id -> when it last made the keys be read
        if source is None:
            fixed = (secret, *previous)
            self._known = _derive_keys(fixed)  # a bad fixed secret fails at once
            source = lambda: fixed  # noqa: E731 - forget_keys reads the same ones again
        self._source = source

    def forget_keys(self) -> None:
        """Drop the keys read so far: the next seal or open reads them again from their source (say after a
        snapshot restore, whose keys may be older than the secret)."""
        self._known = None
        self._reread_for = {}

    def load_keys(self) -> None:
        """Read the keys now if they are not known yet."""
        self._keys()

    def seal(self, scope: str, position: Position) -> str:
        """A token for `position`, valid for `scope` (the query that produced it) until it expires."""
        key = self._keys()[0]
        expires = int(self._clock()) + self._lifetime
        plaintext = _HEADER.pack(expires, _kind(position)) + _body(position)
        nonce = key.key_id + _nonce_tail()
        sealed = _VERSION + nonce + _xor(key.cipher, nonce, plaintext)
        return base64.urlsafe_b64encode(sealed + _tag(key.mac, scope, sealed)).decode().rstrip("=")

    def open(self, scope: str, token: str) -> Position:
        """The position a token made by `seal` for the same scope carries; anything else is a 400."""
        sealed, cipher_key = self._authenticated(scope, token)
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        plaintext = _xor(cipher_key, nonce, ciphertext)
        if len(plaintext) < _HEADER.size:
            raise rejected()
        expires, kind = _HEADER.unpack_from(plaintext)
        now = int(self._clock())
        if expires > now + self._lifetime:
            raise rejected()
        if expires <= now:
            raise rejected("has expired; start again without it")
        return _position(kind, plaintext[_HEADER.size :])

    def _authenticated(self, scope: str, token: str) -> tuple[bytes, bytes]:
        """The token's bytes up to the tag and the cipher key of the secret whose tag it carries, once the
        length, alphabet and tag have been checked."""
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
        for key in self._candidates(sealed[1 : 1 + _KEY_ID_BYTES]):
            if hmac.compare_digest(tag, _tag(key.mac, scope, sealed)):
                return sealed, key.cipher
        raise rejected()

    def _candidates(self, key_id: bytes) -> Iterator[_Key]:
        """The keys a token's tag may be under: the known key with its key id first, then the other known
        keys (tokens sealed before key ids), then, when no known key has the id, the keys read anew that do.
        """
        known = self._keys()
        yield from sorted(known, key=lambda key: key.key_id != key_id)
        if all(key.key_id != key_id for key in known):
            yield from self._reread_for_id(key_id)

    def _keys(self) -> list[_Key]:
        if self._known is None:
            self._known = _derive_keys(self._source())
        return self._known

    def _reread_for_id(self, key_id: bytes) -> list[_Key]:
        """The keys read anew that have this id, unless this id made them be read within the interval (it
        named no key then: a forged id costs one read a minute)."""
        now = self._clock()
        if now - self._reread_for.get(key_id, now - RELOAD_INTERVAL_SECONDS) < RELOAD_INTERVAL_SECONDS:
            return []
        self._reread_for = {k: at for k, at in self._reread_for.items() if now - at < RELOAD_INTERVAL_SECONDS}
        self._reread_for[key_id] = now
        self._known = None
        return [key for key in self._keys() if key.key_id == key_id]


def _nonce_tail() -> bytes:
    """The nonce's bytes after the key id, never the same twice: kernel randomness (never the `random` module,
    whose state a SnapStart snapshot copies into every restored container), hashed with the time, a
    per-container count and API Gateway's id of the request, so that even a repeated random value gives a new
    nonce."""
    material = b"".join(
        (
            os.urandom(_NONCE_BYTES),
            struct.pack(">QQ", time.time_ns(), next(_SEALS)),
            current_request_id().encode(),
        )
    )
    return hashlib.sha256(material).digest()[: _NONCE_BYTES - _KEY_ID_BYTES]


def _derive_keys(secrets: Sequence[str]) -> list[_Key]:
    """Per secret, its id and separate keys for encryption and authentication."""
    keys = []
    for secret in secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the page token secret must be at least {MIN_SECRET_LENGTH} characters")
        root = secret.encode()
        keys.append(
            _Key(
                hmac.digest(root, b"bbws page token: key id", hashlib.sha256)[:_KEY_ID_BYTES],
                hmac.digest(root, b"bbws page token: encryption", hashlib.sha256),
                hmac.digest(root, b"bbws page token: authentication", hashlib.sha256),
            )
        )
    return keys


def _tag(mac_key: bytes, scope: str, sealed: bytes) -> bytes:
    scope_bytes = scope.encode()
    message = struct.pack(">I", len(scope_bytes)) + scope_bytes + sealed
    return hmac.digest(mac_key, message, hashlib.sha256)[:_TAG_BYTES]


def _xor(cipher_key: bytes, nonce: bytes, data: bytes) -> bytes:
    """XOR with the keystream HMAC(key, nonce | counter): encryption and decryption alike."""
    stream = b"".join(
        hmac.digest(cipher_key, nonce + struct.pack(">I", block), hashlib.sha256)
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
