"""API Gateway's own answers, rendered offline: the MOCK 404/405/preflight integrations and the gateway responses.

moto stores these templates but never runs them, so they are rendered here the way API Gateway would: the
Terraform template files (`terraform/templates/`, `terraform/infrastructure/templates/`, the files the stacks read
with file() and templatefile()) filled in as Terraform fills them, then run through a Velocity engine (airspeed)
with a realistic `$context`, `$input` and `$util`. Each answer must be the error envelope with CORS headers for
allowed origins and X-Request-Id, as docs/API.md and openapi.yaml document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import airspeed
import pytest

from utils.response_builder import cors_headers

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_STACK = ROOT / "terraform"
INFRASTRUCTURE_STACK = ROOT / "terraform" / "infrastructure"
REQUEST_ID = "c0ffee00-1111-4222-8333-444455556666"
ADMIN = "https://admin.example.com"
ENVELOPE = {"error", "message", "requestId"}
CORS: dict[str, list[str]] = json.loads((ROOT / "src" / "utils" / "cors.json").read_text())

# Terraform's template syntax as far as these files may use it: ${name} of a string variable, and the escapes.
_TERRAFORM_SYNTAX = re.compile(r"(\$\$\{|%%\{)|\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}|(\$\{|%\{)")
# Velocity 1.7 (API Gateway's engine) allows hyphens in identifiers (header names); airspeed does not.
_VELOCITY_17_PLACE = re.compile(r"\s*\$([a-z_][a-z0-9_-]*(?:\.[a-z_][a-z0-9_-]*)*)", re.S | re.I)


def terraform_template(path: Path, /, **variables: str) -> str:
    """The file as Terraform's templatefile() renders it with these string variables."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)[1:]
        if match.group(2):
            return variables[match.group(2)]
        raise AssertionError(f"{path.name} uses template syntax this test does not render: {match.group(0)}")

    return _TERRAFORM_SYNTAX.sub(substitute, path.read_text())


def escape_javascript(value: str) -> str:
    """$util.escapeJavaScript: Java's JavaScript string rules (quotes, backslash, slash, controls, non-ASCII)."""
    named = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\n": "\\n", "\t": "\\t"}
    named.update({"\f": "\\f", "\r": "\\r"})
    return "".join(named.get(ch) or (ch if " " <= ch <= "~" else f"\\u{ord(ch):04X}") for ch in value)


class Util:
    def escapeJavaScript(self, value: str) -> str:  # noqa: N802 (API Gateway's name)
        return escape_javascript(value)


class Input:
    """$input for a request with these headers, path and query parameters."""

    def __init__(self, headers: dict[str, str], path: dict[str, str]) -> None:
        self._parameters = {"header": headers, "path": path, "querystring": {}}

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._parameters
        return next((where[name] for where in self._parameters.values() if name in where), "")


def request_context(**error: str) -> dict[str, Any]:
    """$context as API Gateway fills it for a request it answers itself."""
    return {
        "requestId": REQUEST_ID,
        "extendedRequestId": "Ab1CdEfGhIjKlMn=",
        "httpMethod": "PATCH",
        "resourcePath": "/v1.0/products",
        "stage": "dev",
        "identity": {"sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0", "caller": None},
        "error": error,
        "responseOverride": {"header": {}, "status": None},
    }


@pytest.fixture(autouse=True)
def velocity_17_identifiers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(airspeed.SetDirective, "PLACE", _VELOCITY_17_PLACE)
    yield


def velocity(template: str, context: dict[str, Any], request_input: Input) -> str:
    rendered: str = airspeed.Template(template).merge(
        {"context": context, "input": request_input, "util": Util()}
    )
    return rendered


def header_values(mapping: dict[str, str], context: dict[str, Any]) -> dict[str, str]:
    """Resolve API Gateway header mapping expressions: 'static' or context.<path>."""
    resolved = {}
    for name, expression in mapping.items():
        if expression.startswith("'") and expression.endswith("'"):
            resolved[name] = expression[1:-1]
        else:
            source, *path = expression.split(".")
            assert source == "context", f"{name}: unexpected mapping {expression}"
            value: Any = context
            for part in path:
                value = value[part]
            resolved[name] = str(value)
    return resolved


