"""Cold start of each function beside the floor, with DynamoDB's exchange answered in process.

Each probe is a fresh `python -I` interpreter: import the handler module, then handle one request (which
creates the DynamoDB client and makes the function's calls). The floor is what any function pays: import
boto3, create a client, make one GetItem. In both, botocore does everything it does in Lambda (endpoint
resolution, serialising, signing, parsing the answer) except the network: `Endpoint._send`, botocore's HTTP
send, returns a canned DynamoDB answer, so the ratio is the code's own and no server's latency or load is in
it. The probes are
taken in turns (floor, get, list, ...; again), so a change in the machine's other load falls on all alike.
Other work only ever adds time, so the best run of each is the steady figure; the median is reported too.

    PYTHONPATH=src python -m scripts.perf.cold_start [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from models.record import ProductRecord
from repositories import keys
from repositories.items import to_item
from scripts.function_manifest import load_functions

ROOT = Path(__file__).resolve().parents[2]
RUNS = 15
FLOOR = "boto3 floor (import, client + one GetItem)"
PRODUCT_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
# The cold-start bars, best against the floor's best: reads (get, list, delete) and writes (create,
# update), which are the functions that validate bodies with the dependencies layer.
READ_BAR, WRITE_BAR = 1.05, 1.15
# The bench's configuration, as a function's environment holds it (the list function alone has the secret).
BENCH_ENVIRONMENT = {
    "TABLE_NAME": "bbws-products-bench",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "ALLOWED_ORIGINS": "*",
    "LOG_LEVEL": "WARNING",
    "PAGE_TOKEN_SECRET": "bench-page-token-secret-of-32-characters-or-more",
}

# The answers DynamoDB would give to each operation the probes make: one active product, stored as the
# repository stores it.
PRODUCT = ProductRecord(
    product_id=PRODUCT_ID,
    name="Cold Plan",
    description="Measured cold start.",
    price=Decimal("9.50"),
    currency="ZAR",
    period="monthly",
    features=(),
    active=True,
    created_at="2026-01-01T00:00:00.000Z",
    updated_at="2026-01-01T00:00:00.000Z",
    last_updated_by="anonymous",
    version=1,
)
ANSWERS = {
    "GetItem": {"Item": to_item(PRODUCT)},
    "Scan": {"Items": [to_item(PRODUCT)], "Count": 1, "ScannedCount": 1},
    "TransactWriteItems": {},
    "UpdateItem": {"Attributes": to_item(replace(PRODUCT, version=2))},
}

# Answer botocore's HTTP send in process: by the operation named in the request's X-Amz-Target header. Its
# imports are botocore modules every client loads anyway, so it runs on the clock, alike in every probe.
_STUB = """
from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint

ANSWERS = {answers}


class _Body:
    def __init__(self, data):
        self._data = data

    def stream(self, **_):
        yield self._data


def _send(self, request):
    operation = request.headers["X-Amz-Target"].decode().rpartition(".")[2]
    body = json.dumps(ANSWERS[operation]).encode()
    headers = {{"Content-Type": "application/x-amz-json-1.0", "Content-Length": str(len(body))}}
    return AWSResponse(request.url, 200, headers, _Body(body))


Endpoint._send = _send
"""
_START = """
import json, sys, time
started, started_cpu = time.perf_counter(), time.process_time()
"""
_TIMED = """
{imports}
imported = time.perf_counter()
{first}
done, done_cpu = time.perf_counter(), time.process_time()
print(json.dumps({{"import": imported - started, "first": done - imported, "cpu": done_cpu - started_cpu}}))
"""
# A function's package root is on sys.path in Lambda; -I leaves PYTHONPATH out, so the probe puts src there.
FUNCTION_IMPORTS = "sys.path.insert(0, {src!r})\nimport handlers.{name} as module"
FUNCTION_FIRST = "response = module.handler({event!r}, None)\nassert response['statusCode'] < 300, response"
FLOOR_IMPORTS = "import boto3"
FLOOR_FIRST = (
    "client = boto3.session.Session().client('dynamodb', region_name='eu-west-1')\n"
    f"client.get_item(TableName='bbws-products-bench', Key={keys.item_key(keys.product_pk(PRODUCT_ID))!r})"
)


@dataclass(frozen=True)
class ColdStart:
    """One probe's figures in milliseconds: medians of import, first request and total; the best total, and
    the best CPU time (what the process itself spent, which other work on the machine disturbs less)."""

    name: str
    imported: float
    first: float
    total: float
    best: float
    best_cpu: float


def stub_code(answers: dict[str, object]) -> str:
    """Probe code that answers botocore's HTTP send in process: `answers` by operation name."""
    return _STUB.format(answers=repr(answers))


