"""The documents (README.md, CLAUDE.md, docs/*.md, the workflows' comments) against the repository: what they
name exists, the statuses and error codes docs/API.md lists are the ones openapi.yaml and the code's error table
hold, and the figures they state about the code are computed here from the code. A figure a document states
that no test computes is a figure that goes stale: compute it here, or leave it out.

Figures other tests compute already: the body limit and the largest body (tests/unit/handlers/test_body_limits.py).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import http.client
import io
import itertools
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from exceptions.product_exceptions import ApiError, MethodNotAllowed
from fakes import FakeProductStore
from handlers import create_product, get_product, update_product
from metrics.emf import declared_metrics, emf_fields
from models.commands import DEFAULT_PAGE_SIZE, IDEMPOTENCY_WINDOW_SECONDS
from models.product import MAX_MARKS_PER_LETTER
from models.record import MAX_NAME_KEY_BYTES
from repositories.dynamodb import CLIENT_CONFIG, ONE_ATTEMPT
from scripts.local_server.api import LISTEN_BACKLOG
from scripts.local_server.api import MAX_BODY_BYTES as LOCAL_MAX_BODY_BYTES
from repositories.lists import ScanBudget
from repositories.page_token import MAX_TOKEN_LENGTH, TOKEN_LIFETIME_SECONDS
from services import factory
from services.product_service import MAX_WRITE_ATTEMPTS
from utils.api_gateway import ERROR_ANSWERS
from utils.bounded_json import MAX_NUMBER_LENGTH
from validators.product_validator import parse_changes
from validators.request_validator import MAX_PAGE_SIZE, idempotent_request

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", ROOT / "CLAUDE.md", *(ROOT / "docs").glob("*.md")])
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ENVIRONMENTS = ("dev", "sit", "prod")
STACKS = ("infrastructure", "lambda")
FUNCTIONS = json.loads((ROOT / "terraform" / "functions.json").read_text(encoding="utf-8"))


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def flat(path: Path) -> str:
    """The document with line breaks and runs of spaces as one space, so phrases match across lines."""
    return " ".join(text(path).split())


def document_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def workflow_comments() -> str:
    return "\n".join(
        line for path in WORKFLOWS for line in text(path).splitlines() if line.lstrip().startswith("#")
    )


# --- What the documents name exists --------------------------------------------------------------------------

TOP_FOLDERS = ("src", "scripts", "tests", "terraform", "docs", "tools", ".github", ".ci")
PATH = re.compile(
    r"(?<![\w./$-])((?:%s)/[\w./<>{},*-]*[\w>}*/])" % "|".join(re.escape(f) for f in TOP_FOLDERS)
)
TOP_FILES = re.compile(
    r"(?<![\w./-])((?:requirements[\w-]*\.(?:in|txt))|openapi\.yaml|pyproject\.toml|pytest\.ini)\b"
)
WORKFLOW_NAME = re.compile(r"(?<![\w/.-])((?:ci|deploy|rollback)[\w<>*{},-]*\.yml)\b")
MAKE_TARGET = re.compile(r"(?:`|&& |^)make (?:-[-\w]+ )*([a-z][\w-]*)", re.MULTILINE)
MODULE = re.compile(r"python3? -m (scripts(?:\.\w+)+)")
PLACEHOLDERS = {"<env>": ENVIRONMENTS, "<stack>": STACKS, "$ENV": ENVIRONMENTS}
# Paths a document names that a run writes, not the repository holds.
WRITTEN = re.compile(r"^(build|\.venv|\.venv-checkov)/|/\.terraform|\.tfstate|tfplan")


def expansions(name: str) -> Iterator[str]:
    """A named path with its placeholders: `<env>` and `<stack>` stand for each value (each must exist), `{a,b}`
    for each alternative, any other `<...>` for any name."""
    options: list[tuple[str, ...]] = []
    pattern = re.compile(r"<env>|<stack>|\$ENV|\{[^{}]*,[^{}]*\}")
    pieces = pattern.split(name)
    for found in pattern.findall(name):
        options.append(PLACEHOLDERS.get(found) or tuple(found[1:-1].split(",")))
    for choice in itertools.product(*options):
        yield "".join(part + (choice[i] if i < len(choice) else "") for i, part in enumerate(pieces))


def exists(name: str) -> bool:
    glob = re.sub(r"<[^<>]*>|\{[^{}]*\}", "*", name.rstrip("/"))
    return any(ROOT.glob(glob)) if "*" in glob else (ROOT / glob).exists()


def named_paths(source: str) -> set[str]:
    names = {match.rstrip(".,:;") for match in PATH.findall(source)} | set(TOP_FILES.findall(source))
    return {name for name in names if not WRITTEN.search(name) and not name.endswith("/.")}


@pytest.mark.parametrize("document", DOCUMENTS, ids=document_id)
def test_every_path_a_document_names_exists(document: Path) -> None:
    missing = sorted(
        f"{name} ({variant})"
        for name in named_paths(text(document))
        for variant in expansions(name)
        if not exists(variant)
    )
    assert not missing, f"{document_id(document)} names files the repository does not hold: {missing}"


def test_every_path_the_workflows_comments_name_exists() -> None:
    missing = sorted(
        variant
        for name in named_paths(workflow_comments())
        for variant in expansions(name)
        if not exists(variant)
    )
    assert not missing, f"the workflows' comments name files the repository does not hold: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=document_id)
def test_every_workflow_a_document_names_exists(document: Path) -> None:
    real = {path.name for path in WORKFLOWS} | {"dependabot.yml"}
    named = set(WORKFLOW_NAME.findall(text(document)))
    missing = sorted(
        variant
        for name in named
        for variant in expansions(name)
        if not any(re.fullmatch(re.sub(r"\\\*|<[^<>]*>", ".+", re.escape(variant)), file) for file in real)
    )
    assert not missing, f"{document_id(document)} names workflows that do not exist: {missing}"


def test_the_workflows_comments_name_only_workflows_that_exist() -> None:
    real = {path.name for path in WORKFLOWS}
    named = {
        name for name in WORKFLOW_NAME.findall(workflow_comments()) if "<" not in name and "*" not in name
    }
    assert named <= real, f"the workflows' comments name workflows that do not exist: {sorted(named - real)}"


def make_targets() -> set[str]:
    makefile = text(ROOT / "Makefile")
    return set(re.findall(r"^([a-z][\w-]*)\s*:(?!=)", makefile, re.MULTILINE))


@pytest.mark.parametrize("document", DOCUMENTS, ids=document_id)
def test_every_make_target_a_document_names_exists(document: Path) -> None:
    source = text(document)
    # `make x` in prose, or a command line of a code block.
    blocks = "\n".join(re.findall(r"```\w*\n(.*?)```", source, re.DOTALL))
    prose = re.sub(r"```\w*\n.*?```", "", source, flags=re.DOTALL)
    named = set(MAKE_TARGET.findall(blocks)) | {t for t in MAKE_TARGET.findall(prose.replace("\n", " "))}
    missing = sorted(named - make_targets())
    assert not missing, f"{document_id(document)} names make targets the Makefile lacks: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=document_id)
def test_every_module_a_document_runs_exists(document: Path) -> None:
    missing = sorted(
        module
        for module in MODULE.findall(text(document))
        if not (ROOT / (module.replace(".", "/") + ".py")).exists()
        and not (ROOT / module.replace(".", "/") / "__main__.py").exists()
    )
    assert not missing, f"{document_id(document)} runs modules that do not exist: {missing}"


@pytest.mark.parametrize("document", [*DOCUMENTS, ROOT / ".github" / "workflows"], ids=document_id)
def test_no_document_sends_the_reader_outside_the_repository(document: Path) -> None:
    sources = [document] if document.is_file() else WORKFLOWS
    found = [
        f"{document_id(path)}:{number}"
        for path in sources
        for number, line in enumerate(text(path).splitlines(), 1)
        if re.search(r"\bSPEC\b|\.\./shared", line)
    ]
    assert not found, f"references to documents the repository does not hold: {found}"


# --- The README's layout ------------------------------------------------------------------------------------


def layout() -> str:
    readme = text(ROOT / "README.md")
    return readme.split("## Layout", 1)[1].split("```", 2)[1]


def named_in(name: str, listing: str) -> bool:
    """`name` as a whole word of the listing (`keys.py` is not named by `legacy_name_keys.py`)."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", listing) is not None


