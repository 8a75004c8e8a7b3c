"""Entity tags at the HTTP edge: a product's ETag is its version in quotes, and If-Match / If-None-Match
lists are read into the versions they name (RFC 9110), so no inner layer knows how a tag is spelled."""

from __future__ import annotations

import re

from exceptions.product_exceptions import InvalidRequest
from models.commands import VersionCondition

# One member of an RFC 9110 list of entity tags (section 8.8.3): [W/] DQUOTE *etagc DQUOTE, where etagc is
# %x21 / %x23-7E / obs-text; only spaces and tabs around it (5.6.1 allows empty members between commas).
_ENTITY_TAG_MEMBER = re.compile(
    r'[ \t]*(?:(?P<weak>W/)?"(?P<opaque>[\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:(?P<comma>,)|\Z)'
)
_OWS = " \t"
_MAX_VERSION_DIGITS = 18  # far beyond any version, and within DynamoDB's number range


def entity_tag(version: int) -> str:
    """The strong ETag of a product version."""
    return f'"{version}"'


def if_match_condition(value: str | None) -> VersionCondition | None:
    """If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches. None when absent."""
    return _condition("If-Match", value, weak_matches=False)


def if_none_match_condition(value: str | None) -> VersionCondition | None:
    """If-None-Match compares weakly (RFC 9110 13.1.2): `W/"3"` matches version 3. None when absent."""
    return _condition("If-None-Match", value, weak_matches=True)


def _condition(header_name: str, value: str | None, weak_matches: bool) -> VersionCondition | None:
    if value is None:
        return None
    if value.strip(_OWS) == "*":
        return VersionCondition(True, frozenset())
    tags = _entity_tags(value)
    if tags is None:
        raise InvalidRequest(
            f'{header_name} must be * or a comma-separated list of ETags from this API, like "3" '
            "(only spaces and tabs may surround them)."
        )
    named = (_version(opaque) for weak, opaque in tags if weak_matches or not weak)
    return VersionCondition(False, frozenset(version for version in named if version is not None))


def _version(opaque: str) -> int | None:
    """The version a tag names: tags compare as opaque strings, so only the exact spelling of `entity_tag`
    names one ("3", not "03"); any other tag matches no version."""
    if (
        opaque.isascii()
        and opaque.isdigit()
        and len(opaque) <= _MAX_VERSION_DIGITS
        and str(int(opaque)) == opaque
    ):
        return int(opaque)
    return None


def _entity_tags(value: str) -> list[tuple[bool, str]] | None:
    """The (weak, opaque-tag) members of an entity-tag list, or None when it is malformed or empty."""
    tags: list[tuple[bool, str]] = []
    position = 0
    while True:
        member = _ENTITY_TAG_MEMBER.match(value, position)
        if member is None:
            return None
        if member.group("opaque") is not None:
            tags.append((member.group("weak") is not None, member.group("opaque")))
        if not member.group("comma"):
            return tags or None
        position = member.end()