def mock_answer(
    body_template: str, allowed_origins: list[str], headers: dict[str, str], path: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """A MOCK integration response as the Lambda stack builds it: the CORS prologue, then the body."""
    prologue = terraform_template(
        LAMBDA_STACK / "templates" / "cors_origin.vm", allowed_origins=json.dumps(allowed_origins)
    )
    context = request_context()
    body = velocity(prologue + body_template, context, Input(headers, path))
    static = json.loads((LAMBDA_STACK / "templates" / "mock_headers.json").read_text())
    return body, {**header_values(static, context), **context["responseOverride"]["header"]}


def not_found_template(resource_path: str) -> str:
    path = resource_path.replace("{proxy+}", "$input.params('proxy')")
    return terraform_template(LAMBDA_STACK / "templates" / "not_found.vm", path=path).rstrip("\n")


@pytest.mark.parametrize(
    ("stack", "template"),
    [
        (LAMBDA_STACK, "cors_origin.vm"),
        (LAMBDA_STACK, "method_not_allowed.vm"),
        (LAMBDA_STACK, "not_found.vm"),
        (LAMBDA_STACK, "mock_headers.json"),
        (INFRASTRUCTURE_STACK, "gateway_response.json"),
        (INFRASTRUCTURE_STACK, "gateway_response_headers.json"),
        (INFRASTRUCTURE_STACK, "gateway_responses.json"),
    ],
)
def test_each_template_file_is_the_one_its_terraform_stack_reads(stack: Path, template: str) -> None:
    sources = "".join(path.read_text() for path in stack.glob("*.tf"))
    assert re.search(
        rf'(?:templatefile|file)\("\$\{{path\.module\}}/templates/{re.escape(template)}"', sources
    )


@pytest.mark.parametrize("stack", [LAMBDA_STACK, INFRASTRUCTURE_STACK])
def test_no_velocity_is_left_inline_in_the_terraform_sources(stack: Path) -> None:
    for path in stack.glob("*.tf"):
        assert not re.search(r"#(?:set|if|foreach)\s*\(", path.read_text()), path.name


@pytest.mark.parametrize(
    ("resource_path", "proxy", "expected_path"),
    [
        ("/", "", "/"),
        ("/v1.0", "", "/v1.0"),
        ("/{proxy+}", "v2/things", "/v2/things"),
        ("/{proxy+}", 'it\'s/"quoted"\\back', '/it\'s/"quoted"\\back'),
        ("/{proxy+}", "caf\u00e9/\u65e5\u672c", "/caf\u00e9/\u65e5\u672c"),
        ("/{proxy+}", "line\nbreak\ttab", "/line\nbreak\ttab"),
    ],
    ids=["root", "version", "unknown", "quotes-and-backslash", "non-ascii", "controls"],
)
def test_not_found_answer_is_the_error_envelope_naming_the_path(
    resource_path: str, proxy: str, expected_path: str
) -> None:
    body, headers = mock_answer(
        not_found_template(resource_path), [ADMIN], {"Origin": ADMIN}, {"proxy": proxy}
    )
    assert json.loads(body) == {
        "error": "Not Found",
        "message": f"No resource at {expected_path}; the API serves /v1.0/products.",
        "requestId": REQUEST_ID,
    }
    assert headers["X-Request-Id"] == REQUEST_ID
    assert headers["Access-Control-Allow-Origin"] == ADMIN
    assert headers["Vary"] == "Origin"


@pytest.mark.parametrize("methods", ["GET,POST,OPTIONS", "DELETE,GET,PUT,OPTIONS"])
def test_method_not_allowed_answer_is_the_error_envelope_listing_the_methods(methods: str) -> None:
    template = terraform_template(LAMBDA_STACK / "templates" / "method_not_allowed.vm", methods=methods)
    body, headers = mock_answer(template.rstrip("\n"), ["*"], {}, {})
    assert json.loads(body) == {
        "error": "Method Not Allowed",
        "message": f"This resource answers {methods} only.",
        "requestId": REQUEST_ID,
    }
    assert headers["X-Request-Id"] == REQUEST_ID
    assert headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("allowed", "request_headers", "allow_origin"),
    [
        (["*"], {"Origin": "https://anyone.example"}, "*"),
        (["*"], {}, "*"),
        ([ADMIN, "https://www.example.com"], {"Origin": ADMIN}, ADMIN),
        ([ADMIN], {"origin": ADMIN}, ADMIN),
        ([ADMIN], {"Origin": "https://evil.example"}, None),
        ([ADMIN], {}, None),
    ],
    ids=["star", "star-no-origin", "listed", "lower-case-header", "unlisted", "no-origin"],
)
def test_preflight_is_empty_and_allows_only_configured_origins(
    allowed: list[str], request_headers: dict[str, str], allow_origin: str | None
) -> None:
    body, headers = mock_answer("", allowed, request_headers, {})
    assert body.strip() == ""
    assert headers.get("Access-Control-Allow-Origin") == allow_origin
    assert headers["X-Request-Id"] == REQUEST_ID


