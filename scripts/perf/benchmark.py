#!/usr/bin/env python3
"""Measure what can be measured here, as ratios within one run, and write docs/PERFORMANCE.md.

- DynamoDB calls each operation makes (every botocore call of the process is counted);
- cold start of each function (fresh interpreter: import, first request) beside the floor of importing boto3,
  creating a DynamoDB client and making one call, with DynamoDB's exchange answered in process
  (scripts/perf/cold_start.py);
- the first request after a simulated SnapStart restore, the project's hooks included, beside the same floor,
  and what SnapStart costs per environment (scripts/perf/restore.py);
- a warm handler's own cost per request beside the DynamoDB call it cannot avoid;
- what a list request reads as soft-deleted products pile up (default list, sortBy=price, name);
- how far the default list's bounded first page stays full as soft-deleted products pile up;
- the size of each Lambda package;
- the local server under the production mix (scripts/perf/load_test.py).

Everything runs against moto's DynamoDB on loopback, so absolute times say little about AWS; the ratios are
the point. Usage: PYTHONPATH=src python -m scripts.perf.benchmark [--output docs/PERFORMANCE.md] [--skip-load]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.perf import cold_start

ROOT = Path(__file__).resolve().parents[2]
os.environ.update(cold_start.BENCH_ENVIRONMENT)  # before any src module reads its settings

from botocore.client import BaseClient  # noqa: E402

from repositories.keys import TABLE_KEY  # noqa: E402

from scripts.function_manifest import load_functions  # noqa: E402
from scripts.local_server.api import EmbeddedDynamoDB, proxy_event  # noqa: E402
from scripts.local_server.table import create_table  # noqa: E402
from scripts.perf import restore, secret_cost  # noqa: E402
from scripts.perf.load_report import Report  # noqa: E402

WARM_REQUESTS = 300
FUNCTIONS = load_functions()
DELETED_COUNTS = (0, 1_000, 10_000)
ACTIVE_PRODUCTS = 50
LOAD_RATE, LOAD_SECONDS, LOAD_PRODUCTS = 50, 30, 200
# A list request is stopped after this many calls: each Scan against moto walks the whole table, so an
# unbounded request at 10,000 deleted products would take hours here, and the answer is already clear.
MAX_CALLS = 200
BENCH_SECRET = os.environ["PAGE_TOKEN_SECRET"]
CAPACITY_ACTIVE = 50
CAPACITY_DELETED = (0, 2_500, 5_000, 7_500, 10_000)
SEED_MARK = "Zq9Zq000000"  # in a template product's name; replaced by a counter in each copy

# --- counting DynamoDB calls ---------------------------------------------------------------------------


@dataclass
class Call:
    operation: str
    seconds: float
    items_read: int


class TooManyCalls(BaseException):
    """Ends a request that has made more calls than the bench waits for (not an Exception: no handler catches it)."""


@dataclass
class CallLog:
    """Every DynamoDB call this process makes, whichever client makes it (botocore's one entry point)."""

    calls: list[Call] = field(default_factory=list)
    limit: int = 0  # end the request after this many calls (0: no limit)

    @contextmanager
    def recording(self) -> Iterator[CallLog]:
        original = BaseClient._make_api_call

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            response = original(client, operation, params)
            items = response.get("ScannedCount", len(response.get("Items", [])) or int("Item" in response))
            self.calls.append(Call(operation, time.perf_counter() - started, items))
            if self.limit and len(self.calls) > self.limit:
                raise TooManyCalls()
            return response

        BaseClient._make_api_call = counted  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]

    def take(self) -> list[Call]:
        taken, self.calls = self.calls, []
        return taken


def event_for(
    name: str, product_id: str, body: dict[str, Any] | None = None, query: str = ""
) -> dict[str, Any]:
    """The proxy event for function `name` (its route from the manifest); a default body for writes."""
    default = {"name": f"Cold Plan {time.time_ns()}", "description": "Measured cold start.", "price": 9.5}
    signed = [("Content-Type", "application/json"), ("Authorization", "AWS4-HMAC-SHA256 Credential=bench/")]
    defaults = {"POST": default | {"period": "monthly"}, "PUT": {"price": 10.5}}
    function = FUNCTIONS[name]
    method, path = function.method, function.path.replace("{productId}", product_id)
    payload = body if body is not None else defaults.get(method)
    raw = json.dumps(payload).encode() if payload is not None else b""
    event, _ = proxy_event(method, path + query, signed, raw, "127.0.0.1")
    assert event is not None
    return event


