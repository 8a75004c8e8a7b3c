"""Field rules of create and update bodies, and the messages a client sees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from samples import product_body
from exceptions.product_exceptions import InvalidRequest, ValidationFailed
from models.commands import ProductChanges
from validators.product_validator import parse_changes, parse_new_product


def field_errors(error: ValidationFailed) -> dict[str, str]:
    return {detail.field: detail.message for detail in error.details}


def test_create_applies_defaults_and_trims() -> None:
    draft = parse_new_product(
        product_body(name="  Basic Plan  ", features=None) | {"features": ["  Up to 5 pages "]}
    )
    assert draft.name == "Basic Plan"
    assert draft.currency == "ZAR"
    assert draft.features == ("Up to 5 pages",)


def test_create_without_features_defaults_to_empty_list() -> None:
    body = product_body()
    del body["features"]
    assert parse_new_product(body).features == ()


@pytest.mark.parametrize(
    ("price", "expected"),
    [(5, Decimal("5.00")), (Decimal("0.01"), Decimal("0.01")), (Decimal("999999.99"), Decimal("999999.99"))],
)
def test_price_is_kept_exactly_in_cents(price: Any, expected: Decimal) -> None:
    assert parse_new_product(product_body(price=price)).price == expected


@pytest.mark.parametrize(
    "name",
    [
        "Über Paket",
        "Пакет Бизнес",
        "プレミアム プラン",
        "Plan A+B (2024) - 50% #1".replace("%", ""),
        "R&D: Web/App, Inc.",
    ],
)
def test_names_in_any_script_with_allowed_punctuation_are_accepted(name: str) -> None:
    assert parse_new_product(product_body(name=name)).name == name


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "ab"}, "name", "at least 3 characters"),
        ({"name": "   ab   "}, "name", "at least 3 characters"),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"name": "Plan <script>"}, "name", "may contain only letters"),
        ({"name": "Plan_one"}, "name", "may contain only letters"),
        ({"name": 123}, "name", "must be a string"),
        ({"description": "too short"}, "description", "at least 10 characters"),
        ({"description": "d" * 501}, "description", "at most 500 characters"),
        ({"description": "Has a tab\there inside"}, "description", "control characters"),
        ({"price": "95.50"}, "price", "must be a number"),
        ({"price": True}, "price", "must be a number"),
        ({"price": Decimal("0.00")}, "price", "at least 0.01"),
        ({"price": Decimal("1000000")}, "price", "at most 999999.99"),
        ({"price": Decimal("1.005")}, "price", "at most 2 decimal places"),
        ({"price": -1}, "price", "at least 0.01"),
        ({"currency": "ABC"}, "currency", "ISO 4217"),
        ({"currency": "usd"}, "currency", "use upper case"),
        ({"currency": 710}, "currency", "must be a string"),
        ({"period": "mon"}, "period", "at least 5 characters"),
        ({"period": "p" * 101}, "period", "at most 100 characters"),
        ({"period": "month\nly"}, "period", "control characters"),
        ({"features": "SSL"}, "features", "array of strings"),
        ({"features": ["Fine feature", "tiny"]}, "features[1]", "at least 5 characters"),
        ({"features": ["f" * 201]}, "features[0]", "at most 200 characters"),
        ({"features": [f"Feature {n}" for n in range(21)]}, "features", "at most 20 items"),
        ({"features": [7]}, "features[0]", "must be a string"),
        ({"active": True}, "active", "set by the server"),
        ({"productId": "x"}, "productId", "set by the server"),
        ({"version": 2}, "version", "set by the server"),
        ({"createdAt": "x"}, "createdAt", "set by the server"),
        ({"colour": "red"}, "colour", "not a field"),
        ({"currency": None}, "currency", "must not be null"),
    ],
)
def test_create_rejects_bad_field(overrides: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_new_product(product_body(**overrides))
    assert message in field_errors(caught.value)[field]


def test_description_may_contain_line_breaks() -> None:
    draft = parse_new_product(product_body(description="Line one\nLine two\r\nLine three"))
    assert "\n" in draft.description


def test_create_reports_every_missing_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_new_product({})
    assert set(field_errors(caught.value)) == {"name", "description", "price", "period"}
    assert all(message == "is required" for message in field_errors(caught.value).values())


def test_update_returns_only_sent_fields() -> None:
    assert parse_changes({"price": Decimal("10.5"), "active": True}) == ProductChanges(
        price=Decimal("10.50"),
        active=True,
    )


def test_update_converts_features_to_a_tuple() -> None:
    assert parse_changes({"features": ["Unlimited email"]}) == ProductChanges(features=("Unlimited email",))


def test_update_with_no_field_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="at least one field"):
        parse_changes({})


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"active": "yes"}, "active", "true or false"),
        ({"active": 1}, "active", "true or false"),
        ({"name": None}, "name", "must not be null"),
        ({"updatedAt": "2020-01-01T00:00:00Z"}, "updatedAt", "set by the server"),
        ({"lastUpdatedBy": "me"}, "lastUpdatedBy", "set by the server"),
        ({"price": 0}, "price", "at least 0.01"),
    ],
)
def test_update_rejects_bad_field(body: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_changes(body)
    assert message in field_errors(caught.value)[field]
