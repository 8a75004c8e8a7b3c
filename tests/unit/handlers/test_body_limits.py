"""The body limit admits every valid product in any script and escaping; encoded bodies are 415 (issue 15, 5)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from exceptions.product_exceptions import ApiError
from handlers import create_product, update_product
from samples import LONGEST, escaped, product_body, to_json, worst_case_body
from validators.product_validator import parse_changes
from validators.request_validator import MAX_BODY_BYTES, json_object_body

Event = Callable[..., dict[str, Any]]
ROOT = Path(__file__).resolve().parents[3]
# One character of each UTF-8 length, and astral letters and symbols (a surrogate pair when escaped).
CANDIDATES = ("a", "\u00e9", "\u4e00", "\U0001d400", "\U00020000", "\U0001f600")


def accepted(body: dict[str, Any]) -> bool:
    try:
        parse_changes(body)
    except ApiError:
        return False
    return True


def widest(field: str, length: int) -> str:
    """The accepted character whose longest escape is longest, for a value of `length` of it in `field`."""
    sample = (lambda ch: [ch * length]) if field == "features" else (lambda ch: ch * length)
    fitting = [ch for ch in CANDIDATES if accepted({field: sample(ch)})]
    return max(fitting, key=lambda ch: len(escaped(ch)))


def worst_case(active: bool = False) -> bytes:
    return worst_case_body(
        widest("name", LONGEST["name"]), widest("description", LONGEST["description"]), active
    )


def raw_event(make_event: Event, method: str, body: bytes, **kwargs: Any) -> dict[str, Any]:
    return make_event(method, body=body.decode(), **kwargs)


def test_the_worst_case_body_holds_every_field_at_its_longest() -> None:
    fields = json_object_body("application/json", None, worst_case(active=True))
    assert accepted(fields)
    longer = {
        "name": fields["name"] + fields["name"][0],
        "description": fields["description"] + fields["description"][0],
        "period": fields["period"] + fields["period"][0],
        "features": [fields["features"][0] + fields["features"][0][0]],
    }
    refused = [name for name, value in longer.items() if not accepted({name: value})]
    assert refused == list(longer), "a field allows more characters than worst_case_body() writes"
    assert not accepted({"features": fields["features"] * 2}), "more features are allowed than it writes"


def test_the_worst_case_body_is_escaped_as_long_as_json_allows() -> None:
    assert widest("description", 10) in ("\U0001d400", "\U00020000", "\U0001f600")
    assert len(worst_case()) > 56_000


@pytest.mark.parametrize("document", ["docs/API.md", "openapi.yaml"])
def test_the_documents_state_the_worst_case_and_the_limit(document: str) -> None:
    text = " ".join((ROOT / document).read_text(encoding="utf-8").split())
    size = len(worst_case(active=True))
    assert f"{MAX_BODY_BYTES:,} bytes" in text
    assert f"is {size:,} bytes" in text and f"{MAX_BODY_BYTES - size:,} bytes for white space" in text


def test_a_create_of_the_worst_case_product_is_201(make_event: Event) -> None:
    response = create_product.handler(raw_event(make_event, "POST", worst_case()), None)
    assert response["statusCode"] == 201, response["body"][:300]


def test_an_update_of_the_worst_case_product_is_200(make_event: Event) -> None:
    created = json.loads(create_product.handler(make_event("POST", body=product_body()), None)["body"])
    event = raw_event(
        make_event,
        "PUT",
        worst_case(active=True),
        path_parameters={"productId": created["product"]["productId"]},
    )
    response = update_product.handler(event, None)
    assert response["statusCode"] == 200, response["body"][:300]


def test_the_worst_case_body_pretty_printed_still_fits() -> None:
    pretty = json.dumps(json.loads(worst_case(active=True)), indent=4, ensure_ascii=True)
    assert len(pretty.encode()) + LONGEST["features"] * 8 <= MAX_BODY_BYTES


def test_a_body_one_byte_over_the_limit_is_413(make_event: Event) -> None:
    body = to_json(product_body(description="x" * 100 + " " * MAX_BODY_BYTES))
    padded = body[: MAX_BODY_BYTES + 1]
    response = create_product.handler(
        make_event("POST", body=padded + " " * (MAX_BODY_BYTES + 1 - len(padded))), None
    )
    assert response["statusCode"] == 413
    assert str(MAX_BODY_BYTES) in json.loads(response["body"])["message"]


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "GZIP", "identity, gzip", "x-unknown"])
def test_a_content_encoding_other_than_identity_is_415_naming_it(make_event: Event, encoding: str) -> None:
    body = gzip.compress(to_json(product_body()).encode()).hex()  # never read: the encoding is refused first
    event = make_event("POST", body=body, headers={"Content-Encoding": encoding})
    response = create_product.handler(event, None)
    assert response["statusCode"] == 415, response["body"]
    named = [coding.strip() for coding in encoding.split(",") if coding.strip().lower() != "identity"]
    assert named[0] in json.loads(response["body"])["message"]
    assert response["headers"]["Accept-Encoding"] == "identity"


@pytest.mark.parametrize("encoding", ["identity", "Identity", " identity ", ""])
def test_identity_content_encoding_is_read_as_is(make_event: Event, encoding: str) -> None:
    event = make_event("POST", body=product_body(), headers={"Content-Encoding": encoding})
    assert create_product.handler(event, None)["statusCode"] == 201


def test_an_update_with_an_encoded_body_is_415(make_event: Event) -> None:
    created = json.loads(create_product.handler(make_event("POST", body=product_body()), None)["body"])
    event = make_event(
        "PUT",
        body={"price": 99},
        path_parameters={"productId": created["product"]["productId"]},
        headers={"Content-Encoding": "gzip"},
    )
    assert update_product.handler(event, None)["statusCode"] == 415
