"""Product bodies: pydantic validation plus the contract's messages (imported only by write functions)."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails, ValidationError

from exceptions.product_exceptions import FieldError, InvalidRequest, ValidationFailed
from models.product import MAX_PRICE, MIN_PRICE, BodySchema, ProductCreate, ProductUpdate
from models.commands import ProductChanges, ProductDraft

SERVER_FIELDS = ("productId", "createdAt", "updatedAt", "lastUpdatedBy", "version")

_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "list_type": "must be an array of strings",
    "is_instance_of": "must be a number",
    "decimal_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_too_short": "must be at least {min_length} characters after trimming",
    "string_too_long": "must be at most {max_length} characters after trimming",
    "too_long": "must have at most {max_length} items",
    "greater_than_equal": f"must be at least {MIN_PRICE}",
    "less_than_equal": f"must be at most {MAX_PRICE}",
    "decimal_max_places": "must have at most {decimal_places} decimal places",
    "extra_forbidden": "is not a field of a product",
}
_UNEXPECTED = "is not a valid value for this field; see the API documentation for its rules"


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(error: ErrorDetails, server_fields: tuple[str, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden" and error["loc"][0] in server_fields:
        return "is set by the server and cannot be sent"
    if kind == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])  # the message of one of our own field rules
    template = _MESSAGES.get(kind, _UNEXPECTED)
    # Our own words only: pydantic's text names its types and links its documentation.
    return template.format(**error.get("ctx", {}))


def _validate(model: BodySchema, body: dict[str, Any], server_fields: tuple[str, ...]) -> dict[str, Any]:
    nulls = [FieldError(key, "must not be null") for key, value in body.items() if value is None]
    if nulls:
        raise ValidationFailed(tuple(nulls))
    try:
        return model.validate(body)
    except ValidationError as error:
        details: dict[str, FieldError] = {}
        for item in error.errors():
            path = _field_path(item["loc"])
            details.setdefault(path, FieldError(path, _message(item, server_fields)))
        raise ValidationFailed(tuple(details.values())) from None


def parse_new_product(body: dict[str, Any]) -> ProductDraft:
    """Validate a create body; `active` and server fields are refused."""
    fields = _validate(ProductCreate, body, SERVER_FIELDS + ("active",))
    return ProductDraft(
        name=fields["name"],
        description=fields["description"],
        price=fields["price"],
        period=fields["period"],
        currency=fields["currency"],
        features=tuple(fields["features"]),
    )


def parse_changes(body: dict[str, Any]) -> ProductChanges:
    """Validate an update body; only the fields sent are set."""
    if not body:
        raise InvalidRequest('Send at least one field to change, such as {"price": 99.0}.')
    changes = _validate(ProductUpdate, body, SERVER_FIELDS)
    features = changes.get("features")
    return ProductChanges(
        name=changes.get("name"),
        description=changes.get("description"),
        price=changes.get("price"),
        currency=changes.get("currency"),
        period=changes.get("period"),
        features=None if features is None else tuple(features),
        active=changes.get("active"),
    )
