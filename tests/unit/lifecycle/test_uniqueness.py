"""What must differ between containers restored from one snapshot: token nonces, even if kernel randomness and the
clock repeated, and the page-token keys, read afresh after a restore."""

from __future__ import annotations

import base64
import itertools

import pytest

from metrics.recorder import start_request
from repositories import page_token
from repositories.page_token import PageTokens, Position

SECRET = "a-page-token-secret-of-at-least-32-characters"
PRODUCT = Position(product_id="3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f")


def nonce_of(token: str) -> bytes:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return raw[1:13]


def test_a_repeated_random_value_at_the_same_time_does_not_repeat_a_nonce_across_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(page_token.os, "urandom", lambda size: bytes(size))
    monkeypatch.setattr(page_token.time, "time_ns", lambda: 1_796_000_000_000_000_000)
    nonces = []
    for request_id in ("request-in-one-restored-container", "request-in-another"):
        monkeypatch.setattr(page_token, "_SEALS", itertools.count())  # each container's count, copied alike
        start_request(request_id)
        nonces.append(nonce_of(PageTokens(SECRET).seal("scope", PRODUCT)))
    assert nonces[0] != nonces[1]


def test_forgotten_keys_are_read_again_at_the_next_seal() -> None:
    source = ["a" * 32]
    tokens = PageTokens(source=lambda: list(source))
    before = tokens.seal("scope", PRODUCT)
    source[0] = "b" * 32  # the secret as a restored container finds it
    tokens.forget_keys()
    after = tokens.seal("scope", PRODUCT)

    assert PageTokens("a" * 32).open("scope", before) == PRODUCT
    assert PageTokens("b" * 32).open("scope", after) == PRODUCT
