"""Request models: the field constraints of the contract, defined once (imported only by write functions)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from models.currencies import ACTIVE_CURRENCIES
from utils.bounded_json import OversizedNumber

NAME_PUNCTUATION = " -&'.,()+/:#"
MIN_PRICE = Decimal("0.01")
MAX_PRICE = Decimal("999999.99")
DEFAULT_CURRENCY = "ZAR"
MAX_FEATURES = 20
MIN_NAME_LENGTH = 3

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


def _name_character(ch: str) -> bool:
    # Letters and digits of the Basic Multilingual Plane: a set openapi.yaml's pattern can state in any engine.
    return ch in NAME_PUNCTUATION or (ord(ch) <= 0xFFFF and (ch.isalpha() or ch.isdigit()))


def is_invisible(ch: str) -> bool:
    """Whether a character renders as nothing (a default-ignorable code point)."""
    return any(low <= ord(ch) <= high for low, high in INVISIBLE_RANGES)


def _code_points(characters: set[str]) -> str:
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip() for ch in sorted(characters))


def _product_name(value: str) -> str:
    """A trimmed name's stored form (NFC), if every character is visible and allowed."""
    invisible = {ch for ch in value if is_invisible(ch)}
    if invisible:
        raise ValueError(f"must not contain invisible characters ({_code_points(invisible)})")
    bad = {ch for ch in value if not _name_character(ch)}
    if bad:
        shown = " ".join(repr(ch) for ch in sorted(bad))
        raise ValueError(f"may contain only letters, digits, spaces and - & ' . , ( ) + / : # (not {shown})")
    stored = unicodedata.normalize("NFC", value)
    if len(stored) < MIN_NAME_LENGTH:  # composing (Hangul jamo into syllables) can shorten a name
        raise ValueError(f"must be at least {MIN_NAME_LENGTH} characters after trimming")
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


def _to_cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _trimmed(min_length: int, max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[str, _trimmed(MIN_NAME_LENGTH, 100), AfterValidator(_product_name)]
Description = Annotated[str, _trimmed(10, 500), AfterValidator(_multiline_text)]
Price = Annotated[
    Decimal,
    BeforeValidator(_exact_number),
    Field(ge=MIN_PRICE, le=MAX_PRICE, decimal_places=2, allow_inf_nan=False),
    AfterValidator(_to_cents),
]
Currency = Annotated[str, AfterValidator(_currency_code)]
Period = Annotated[str, _trimmed(5, 100), AfterValidator(_plain_text)]
Feature = Annotated[str, _trimmed(5, 200), AfterValidator(_plain_text)]
Features = Annotated[list[Feature], Field(max_length=MAX_FEATURES)]

_STRICT = ConfigDict(extra="forbid", strict=True)


class ProductCreate(BaseModel):
    """Body of POST /v1.0/products."""

    model_config = _STRICT

    name: Name
    description: Description
    price: Price
    period: Period
    currency: Currency = DEFAULT_CURRENCY
    features: Features = Field(default_factory=list)


class ProductUpdate(BaseModel):
    """Body of PUT /v1.0/products/{productId}: any client field, at least one."""

    model_config = _STRICT

    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    period: Period | None = None
    currency: Currency | None = None
    features: Features | None = None
    active: bool | None = None