def test_the_readme_layout_names_every_source_module() -> None:
    listed = layout()
    modules = [
        path
        for folder in ("src", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "__init__.py" and "__pycache__" not in path.parts and path.parent.name != "handlers"
    ]
    missing = [str(path.relative_to(ROOT)) for path in modules if not named_in(path.name, listed)]
    assert not missing, f"README's layout leaves out: {missing}"
    handlers = {path.stem for path in (ROOT / "src" / "handlers").glob("*.py") if path.stem != "__init__"}
    assert handlers == set(FUNCTIONS), "src/handlers/<op>.py is one module per function of the manifest"


def test_the_readme_layout_names_every_folder_and_test_module() -> None:
    listed = layout()
    folders = [
        f"{path.relative_to(ROOT)}/"
        for top in ("src", "scripts", "tests", "terraform")
        for path in sorted((ROOT / top).iterdir())
        if path.is_dir() and not path.name.startswith((".", "__"))
    ]
    helpers = [f"tests/{path.name}" for path in sorted((ROOT / "tests").glob("*.py"))]
    missing = [name for name in folders + helpers if not named_in(name.rstrip("/"), listed)]
    assert not missing, f"README's layout leaves out: {missing}"


def test_no_module_edits_sys_path() -> None:
    """CLAUDE.md and README: no module edits sys.path (code run in a child interpreter, held in a string, sets
    that interpreter's own)."""
    editing = []
    for path in itertools.chain(*((ROOT / folder).rglob("*.py") for folder in ("src", "scripts", "tests"))):
        source = text(path)
        if "sys" not in source or "path" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "path"
                and getattr(node.value, "id", "") == "sys"
            ):
                editing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not editing, f"sys.path is used here: {editing}"