def invoke(name: str, product_id: str = "", **kwargs: Any) -> dict[str, Any]:
    """Run one handler in this process (as a warm Lambda container would) and return its response."""
    from importlib import import_module

    response: dict[str, Any] = import_module(f"handlers.{name}").handler(
        event_for(name, product_id, **kwargs), None
    )
    assert response["statusCode"] < 500, response
    return response


def calls_per_operation(log: CallLog) -> list[tuple[str, list[str]]]:
    """The DynamoDB operations each API operation makes, in order."""
    rows: list[tuple[str, list[str]]] = []

    def measure(label: str, name: str, product_id: str = "", **kwargs: Any) -> dict[str, Any]:
        log.take()
        response = invoke(name, product_id, **kwargs)
        rows.append((label, [call.operation for call in log.take()]))
        return response

    body = {"name": "Counted Plan", "description": "Counts its calls.", "price": 20, "period": "monthly"}
    created = measure("create", "create_product", body=body)
    product_id = json.loads(created["body"])["product"]["productId"]
    measure("get", "get_product", product_id)
    measure("list (default)", "list_products")
    measure("update, price only", "update_product", product_id, body={"price": 21})
    measure("update, rename", "update_product", product_id, body={"name": "Counted Plan Renamed"})
    measure("delete", "delete_product", product_id)
    measure("update, restore (active: true)", "update_product", product_id, body={"active": True})
    return rows


# --- list cost as deletes pile up ----------------------------------------------------------------------


def _table_key(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in TABLE_KEY}


