#!/usr/bin/env python3
"""Measure what can be measured here, as ratios within one run, and write docs/PERFORMANCE.md.

- cold start of each function (fresh interpreter: import, first request) beside the floor of importing boto3,
  creating a DynamoDB client and making one call;
- a warm handler's own cost per request beside the botocore call it cannot avoid;
- items DynamoDB reads per default list page as the table grows;
- the size of each Lambda package.

Everything runs against moto's DynamoDB on loopback, so absolute times say little about AWS; the ratios are
the point. Usage: python scripts/benchmark.py [--output docs/PERFORMANCE.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.update(
    TABLE_NAME="bbws-products-bench",
    AWS_REGION="eu-west-1",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    ALLOWED_ORIGINS="*",
    LOG_LEVEL="WARNING",
)

from function_manifest import load_functions  # noqa: E402
from local_api import EmbeddedDynamoDB, proxy_event  # noqa: E402
from local_table import create_table  # noqa: E402

COLD_RUNS = 7
WARM_REQUESTS = 300
FUNCTIONS = load_functions()

COLD_PROBE = """
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, {src!r})
import handlers.{name} as module
imported = time.perf_counter()
response = module.handler({event}, None)
done = time.perf_counter()
assert response["statusCode"] < 500, response
print(json.dumps({{"import": imported - started, "first": done - imported}}))
"""
FLOOR_PROBE = """
import json, time
started = time.perf_counter()
import boto3
imported = time.perf_counter()
client = boto3.session.Session().client("dynamodb", region_name="eu-west-1", endpoint_url={endpoint!r})
client.get_item(TableName="bbws-products-bench", Key={{"PK": {{"S": "x"}}, "SK": {{"S": "y"}}}})
done = time.perf_counter()
print(json.dumps({{"import": imported - started, "first": done - imported}}))
"""


def event_for(name: str, product_id: str) -> dict[str, Any]:
    body = {"name": f"Cold Plan {time.time_ns()}", "description": "Measured cold start.", "price": 9.5}
    signed = [("Content-Type", "application/json"), ("Authorization", "AWS4-HMAC-SHA256 Credential=bench/")]
    payloads = {"POST": json.dumps(body | {"period": "monthly"}).encode(), "PUT": b'{"price": 10.5}'}
    function = FUNCTIONS[name]
    method, path = function.method, function.path.replace("{productId}", product_id)
    payload = payloads.get(method, b"")
    event, _ = proxy_event(method, path, signed, payload, "127.0.0.1")
    assert event is not None
    return event


def run_probe(code: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, env=dict(os.environ)
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    timings: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return timings


def median_ms(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(sample[key] for sample in samples) * 1000


def cold_starts(endpoint: str, product_id: str) -> list[tuple[str, float, float]]:
    rows = []
    floor = [run_probe(FLOOR_PROBE.format(endpoint=endpoint)) for _ in range(COLD_RUNS)]
    rows.append(
        ("boto3 floor (import, client + one GetItem)", median_ms(floor, "import"), median_ms(floor, "first"))
    )
    for name in FUNCTIONS:
        code = COLD_PROBE.format(src=str(ROOT / "src"), name=name, event=repr(event_for(name, product_id)))
        samples = [run_probe(code) for _ in range(COLD_RUNS)]
        rows.append((name, median_ms(samples, "import"), median_ms(samples, "first")))
    return rows


def warm_overhead(product_id: str) -> tuple[float, float]:
    """Median ms per warm GET by id: the whole handler, and the botocore GetItem inside it.

    Timing the call inside the same request (rather than a separate loop of bare calls) makes the difference
    the handler's own cost: parsing, validation, response building and the JSON log line.
    """
    import contextlib
    import io

    from handlers import get_product
    from repositories import product_repository
    from utils.logger import get_logger

    event = event_for("get_product", product_id)
    inner: list[float] = []
    call = product_repository._call

    def timed_call(operation: Any, **request: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(operation, **request)
        finally:
            inner.append(time.perf_counter() - started)

    product_repository._call = timed_call  # type: ignore[assignment]
    get_logger().setLevel("INFO")  # include the log line the function writes for every request
    totals = []
    with contextlib.redirect_stdout(io.StringIO()):
        get_product.handler(event, None)
        inner.clear()
        for _ in range(WARM_REQUESTS):
            started = time.perf_counter()
            assert get_product.handler(event, None)["statusCode"] == 200
            totals.append(time.perf_counter() - started)
    product_repository._call = call  # type: ignore[assignment]
    return statistics.median(totals) * 1000, statistics.median(inner) * 1000


def items_read_per_page(sizes: tuple[int, ...]) -> list[tuple[int, int, float, int]]:
    """(active products, pages, mean items read per page, Scan calls) for a full walk of the default list.

    Every fourth product is inactive, as soft deletes leave them; each product also has its name claim.
    """
    import uuid
    from decimal import Decimal

    from models.record import ProductRecord
    from repositories.dynamodb import create_client
    from repositories.product_repository import ProductRepository, name_claim_item, to_item
    from utils.settings import get_settings

    settings = get_settings()
    client = create_client(settings)
    counted = {"scanned": 0, "calls": 0}
    original_scan = client.scan

    def counting_scan(**request: Any) -> Any:
        response = original_scan(**request)
        counted["scanned"] += response["ScannedCount"]
        counted["calls"] += 1
        return response

    repository = ProductRepository(client, settings.table_name)
    rows, made = [], 0
    for size in sizes:
        batch: list[dict[str, Any]] = []
        while made < size:
            product = ProductRecord(
                str(uuid.uuid4()),
                f"Scale Plan {made:05d}",
                "A product for the scale test.",
                Decimal("9.99"),
                "ZAR",
                "monthly",
                (),
                made % 4 != 3,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                "bench",
                1,
            )
            batch += [
                {"PutRequest": {"Item": to_item(product)}},
                {"PutRequest": {"Item": name_claim_item(product)}},
            ]
            made += 1
        for start in range(0, len(batch), 25):  # seeded directly: moto's transactions slow down with size
            client.batch_write_item(RequestItems={settings.table_name: batch[start : start + 25]})
        client.scan = counting_scan  # type: ignore[method-assign]
        counted.update(scanned=0, calls=0)
        pages, active, token = 0, 0, None
        while True:
            page = repository.list_active(50, token)
            pages += 1
            active += len(page.products)
            token = page.next_token
            if token is None:
                break
        client.scan = original_scan  # type: ignore[method-assign]
        rows.append((active, pages, counted["scanned"] / pages, counted["calls"]))
    return rows


def package_sizes() -> list[tuple[str, int]]:
    """Build the Lambda packages (scripts/package_lambdas.sh) and return each ZIP's size in bytes."""
    subprocess.run(["bash", str(ROOT / "scripts" / "package_lambdas.sh")], check=True, capture_output=True)
    return [(path.name, path.stat().st_size) for path in sorted((ROOT / "build" / "lambda").glob("*.zip"))]


