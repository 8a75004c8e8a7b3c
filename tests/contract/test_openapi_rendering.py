"""openapi.yaml as documentation tools render it: descriptions that stay prose, properties that show a type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from openapi_contract import spec

# A line that Markdown renderers may read as the start of a list, heading or quote inside a paragraph.
BLOCK_START = re.compile(r"\s*(?:[-*+]\s|\d+[.)](?:\s|$)|#|>)")


def descriptions(node: Any, path: str = "#") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield path, value
            else:
                yield from descriptions(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from descriptions(value, f"{path}/{index}")


def test_no_wrapped_description_line_reads_as_a_list_or_heading() -> None:
    broken = [
        f"{path}: {line.strip()[:40]!r}"
        for path, text in descriptions(spec())
        for previous, line in zip(text.splitlines(), text.splitlines()[1:])
        if previous.strip() and BLOCK_START.match(line)
    ]
    assert broken == [], "rewrap these lines or escape their first character"


@pytest.mark.parametrize("schema_name", ["ProductCreate", "ProductUpdate", "Product"])
def test_every_property_shows_a_type(schema_name: str) -> None:
    schemas = spec()["components"]["schemas"]

    def typed(schema: dict[str, Any]) -> bool:
        if "$ref" in schema:
            return typed(schemas[schema["$ref"].rsplit("/", 1)[1]])
        return "type" in schema

    properties = schemas[schema_name]["properties"]
    assert [name for name, schema in properties.items() if not typed(schema)] == []
