"""JSON from untrusted text with every cost bounded before it is paid (lean: read functions import this).

Python's json module recurses once per nesting level (deep input is a RecursionError) and converts number tokens
of any length (5,000 digits is an error quoting the interpreter). Here the nesting depth is measured by one
linear scan before the parser runs, number tokens longer than a bound are never converted, and strings holding
half a surrogate pair are refused. Every refusal is a `JsonRejected` with a message a person can act on.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from models.json_values import OversizedNumber

# Longer than any number the API reads (a price has at most 9 digits), far below the interpreter's limits.
MAX_NUMBER_LENGTH = 40
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRejected(ValueError):
    """Text that is not acceptable JSON; `message` is written for the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def nesting_depth_exceeds(text: str, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than `max_depth` (brackets inside strings do not count)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _number(token: str, convert: Any) -> Any:
    return OversizedNumber(token) if len(token) > MAX_NUMBER_LENGTH else convert(token)


def _refuse_constant(name: str) -> Any:
    raise JsonRejected(f"{name} is not a JSON number; send a finite number.")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JsonRejected(f"The key {_quoted(key)} appears twice; send each field once.")
        result[key] = value
    return result


def escape_lone_surrogates(text: str) -> str:
    """`text` with each half of a surrogate pair written as its escape (`\\ud800`): valid UTF-8 whatever a
    client sent, and, inside JSON text, the same string."""
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _quoted(text: str) -> str:
    """`text` as a readable JSON string that is valid UTF-8 (the duplicate-key check runs before the surrogate
    check, so a key may still hold half a pair)."""
    return escape_lone_surrogates(json.dumps(text, ensure_ascii=False))


def _strings(document: Any) -> list[str]:
    """Every key and string value (documents here are already known to be shallow)."""
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for key, value in document.items() for s in (key, *_strings(value))]
    if isinstance(document, list):
        return [s for value in document for s in _strings(value)]
    return []


def loads_bounded(text: str, max_depth: int) -> Any:
    """Parse `text` as JSON with exact numbers (Decimal), unique keys, no NaN/Infinity and bounded depth."""
    if nesting_depth_exceeds(text, max_depth):
        raise JsonRejected(
            f"The JSON nests arrays or objects deeper than {max_depth} levels, more than this API ever reads."
        )
    try:
        document = json.loads(
            text,
            parse_int=lambda token: _number(token, int),
            parse_float=lambda token: _number(token, Decimal),
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        raise JsonRejected(
            f"The text is not valid JSON (first problem at character {error.pos + 1})."
        ) from None
    if any(_LONE_SURROGATE.search(s) for s in _strings(document)):
        raise JsonRejected(
            "A string holds half of a surrogate pair (a \\ud800-\\udfff escape without its partner); "
            "send the character itself."
        )
    return document