# --- Statuses and error codes --------------------------------------------------------------------------------

ERROR_ROW = re.compile(r"^\| (\d{3}) \| ([^|]*) \|", re.MULTILINE)


def api_error_table() -> dict[int, set[str]]:
    """docs/API.md's error table: status -> the errorCodes listed (empty: API Gateway answers it itself)."""
    section = text(ROOT / "docs" / "API.md").split("## Errors", 1)[1].split("\n## ", 1)[0]
    return {int(status): set(re.findall(r"`(\w+)`", codes)) for status, codes in ERROR_ROW.findall(section)}


@functools.cache
def openapi() -> dict[str, Any]:
    return yaml.load(text(ROOT / "openapi.yaml"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def openapi_statuses() -> set[int]:
    document = openapi()
    return {
        int(status)
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "responses" in operation
        for status in operation["responses"]
        if int(status) >= 400
    }


def gateway_statuses() -> set[int]:
    responses = json.loads(
        text(ROOT / "terraform" / "infrastructure" / "templates" / "gateway_responses.json")
    )
    return {int(response["status"]) for response in responses.values() if response.get("status")}


def test_api_md_lists_every_error_code_of_the_error_table_and_no_other() -> None:
    listed = {(status, code) for status, codes in api_error_table().items() for code in codes}
    answered = {(answer.status, answer.code) for answer in ERROR_ANSWERS.values()}
    assert (
        listed == answered
    ), f"only in docs/API.md: {sorted(listed - answered)}; only in ERROR_ANSWERS: {sorted(answered - listed)}"


def test_statuses_api_md_lists_without_a_code_are_api_gateways_own() -> None:
    own = {status for status, codes in api_error_table().items() if not codes}
    assert own <= gateway_statuses(), f"not an answer of API Gateway's: {sorted(own - gateway_statuses())}"


def test_api_md_and_openapi_list_the_same_error_statuses() -> None:
    """openapi.yaml lists each operation's answers; a 405 answers the methods no operation serves."""
    listed = set(api_error_table()) - {ERROR_ANSWERS[MethodNotAllowed].status}
    assert listed == openapi_statuses(), (
        f"only in docs/API.md: {sorted(listed - openapi_statuses())}; "
        f"only in openapi.yaml: {sorted(openapi_statuses() - listed)}"
    )


def test_every_operation_that_can_answer_409_documents_it() -> None:
    """A create, an update and a delete can each lose to concurrent writes (ConcurrentModification)."""
    document = openapi()
    lacking = [
        operation["operationId"]
        for path in document["paths"].values()
        for method, operation in path.items()
        if method in ("post", "put", "delete") and "409" not in operation["responses"]
    ]
    assert not lacking, f"operations that may answer 409 without documenting it: {lacking}"


def test_api_md_error_example_is_what_the_api_answers(make_event: Callable[..., dict[str, Any]]) -> None:
    section = text(ROOT / "docs" / "API.md").split("## Errors", 1)[1]
    example = json.loads(re.search(r"```json\n(.*?)```", section, re.DOTALL).group(1))  # type: ignore[union-attr]
    body = {"name": "Starter Plan", "description": "A landing page.", "price": 19.999, "period": "monthly"}
    assert "`19.999`" in section.split("```json", 1)[0], "the example names the request it answers"
    response = create_product.handler(make_event("POST", body=json.dumps(body)), None)
    answered = json.loads(response["body"])
    assert response["statusCode"] == 400
    assert {**answered, "requestId": "<id>"} == example


def test_the_documented_idempotency_key_rule_is_the_validators(draft: Any) -> None:
    def accepted(key: str) -> bool:
        try:
            idempotent_request(key, "caller", draft)
        except ApiError:
            return False
        return True

    visible = "".join(chr(code) for code in range(0x21, 0x7F))
    assert accepted(visible) and accepted("k" * 255)
    assert not any(accepted(key) for key in ("", "k" * 256, "a b", "a\tb", "caf\u00e9"))
    api = flat(ROOT / "docs" / "API.md")
    assert '1 to 255 visible ASCII characters, "!" to "~": no spaces' in api
    assert "printable" not in api, "printable ASCII includes the space, which is refused"


# --- Figures the documents state about the code ---------------------------------------------------------------


def resource_blocks(kind: str) -> Iterator[tuple[Path, str, list[str]]]:
    """(file, resource name, body lines) of each Terraform resource of `kind` in the two API stacks."""
    for path in sorted(
        [*(ROOT / "terraform").glob("*.tf"), *(ROOT / "terraform" / "infrastructure").glob("*.tf")]
    ):
        lines = text(path).splitlines()
        for number, line in enumerate(lines):
            found = re.match(rf'resource "{kind}" "(\w+)" {{', line)
            if found:
                end = next(i for i in range(number + 1, len(lines)) if lines[i] == "}")
                yield path, found.group(1), lines[number + 1 : end]


def local_map_keys(name: str) -> list[str] | None:
    """The keys of `locals { name = { key = ... } }` in the two API stacks, or None if it is not a literal map."""
    for path in sorted(
        [*(ROOT / "terraform").glob("*.tf"), *(ROOT / "terraform" / "infrastructure").glob("*.tf")]
    ):
        lines = text(path).splitlines()
        for number, line in enumerate(lines):
            if re.fullmatch(rf"  {name} = {{", line):
                end = next(i for i in range(number + 1, len(lines)) if lines[i] == "  }")
                body = lines[number + 1 : end]
                if body and body[0].lstrip().startswith("for "):
                    return None
                return [m.group(1) for entry in body if (m := re.match(r'    "?([\w-]+)"? *= ', entry))]
    raise AssertionError(f"no `{name} = {{` in the locals of terraform/ or terraform/infrastructure/")


def local_product(name: str) -> int | None:
    """How many entries `name = { for pair in setproduct(keys(local.a), keys(local.b)) : ... }` has."""
    for path in sorted(
        [*(ROOT / "terraform").glob("*.tf"), *(ROOT / "terraform" / "infrastructure").glob("*.tf")]
    ):
        found = re.search(
            rf"\n  {name} = {{\n\s+for pair in setproduct\(keys\(local\.(\w+)\), keys\(local\.(\w+)\)\)",
            text(path),
        )
        if found:
            return count_of(found.group(1)) * count_of(found.group(2))
    return None


def count_of(local: str) -> int:
    if local == "functions":
        return len(FUNCTIONS)
    product = local_product(local)
    if product is not None:
        return product
    keys = local_map_keys(local)
    assert keys is not None, f"local.{local}: teach tests/docs/test_documents.py how to count it"
    return len(keys)


def alarms_per_environment() -> int:
    total = 0
    for path, name, body in resource_blocks("aws_cloudwatch_metric_alarm"):
        for_each = next(
            (line.split("=", 1)[1].strip() for line in body if line.startswith("  for_each =")), None
        )
        counted = next((line for line in body if line.startswith("  count =")), None)
        assert counted is None, f"{path.name} {name}: teach the test to count a `count` resource"
        if for_each is None:
            total += 1
        else:
            assert re.fullmatch(r"local\.\w+", for_each), f"{path.name} {name}: for_each = {for_each}?"
            total += count_of(for_each.removeprefix("local."))
    return total


def test_the_alarm_count_the_documents_state_is_terraforms() -> None:
    phrases = (r"(\d+) alarms per environment", r"prefix `bbws-`; (\d+) per environment")
    stated = [int(n) for path in DOCUMENTS for phrase in phrases for n in re.findall(phrase, flat(path))]
    count = alarms_per_environment()
    assert all(
        number == count for number in stated
    ), f"Terraform makes {count} alarms per environment: {stated}"


def test_the_alarm_names_the_runbook_lists_are_one_per_kind_of_alarm() -> None:
    """Every kind of alarm (function alarms count once) has its entry under "## Alarms" in OPERATIONS.md."""
    runbook = text(ROOT / "docs" / "OPERATIONS.md").split("\n## Alarms", 1)[1].split("\n## ", 1)[0]
    entries = re.findall(r"^### `([^`]+)`", runbook, re.MULTILINE)
    per_function = [entry for entry in entries if "<function>" in entry]
    per_environment = [entry for entry in entries if "<function>" not in entry]
    assert len(per_function) * len(FUNCTIONS) + len(per_environment) == alarms_per_environment(), entries


def test_the_saved_queries_the_runbook_lists_are_terraforms() -> None:
    where = flat(ROOT / "docs" / "OPERATIONS.md").split("| saved queries |", 1)[1].split("|", 1)[0]
    listed = re.findall(r"`([\w-]+)`", where)
    assert sorted(listed) == sorted(local_map_keys("saved_queries") or [])


def metric_pairs() -> int:
    """Each operation writes each of its declared metrics on every request: (operation, metric) pairs."""
    return sum(len(declared_metrics(operation)) for operation in FUNCTIONS)


def test_the_metric_count_the_documents_state_is_the_codes() -> None:
    phrase = r"makes (\d+) \(operation, metric\) pairs"
    stated = [int(n) for path in DOCUMENTS for n in re.findall(phrase, flat(path))]
    assert all(
        number == metric_pairs() for number in stated
    ), f"{metric_pairs()} pairs, documents say {stated}"
    # As CloudWatch counts them: each pair once per dimension set a line declares.
    line = emf_fields(next(iter(FUNCTIONS)), "prod", "1", {}, 0)
    dimension_sets = len(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"])
    custom = [int(n) for path in DOCUMENTS for n in re.findall(r"(\d+) custom metrics", flat(path))]
    assert all(
        n == metric_pairs() * dimension_sets for n in custom
    ), f"{metric_pairs()} x {dimension_sets}: {custom}"


def test_the_runbooks_metric_table_lists_the_dashboards_metrics() -> None:
    operations = (
        text(ROOT / "docs" / "OPERATIONS.md").split("### The per-request metrics", 1)[1].split("\n#", 1)[0]
    )
    rows = re.findall(r"^\| ((?:`\w+`(?:, )?)+) \|", operations, re.MULTILINE)
    listed = {name for row in rows for name in re.findall(r"`(\w+)`", row)}
    dashboard = json.loads(text(ROOT / "terraform" / "product_metrics.json"))["metrics"]
    assert listed == set(
        dashboard
    ), f"runbook only: {listed - set(dashboard)}; code only: {set(dashboard) - listed}"


def test_the_runbook_lists_every_error_code() -> None:
    operations = flat(ROOT / "docs" / "OPERATIONS.md")
    paragraph = operations.split("A request line that answered an error also says which in `errorCode`", 1)[1]
    listed = set(re.findall(r"`(\w+)`", paragraph.split("Queries group by it", 1)[0])) - {"ERROR_ANSWERS"}
    codes = {answer.code for answer in ERROR_ANSWERS.values()}
    assert (
        listed == codes
    ), f"runbook only: {sorted(listed - codes)}; ERROR_ANSWERS only: {sorted(codes - listed)}"


def test_the_latency_objectives_are_the_manifests_targets() -> None:
    targets = {name.split("_")[0]: function["p95_target_ms"] for name, function in FUNCTIONS.items()}
    row = (
        flat(ROOT / "docs" / "OPERATIONS.md")
        .split("| latency per operation | p95 under ", 1)[1]
        .split("|", 1)[0]
    )
    stated: dict[str, int] = {}
    for names, milliseconds in re.findall(r"(\w+(?: and \w+)*) (\d+) ms", row):
        stated.update({name: int(milliseconds) for name in names.split(" and ")})
    assert stated == targets, row


@contextlib.contextmanager
def wired() -> Iterator[None]:
    factory.bootstrap(FakeProductStore())
    try:
        yield
    finally:
        factory.reset()


def request_line(handler: Callable[..., dict[str, Any]], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    context = SimpleNamespace(aws_request_id=str(uuid.uuid4()), function_name="bbws-get-product-prod")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        response = handler(event, context)
    return response, [line for line in out.getvalue().splitlines() if '"message": "request"' in line][-1]


def event_in_aws(method: str, product_id: str | None = None, body: str | None = None) -> dict[str, Any]:
    """A proxy event as a deployed stage sends it, with the request context's usual size."""
    path = "/v1.0/products" + (f"/{product_id}" if product_id else "")
    return {
        "resource": "/v1.0/products" + ("/{productId}" if product_id else ""),
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "pathParameters": {"productId": product_id} if product_id else None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "path": f"/prod{path}",
            "identity": {"userArn": "arn:aws:iam::123456789012:user/admin-app", "sourceIp": "203.0.113.9"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def line_sizes() -> dict[str, tuple[float, float]]:
    """KB of a get's and an update's request line without and with the EMF fields."""
    sizes = {}
    with wired():
        product = {
            "name": "Basic Plan",
            "description": "A five-page website.",
            "price": 195,
            "period": "monthly",
        }
        created = request_line(create_product.handler, event_in_aws("POST", body=json.dumps(product)))[0]
        product_id = json.loads(created["body"])["product"]["productId"]
        for operation, handler, event in (
            ("get_product", get_product.handler, event_in_aws("GET", product_id)),
            ("update_product", update_product.handler, event_in_aws("PUT", product_id, '{"price": 200}')),
        ):
            response, line = request_line(handler, event)
            assert response["statusCode"] == 200, response
            fields = json.loads(line)
            added = set(emf_fields(operation, "prod", "1", {}, 0))
            plain = json.dumps(
                {name: value for name, value in fields.items() if name not in added}, default=str
            )
            sizes[operation] = (len(plain.encode()) / 1000, len(line.encode()) / 1000)
    return sizes


def test_the_log_line_sizes_the_runbook_states_are_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    operations = flat(ROOT / "docs" / "OPERATIONS.md")
    found = re.search(
        r"grows from about ([\d.]+) KB to ([\d.]+) KB \(get\) or ([\d.]+) KB \(update\)", operations
    )
    if found is None:
        return  # not stated
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID", "Root=1-6750f0a2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"
    )
    sizes = line_sizes()
    measured = (sizes["get_product"][0], sizes["get_product"][1], sizes["update_product"][1])
    stated = tuple(float(value) for value in found.groups())
    close = [abs(round(size, 1) - figure) <= 0.1 + 1e-9 for figure, size in zip(stated, measured)]
    assert all(close), f"measured {measured} KB, stated {stated}"


def figures() -> list[tuple[str, str, int]]:
    """(document, phrase with one number as {}, the number the code holds). Each phrase, where a document
    states it, must carry that number."""
    return [
        ("README.md", "at most {} Scan calls", ScanBudget().calls),
        ("README.md", "re-read and re-applied (up to {} times)", MAX_WRITE_ATTEMPTS),
        ("README.md", "at most {} bytes, else 400", MAX_NAME_KEY_BYTES),
        ("README.md", "combining marks (at most {} each)", MAX_MARKS_PER_LETTER),
        ("docs/API.md", "at most {} bytes of UTF-8", MAX_NAME_KEY_BYTES),
        ("docs/API.md", "One letter carries at most {} marks", MAX_MARKS_PER_LETTER),
        ("docs/API.md", "| `limit` | 1 to {}, default", MAX_PAGE_SIZE),
        ("docs/API.md", "to 100, default {} |", DEFAULT_PAGE_SIZE),
        ("docs/SECURITY.md", "at most {} characters per number", MAX_NUMBER_LENGTH),
        ("docs/SECURITY.md", "at most {} characters of base64url", MAX_TOKEN_LENGTH),
        ("docs/SECURITY.md", "the length (at most {} characters", MAX_TOKEN_LENGTH),
        ("openapi.yaml", "maxLength: {}", MAX_TOKEN_LENGTH),
        ("docs/PERFORMANCE.md", "makes at most {} Scan calls", ScanBudget().calls),
        # The local server: http.server's limits of a request head, and its own.
        ("README.md", "a line over {} KiB", http.client._MAXLINE // 1024),  # type: ignore[attr-defined]
        ("README.md", "more than {} headers", http.client._MAXHEADERS),  # type: ignore[attr-defined]
        ("README.md", "a listen backlog of {}", LISTEN_BACKLOG),
        ("README.md", "(up to API Gateway's {} MB)", LOCAL_MAX_BODY_BYTES // (1024 * 1024)),
    ]


@pytest.mark.parametrize("document, phrase, value", figures(), ids=lambda item: str(item)[:40])
def test_each_figure_stated_is_the_codes(document: str, phrase: str, value: int) -> None:
    pattern = re.escape(phrase).replace(r"\{\}", r"([\d,]+)")
    stated = [int(number.replace(",", "")) for number in re.findall(pattern, flat(ROOT / document))]
    assert stated, f"{document} no longer says '{phrase}': update figures() in this test"
    assert all(n == value for n in stated), f"{document}: '{phrase}' with {stated}, the code says {value}"


def test_lambda_settings_the_runbook_states_are_terraforms() -> None:
    lambda_tf = text(ROOT / "terraform" / "lambda.tf")
    timeout = int(re.search(r"\btimeout\s*=\s*(\d+)", lambda_tf).group(1))  # type: ignore[union-attr]
    memory = int(re.search(r"\bmemory_size\s*=\s*(\d+)", lambda_tf).group(1))  # type: ignore[union-attr]
    operations = flat(ROOT / "docs" / "OPERATIONS.md")
    assert f"a timeout ({timeout} s) or running out of memory ({memory} MB)" in operations
    assert f"its {timeout} s end before API Gateway's 29 s" in operations


def test_throttle_figures_are_the_terraform_defaults() -> None:
    variables = text(ROOT / "terraform" / "variables.tf")

    def default(name: str) -> int:
        block = variables.split(f'variable "{name}"', 1)[1].split("\n}", 1)[0]
        return int(re.search(r"default\s*=\s*(\d+)", block).group(1))  # type: ignore[union-attr]

    stage, write = default("stage_rate_limit"), default("write_rate_limit")
    for document in ("docs/API.md", "docs/SECURITY.md", "openapi.yaml"):
        for found in re.finditer(
            r"(\d+) requests/s per stage, (\d+)(?:/s| requests/s)", flat(ROOT / document)
        ):
            assert (int(found.group(1)), int(found.group(2))) == (
                stage,
                write,
            ), f"{document}: {found.group(0)}"


def accepted_field(field: str, value: Any) -> bool:
    try:
        parse_changes({field: value})
    except ApiError:
        return False
    return True


TEXT_FIELDS = [
    ("name", r"\| `name` \|[^|]*\| (\d+) to (\d+) characters", lambda n: "a" * n),
    ("description", r"\| `description` \|[^|]*\| (\d+) to (\d+) characters", lambda n: "x" * n),
    ("period", r"\| `period` \|[^|]*\|[^|]*?(\d+) to (\d+) characters", lambda n: "x" * n),
    (
        "features",
        r"\| `features` \|[^|]*\| up to \d+ strings of (\d+) to (\d+) characters",
        lambda n: ["x" * n],
    ),
]


@pytest.mark.parametrize("field, phrase, value", TEXT_FIELDS, ids=[field for field, *_ in TEXT_FIELDS])
def test_the_field_lengths_api_md_states_are_the_validators(
    field: str, phrase: str, value: Callable[[int], Any]
) -> None:
    found = re.search(phrase, flat(ROOT / "docs" / "API.md"))
    assert found, f"docs/API.md states the length of {field}"
    shortest, longest = (int(number) for number in found.groups())
    assert accepted_field(field, value(shortest)) and not accepted_field(field, value(shortest - 1)), field
    assert accepted_field(field, value(longest)) and not accepted_field(field, value(longest + 1)), field


def test_the_feature_count_and_price_range_api_md_states_are_the_validators() -> None:
    api = flat(ROOT / "docs" / "API.md")
    most = int(re.search(r"\| `features` \|[^|]*\| up to (\d+) strings", api).group(1))  # type: ignore[union-attr]
    assert accepted_field("features", ["x" * 5] * most) and not accepted_field(
        "features", ["x" * 5] * (most + 1)
    )
    low, high = re.search(r"a JSON number from ([\d.]+) to ([\d.]+) with at most two decimals", api).groups()  # type: ignore[union-attr]
    cent = Decimal("0.01")
    assert accepted_field("price", Decimal(low)) and not accepted_field("price", Decimal(low) - cent)
    assert accepted_field("price", Decimal(high)) and not accepted_field("price", Decimal(high) + cent)
    assert accepted_field("price", Decimal("1.25")) and not accepted_field("price", Decimal("1.255"))


@pytest.mark.parametrize(
    "document, phrase, seconds",
    [
        ("README.md", "valid for {} hours", TOKEN_LIFETIME_SECONDS),
        ("docs/SECURITY.md", "and an expiry ({} hours)", TOKEN_LIFETIME_SECONDS),
        ("README.md", "within {} hours gets the first 201", IDEMPOTENCY_WINDOW_SECONDS),
        ("docs/API.md", "key). For {} hours:", IDEMPOTENCY_WINDOW_SECONDS),
    ],
)
def test_the_windows_the_documents_state_are_the_codes(document: str, phrase: str, seconds: int) -> None:
    pattern = re.escape(phrase).replace(r"\{\}", r"(\d+)")
    stated = [int(hours) for hours in re.findall(pattern, flat(ROOT / document))]
    assert stated and all(hours * 3600 == seconds for hours in stated), f"{document}: {phrase} {stated}"


# (document, what it quotes, the file that says it, as that file spells it): where a document quotes a message
# or a confirmation, the code must say it.
QUOTES = [
    (
        "docs/DEPLOYMENT.md",
        "Nothing was applied. Re-run the workflow to plan again and review the new plan.",
        "scripts/ops/deploy_stack.sh",
        "Nothing was applied. Re-run the workflow to plan again and review the new plan.",
    ),
    (
        "docs/DEPLOYMENT.md",
        "the API serves /v1.0/products.",
        "terraform/templates/not_found.vm",
        "the API serves /v1.0/products.",
    ),
    (
        "docs/DEPLOYMENT.md",
        "Writes need an AWS Signature Version 4 Authorization header (service execute-api).",
        "terraform/infrastructure/templates/gateway_responses.json",
        "Writes need an AWS Signature Version 4 Authorization header (service execute-api).",
    ),
    (
        "docs/DEPLOYMENT.md",
        '"Not deployed to sit: ... run deploy-lambda-sit.yml on this commit first"',
        ".github/workflows/deploy-stack.yml",
        "title=Not deployed to sit::",
    ),
    (
        "docs/DEPLOYMENT.md",
        "typing `deploy lambda to prod`",
        ".github/workflows/deploy-lambda-prod.yml",
        '"deploy lambda to prod"',
    ),
    (
        "docs/DEPLOYMENT.md",
        "`deploy infrastructure to prod`",
        ".github/workflows/deploy-infrastructure-prod.yml",
        '"deploy infrastructure to prod"',
    ),
    (
        "docs/DEPLOYMENT.md",
        "type `roll back <env>`",
        ".github/workflows/rollback-lambda.yml",
        '"roll back ${TARGET}"',
    ),
    (
        "docs/OPERATIONS.md",
        "answered 502, not a product page",
        "scripts/ops/product_canary.py",
        "answered {status}, not a product page",
    ),
    (
        "docs/OPERATIONS.md",
        "`release rolled back or failed: <function>:",
        "scripts/ops/release.py",
        "release rolled back or failed: ",
    ),
    # One phrase for an unknown outcome, in code and documents (each OutcomeUnknown message: the service tests).
    ("docs/API.md", "may have been applied", "src/services/product_service.py", "may have been applied"),
    (
        "docs/OPERATIONS.md",
        "may have been applied",
        "src/services/product_service.py",
        "may have been applied",
    ),
]


@pytest.mark.parametrize(
    "document, quoted, source, said", QUOTES, ids=[f"{q[0]}: {q[1][:30]}" for q in QUOTES]
)
def test_what_the_documents_quote_the_code_says(document: str, quoted: str, source: str, said: str) -> None:
    assert quoted in flat(ROOT / document), f"{document} no longer quotes this: update QUOTES"
    assert said in text(ROOT / source), f"{document} quotes {quoted!r}, which {source} does not say"


@pytest.mark.parametrize("document", DOCUMENTS, ids=document_id)
def test_python_examples_need_only_what_make_run_installs(document: Path) -> None:
    """`make run`'s environment holds the standard library and requirements-local.txt, nothing more."""
    installed = {
        re.split(r"[=\[ ]", line, maxsplit=1)[0].lower().replace("-", "_")
        for line in text(ROOT / "requirements-local.txt").splitlines()
        if re.match(r"[A-Za-z]", line)
    }
    needed = set()
    for block in re.findall(r"```python\n(.*?)```", text(document), re.DOTALL):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Import):
                needed |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                needed.add(node.module.split(".")[0])
    missing = sorted(needed - set(sys.stdlib_module_names) - installed)
    assert (
        not missing
    ), f"{document_id(document)}: a Python example imports what `make run` does not install: {missing}"


def test_the_dynamodb_client_figures_the_runbook_states_are_the_clients() -> None:
    attempts = CLIENT_CONFIG.retries["total_max_attempts"]
    operations = flat(ROOT / "docs" / "OPERATIONS.md")
    stated = re.findall(r"gives up after (\d+) attempts of (\d+) s \+ (\d+) s", operations)
    expected = (attempts, CLIENT_CONFIG.connect_timeout, CLIENT_CONFIG.read_timeout)
    assert all(tuple(map(int, found)) == expected for found in stated), f"{stated} != {expected}"
    assert all(int(n) == attempts for n in re.findall(r"The functions retry \((\d+) attempts\)", operations))
    settling = re.findall(r"one attempt of at most (\d+) s", operations)
    one_read = CLIENT_CONFIG.connect_timeout + ONE_ATTEMPT.read_timeout
    assert ONE_ATTEMPT.retries["total_max_attempts"] == 1 and all(
        int(n) == one_read for n in settling
    ), settling


def test_the_idempotency_key_length_every_document_states_is_the_validators() -> None:
    stated = [
        (document_id(path), found)
        for path in DOCUMENTS
        for found in re.findall(r"(\d+)(?:-| to )(\d+) (?:visible|printable) ASCII", flat(path))
    ]
    assert stated and all(found == ("1", "255") for _, found in stated), stated


def tfvars(path: Path) -> dict[str, str]:
    return {
        found.group(1): found.group(2).strip('"')
        for found in re.finditer(r"^(\w+)\s*=\s*(.+?)\s*$", text(path), re.MULTILINE)
    }


def test_the_environments_table_is_the_tfvars() -> None:
    rows = {
        cells[0]: cells[1:]
        for line in text(ROOT / "docs" / "DEPLOYMENT.md").splitlines()
        if line.startswith("| ") and len(cells := [cell.strip() for cell in line.strip("|").split("|")]) == 4
    }
    for column, environment in enumerate(ENVIRONMENTS):
        lambda_stack = tfvars(ROOT / "terraform" / "environments" / f"{environment}.tfvars")
        infrastructure = tfvars(
            ROOT / "terraform" / "infrastructure" / "environments" / f"{environment}.tfvars"
        )
        assert rows["`LOG_LEVEL`"][column] == lambda_stack["log_level"], environment
        release = next(cells for name, cells in rows.items() if "`deployment_config`" in name)[column]
        assert release.startswith(f"`{lambda_stack['deployment_config']}`"), environment
        reserved = next(cells for name, cells in rows.items() if name.startswith("reserved concurrency"))[
            column
        ]
        concurrency = lambda_stack["reserved_concurrency"]
        assert (
            reserved.startswith("none") if concurrency == "-1" else reserved.split()[0] == concurrency
        ), environment
        if "account_concurrency_limit" in lambda_stack:
            assert f"quota declared {lambda_stack['account_concurrency_limit']}" in reserved, environment
        protection = rows["table deletion protection"][column]
        assert (
            protection == {"true": "on", "false": "off"}[infrastructure["deletion_protection"]]
        ), environment


@functools.cache
def source_text() -> str:
    files = [ROOT / "Makefile", ROOT / "pyproject.toml", ROOT / "pytest.ini", ROOT / "openapi.yaml"]
    for folder, suffixes in (("src", "*.py"), ("scripts", "*"), ("tests", "*.py"), ("terraform", "*.tf")):
        files += [
            path
            for path in (ROOT / folder).rglob(suffixes)
            if path.is_file() and "__pycache__" not in path.parts
        ]
    files += list((ROOT / ".github").rglob("*.yml")) + list((ROOT / "terraform").rglob("*.json"))
    return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in files)


CODE_NAME = re.compile(r"`((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?:\(\))?`")


@pytest.mark.parametrize("document", [ROOT / "CLAUDE.md", ROOT / "README.md"], ids=document_id)
def test_every_code_name_a_document_names_is_in_the_code(document: Path) -> None:
    """Classes, functions, constants and variables the guides to the code name in backticks
    (`ProductRecord.holds`, `_stored_earlier`, `MAX_BODY_BYTES`): a rename leaves no guide naming the old one.
    """
    names = {
        name
        for name in CODE_NAME.findall(text(document))
        if re.search(r"_|[a-z][A-Z]|^[A-Z][a-z]+[A-Z]", name) and not re.fullmatch(r"[a-z]+", name)
    }
    identifiers = set(re.findall(r"[A-Za-z_]\w*", source_text()))
    missing = sorted(name for name in names if name.rsplit(".", 1)[-1] not in identifiers)
    assert not missing, f"{document_id(document)} names what the code does not hold: {missing}"


def test_the_terraform_version_the_documents_ask_for_is_the_stacks() -> None:
    required = {
        re.search(r'required_version = ">= ([\d.]+)"', text(path)).group(1)  # type: ignore[union-attr]
        for path in (ROOT / "terraform").rglob("versions.tf")
    }
    stated = {
        version for path in DOCUMENTS for version in re.findall(r"Terraform ([\d.]+) or later", flat(path))
    }
    assert len(required) == 1 and stated == required, f"the stacks require {required}, documents say {stated}"
