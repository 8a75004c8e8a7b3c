"""Entity tags: the ETag a version gets, and If-Match / If-None-Match read as RFC 9110 compares them."""

from __future__ import annotations

import pytest

from exceptions.product_exceptions import InvalidRequest
from utils.entity_tags import entity_tag, if_match_condition, if_none_match_condition


def test_an_etag_read_back_names_its_version() -> None:
    condition = if_match_condition(entity_tag(12))
    assert entity_tag(12) == '"12"' and condition is not None and condition.versions == {12}


def test_absent_condition_headers_are_none() -> None:
    assert if_match_condition(None) is None and if_none_match_condition(None) is None


@pytest.mark.parametrize(
    ("value", "version", "matches"),
    [
        ('"3"', 3, True),
        ('"3"', 4, False),
        ("*", 9, True),
        (" \t*\t ", 9, True),
        ('"1", "2"', 2, True),
        ('"1",\t"2"', 2, True),
        ('"1", , "2",', 2, True),  # RFC 9110 5.6.1: empty list members are allowed
        ('W/"5"', 5, False),  # strong comparison: a weak tag never matches
        ('W/"5", "5"', 5, True),
        ('"0004"', 4, False),  # opaque strings: "0004" is not "4"
        ('"abc"', 3, False),
        ('""', 3, False),
    ],
)
def test_if_match_compares_strongly_as_opaque_strings(value: str, version: int, matches: bool) -> None:
    condition = if_match_condition(value)
    assert condition is not None and condition.matches(version) is matches


@pytest.mark.parametrize(
    ("value", "version", "matches"),
    [('W/"1"', 1, True), ('"1"', 1, True), ('"01"', 1, False), ('W/"2", W/"1"', 1, True), ("*", 1, True)],
)
def test_if_none_match_compares_weakly_as_opaque_strings(value: str, version: int, matches: bool) -> None:
    condition = if_none_match_condition(value)
    assert condition is not None and condition.matches(version) is matches


@pytest.mark.parametrize(
    "value",
    [
        "3",
        '"3',
        "",
        " ",
        ",",
        '"1"\x0b',
        '"1"\x1c',
        '"1"\x85',
        '\x0b"1"',
        "*\x0b",
        '"1" "2"',
        'w/"1"',
        'W/ "1"',
        '"a"b"',
        '"caf\u20ac"',
        '"1";',
        '*, "1"',
    ],
)
def test_malformed_condition_headers_are_400(value: str) -> None:
    with pytest.raises(InvalidRequest, match="If-Match must be"):
        if_match_condition(value)
    with pytest.raises(InvalidRequest, match="If-None-Match must be"):
        if_none_match_condition(value)
