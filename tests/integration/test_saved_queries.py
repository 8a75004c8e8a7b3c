"""The saved Logs Insights queries (terraform/observability.tf) name only fields their log groups' lines hold:
the function's request line as the local server writes it (requests of every outcome), its unexpected-error
line, the API access log's format, and Lambda's own fields (@type, @initDuration, ...)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from api_client import ApiClient
from samples import product_body
from utils.logger import get_logger, log_unexpected

pytestmark = pytest.mark.integration

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"
# What Logs Insights itself adds to every line, and to Lambda's REPORT lines.
SYSTEM_FIELDS = {"@timestamp", "@message", "@log", "@logStream", "@type", "@requestId", "@initDuration"}
KEYWORDS = {
    "fields",
    "filter",
    "stats",
    "sort",
    "limit",
    "by",
    "as",
    "and",
    "or",
    "not",
    "asc",
    "desc",
    "like",
    "parse",
}
# Lambda's REPORT lines: a cold start's carries Init Duration (Logs Insights' @initDuration), a SnapStart
# restore's Restore Duration and Billed Restore Duration instead, which a query parses from @message.
REPORT_LINES = {
    "cold start": "REPORT RequestId: 3f1c2a4e-1b2c-4d5e-8f90-123456789abc\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 80 MB\tInit Duration: 312.50 ms\t",
    "restore": "REPORT RequestId: 5d2e3b6f-2c3d-4e5f-9a01-23456789abcd\tDuration: 3.21 ms\tBilled Duration: 152 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 81 MB\tRestore Duration: 187.42 ms\tBilled Restore Duration: 148 ms\t",
}
_PARSE = re.compile(r"\bparse\s+@message\s+/((?:\\.|[^/])*)/")
# Each query's log_groups expression in observability.tf, as the kinds of line it reads.
SOURCES = {
    "local.all_log_groups": ("access", "function"),
    "[aws_cloudwatch_log_group.api_access.name]": ("access",),
    "local.lambda_log_groups": ("function",),
}


def saved_queries() -> dict[str, tuple[tuple[str, ...], str]]:
    """Each saved query by name: the kinds of log line it reads and its text."""
    text = (TERRAFORM / "observability.tf").read_text(encoding="utf-8")
    found = re.findall(
        r'"([\w-]+)" = \{\s*log_groups = (.+?)\n\s*query\s*= <<-QUERY\n(.*?)\n\s*QUERY', text, re.DOTALL
    )
    assert found, "no saved queries found in observability.tf"
    return {name: (SOURCES[groups.strip()], query) for name, groups, query in found}


def access_log_fields() -> set[str]:
    """The keys of the stage's access log format (api_gateway_integration.tf); every value is a string."""
    text = (TERRAFORM / "api_gateway_integration.tf").read_text(encoding="utf-8")
    block = text[text.index("format = jsonencode({") : text.index("})", text.index("format = jsonencode({"))]
    return set(re.findall(r'^\s*(\w+)\s*= "\$context', block, re.MULTILINE))


def named_fields(query: str) -> set[str]:
    """The fields a query reads: identifiers that are no keyword, function, alias or literal."""
    code = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    aliases = {name for pattern in _PARSE.findall(code) for name in re.findall(r"\(\?<(\w+)>", pattern)}
    code = re.sub(r'"[^"]*"|(?:like|@message)\s+/(?:\\.|[^/])*/', " ", code)
    aliases |= set(re.findall(r"\bas\s+(\w+)", code))
    tokens = re.findall(r"(@?[A-Za-z_]\w*)(\s*\()?", code)
    return {name for name, call in tokens if not call and name not in KEYWORDS | aliases}


def request_lines(
    api: ApiClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """The functions' lines for a created, listed, read, missing, conflicting, stale and invalid request,
    with the X-Ray trace header Lambda sets for each invocation."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-67891233-abcdef012345678912345678;Sampled=1")
    capsys.readouterr()
    body = product_body()
    product_id = api.post("/v1.0/products", body).json()["product"]["productId"]
    api.get("/v1.0/products")
    api.get(f"/v1.0/products/{product_id}")
    api.get("/v1.0/products/0b7e5c1e-8f3a-4a51-9d0c-5f3b2a9c4e10")
    api.post("/v1.0/products", body)
    api.put(f"/v1.0/products/{product_id}", {"price": 1}, headers={"If-Match": '"99"'})
    api.post("/v1.0/products", {"name": ""})
    try:
        raise RuntimeError("an unexpected error, to capture its line")
    except RuntimeError:
        log_unexpected(get_logger(), {"requestId": "query-fields"})
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_every_field_a_saved_query_names_is_in_a_line_it_reads(
    api: ApiClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = request_lines(api, capsys, monkeypatch)
    codes = {line.get("errorCode") for line in lines}
    assert {"NotFound", "NameConflict", "VersionConflict", "ValidationFailed"} <= codes, codes
    fields = {"access": access_log_fields(), "function": {key for line in lines for key in line}}
    missing = {
        name: named_fields(query) - SYSTEM_FIELDS - set().union(*(fields[kind] for kind in kinds))
        for name, (kinds, query) in saved_queries().items()
    }
    assert {name: sorted(names) for name, names in missing.items() if names} == {}


def test_the_runbooks_error_patterns_match_no_request_line(
    api: ApiClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runbook = " ".join(RUNBOOK.read_text(encoding="utf-8").split())
    patterns = re.findall(r"@message like /((?:\\.|[^/])+)/", runbook)
    assert patterns, "no @message pattern found in docs/OPERATIONS.md"
    requests = [
        json.dumps(line) for line in request_lines(api, capsys, monkeypatch) if line["message"] == "request"
    ]
    matched = {pattern: [line for line in requests if re.search(pattern, line)] for pattern in patterns}
    assert {pattern: lines for pattern, lines in matched.items() if lines} == {}


def test_no_saved_query_compares_an_access_log_field_with_a_number() -> None:
    strings = access_log_fields()
    compared = {
        name: set(re.findall(r"(\w+)\s*(?:<=|>=|<|>|=)\s*\d", query)) & strings
        for name, (kinds, query) in saved_queries().items()
        if "access" in kinds
    }
    assert {name: sorted(names) for name, names in compared.items() if names} == {}


def parsed(query: str, line: str) -> dict[str, str]:
    """The fields a query's `parse @message /.../` patterns take from a line (Logs Insights' (?<name>...) groups)."""
    found: dict[str, str] = {}
    for pattern in _PARSE.findall(query):
        match = re.search(pattern.replace("(?<", "(?P<"), line)
        found |= match.groupdict() if match else {}
    return found


def test_the_cold_start_query_tells_init_duration_and_restore_duration_apart() -> None:
    _, query = saved_queries()["cold-starts-by-function"]
    assert "ispresent(@initDuration)" in query and "ispresent(restoreMs)" in query
    assert {kind: parsed(query, line) for kind, line in REPORT_LINES.items()} == {
        "cold start": {},
        "restore": {"restoreMs": "187.42"},
    }


def test_the_dashboards_cold_start_panel_parses_restores_as_the_saved_query_does() -> None:
    _, query = saved_queries()["cold-starts-by-function"]
    text = (TERRAFORM / "observability.tf").read_text(encoding="utf-8")
    (panel,) = [line for line in text.splitlines() if "@initDuration" in line and "query  =" in line]
    assert _PARSE.findall(panel) == _PARSE.findall(query) != []
