"""Names a person reads as the same (SPEC section 2, "Names"): the claim key, invisible characters, the stored
form. Property-based: hypothesis draws names and the spellings a person cannot tell apart."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exceptions.product_exceptions import ValidationFailed
from models.product import INVISIBLE_RANGES, is_invisible
from models.record import name_key
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
