#!/usr/bin/env python3
"""Load-test the Product API with Locust at a fixed rate, headless, bounded in time and requests.

    PYTHONPATH=src python -m scripts.perf.load_test                  # starts the local server itself
    PYTHONPATH=src python -m scripts.perf.load_test --url https://<api>/dev --rate 100 --duration 60

Without --url it starts the local server (scripts/local_server) on a free port (its own moto DynamoDB) and stops it after.
Either way it first makes sure --products active products exist (creating the missing ones, signed), then
runs scripts/perf/locustfile.py with the production mix. Prints and saves (build/load/report.json) p50/p95/p99
per operation, throughput and errors by status; exits 1 when a p95 or the error rate passes its threshold.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import get_session

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = "/v1.0/products"
_READY = re.compile(r"Product API on (http://\S+?)/v1\.0/products")
_REGION = re.compile(r"execute-api\.([a-z0-9-]+)\.amazonaws\.com")


class SignedClient:
    """JSON requests to one base URL; writes SigV4-signed for execute-api with the caller's credentials."""

    def __init__(self, base_url: str, region: str) -> None:
        self.base_url = base_url.rstrip("/")
        credentials = get_session().get_credentials() or Credentials("load-test", "local")
        self._signer = SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = AWSRequest(method=method, url=self.base_url + path, data=data or b"")
        if data is not None:
            request.headers["Content-Type"] = "application/json"
        if method != "GET":
            self._signer.add_auth(request)
        return _send(method, request.url, data, dict(request.headers.items()))


def _send(method: str, url: str, data: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
    """One HTTP(S) exchange (http or https only); the status and the JSON body."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"--url must be http or https, not {parts.scheme!r}")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.netloc, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def active_products(client: SignedClient) -> list[tuple[str, int]]:
    """Every active product's id and version, walking the default list."""
    found: list[tuple[str, int]] = []
    token = ""
    while True:
        status, page = client.call("GET", f"{PRODUCTS}?limit=100" + (f"&nextToken={token}" if token else ""))
        if status != 200:
            raise RuntimeError(f"listing products answered {status}: {page}")
        found += [(product["productId"], int(product["version"])) for product in page["products"]]
        token = page.get("nextToken") or ""
        if not token:
            return found


def ensure_products(client: SignedClient, wanted: int) -> list[tuple[str, int]]:
    """At least `wanted` active products: the existing ones, plus new ones created (8 at a time)."""
    products = active_products(client)[:wanted]
    run = uuid.uuid4().hex[:8]

    def create(number: int) -> tuple[str, int]:
        body = {
            "name": f"Load Seed {run} {number:05d}",
            "description": "Seeded by the load test.",
            "price": 10 + number % 900,
            "period": "monthly",
        }
        status, answer = client.call("POST", PRODUCTS, body)
        if status != 201:
            raise RuntimeError(f"seeding a product answered {status}: {answer}")
        return answer["product"]["productId"], int(answer["product"]["version"])

    with ThreadPoolExecutor(8) as pool:
        products += pool.map(create, range(wanted - len(products)))
    return products


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user + system) used so far by a process itself and by its children (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0, 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own, sum(sum(cpu_seconds(int(child))) for child in children)


@contextmanager
def local_server(log_path: Path) -> Iterator[tuple[str, int]]:
    """The local server on a free port, with its own DynamoDB; yields its base URL and process id."""
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "scripts.local_server", "--port", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
        )
        try:
            yield _wait_until_ready(server, log_path), server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_ready(server: subprocess.Popen[bytes], log_path: Path, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        match = _READY.search(log_path.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
        if server.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"the local server did not start; see {log_path}")


def region_for(url: str) -> str:
    match = _REGION.search(url)
    return match.group(1) if match else os.environ.get("AWS_REGION", "eu-west-1")


def run_locust(url: str, products_file: Path, args: argparse.Namespace) -> int:
    users = args.users or max(1, math.ceil(args.rate / 2))  # each user paced at about 2 requests/s
    max_requests = args.max_requests or math.ceil(args.rate * args.duration * 1.2)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "scripts" / "perf" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--host",
        url,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "5",
        "--products-file",
        str(products_file),
        "--rate",
        str(args.rate),
        "--max-requests",
        str(max_requests),
        "--p95-ms",
        str(args.p95_ms),
        "--max-error-rate",
        str(args.max_error_rate),
        "--region",
        region_for(url),
        "--report",
        str(args.output / "report.json"),
    ]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, env=environment, cwd=args.output).returncode


def drive(url: str, args: argparse.Namespace, server_pid: int = 0) -> int:
    client = SignedClient(url, region_for(url))
    started = time.monotonic()
    products = ensure_products(client, args.products)
    print(f"{len(products)} products ready in {time.monotonic() - started:.1f} s", flush=True)
    products_file = args.output / "products.json"
    products_file.write_text(json.dumps(products), encoding="utf-8")
    before = cpu_seconds(server_pid) if server_pid else (0.0, 0.0)
    status = run_locust(url, products_file, args)
    if server_pid:
        after = cpu_seconds(server_pid)
        add_server_cpu(args.output / "report.json", after[0] - before[0], after[1] - before[1])
    return status


def add_server_cpu(report_path: Path, handlers: float, dynamodb: float) -> None:
    """Record the local server's CPU per request, a figure the machine's other load cannot inflate much."""
    if not report_path.exists():
        return
    report = json.loads(report_path.read_text(encoding="utf-8"))
    requests = max(1, report["requests"])
    report["cpu_ms_per_request"] = {
        "handlers process": round(handlers * 1000 / requests, 2),
        "DynamoDB process": round(dynamodb * 1000 / requests, 2),
    }
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    shares = ", ".join(f"{name} {ms} ms" for name, ms in report["cpu_ms_per_request"].items())
    print(f"Local server CPU per request: {shares}.", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="", help="the stage's base URL (default: start the local server)")
    parser.add_argument("--rate", type=float, default=50, help="requests per second (default 50)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument(
        "--max-requests", type=int, default=0, help="stop after (default rate x duration x 1.2)"
    )
    parser.add_argument("--products", type=int, default=200, help="active products to use (default 200)")
    parser.add_argument("--users", type=int, default=0, help="Locust users (default rate / 2)")
    parser.add_argument("--p95-ms", type=float, default=300, help="fail when an operation's p95 is above")
    parser.add_argument(
        "--max-error-rate", type=float, default=0.0, help="fail when errors/requests is above"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "load", help="where results go")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.output = args.output.resolve()
    args.output.mkdir(parents=True, exist_ok=True)
    if args.url:
        return drive(args.url, args)
    with local_server(args.output / "local_api.log") as (url, pid):
        return drive(url, args, pid)


if __name__ == "__main__":
    sys.exit(main())
