"""openapi.yaml and the request body schemas state the same field rules (the schemas are the source)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jsonschema
import jsonschema_rs
import openapi_schema_validator
import pytest
from openapi_spec_validator import validate

from exceptions.product_exceptions import ApiError
from models.product import (
    MAX_MARKS_PER_LETTER,
    MAX_NAME_LENGTH,
    MAX_PRICE,
    MIN_NAME_LENGTH,
    MIN_PRICE,
    PRICE_DECIMAL_PLACES,
    BodySchema,
    ProductCreate,
    ProductUpdate,
    is_invisible,
    is_name_letter,
    is_name_mark,
    is_name_other,
)
from models.record import MAX_NAME_KEY_BYTES
from openapi_contract import _resolve, spec
from repositories.page_token import MAX_TOKEN_LENGTH
from models.currencies import ACTIVE_CURRENCIES
from validators.product_validator import parse_changes, parse_new_product

MODELS = {"ProductCreate": ProductCreate, "ProductUpdate": ProductUpdate}
TEXT_FIELDS = ("name", "description", "period")
SURROUNDING = (" ", "\t", "\n", "\u00a0", "\u3000", "\u2028")


def doc_schema(name: str) -> dict[str, Any]:
    return dict(_resolve(spec()["components"]["schemas"][name]))


def doc_validator(name: str) -> Any:
    return jsonschema_rs.Draft4Validator(doc_schema(name))


def constraint(schema: Any, attribute: str) -> Any:
    """The first value of `attribute` in a pydantic-core schema, looking through its wrappers (depth first)."""
    if isinstance(schema, dict):
        if attribute in schema:
            return schema[attribute]
        for key in ("schema", "items_schema"):
            found = constraint(schema.get(key), attribute)
            if found is not None:
                return found
    return None


def string_limits(model: BodySchema, field: str) -> tuple[int, int]:
    schema = model.fields[field]["schema"]
    return constraint(schema, "min_length"), constraint(schema, "max_length")


def feature_limits() -> tuple[int, int, int]:
    """(items max, item min length, item max length) of `features`."""
    features = ProductCreate.fields["features"]["schema"]["schema"]  # inside the default
    item = features["items_schema"]
    return features["max_length"], constraint(item, "min_length"), constraint(item, "max_length")


def model_accepts(model: BodySchema, body: dict[str, Any]) -> bool:
    """Whether the API's body validation (the model behind parse_new_product/parse_changes) takes `body`."""
    parse = parse_changes if model is ProductUpdate else parse_new_product
    try:
        parse(body)
    except ApiError:
        return False
    return True


def test_openapi_document_is_valid_openapi_3_0() -> None:
    assert spec()["openapi"].startswith("3.0.")
    validate(spec())


@pytest.mark.parametrize("schema_name", MODELS)
def test_request_schema_has_the_models_fields_and_forbids_others(schema_name: str) -> None:
    model = MODELS[schema_name]
    schema = doc_schema(schema_name)
    assert set(schema["properties"]) == set(model.fields)
    assert schema["additionalProperties"] is False
    assert model.schema["extra_behavior"] == "forbid"


@pytest.mark.parametrize("schema_name", MODELS)
def test_request_schema_requires_what_the_model_requires(schema_name: str) -> None:
    model = MODELS[schema_name]
    required = {name for name, field in model.fields.items() if field.get("required")}
    assert set(doc_schema(schema_name).get("required", [])) == required


def test_create_defaults_match_the_model() -> None:
    properties = doc_schema("ProductCreate")["properties"]
    assert properties["currency"]["default"] == ProductCreate.fields["currency"]["schema"]["default"]
    assert (
        properties["features"]["default"] == ProductCreate.fields["features"]["schema"]["default_factory"]()
    )


def test_price_bounds_and_decimal_places_match_the_model() -> None:
    # The probes of test_price_schema_accepts_exactly_what_the_model_accepts show the rules enforce these.
    price = doc_schema("Price")
    assert Decimal(str(price["minimum"])) == MIN_PRICE
    assert Decimal(str(price["maximum"])) == MAX_PRICE
    assert price["x-decimal-places"] == PRICE_DECIMAL_PLACES
    assert "multipleOf" not in price, "multipleOf: 0.01 makes binary-float validators refuse 19.99"