def _table_items(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items += page["Items"]
    return items


def _empty(client: Any, table: str) -> None:
    keys = [{"DeleteRequest": {"Key": _table_key(i)}} for i in _table_items(client, table)]
    _batch_write(client, table, keys)


def _batch_write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    for start in range(0, len(requests), 25):
        pending = {table: requests[start : start + 25]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _template(client: Any, table: str, deleted: bool) -> list[dict[str, Any]]:
    """The items one product leaves in the table, made through the handlers (so they follow the code)."""
    body = {
        "name": f"Bench Plan {SEED_MARK}",
        "description": "A seeded product.",
        "price": 30,
        "period": "monthly",
    }
    before = {json.dumps(item, sort_keys=True) for item in _table_items(client, table)}
    product_id = json.loads(invoke("create_product", body=body)["body"])["product"]["productId"]
    if deleted:
        invoke("delete_product", product_id)
    items = [i for i in _table_items(client, table) if json.dumps(i, sort_keys=True) not in before]
    _batch_write(client, table, [{"DeleteRequest": {"Key": _table_key(i)}} for i in items])
    return [json.loads(json.dumps(item).replace(product_id, "{id}")) for item in items]


def _copies(template: list[dict[str, Any]], first: int, count: int) -> list[dict[str, Any]]:
    text = json.dumps(template)
    mark = re.compile(re.escape(SEED_MARK), re.IGNORECASE)
    requests = []
    for number in range(first, first + count):
        stamped = mark.sub(lambda m: m.group(0)[:5] + f"{number:06d}", text)
        copy = stamped.replace("{id}", str(uuid.uuid4()))
        requests += [{"PutRequest": {"Item": item}} for item in json.loads(copy)]
    return requests


@dataclass(frozen=True)
class ListCost:
    view: str
    deleted: int
    requests: int
    calls_worst: int
    calls_median: float
    items_per_product: float
    seconds_worst: float
    stopped: bool = False  # a request passed MAX_CALLS and was ended


def _walk(log: CallLog, view: str, query: str, deleted: int) -> ListCost:
    """Follow nextToken from the first page to the last; per request: calls made, items read, products."""
    calls, read, returned, seconds = [], 0, 0, []
    token = ""
    while True:
        log.take()
        log.limit = MAX_CALLS
        started = time.perf_counter()
        try:
            response = invoke("list_products", query=query + (f"&nextToken={token}" if token else ""))
        except TooManyCalls:
            made = log.take()
            calls.append(len(made))
            return ListCost(view, deleted, len(calls), len(made), 0, 0.0, time.perf_counter() - started, True)
        finally:
            log.limit = 0
        seconds.append(time.perf_counter() - started)
        made = log.take()
        calls.append(len(made))
        read += sum(call.items_read for call in made)
        page = json.loads(response["body"])
        returned += len(page["products"])
        token = page.get("nextToken") or ""
        if not token:
            break
    per_product = read / returned if returned else float("inf")
    return ListCost(
        view, deleted, len(calls), max(calls), statistics.median(calls), per_product, max(seconds)
    )


def list_costs(log: CallLog, client: Any, table: str) -> list[ListCost]:
    _empty(client, table)
    active, gone = _template(client, table, deleted=False), _template(client, table, deleted=True)
    _batch_write(client, table, _copies(active, 1, ACTIVE_PRODUCTS))
    one_name = f"Bench Plan {SEED_MARK[:5]}{1:06d}"
    views = {"default": "?limit=50", "sortBy=price": "?limit=50&sortBy=price", "name": f"?name={one_name}"}
    rows: list[ListCost] = []
    made = 0
    for deleted in DELETED_COUNTS:
        _batch_write(client, table, _copies(gone, 100_000 + made, deleted - made))
        made = deleted
        for view, query in views.items():
            rows.append(_walk(log, view, query.replace(" ", "%20"), deleted))
    return rows


# --- cold start, warm cost, packages, load -------------------------------------------------------------


def warm_overhead(log: CallLog, product_id: str) -> tuple[float, float]:
    """Median ms per warm GET by id: the whole handler, and the botocore GetItem inside it.

    Timing the call inside the same request (rather than a separate loop of bare calls) makes the difference
    the handler's own cost: parsing, validation, response building and the JSON log line.
    """
    import contextlib
    import io

    from handlers import get_product
    from utils.logger import get_logger

    event = event_for("get_product", product_id)
    get_logger().setLevel("INFO")  # include the log line the function writes for every request
    totals, inner = [], []
    with contextlib.redirect_stdout(io.StringIO()):
        get_product.handler(event, None)
        for _ in range(WARM_REQUESTS):
            log.take()
            started = time.perf_counter()
            assert get_product.handler(event, None)["statusCode"] == 200
            totals.append(time.perf_counter() - started)
            inner.append(sum(call.seconds for call in log.take()))
    get_logger().setLevel("WARNING")
    return statistics.median(totals) * 1000, statistics.median(inner) * 1000


def first_page_capacity(endpoint: str) -> list[tuple[int, int, int, bool, int, int]]:
    """(deleted products, table items, products on the first page, nextToken?, Scan calls, items read) for a
    first default-list page (limit 50) beside 50 active products, as soft-deleted products pile up.

    Every product has its name claim; one product in ten was created with an Idempotency-Key whose record is
    still there. Items are written directly with the repository's item builders (moto's transactions slow down
    with the table's size). moto ends a Scan call at
    1 MB of items as DynamoDB does, so the point where the page stops being full is DynamoDB's.
    """
    import uuid
    from decimal import Decimal

    import boto3
    from botocore.config import Config

    from models.commands import IdempotentRequest
    from models.record import ProductRecord
    from repositories.page_token import PageTokens
    from repositories.items import idempotency_item, name_claim_item, to_item
    from repositories.lists import ScanBudget
    from repositories.product_repository import ProductRepository

    table = "bbws-products-capacity"
    # moto reads a whole table per Scan call: allow it the time a real DynamoDB never needs.
    client = boto3.client(
        "dynamodb",
        "eu-west-1",
        endpoint_url=endpoint,
        config=Config(read_timeout=300, retries={"total_max_attempts": 1}),
    )
    create_table(client, table)
    scans: list[int] = []
    client.meta.events.register(
        "after-call.dynamodb.Scan", lambda parsed, **_: scans.append(parsed["ScannedCount"])
    )
    repository = ProductRepository(client, table, PageTokens(BENCH_SECRET), ScanBudget())

    def product(number: int, active: bool) -> ProductRecord:
        return ProductRecord(
            str(uuid.uuid4()),
            f"Capacity Plan {number:05d}",
            "Everything a growing business needs: a multi-page website, an online shop and priority support.",
            Decimal("1499.99"),
            "ZAR",
            "monthly",
            ("Online shop", "Payment gateway", "Analytics dashboard", "Priority support"),
            active,
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:00:00.000Z",
            "arn:aws:iam::000000000000:user/bench",
            1,
        )

    def store(products: list[ProductRecord], first: int) -> None:
        items = [make(p) for p in products for make in (to_item, name_claim_item)]
        items += [
            idempotency_item(IdempotentRequest(f"{first + n:064x}", "0" * 64, int(time.time())), p)
            for n, p in enumerate(products[::10])
        ]
        batch = [{"PutRequest": {"Item": item}} for item in items]
        for start in range(0, len(batch), 25):
            client.batch_write_item(RequestItems={table: batch[start : start + 25]})

    actives = [product(n, True) for n in range(CAPACITY_ACTIVE)]
    store(actives, first=10**6)  # idempotency key hashes apart from the deleted products' ones
    rows, made = [], 0
    for deleted in CAPACITY_DELETED:
        store([product(CAPACITY_ACTIVE + n, False) for n in range(made, deleted)], first=made)
        made = deleted
        items = client.describe_table(TableName=table)["Table"]["ItemCount"]
        scans.clear()
        page = repository.list_active(50, None)
        rows.append((deleted, items, len(page.products), page.next_token is not None, len(scans), sum(scans)))
        print(f"capacity: {rows[-1]}", flush=True)
    return rows


def package_sizes() -> list[tuple[str, int]]:
    """Build the Lambda packages (scripts/ops/package_lambdas.sh) and return each ZIP's size in bytes."""
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "ops" / "package_lambdas.sh")], check=True, capture_output=True
    )
    return [(path.name, path.stat().st_size) for path in sorted((ROOT / "build" / "lambda").glob("*.zip"))]


