"""Names a person reads as the same (docs/API.md, "Names"): the claim key, invisible characters, the stored
form, combining marks and the key's size. Property-based: hypothesis draws names and the spellings a person
cannot tell apart, and names in the scripts whose stored form differs from what was sent."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from exceptions.product_exceptions import ValidationFailed
from models.product import (
    INVISIBLE_RANGES,
    MAX_MARKS_PER_LETTER,
    MAX_NAME_LENGTH,
    MIN_NAME_LENGTH,
    NAME_PUNCTUATION,
    is_invisible,
    is_name_letter,
    is_name_mark,
    is_name_other,
)
from models.record import MAX_NAME_KEY_BYTES, name_key
from repositories import keys
from repositories.legacy_name_keys import legacy_claim_pk, legacy_name_key
from validators.product_validator import parse_changes

FULL_WIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E are ASCII U+0021..U+007E in full width
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

plain_words = st.lists(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8
    ),
    min_size=1,
    max_size=4,
)


def _stored(name: str) -> str:
    """The name as the API would store it, or the 400's message for the name."""
    try:
        changes = parse_changes({"name": name})
    except ValidationFailed as error:
        return next(detail.message for detail in error.details if detail.field == "name")
    assert changes.name is not None
    return changes.name


@st.composite
def look_alike(draw: st.DrawFn, words: list[str]) -> str:
    """The words as a person could type them differently: other case, full-width or superscript characters,
    longer runs of spaces or other whitespace."""
    spelled = []
    for word in words:
        characters = []
        for ch in word:
            form = draw(st.sampled_from(("same", "swapcase", "full-width", "superscript")))
            if form == "swapcase":
                ch = ch.swapcase()
            elif form == "full-width":
                ch = chr(ord(ch) + FULL_WIDTH_OFFSET)
            elif form == "superscript" and ch.isdigit():
                ch = SUPERSCRIPT_DIGITS[int(ch)]
            characters.append(ch)
        spelled.append("".join(characters))
    gaps = [draw(st.text(alphabet=" \t\u3000\u00a0", min_size=1, max_size=3)) for _ in spelled[1:]]
    text = spelled[0] + "".join(gap + word for gap, word in zip(gaps, spelled[1:]))
    return draw(st.sampled_from(("", " ", "\u3000"))) + text + draw(st.sampled_from(("", " ", "\t")))


@settings(deadline=None)  # a loaded CI machine must not fail a property on time
@given(st.text())
def test_name_key_of_a_key_is_the_key(name: str) -> None:
    assert name_key(name_key(name)) == name_key(name)


@settings(deadline=None)  # a loaded CI machine must not fail a property on time
@given(plain_words.flatmap(lambda words: st.tuples(st.just(" ".join(words)), look_alike(words))))
def test_spellings_a_person_reads_as_one_share_the_key(pair: tuple[str, str]) -> None:
    plain, spelled = pair
    assert name_key(spelled) == name_key(plain)


name_like = st.text(
    alphabet=st.characters(categories=["L", "N", "Zs"], max_codepoint=0xFFFF)
    | st.sampled_from("-&'.,()+/:#"),
    min_size=3,
    max_size=12,
)


@settings(deadline=None)  # a loaded CI machine must not fail a property on time
@given(name_like)
def test_an_accepted_name_is_stored_trimmed_in_nfc_with_the_key_of_what_was_sent(name: str) -> None:
    try:
        changes = parse_changes({"name": name})
    except ValidationFailed:
        return  # refused names are stored nowhere
    assert changes.name == unicodedata.normalize("NFC", name.strip())
    assert unicodedata.is_normalized("NFC", changes.name)
    assert name_key(changes.name) == name_key(name)


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("\uff22asic Plan", "Basic Plan"),
        ("Plan \u00b2", "Plan 2"),
        ("\u2102loud Plan", "Cloud Plan"),
        ("Basic  Plan", "Basic Plan"),
        ("STRASSE Plan", "Straße Plan"),
        ("Ohm \u2126", "OHM \u03a9"),
        ("\u212aelvin Plan", "Kelvin Plan"),
        ("\ufb01le Plan", "File Plan"),
    ],
)
def test_the_issues_variants_share_the_plain_names_key(variant: str, plain: str) -> None:
    assert _stored(variant) == unicodedata.normalize("NFC", variant)  # accepted
    assert name_key(variant) == name_key(plain)