def probe_code(imports: str, first: str) -> str:
    """A probe: the clock starts, the stub is installed, then the import and the first request."""
    return _START + stub_code(ANSWERS) + _TIMED.format(imports=imports, first=first)


def function_event(name: str) -> dict[str, object]:
    """A REST proxy event for function `name`, on its manifest route, that succeeds against the answers."""
    function = load_functions()[name]
    bodies = {
        "POST": {
            "name": "Cold Plan",
            "description": "Measured cold start.",
            "price": 9.5,
            "period": "monthly",
        },
        "PUT": {"price": 10.5},
    }
    body = bodies.get(function.method)
    return {
        "resource": function.path,
        "path": function.path.replace("{productId}", PRODUCT_ID),
        "httpMethod": function.method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"productId": PRODUCT_ID} if "{productId}" in function.path else None,
        "requestContext": {"requestId": "cold-start-probe", "identity": {}},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def function_environment(name: str = FLOOR) -> dict[str, str]:
    """What function `name`'s environment holds in Lambda: no local endpoint (it is resolved as there), and
    the page token secret only for the list function, the collection's GET (others never load the token code).
    """
    environment = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT_URL"} | BENCH_ENVIRONMENT
    function = load_functions().get(name)
    if function is None or function.method != "GET" or "{" in function.path:
        del environment["PAGE_TOKEN_SECRET"]
    return environment


def run_probe(name: str, code: str) -> dict[str, float]:
    """Run one probe in a fresh interpreter with function `name`'s environment; its timings in seconds."""
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        env=function_environment(name),
        check=False,
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    timings: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return timings


def cold_starts(runs: int = RUNS) -> list[ColdStart]:
    """The floor first, then each function of the manifest: `runs` fresh interpreters each, in turns."""
    codes = {FLOOR: probe_code(FLOOR_IMPORTS, FLOOR_FIRST)}
    for name in load_functions():
        imports = FUNCTION_IMPORTS.format(src=str(ROOT / "src"), name=name)
        codes[name] = probe_code(imports, FUNCTION_FIRST.format(event=function_event(name)))
    totals: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            sample = run_probe(name, code)
            totals[name].append(sample | {"total": sample["import"] + sample["first"]})
    return [
        ColdStart(
            name,
            statistics.median(s["import"] for s in samples) * 1000,
            statistics.median(s["first"] for s in samples) * 1000,
            statistics.median(s["total"] for s in samples) * 1000,
            min(s["total"] for s in samples) * 1000,
            min(s["cpu"] for s in samples) * 1000,
        )
        for name, samples in totals.items()
    ]


def bar(name: str) -> float:
    """The most a function's best cold start may be, as a multiple of the floor's best."""
    return WRITE_BAR if load_functions()[name].uses_dependencies else READ_BAR


def table(results: list[ColdStart]) -> list[str]:
    """Markdown rows: each probe's figures and its ratios to the floor (best against best, and medians)."""
    floor = results[0]
    lines = [
        "| function | import ms | first request ms | median total ms | median / floor's median | best ms |"
        " best / floor's best | bar | best CPU ms | best CPU / floor's |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        within = "" if result is floor else f"{bar(result.name):.2f}x"
        lines.append(
            f"| {result.name} | {result.imported:.1f} | {result.first:.1f} | {result.total:.1f} | "
            f"{result.total / floor.total:.3f} | {result.best:.1f} | {result.best / floor.best:.3f} | "
            f"{within} | "
            f"{result.best_cpu:.1f} | {result.best_cpu / floor.best_cpu:.3f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"fresh interpreters per probe ({RUNS})")
    arguments = parser.parse_args()
    print("\n".join(table(cold_starts(arguments.runs))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
