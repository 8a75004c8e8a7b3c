"""Request body rules: the field constraints of the contract, defined once (imported only by write functions).

The rules are pydantic-core schemas, validated by pydantic's own engine (`SchemaValidator`), rather than
`BaseModel` classes: importing pydantic's model layer and generating a model's schema cost the write
functions about a third more cold start than the read functions (docs/PERFORMANCE.md). Each body's validator
is built on first use, so a function builds only the one it needs.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic_core import PydanticKnownError, SchemaValidator
from pydantic_core import core_schema as cs

from models.commands import DEFAULT_CURRENCY
from models.currencies import ACTIVE_CURRENCIES
from models.json_values import OversizedNumber
from models.record import name_key_problem

NAME_PUNCTUATION = " -&'.,()+/:#"
MIN_PRICE = Decimal("0.01")
MAX_PRICE = Decimal("999999.99")
MAX_FEATURES = 20
MIN_NAME_LENGTH = 3
MAX_NAME_LENGTH = 100
# Combining marks one letter may carry: enough for a reader's one character in the scripts that stack them
# (Vietnamese 2, Devanagari nukta + vowel sign + candrabindu 3, pointed Hebrew with a cantillation mark 4),
# and no room for the towers of marks that overwrite the neighbouring text ("Zalgo").
MAX_MARKS_PER_LETTER = 4

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): characters that render as nothing.
# They include the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, which Unicode classes as letters.
INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
PRICE_DECIMAL_PLACES = 2
_CENT = Decimal(1).scaleb(-PRICE_DECIMAL_PLACES)


def _has_control_characters(value: str, allowed: str = "") -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


def _plain_text(value: str) -> str:
    if _has_control_characters(value):
        raise ValueError("must not contain control characters")
    return value


def _multiline_text(value: str) -> str:
    if _has_control_characters(value, allowed="\n\r"):
        raise ValueError("must not contain control characters other than line breaks")
    return value


def is_name_letter(ch: str) -> bool:
    """A letter a name may contain, and which combining marks may follow."""
    # Letters, marks and digits of the Basic Multilingual Plane only: sets openapi.yaml's pattern can state in
    # any engine. Invisible letters (Hangul fillers) are refused before this is asked. Eight CJK compatibility
    # ideographs (U+FA6C, ...) are stored, in NFC, as ideographs beyond that plane: refused, as those are.
    return ord(ch) <= 0xFFFF and ch.isalpha() and ord(max(unicodedata.normalize("NFC", ch))) <= 0xFFFF


def is_name_mark(ch: str) -> bool:
    """A combining mark (nonspacing or spacing) a name may contain after a letter."""
    return ord(ch) <= 0xFFFF and unicodedata.category(ch) in ("Mn", "Mc")


def is_name_other(ch: str) -> bool:
    """A digit or punctuation a name may contain, which no combining mark may follow."""
    return ch in NAME_PUNCTUATION or (ord(ch) <= 0xFFFF and ch.isdigit())


def is_invisible(ch: str) -> bool:
    """Whether a character renders as nothing (a default-ignorable code point)."""
    return any(low <= ord(ch) <= high for low, high in INVISIBLE_RANGES)


def _code_points(characters: set[str]) -> str:
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip() for ch in sorted(characters))


def _check_name_characters(value: str) -> None:
    """Raise ValueError unless every character is visible and allowed, and each combining mark follows a letter,
    at most MAX_MARKS_PER_LETTER in a row."""
    invisible = {ch for ch in value if is_invisible(ch)}
    if invisible:
        raise ValueError(f"must not contain invisible characters ({_code_points(invisible)})")
    bad = {ch for ch in value if not (is_name_letter(ch) or is_name_mark(ch) or is_name_other(ch))}
    if bad:
        shown = " ".join(repr(ch) for ch in sorted(bad))
        raise ValueError(
            "may contain only letters (with the combining marks that follow them), digits, spaces and "
            f"- & ' . , ( ) + / : # (not {shown})"
        )
    marks = 0  # in a row since the last letter (a mark before them was checked already)
    for index, ch in enumerate(value):
        if not is_name_mark(ch):
            marks = 0
        elif index == 0 or not (is_name_letter(value[index - 1]) or is_name_mark(value[index - 1])):
            raise ValueError(
                "a combining mark must follow a letter, not start the name or follow a space, digit or "
                f"punctuation ({_code_points({ch})})"
            )
        else:
            marks += 1
            if marks > MAX_MARKS_PER_LETTER:
                raise ValueError(f"may have at most {MAX_MARKS_PER_LETTER} combining marks on one letter")


def _product_name(value: str) -> str:
    """A trimmed name's stored form (NFC), if it and its stored form keep the rules and its key can be stored.

    NFC can compose (Hangul jamo into syllables: shorter) and, for the letters excluded from composition
    (Devanagari U+0958-U+095F, Hebrew presentation forms), decompose into a letter and a mark (longer, and one
    more mark): the stored form is checked too, so what GET returns can always be sent back.
    """
    _check_name_characters(value)
    stored = unicodedata.normalize("NFC", value)
    if stored != value:
        _check_name_characters(stored)
    if len(stored) < MIN_NAME_LENGTH:
        raise ValueError(f"must be at least {MIN_NAME_LENGTH} characters after trimming")
    if len(stored) > MAX_NAME_LENGTH:
        raise ValueError(
            f"must be at most {MAX_NAME_LENGTH} characters as stored (in Unicode NFC, which writes some letters, "
            f"such as U+0958, as a letter and a combining mark): this one has {len(stored)}"
        )
    problem = name_key_problem(stored)
    if problem:
        raise ValueError(problem)
    return stored


def _currency_code(value: str) -> str:
    if value not in ACTIVE_CURRENCIES:
        hint = " (use upper case)" if value.upper() in ACTIVE_CURRENCIES else ""
        raise ValueError(f"must be an active ISO 4217 currency code such as ZAR, USD or EUR{hint}")
    return value


def _exact_number(value: Any) -> Any:
    # JSON integers arrive as int; floats are parsed to Decimal. Booleans are ints in Python: refuse them.
    if isinstance(value, OversizedNumber):
        raise ValueError(
            f"must be a number from {MIN_PRICE} to {MAX_PRICE} (this one has {value.length} characters)"
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def _price_rules(value: Decimal) -> Decimal:
    # Checked in this order, each with pydantic's error type, so a client sees one clear message per price.
    if not value >= MIN_PRICE:
        raise PydanticKnownError("greater_than_equal", {"ge": str(MIN_PRICE)})
    if not value <= MAX_PRICE:
        raise PydanticKnownError("less_than_equal", {"le": str(MAX_PRICE)})
    if not value.is_finite():
        raise PydanticKnownError("finite_number")
    if value.quantize(_CENT) != value:
        raise PydanticKnownError("decimal_max_places", {"decimal_places": PRICE_DECIMAL_PLACES})
    return value.quantize(_CENT)


def _text(min_length: int, max_length: int, check: Any) -> cs.CoreSchema:
    """A string trimmed of surrounding white space, then length-checked, then checked by `check`."""
    trimmed = cs.str_schema(strip_whitespace=True, min_length=min_length, max_length=max_length)
    return cs.no_info_after_validator_function(check, trimmed)


NAME = _text(MIN_NAME_LENGTH, MAX_NAME_LENGTH, _product_name)
DESCRIPTION = _text(10, 500, _multiline_text)
PERIOD = _text(5, 100, _plain_text)
FEATURE = _text(5, 200, _plain_text)
FEATURES = cs.list_schema(FEATURE, max_length=MAX_FEATURES)
CURRENCY = cs.no_info_after_validator_function(_currency_code, cs.str_schema())
PRICE = cs.no_info_after_validator_function(
    _price_rules, cs.no_info_before_validator_function(_exact_number, cs.decimal_schema())
)
_STRICT = cs.CoreConfig(strict=True)


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, for the validator cache
class BodySchema:
    """A request body's fields (a typed dict that forbids other keys), validated strictly."""

    title: str
    fields: dict[str, cs.TypedDictField]

    @property
    def schema(self) -> cs.TypedDictSchema:
        return cs.typed_dict_schema(self.fields, extra_behavior="forbid", config=_STRICT, ref=self.title)

    def validate(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body's fields after validation (only those sent, plus defaults); raises pydantic_core's ValidationError."""
        result: dict[str, Any] = _validator(self).validate_python(body)
        return result


@functools.cache
def _validator(body: BodySchema) -> SchemaValidator:
    return SchemaValidator(body.schema, _STRICT)


def _required(schema: cs.CoreSchema) -> cs.TypedDictField:
    return cs.typed_dict_field(schema, required=True)


def _optional(schema: cs.CoreSchema) -> cs.TypedDictField:
    return cs.typed_dict_field(schema, required=False)


ProductCreate = BodySchema(
    "ProductCreate",
    {
        "name": _required(NAME),
        "description": _required(DESCRIPTION),
        "price": _required(PRICE),
        "period": _required(PERIOD),
        "currency": _optional(cs.with_default_schema(CURRENCY, default=DEFAULT_CURRENCY)),
        "features": _optional(cs.with_default_schema(FEATURES, default_factory=list)),
    },
)
ProductUpdate = BodySchema(
    "ProductUpdate",
    {
        "name": _optional(NAME),
        "description": _optional(DESCRIPTION),
        "price": _optional(PRICE),
        "period": _optional(PERIOD),
        "currency": _optional(CURRENCY),
        "features": _optional(FEATURES),
        "active": _optional(cs.bool_schema()),
    },
)