def doc_accepts_price(price: Any) -> bool:
    """The document's Price: its JSON Schema, and the decimal places it states in `x-decimal-places`."""
    schema = doc_schema("Price")
    exponent = Decimal(str(price)).as_tuple().exponent if isinstance(price, (int, float)) else 0
    places = -exponent if isinstance(exponent, int) else 0  # infinity has no places; the bounds refuse it
    return bool(doc_validator("Price").is_valid(price)) and places <= schema["x-decimal-places"]


REAL_PRICES = [19.99, 0.07, 0.29, 1.15, 0.57, 100.1, 999999.99, 0.01, 95, 4.35]


@pytest.mark.parametrize(
    "validator_class",
    [jsonschema.Draft4Validator, openapi_schema_validator.OAS30Validator, jsonschema_rs.Draft4Validator],
    ids=["python-jsonschema", "openapi-schema-validator", "jsonschema-rs"],
)
def test_validators_of_the_document_accept_every_real_price(validator_class: Any) -> None:
    validator = validator_class(doc_schema("Price"))
    assert [price for price in REAL_PRICES if not validator.is_valid(price)] == []


def test_currency_enum_is_the_models_currency_set() -> None:
    assert set(doc_schema("Currency")["enum"]) == set(ACTIVE_CURRENCIES)


def test_features_item_count_matches_the_model() -> None:
    max_items, _, _ = feature_limits()
    assert doc_schema("ProductFeatures")["maxItems"] == max_items


def test_update_needs_at_least_one_field() -> None:
    assert doc_schema("ProductUpdate")["minProperties"] == 1


def _length_probes(minimum: int, maximum: int) -> list[str]:
    probes = []
    for length in (minimum - 1, minimum, maximum, maximum + 1):
        core = "Ab" * (length // 2) + "A" * (length % 2)
        probes += [
            core,
            *(pad + core + pad for pad in SURROUNDING),
            core[:1] + " " * max(length - 2, 0) + core[-1:],
        ]
    return [p for p in probes if p]


def _text_probes(minimum: int, maximum: int) -> list[str]:
    filler = "x" * minimum
    odd = [
        "\x00",
        "\x1c",
        "\x7f",
        "\x85",
        "\t",
        "\r\n",
        "\u200b",
        "\ufeff",
        "\u00e9",
        "\U0001d400",
        "\U0001f600",
    ]
    return (
        _length_probes(minimum, maximum)
        + [f"{filler}{ch}{filler}" for ch in odd]
        + [ch + filler for ch in odd]
    )


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_text_field_schema_accepts_exactly_what_the_model_accepts(field: str) -> None:
    minimum, maximum = string_limits(ProductCreate, field)
    validator = doc_validator("ProductUpdate")
    disagreements = [
        (probe, model_accepts(ProductUpdate, {field: probe}))
        for probe in _text_probes(minimum, maximum)
        if validator.is_valid({field: probe}) != model_accepts(ProductUpdate, {field: probe})
    ]
    assert disagreements == [], f"{field}: (value, model accepts) where openapi.yaml disagrees"


def test_feature_schema_accepts_exactly_what_the_model_accepts() -> None:
    max_items, minimum, maximum = feature_limits()
    validator = doc_validator("ProductUpdate")
    bodies = [{"features": [probe]} for probe in _text_probes(minimum, maximum)]
    bodies += [{"features": ["Feature"] * count} for count in (0, max_items, max_items + 1)]
    disagreements = [
        body for body in bodies if validator.is_valid(body) != model_accepts(ProductUpdate, body)
    ]
    assert disagreements == []


# What pydantic trims (Unicode White_Space), as the name pattern states it around the name.
WHITE_SPACE = r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"


def character_class(accepts: Any) -> str:
    """The ECMA-262 class body of the Basic Multilingual Plane characters `accepts` takes and that are visible:
    ranges of code points, ASCII punctuation one by one (easier to read)."""

    def one(code: int) -> str:
        ch = chr(code)
        return ("\\" + ch if ch in "-\\]^" else ch) if 0x20 <= code < 0x7F else f"\\u{code:04X}"

    def punctuation(code: int) -> bool:
        return 0x20 <= code < 0x7F and not chr(code).isalnum()

    ranges: list[list[int]] = []
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF or is_invisible(chr(code)) or not accepts(chr(code)):
            continue
        if ranges and ranges[-1][1] == code - 1 and not punctuation(code) and not punctuation(code - 1):
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        one(low) + ("" if high == low else ("" if high == low + 1 else "-") + one(high))
        for low, high in ranges
    )