@pytest.mark.parametrize(
    ("name", "code_point"),
    [
        ("Basic Plan\u3164", "U+3164 HANGUL FILLER"),
        ("\u115fBasic Plan", "U+115F HANGUL CHOSEONG FILLER"),
        ("Basic\u1160 Plan", "U+1160 HANGUL JUNGSEONG FILLER"),
        ("Basic Plan\uffa0", "U+FFA0 HALFWIDTH HANGUL FILLER"),
        ("Basic\u200bPlan", "U+200B ZERO WIDTH SPACE"),
        ("Basic\u00adPlan", "U+00AD SOFT HYPHEN"),
        ("Basic Plan\ufe0f", "U+FE0F VARIATION SELECTOR-16"),
        ("Basic\u2060Plan", "U+2060 WORD JOINER"),
    ],
)
def test_invisible_characters_are_refused_naming_the_code_point(name: str, code_point: str) -> None:
    message = _stored(name)
    assert "invisible" in message and code_point in message


def test_the_stored_name_is_nfc_so_the_ohm_sign_becomes_omega() -> None:
    assert _stored("  Ohm \u2126 ") == "Ohm \u03a9"


def test_a_name_that_composes_below_three_characters_is_refused() -> None:
    assert "at least 3" in _stored("\u1100\u1161\u11a8")  # three jamo compose into one syllable


def test_hangul_fillers_are_among_the_invisible_ranges() -> None:
    assert all(is_invisible(chr(code)) for code in (0x115F, 0x1160, 0x3164, 0xFFA0))
    assert not is_invisible("A") and not is_invisible("\uac00")
    assert all(low <= high for low, high in INVISIBLE_RANGES)


DYNAMODB_MAX_PARTITION_KEY_BYTES = 2048
BASIC_PLANE = [chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF]

# Characters whose stored form (NFC) or key (NFKC) differs most from what was sent: letters NFC splits into a
# letter and a mark (Devanagari, Bengali, Gurmukhi, Oriya, Tibetan, Hebrew presentation forms), U+FDFA and
# U+FDFB (NFKC: 18 and 8 characters), CJK compatibility ideographs, Hangul jamo that compose, the Ohm and
# Angstrom signs, marks NFC replaces or splits (U+0340, U+0344, U+0F73), decomposed Vietnamese.
TRICKY = (
    [chr(code) for code in range(0x0958, 0x0960)]
    + list("\u09dc\u09dd\u09df\u0a33\u0a36\u0a59\u0b5c\u0f43\u0f69\ufb1d\ufb1f\ufb2a\ufb2c\ufb4e")
    + list("\ufdfa\ufdfb\uf900\ufa6c\ufad9\u2126\u212b\u0340\u0344\u0f73")
    + ["\u1100\u1161", "\u1100\u1161\u11a8", "e\u0323\u0302", "o\u031b\u0301", "\u0915\u093c\u094d"]
)
letters = st.characters(categories=["L"], max_codepoint=0xFFFF)
marks = st.characters(categories=["Mn", "Mc"], max_codepoint=0xFFFF)
cluster = st.one_of(
    st.tuples(letters | st.sampled_from(TRICKY), st.lists(marks, max_size=MAX_MARKS_PER_LETTER + 1)).map(
        lambda parts: parts[0] + "".join(parts[1])
    ),
    st.sampled_from(TRICKY),
    st.sampled_from(NAME_PUNCTUATION + "0123456789"),
)
names_in_any_script = st.one_of(
    st.lists(cluster, min_size=1, max_size=40).map("".join),
    st.lists(st.sampled_from(TRICKY), min_size=2, max_size=MAX_NAME_LENGTH).map("".join),
)


def _accepted(name: str) -> str | None:
    """The stored form of an accepted name, else None."""
    try:
        return parse_changes({"name": name}).name
    except ValidationFailed:
        return None