def local_load() -> tuple[Report, dict[str, float], tuple[float, float]]:
    """scripts/perf/load_test.py against its own local server; the report, CPU per request, and load averages."""
    output = ROOT / "build" / "load-bench"
    before = os.getloadavg()[0]
    command = [sys.executable, "-m", "scripts.perf.load_test", "--output", str(output)]
    command += ["--rate", str(LOAD_RATE), "--duration", str(LOAD_SECONDS), "--products", str(LOAD_PRODUCTS)]
    environment = {k: v for k, v in os.environ.items() if k not in ("DYNAMODB_ENDPOINT_URL", "TABLE_NAME")}
    subprocess.run(command, capture_output=True, text=True, env=environment | {"LOG_LEVEL": "INFO"})
    saved = json.loads((output / "report.json").read_text(encoding="utf-8"))
    return Report.from_dict(saved), saved.get("cpu_ms_per_request", {}), (before, os.getloadavg()[0])


# --- the report ----------------------------------------------------------------------------------------


def _operations(names: list[str]) -> str:
    counts = Counter(names)
    return ", ".join(f"{name} x{count}" if count > 1 else name for name, count in counts.items()) or "none"


def capacity_section(rows: list[tuple[int, int, int, bool, int, int]]) -> list[str]:
    """The first-page capacity table and what a catalogue with many deletes can do beyond it."""
    lines = [
        "",
        f"## The default list's first page as deletes pile up ({CAPACITY_ACTIVE} active products, limit 50)",
        "",
        "A default-list request makes at most 5 Scan calls (`ScanBudget`): the first sized to the page, the rest",
        "to the density of active products found so far, up to 4,000 items each; DynamoDB also ends a call at",
        "1 MB read. When the budget runs out the page is returned as it is, with a `nextToken`. Each deleted",
        "product leaves two items (the product and its name claim); one in ten also left an idempotency record.",
        "",
        "| deleted products | table items | products on the first page | nextToken | Scan calls | items read |",
        "|---:|---:|---:|---|---:|---:|",
    ]
    lines += [
        f"| {deleted:,} | {items:,} | {count} | {'yes' if token else 'no'} | {calls} | {read:,} |"
        for deleted, items, count, token, calls, read in rows
    ]
    full = max((row for row in rows if row[2] == CAPACITY_ACTIVE), key=lambda row: row[0])
    short = "".join(
        f"; at {row[0]:,} ({row[1]:,} items) it holds {row[2]}"
        for row in rows
        if row[2] < CAPACITY_ACTIVE and row[0] > full[0]
    )
    lines += [
        "",
        f"Where it stops: the first page is full up to {full[0]:,} deleted products ({full[1]:,} items){short}.",
        "The bound is DynamoDB's 1 MB per call: about 2,100 deleted products (about 480 bytes each), or many more",
        "name claims, per call; about 4 MB in 5 calls. Past it, pages come back short and the walk goes on",
        "through `nextToken` at the same bounded cost per request; a full walk reads every item once.",
        "",
        "Beyond this, a catalogue with many deletes can:",
        "- ask for `sortBy=price`: it queries the sparse price index, which holds active products only, so a",
        "  page costs one Query reading `limit + 1` items however many products were deleted (eventually",
        "  consistent, normally well under a second);",
        "- purge long-deleted products (a future option): on deactivation, set a TTL attribute (say a year later)",
        "  on the product and its name claim, and DynamoDB deletes both at no cost. The cost: a purged product",
        "  can no longer be restored and its name becomes free again, so it needs a product decision and a",
        "  documented retention period; restores before the TTL must clear it.",
    ]
    return lines