def report(
    cold: list[tuple[str, float, float]],
    warm: tuple[float, float],
    scale: list[Any],
    sizes: list[tuple[str, int]],
) -> str:
    floor_total = cold[0][1] + cold[0][2]
    lines = [
        "# Performance figures",
        "",
        "Measured by `python scripts/benchmark.py` (or `make bench`) on the development machine (2 cores), against",
        "moto's DynamoDB on loopback. Absolute times are this machine's, not AWS's; the ratios within one run are",
        "what the figures are for. Re-run after any change to imports or the request path.",
        "",
        f"## Cold start (median of {COLD_RUNS} fresh interpreters)",
        "",
        "| function | import ms | first request ms | total ms | total / boto3 floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, imported, first in cold:
        total = imported + first
        lines.append(f"| {name} | {imported:.0f} | {first:.0f} | {total:.0f} | {total / floor_total:.2f} |")
    handler_ms, bare_ms = warm
    lines += [
        "",
        f"## Warm request cost (median of {WARM_REQUESTS} GET by id)",
        "",
        "| path | ms per request |",
        "|---|---:|",
        f"| `get_product.handler`, whole request (parse, GetItem, response, JSON log line) | {handler_ms:.3f} |",
        f"| the botocore `GetItem` call inside it | {bare_ms:.3f} |",
        f"| handler's own cost | {handler_ms - bare_ms:.3f} ({(handler_ms - bare_ms) / bare_ms:.0%} of the call) |",
        "",
        "## Items read per default list page (limit 50, full walk)",
        "",
        "Every product also has a name-claim item, and a quarter of the products are soft-deleted, so a scan",
        "reads about 2.7 items per active product. It reads ahead so most pages take one call, and stops as soon",
        "as the page and one more active product are found.",
        "",
        "| active products | pages | items read per page | Scan calls |",
        "|---:|---:|---:|---:|",
    ]
    lines += [f"| {size} | {pages} | {per_page:.0f} | {calls} |" for size, pages, per_page, calls in scale]
    lines += [
        "",
        "## Package sizes (`scripts/package_lambdas.sh`, arm64)",
        "",
        "Each function ZIP carries `src/` without the other handlers; pydantic lives in the layer, which only the",
        "create and update functions use. boto3 comes from the Lambda runtime.",
        "",
        "| package | bytes |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {size:,} |" for name, size in sizes]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "PERFORMANCE.md")
    args = parser.parse_args()
    dynamodb = EmbeddedDynamoDB()
    dynamodb.start()
    os.environ["DYNAMODB_ENDPOINT_URL"] = dynamodb.endpoint_url
    try:
        from handlers import create_product
        from repositories.dynamodb import create_client
        from utils.settings import get_settings

        create_table(create_client(get_settings()), get_settings().table_name)
        created = create_product.handler(event_for("create_product", ""), None)
        product_id = json.loads(created["body"])["product"]["productId"]
        warm = warm_overhead(product_id)
        cold = cold_starts(dynamodb.endpoint_url, product_id)
        scale = items_read_per_page((100, 1000, 5000))
    finally:
        dynamodb.stop()
    text = report(cold, warm, scale, package_sizes())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