@settings(deadline=None, max_examples=300)  # a loaded CI machine must not fail a property on time
@given(names_in_any_script)
def test_an_accepted_names_stored_form_is_accepted_stores_to_itself_and_keeps_the_key(name: str) -> None:
    stored = _accepted(name)
    assume(stored is not None)  # hypothesis fails the test when it can find too few accepted names
    assert stored is not None
    assert _accepted(stored) == stored
    assert name_key(stored) == name_key(name)
    assert MIN_NAME_LENGTH <= len(stored) <= MAX_NAME_LENGTH
    for key in (keys.name_claim_pk(stored), name_key(stored), legacy_claim_pk(stored) or ""):
        assert len(key.encode()) <= DYNAMODB_MAX_PARTITION_KEY_BYTES


def test_the_name_key_limit_leaves_room_for_the_claims_prefix_and_no_more() -> None:
    assert len(keys.NAME_CLAIM_PREFIX.encode()) + MAX_NAME_KEY_BYTES == DYNAMODB_MAX_PARTITION_KEY_BYTES


def test_a_name_whose_key_is_at_the_limit_is_accepted_and_one_byte_more_is_refused() -> None:
    at_limit = "Ab" + "\ufdfa" * 61 + " " + "x" * 20  # 2 + 61 * 33 + 1 + 20 bytes of key
    assert len(name_key(at_limit).encode()) == MAX_NAME_KEY_BYTES
    assert _stored(at_limit) == at_limit
    message = _stored(at_limit + "x")
    assert f"{MAX_NAME_KEY_BYTES + 1} bytes" in message and f"at most {MAX_NAME_KEY_BYTES} bytes" in message


def test_a_legacy_name_key_of_any_100_characters_fits_in_a_key() -> None:
    # Case folding and NFC are per character (composing only shortens): the longest one character can become
    # bounds the legacy key of any name or ?name= query of 100 characters.
    longest = max(
        len(legacy_name_key(chr(code)).encode()) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF
    )
    assert (
        len(keys.NAME_CLAIM_PREFIX.encode()) + MAX_NAME_LENGTH * longest <= DYNAMODB_MAX_PARTITION_KEY_BYTES
    )


def test_every_accepted_characters_stored_form_is_made_of_accepted_characters() -> None:
    # So the rules are the same as sent and as stored, character by character (openapi.yaml states them so).
    def accepted(ch: str) -> bool:
        return not is_invisible(ch) and (is_name_letter(ch) or is_name_mark(ch) or is_name_other(ch))

    changed = [
        f"U+{ord(ch):04X}"
        for ch in BASIC_PLANE
        if accepted(ch) and not all(accepted(part) for part in unicodedata.normalize("NFC", ch))
    ]
    assert changed == []


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("\u095b\u0930\u093e Plan", "\u091c\u093c\u0930\u093e Plan"),  # ज़ is stored as ज and a nukta
        ("Vie\u0323\u0302t Plan", "Vi\u1ec7t Plan"),  # marks NFC composes into the letter
        ("\ufb2c Plan", "\u05e9\u05bc\u05c1 Plan"),  # one Hebrew letter, stored as a letter and two marks
    ],
)
def test_letters_nfc_splits_or_joins_are_stored_so_and_accepted_back(name: str, stored: str) -> None:
    assert _stored(name) == stored
    assert _stored(stored) == stored


def test_a_name_of_letters_nfc_splits_counts_its_stored_characters() -> None:
    sent = "\u0958" * 51  # 51 characters sent, 102 stored
    assert "at most 100 characters as stored" in _stored(sent)
    assert len(_stored("\u0958" * 50)) == 100


def test_marks_nfc_adds_to_a_letter_count_towards_the_bound() -> None:
    # U+0958 carries 4 marks as sent, 5 as stored (its nukta comes first).
    assert f"at most {MAX_MARKS_PER_LETTER} combining marks" in _stored("Ab\u0958\u0901\u0902\u0903\u093e")
    assert _stored("Ab\u0958\u0901\u0902\u093e") == "Ab\u0915\u093c\u0901\u0902\u093e"
