"""Check HTTP responses against openapi.yaml: the status, headers and JSON body each operation documents.

    validate_response("GET", "http://127.0.0.1:3000/v1.0/products?limit=2", 200, headers, body)

raises AssertionError naming the operation and every mismatch. The document is parsed once per process and
each schema compiled once (jsonschema-rs, the engine schemathesis uses, so both read patterns alike).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import yaml

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def spec() -> dict[str, Any]:
    """openapi.yaml as parsed YAML (references left as they are)."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


def _resolve(node: Any, seen: tuple[str, ...] = ()) -> Any:
    """`node` with every local `$ref` replaced by its target (the document has no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/") and ref not in seen, f"unsupported or recursive $ref {ref}"
            target: Any = spec()
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve(target, seen + (ref,))
        return {key: _resolve(value, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, seen) for item in node]
    return node


@functools.cache
def _paths() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(regex, template) per documented path; a stage prefix such as /dev may precede the template."""
    compiled = []
    for template in spec()["paths"]:
        body = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        compiled.append((re.compile(rf"(?:/[^/]+)?{body}/?"), template))
    return tuple(compiled)


@functools.cache
def _operation(template: str, method: str) -> dict[str, Any] | None:
    operation = spec()["paths"][template].get(method)
    return _resolve(operation) if operation is not None else None


@functools.cache
def _validator(template: str, method: str, status: str, kind: str, name: str) -> Any:
    """A compiled validator for a response body (`kind` "body") or a header (`kind` "header", `name`)."""
    operation = _operation(template, method)
    assert operation is not None
    response = operation["responses"][status]
    if kind == "body":
        schema = response["content"]["application/json"]["schema"]
    else:
        schema = response["headers"][name]["schema"]
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


@functools.cache
def _error_validator() -> Any:
    return jsonschema_rs.Draft4Validator(
        _resolve(spec()["components"]["schemas"]["Error"]), validate_formats=True
    )


def _schema_errors(validator: Any, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.instance_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def _json_body(body: bytes, problems: list[str]) -> Any:
    try:
        return json.loads(body)
    except ValueError as error:
        problems.append(f"body is not JSON ({error}): {body[:200]!r}")
        return None


def _check_error_envelope(headers: Mapping[str, str], body: bytes, problems: list[str]) -> None:
    if not headers.get("content-type", "").startswith("application/json"):
        problems.append(f"Content-Type is {headers.get('content-type')!r}, expected application/json")
    document = _json_body(body, problems)
    if document is not None:
        problems.extend(_schema_errors(_error_validator(), document))


def _check_undocumented_route(
    template: str | None, method: str, status: int, headers: Mapping[str, str], body: bytes
) -> list[str]:
    """Unknown path: 404; known path, undocumented method: 405 with Allow. Both in the error envelope."""
    problems: list[str] = []
    expected = 404 if template is None else 405
    if status != expected:
        problems.append(f"expected {expected}, got {status}")
    if template is not None:
        documented = {m.upper() for m in spec()["paths"][template] if m in METHODS}
        allow = {m.strip().upper() for m in headers.get("allow", "").split(",") if m.strip()}
        if allow != documented:
            problems.append(
                f"Allow is {headers.get('allow')!r}, expected the documented {sorted(documented)}"
            )
    _check_error_envelope(headers, body, problems)
    return problems


def _check_operation(
    template: str, method: str, status: int, headers: Mapping[str, str], body: bytes
) -> list[str]:
    operation = _operation(template, method)
    assert operation is not None
    responses = operation["responses"]
    key = str(status)
    if key not in responses:
        return [f"status {status} is not documented (documented: {', '.join(sorted(responses))})"]
    response = responses[key]
    problems: list[str] = []
    for name, header in response.get("headers", {}).items():
        value = headers.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append(f"required header {name} is missing")
            continue
        for error in _schema_errors(_validator(template, method, key, "header", name), value):
            problems.append(f"header {name}: {value!r}: {error}")
    if "content" not in response:
        if body:
            problems.append(f"expected no body, got {body[:200]!r}")
        return problems
    content_type = headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        problems.append(f"Content-Type is {content_type!r}, expected application/json")
    document = _json_body(body, problems)
    if document is not None:
        problems.extend(_schema_errors(_validator(template, method, key, "body", ""), document))
    return problems


def validate_response(
    method: str, url_or_path: str, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    """Raise AssertionError unless the response is one openapi.yaml documents for this request."""
    path = urlsplit(url_or_path).path
    lowered = {name.lower(): value for name, value in headers.items()}
    verb = method.lower()
    template = next((t for pattern, t in _paths() if pattern.fullmatch(path)), None)
    if template is None or verb not in spec()["paths"][template]:
        label = f"{method.upper()} {path}"
        problems = _check_undocumented_route(template, verb, status, lowered, body)
    else:
        label = f"{method.upper()} {template} ({path})"
        problems = _check_operation(template, verb, status, lowered, body)
    if problems:
        listed = "\n  - ".join(problems)
        raise AssertionError(f"{label} -> {status} does not match openapi.yaml:\n  - {listed}")