def name_pattern() -> str:
    """The name rules as one pattern: trimmed, MIN..MAX characters, each combining mark after a letter and at
    most MAX_MARKS_PER_LETTER of them in a row. The length is a lookahead over the characters up to the trailing
    white space (a name contains no white space but the space)."""
    space = f"[{WHITE_SPACE}]*"
    inner_space = WHITE_SPACE.replace("\\u0020", "")
    return (
        f"^{space}(?![ ])(?=[^{inner_space}]{{{MIN_NAME_LENGTH},{MAX_NAME_LENGTH}}}(?<![ ]){space}$)"
        f"(?:[{character_class(is_name_letter)}][{character_class(is_name_mark)}]{{0,{MAX_MARKS_PER_LETTER}}}"
        f"|[{character_class(is_name_other)}])+{space}$"
    )


def test_the_name_pattern_is_the_one_built_from_the_models_character_rules() -> None:
    # On a failure (a new rule, or a Python with a newer Unicode), put name_pattern() into openapi.yaml.
    assert doc_schema("ProductName")["pattern"] == name_pattern()


def test_the_name_description_states_the_limits_the_pattern_cannot() -> None:
    words = " ".join(doc_schema("ProductName")["description"].split())
    assert f"at most {MAX_MARKS_PER_LETTER} combining marks" in words
    assert f"at most {MAX_NAME_KEY_BYTES} bytes of UTF-8" in words
    assert (
        f"{MIN_NAME_LENGTH}-{MAX_NAME_LENGTH} characters after trimming, both as sent and as stored" in words
    )


@pytest.mark.parametrize(
    "context",
    [
        "Ab{}cd",  # after a letter
        "Ab\u0301{}cd",  # after a letter's mark
        "Ab\u0301\u0302\u0303\u0304{}cd",  # after a letter's last allowed mark
        "{}Abcd",  # first
        "A1{}cd",  # after a digit
        "A {}cd",  # after a space
        "A-{}cd",  # after punctuation
    ],
)
def test_name_characters_match_the_model_for_every_basic_plane_character_and_astral_samples(
    context: str,
) -> None:
    validator = doc_validator("ProductUpdate")
    characters = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    characters += ["\U00010000", "\U0001d400", "\U00020000", "\U0001f600", "\U0001d7ce", "\U000e0100"]
    disagreements = [
        f"U+{ord(ch):04X}"
        for ch in characters
        if validator.is_valid({"name": context.format(ch)})
        != model_accepts(ProductUpdate, {"name": context.format(ch)})
    ]
    assert disagreements == [], f"name characters where openapi.yaml and the model disagree in {context!r}"


@pytest.mark.parametrize(
    "price",
    [
        0,
        0.001,
        0.01,
        0.07,
        0.29,
        0.57,
        1,
        1.15,
        19.99,
        100.1,
        123456.78,
        999999.99,
        1000000,
        999999.991,
        -1,
        1e400,
    ],
)
def test_price_schema_accepts_exactly_what_the_model_accepts(price: float) -> None:
    raw = Decimal(str(price)) if isinstance(price, float) else price
    assert doc_accepts_price(price) == model_accepts(ProductUpdate, {"price": raw})


@pytest.mark.parametrize("value", [True, "95.00", None, "NaN"])
def test_price_schema_and_model_refuse_non_numbers(value: Any) -> None:
    assert not doc_validator("Price").is_valid(value)
    assert not model_accepts(ProductUpdate, {"price": value})


def test_next_token_length_limit_is_the_token_formats() -> None:
    assert spec()["components"]["parameters"]["NextToken"]["schema"]["maxLength"] == MAX_TOKEN_LENGTH
