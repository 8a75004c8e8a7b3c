"""Page tokens: sealed positions bound to a query, a deployment's secret and a lifetime; anything else is a 400."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exceptions.product_exceptions import ValidationFailed
from repositories import page_token
from repositories.page_token import (
    MAX_TOKEN_LENGTH,
    TOKEN_LIFETIME_SECONDS,
    PageTokens,
    Position,
)

SECRET = "a-deployment-secret-of-at-least-32-characters"
OTHER_SECRET = "some-other-deployment-secret-of-32-characters"
PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
NOW = 1_800_000_000.0
POSITIONS = [
    Position(product_id=PRODUCT_ID),
    Position(product_id=PRODUCT_ID, cents=9_500),
    Position(partition_key="PRODUCTNAME#entry plan"),
    Position(partition_key="IDEMPOTENCY#" + "ab" * 32),
]


def tokens(at: float = NOW, secret: str = SECRET) -> PageTokens:
    return PageTokens(secret, clock=lambda: at)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def rejection(token: str, scope: str = "t:all", at: float = NOW) -> str:
    with pytest.raises(ValidationFailed) as raised:
        tokens(at).open(scope, token)
    [detail] = raised.value.details
    assert detail.field == "nextToken"
    return detail.message


@pytest.mark.parametrize("position", POSITIONS, ids=["product", "priced", "claim", "idempotency"])
def test_a_token_opens_to_its_position_within_its_scope(position: Position) -> None:
    assert tokens().open("t:all", tokens().seal("t:all", position)) == position


@pytest.mark.parametrize("scope", ["t:price:asc", "t:price:desc", "t:name:entry plan", "other-table:all"])
def test_a_token_from_another_query_or_table_is_rejected(scope: str) -> None:
    rejection(tokens().seal("t:all", POSITIONS[0]), scope=scope)


def test_a_token_from_another_deployment_is_rejected() -> None:
    foreign = tokens(secret="another-deployment-secret-of-32-characters").seal("t:all", POSITIONS[0])
    rejection(foreign)


@pytest.mark.parametrize("position", POSITIONS[:3], ids=["product", "priced", "claim"])
def test_a_token_altered_in_any_one_character_is_rejected(position: Position) -> None:
    token = tokens().seal("t:all", position)
    for index, character in enumerate(token):
        altered = token[:index] + ("A" if character != "A" else "B") + token[index + 1 :]
        rejection(altered)


def test_a_token_spelled_with_unused_bits_set_is_rejected() -> None:
    token = tokens().seal("t:all", POSITIONS[0])  # 50 bytes: the last character carries 2 unused bits
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(token[-1])
    assert last % 4 == 0
    rejection(token[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last + 1])


def test_a_token_expires_after_its_lifetime() -> None:
    token = tokens().seal("t:all", POSITIONS[0])
    assert tokens(NOW + TOKEN_LIFETIME_SECONDS - 1).open("t:all", token) == POSITIONS[0]
    assert "expired" in rejection(token, at=NOW + TOKEN_LIFETIME_SECONDS)


def test_a_token_from_the_future_is_rejected() -> None:
    token = tokens(NOW + 2 * TOKEN_LIFETIME_SECONDS).seal("t:all", POSITIONS[0])
    rejection(token)


@pytest.mark.parametrize("position", POSITIONS, ids=["product", "priced", "claim", "idempotency"])
def test_a_token_reveals_no_key_layout_or_stored_value(position: Position) -> None:
    token = tokens().seal("t:all", position)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    # Longer than a few characters, so that random ciphertext cannot hold one by chance.
    for hidden in ("PRODUCT", "GSI1_SK", "METADATA", "IDEMPOTENCY", "entry plan", PRODUCT_ID):
        assert hidden not in token and hidden.encode() not in raw
    assert bytes.fromhex(PRODUCT_ID.replace("-", "")) not in raw


def test_two_tokens_for_one_position_differ() -> None:
    assert tokens().seal("t:all", POSITIONS[0]) != tokens().seal("t:all", POSITIONS[0])


def test_the_longest_partition_key_fits_in_a_token() -> None:
    position = Position(partition_key="PRODUCTNAME#" + "\u00e9" * 1018)  # 2,048 bytes
    token = tokens().seal("t:all", position)
    assert len(token) <= MAX_TOKEN_LENGTH
    assert tokens().open("t:all", token) == position


@pytest.mark.parametrize(
    "token",
    [
        b64(json.dumps({"PK": "PRODUCT#zzzz", "SK": "METADATA"}).encode() + b"\n0123456789abcdef"),
        b64(json.dumps({"PK": "", "SK": "METADATA"}).encode()),
        b64(json.dumps({"PK": "P" * 3000, "SK": "METADATA"}).encode()),
        b64(b"[" * 1500 + b"\n"),  # issue 7: a RecursionError (500) when tokens were JSON
        b64(b"\x01" + b"\x00" * 40),
        "A" * (MAX_TOKEN_LENGTH + 1),
        "\u00e9" * 50,
        "%%%",
        "AAAAA",
        "",
    ],
    ids=[
        "forged-key",
        "empty-pk",
        "3000-char-pk",
        "deep-brackets",
        "zero-tag",
        "overlong",
        "non-ascii",
        "not-base64",
        "impossible-length",
        "empty",
    ],
)
def test_forged_and_malformed_tokens_are_rejected(token: str) -> None:
    rejection(token)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        PageTokens("short")


@given(st.text(max_size=300))
def test_any_text_as_a_token_is_rejected_as_bad_input(token: str) -> None:
    with pytest.raises(ValidationFailed):
        tokens().open("t:all", token)


@given(st.binary(min_size=1, max_size=300))
def test_any_bytes_as_a_token_are_rejected_as_bad_input(raw: bytes) -> None:
    with pytest.raises(ValidationFailed):
        tokens().open("t:all", b64(raw))


def test_a_token_sealed_with_a_previous_secret_opens_and_new_ones_use_the_current() -> None:
    old = tokens(secret="the-previous-secret-of-at-least-32-characters").seal("t:all", POSITIONS[0])
    rotated = PageTokens(
        SECRET, clock=lambda: NOW, previous=["the-previous-secret-of-at-least-32-characters"]
    )
    assert rotated.open("t:all", old) == POSITIONS[0]
    assert tokens().open("t:all", rotated.seal("t:all", POSITIONS[1])) == POSITIONS[1]


def reading(secrets: list[list[str]], clock: list[float]) -> tuple[PageTokens, list[float]]:
    """Page tokens whose source gives `secrets[0]` (changed by the test), and when it was read."""
    reads: list[float] = []

    def source() -> list[str]:
        reads.append(clock[0])
        return secrets[0]

    return PageTokens(clock=lambda: clock[0], source=source), reads


def test_a_token_naming_a_key_read_since_opens_at_once() -> None:
    clock, secrets = [NOW], [[SECRET]]
    container_a, reads = reading(secrets, clock)
    container_a.seal("t:all", POSITIONS[0])  # A has read the keys
    secrets[0] = [OTHER_SECRET, SECRET]  # a rotation
    container_b_token = tokens(secret=OTHER_SECRET).seal("t:all", POSITIONS[1])
    clock[0] += 1
    assert container_a.open("t:all", container_b_token) == POSITIONS[1]
    assert reads == [NOW, NOW + 1]


def test_an_unknown_key_id_reads_the_keys_once_per_interval_and_each_id_on_its_own() -> None:
    clock, secrets = [NOW], [[SECRET]]
    ring, reads = reading(secrets, clock)
    ring.load_keys()
    stranger = tokens(secret=OTHER_SECRET).seal("t:all", POSITIONS[0])
    another = tokens(secret="yet-another-deployment-secret-of-32-characters").seal("t:all", POSITIONS[0])
    for token in (stranger, stranger, another):
        with pytest.raises(ValidationFailed):
            ring.open("t:all", token)
    clock[0] += 60
    with pytest.raises(ValidationFailed):
        ring.open("t:all", stranger)
    assert reads == [NOW, NOW, NOW, NOW + 60]


def test_a_token_with_a_known_key_id_never_reads_the_keys_again() -> None:
    clock = [NOW]
    ring, reads = reading([[SECRET]], clock)
    forged = b64(base64.urlsafe_b64decode(tokens().seal("t:all", POSITIONS[0]) + "==")[:-1] + b"\0")
    with pytest.raises(ValidationFailed):
        ring.open("t:all", forged)
    assert reads == [NOW]


def test_forget_keys_makes_the_next_use_read_them_again() -> None:
    clock, secrets = [NOW], [[SECRET]]
    ring, reads = reading(secrets, clock)
    ring.seal("t:all", POSITIONS[0])
    secrets[0] = [OTHER_SECRET]
    ring.forget_keys()
    token = ring.seal("t:all", POSITIONS[0])
    assert tokens(secret=OTHER_SECRET).open("t:all", token) == POSITIONS[0]
    assert len(reads) == 2


def test_keys_are_read_on_first_use_not_before() -> None:
    _, reads = reading([[SECRET]], [NOW])
    assert reads == []


def first_format_token(secret: str, scope: str, position: Position, at: float = NOW) -> str:
    """A token as sealed before key ids: the same layout, its nonce all random."""
    ((_, cipher, mac),) = page_token._derive_keys([secret])
    plaintext = page_token._HEADER.pack(int(at) + TOKEN_LIFETIME_SECONDS, 1) + page_token._body(position)
    nonce = b"\x07" * 12
    sealed = b"\x01" + nonce + page_token._xor(cipher, nonce, plaintext)
    return b64(sealed + page_token._tag(mac, scope, sealed))


def test_a_token_sealed_now_opens_as_the_first_format_did() -> None:
    # A version without key ids still serves during a release: it must open the tokens this one seals.
    token = tokens().seal("t:all", POSITIONS[1])
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    sealed, tag = raw[:-16], raw[-16:]
    ((key_id, cipher, mac),) = page_token._derive_keys([SECRET])
    assert sealed[:1] == b"\x01" and sealed[1:5] == key_id and tag == page_token._tag(mac, "t:all", sealed)
    plaintext = page_token._xor(cipher, sealed[1:13], sealed[13:])
    assert page_token._position(plaintext[4], plaintext[5:]) == POSITIONS[1]


def test_a_token_of_the_first_format_still_opens_until_it_expires() -> None:
    old = first_format_token(SECRET, "t:all", POSITIONS[0])
    assert tokens().open("t:all", old) == POSITIONS[0]
    assert "expired" in rejection(old, at=NOW + TOKEN_LIFETIME_SECONDS)
    assert rejection(first_format_token(OTHER_SECRET, "t:all", POSITIONS[0]))