GATEWAY_RESPONSES: dict[str, dict[str, Any]] = json.loads(
    (INFRASTRUCTURE_STACK / "templates" / "gateway_responses.json").read_text()
)


@pytest.mark.parametrize("response_type", sorted(GATEWAY_RESPONSES))
def test_gateway_response_is_the_error_envelope_with_cors_and_request_id(response_type: str) -> None:
    settings = GATEWAY_RESPONSES[response_type]
    template = terraform_template(
        INFRASTRUCTURE_STACK / "templates" / "gateway_response.json",
        error=settings["error"],
        message=settings["message"],
    )
    error_message = 'Invalid "key=value" pair in Authorization header'
    context = request_context(
        message=error_message,
        messageString=json.dumps(error_message),
        responseType=response_type,
    )
    # Gateway response templates get plain $variable substitution, which the Velocity engine also performs.
    body = json.loads(velocity(template, context, Input({}, {})))
    assert set(body) == ENVELOPE
    assert body["error"] == settings["error"] and body["requestId"] == REQUEST_ID
    assert body["message"] and "$" not in body["message"]
    if response_type == "DEFAULT_4XX":
        assert body["message"] == error_message
    headers = header_values(gateway_response_headers(), context)
    assert headers["X-Request-Id"] == REQUEST_ID
    assert headers["Access-Control-Allow-Origin"] == ADMIN
    assert headers["Access-Control-Allow-Methods"] == "GET,POST,PUT,DELETE,OPTIONS"


def gateway_response_headers() -> dict[str, str]:
    """The gateway responses' header mapping, filled in as the infrastructure stack fills it."""
    return dict(
        json.loads(
            terraform_template(
                INFRASTRUCTURE_STACK / "templates" / "gateway_response_headers.json",
                allowed_origin=ADMIN,
                allow_headers=",".join(CORS["allow_headers"]),
                allow_methods=",".join(CORS["allow_methods"]),
            )
        )
    )


# Where the CORS lists are read: the file itself, and the two stacks that read it.
CORS_READERS = {
    "src/utils/cors.json",
    "terraform/api_gateway_integration.tf",
    "terraform/infrastructure/api_gateway.tf",
}


def test_every_allowed_header_is_allowed_everywhere_from_one_file() -> None:
    """The functions' answers (which the local server also sends), the gateway responses and the preflight all
    take the allowed headers from src/utils/cors.json; no other file of the product lists them."""
    allowed = CORS["allow_headers"]
    function_answer = cors_headers(ADMIN, (ADMIN,))["Access-Control-Allow-Headers"].split(",")
    gateway_answer = header_values(gateway_response_headers(), request_context())
    assert function_answer == allowed
    assert gateway_answer["Access-Control-Allow-Headers"].split(",") == allowed
    for stack in ("terraform/api_gateway_integration.tf", "terraform/infrastructure/api_gateway.tf"):
        assert "/src/utils/cors.json" in (ROOT / stack).read_text(), f"{stack} does not read the CORS file"
    # A file naming most of the list is another copy of it (a request may use a few of these headers).
    copies = [
        str(path.relative_to(ROOT))
        for folder in ("src", "scripts", "terraform")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".json", ".tf", ".vm", ".sh"}
        and ".terraform" not in path.parts
        and sum(header in path.read_text() for header in allowed) > len(allowed) * 3 // 4
    ]
    assert (
        set(copies) <= CORS_READERS
    ), f"the allowed headers are listed outside src/utils/cors.json: {copies}"