def report(
    calls: list[tuple[str, list[str]]],
    cold: list[cold_start.ColdStart],
    warm: tuple[float, float],
    lists: list[ListCost],
    capacity: list[tuple[int, int, int, bool, int, int]],
    sizes: list[tuple[str, int]],
    load: tuple[Report, dict[str, float], tuple[float, float]] | None,
    snapstart: list[str],
) -> str:
    lines = [
        "# Performance figures",
        "",
        "Regenerated by `make bench` (`python -m scripts.perf.benchmark`) on the development machine (2 cores), against",
        "moto's DynamoDB on loopback. Absolute times are this machine's, not AWS's; the ratios within one run are",
        "what the figures are for. Re-run after any change to imports or the request path.",
        "",
        "## DynamoDB calls per operation",
        "",
        "Each operation runs once through its handler; every botocore call the process makes is counted (at",
        "`BaseClient._make_api_call`, the one entry point of every client). In AWS each call is a round trip of",
        "several milliseconds, so this is most of a request's latency.",
        "",
        "| operation | calls | DynamoDB operations |",
        "|---|---:|---|",
    ]
    lines += [f"| {label} | {len(names)} | {_operations(names)} |" for label, names in calls]
    lines += [
        "",
        f"## Cold start (best and median of {cold_start.RUNS} fresh interpreters, taken in turns)",
        "",
        "Each probe is a new `python -I` process: import the handler module, then handle one request (which",
        "creates the DynamoDB client). The floor is what any function pays: import boto3, create a client and",
        "make one GetItem. DynamoDB's exchange is answered in process (botocore's HTTP send returns a canned",
        "answer), so endpoint resolution, signing and parsing count but no server does: the ratio is the",
        "code's own. Other work on the machine only ever adds time, so the bar (reads 1.05x, writes",
        "1.15x) is the best run against the floor's best; the medians and the best CPU time are shown too.",
        f"Load average when measured: {os.getloadavg()[0]:.1f} (2 cores). Well above the core count, the",
        "wall-clock columns mostly measure the other work (runs on one tree spread by 0.3x); the CPU columns",
        "spread less.",
        "",
        *cold_start.table(cold),
        "",
        *snapstart,
    ]
    handler_ms, call_ms = warm
    lines += [
        "",
        f"## Warm request cost (median of {WARM_REQUESTS} GET by id)",
        "",
        "The handler runs in this process, as in a warm container; the DynamoDB call inside the same request is",
        "timed at botocore's entry point, so the difference is the handler's own work.",
        "",
        "| path | ms per request |",
        "|---|---:|",
        f"| `get_product.handler`, whole request (parse, GetItem, response, JSON log line) | {handler_ms:.3f} |",
        f"| the botocore `GetItem` call inside it | {call_ms:.3f} |",
        f"| handler's own cost | {handler_ms - call_ms:.3f} ({(handler_ms - call_ms) / call_ms:.0%} of the call) |",
        "",
        f"## List cost as soft-deleted products pile up ({ACTIVE_PRODUCTS} active products)",
        "",
        "Each product and its name claim are copied from ones made through the handlers (a deleted product after",
        "the delete handler), then written with BatchWriteItem. Each view is walked from the first page to the",
        "last by following `nextToken` (limit 50; `name` asks for one product's name). A request's calls are its",
        "Scan or Query calls; items read are DynamoDB's ScannedCount, summed over the walk and divided by the",
        f"products returned. A request still reading after {MAX_CALLS} calls is stopped (moto scans the whole table",
        "for every call, so it would take hours here).",
        "",
        "| view | deleted products | requests | calls per request, worst | median | items read per product |"
        " slowest request ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in lists:
        if c.stopped:
            lines.append(
                f"| {c.view} | {c.deleted:,} | {c.requests} | more than {MAX_CALLS} (stopped) | | | |"
            )
        else:
            lines.append(
                f"| {c.view} | {c.deleted:,} | {c.requests} | {c.calls_worst} | {c.calls_median:g} | "
                f"{c.items_per_product:.1f} | {c.seconds_worst * 1000:.0f} |"
            )
    lines += capacity_section(capacity)
    lines += [
        "",
        "## Package sizes (`scripts/ops/package_lambdas.sh`, arm64)",
        "",
        "Each function ZIP carries `src/` without the other handlers; the dependencies layer (pydantic-core for the",
        "write functions' body validation) is attached only to create and update. boto3 comes from the runtime.",
        "",
        "| package | bytes |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {size:,} |" for name, size in sizes]
    lines += ["", "## Local server under load (`make load`)", ""]
    if load is None:
        lines.append("Not measured in this run (`--skip-load`).")
    else:
        result, cpu, (load_before, load_after) = load
        shares = ", ".join(f"{name} {ms} ms" for name, ms in cpu.items())
        lines += [
            f"`scripts/perf/load_test.py --rate {LOAD_RATE} --duration {LOAD_SECONDS} --products {LOAD_PRODUCTS}`: "
            "Locust, headless, the production mix (60% get, 25% list of which a third sortBy=price, 10% update",
            "with If-Match, 5% create; writes SigV4-signed) against the local server (`scripts/local_server`) with moto's DynamoDB in",
            f"its own process. Machine load average {load_before:.1f} before and {load_after:.1f} after (other work",
            "shares these 2 cores, so latency here is an upper bound).",
            "",
            *result.table(),
            "",
            f"CPU per request: {shares} (from /proc, so other load on the machine does not inflate it much).",
        ]
    lines += [
        "",
        "What limited the local server before: moto's DynamoDB ran in the server's own interpreter and spent",
        "about 70% of its CPU in moto's generic response serializer (py-spy), about 40 ms of CPU per request of",
        "the mix, so it answered 503 after its 2-3 s timeouts at 60 requests/s. Now moto runs in its own process",
        "(still one request at a time, so every call is atomic) and answers item operations with plain",
        "`json.dumps` (`scripts/local_server/dynamodb.py`; a test compares every answer with moto's own).",
        "",
        "## Load test in AWS",
        "",
        "`make load URL=https://<api-id>.execute-api.<region>.amazonaws.com/<stage> RATE=100 DURATION=60` runs the",
        "same mix against a deployed stage, signing writes with your AWS credentials (the usual chain: profile,",
        "environment, SSO), so the caller needs `execute-api:Invoke` on the API. It first makes sure 200 active",
        "products exist (creating the missing ones, named `Load Seed ...`); every run also creates about 5% of its",
        "requests as `Load Plan ...` products, so use a test stage. Pass: p95 of every operation under 300 ms at",
        "100 requests/s with no errors (`P95_MS=300 MAX_ERROR_RATE=0`, the defaults); the report is saved in",
        "`build/load/report.json`.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "PERFORMANCE.md")
    parser.add_argument("--skip-load", action="store_true", help="leave out the local load test (30 s)")
    args = parser.parse_args()
    dynamodb = EmbeddedDynamoDB()
    dynamodb.start()
    os.environ["DYNAMODB_ENDPOINT_URL"] = dynamodb.endpoint_url
    log = CallLog()
    try:
        from repositories.dynamodb import create_client
        from utils.settings import get_settings

        client, table = create_client(get_settings()), get_settings().table_name
        create_table(client, table)
        with log.recording():
            calls = calls_per_operation(log)
            product_id = json.loads(invoke("create_product")["body"])["product"]["productId"]
            warm = warm_overhead(log, product_id)
        with log.recording():
            lists = list_costs(log, client, table)
        capacity = first_page_capacity(dynamodb.endpoint_url)
    finally:
        dynamodb.stop()
    cold = cold_start.cold_starts()
    floor, restored = restore.restores()
    snapstart = restore.section(floor, restored) + restore.cost_section(cold, restored)
    load = None if args.skip_load else local_load()
    text = report(calls, cold, warm, lists, capacity, package_sizes(), load, snapstart)
    text += "\n" + "\n".join(secret_cost.section(cold_start.RUNS))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
