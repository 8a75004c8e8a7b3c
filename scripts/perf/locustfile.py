"""Locust users with the production mix; run it through scripts/perf/load_test.py (`make load`).

Mix per request: 60% get by id, 25% list (a third of them sortBy=price), 10% update (price, with If-Match),
5% create. Writes are SigV4-signed (service execute-api) with the caller's AWS credentials, as API Gateway's
AWS_IAM methods require. Each user updates only its own share of the products, so its If-Match versions are
always current and a 412 means a bug, not a race the test made. When Locust stops, the report
(per-operation percentiles, throughput, errors by status) is printed and saved, and the exit code says
whether the thresholds held.
"""

from __future__ import annotations

import itertools
import json
import random
import time
import uuid
from argparse import ArgumentParser
from collections import Counter
from pathlib import Path
from typing import Any

import gevent
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import get_session
from locust import FastHttpUser, events, task
from locust.env import Environment

from scripts.perf.load_report import Report

PRODUCTS = "/v1.0/products"
_USER_NUMBERS = itertools.count()
_RUN: dict[str, Any] = {"environment": None, "products": [], "requests": 0, "credentials": None}
_ERRORS: Counter[tuple[str, str]] = Counter()


@events.init_command_line_parser.add_listener
def _options(parser: ArgumentParser) -> None:
    parser.add_argument("--products-file", default="", help="JSON list of [productId, version] to use")
    parser.add_argument("--rate", type=float, default=1.0, help="requests per second, all users together")
    parser.add_argument("--max-requests", type=int, default=0, help="stop after this many (0: no bound)")
    parser.add_argument("--p95-ms", type=float, default=300.0, help="fail when an operation's p95 is above")
    parser.add_argument(
        "--max-error-rate", type=float, default=0.0, help="fail when errors/requests is above"
    )
    parser.add_argument("--region", default="eu-west-1", help="region for the SigV4 signature")
    parser.add_argument("--report", default="", help="also write the report as JSON to this file")


@events.init.add_listener
def _remember(environment: Environment, **_: Any) -> None:
    _RUN["environment"] = environment


@events.test_start.add_listener
def _load_products(environment: Environment, **_: Any) -> None:
    products = json.loads(Path(environment.parsed_options.products_file).read_text(encoding="utf-8"))
    _RUN["products"] = [(product_id, int(version)) for product_id, version in products]
    # The caller's usual credential chain (profile, environment, SSO); a local server only checks presence.
    _RUN["credentials"] = get_session().get_credentials() or Credentials("load-test", "local")


@events.request.add_listener
def _count(name: str, response: Any, exception: BaseException | None, **_: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    if exception is not None or status >= 400:
        _ERRORS[(name, str(status) if status else "no response")] += 1
    _RUN["requests"] += 1
    environment = _RUN["environment"]
    limit = environment.parsed_options.max_requests
    if limit and _RUN["requests"] == limit:
        gevent.spawn(environment.runner.quit)  # not from this greenlet: quitting kills the users


@events.quitting.add_listener
def _report(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    report = Report.from_locust(environment.stats, dict(_ERRORS), options.rate)
    print(report.text(options.p95_ms, options.max_error_rate), flush=True)
    if options.report:
        Path(options.report).write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    environment.process_exit_code = 1 if report.failures(options.p95_ms, options.max_error_rate) else 0


class ProductApiUser(FastHttpUser):
    """One caller; all of them together make `--rate` requests per second."""

    def on_start(self) -> None:
        options = self.environment.parsed_options
        users = max(1, options.num_users or 1)
        self.pace = users / options.rate
        self.next_at = 0.0
        number = next(_USER_NUMBERS) % users
        # This user's own products (by position), with the version its last write returned.
        self.owned = {
            pid: version for i, (pid, version) in enumerate(_RUN["products"]) if i % users == number
        }
        self.signer = SigV4Auth(_RUN["credentials"].get_frozen_credentials(), "execute-api", options.region)

    def wait_time(self) -> float:
        # Constant pacing from a fixed schedule, so a slow answer does not lower the offered rate later.
        now = time.monotonic()
        self.next_at = (
            max(self.next_at + self.pace, now) if self.next_at else now + random.random() * self.pace
        )
        return max(0.0, self.next_at - now)

    @task(60)
    def get(self) -> None:
        product_id, _ = random.choice(_RUN["products"])
        self.client.get(f"{PRODUCTS}/{product_id}", name="get")

    @task(25)
    def list(self) -> None:
        if random.random() < 1 / 3:
            self.client.get(f"{PRODUCTS}?sortBy=price", name="list sortBy=price")
        else:
            self.client.get(PRODUCTS, name="list")

    @task(10)
    def update(self) -> None:
        if not self.owned:
            return self.create()
        product_id = random.choice(tuple(self.owned))
        body = json.dumps({"price": round(random.uniform(10, 999), 2)}).encode()
        headers = {"If-Match": f'"{self.owned[product_id]}"'}
        with self._signed("PUT", f"{PRODUCTS}/{product_id}", body, headers, "update") as response:
            if response.status_code == 200:
                self.owned[product_id] = response.json()["product"]["version"]
        if response.status_code == 412:
            # Only this user writes the product, so the update did land once: a retry after a lost answer
            # (a slow DynamoDB) failed its own condition. Read the version again (counted as a get).
            read = self.client.get(f"{PRODUCTS}/{product_id}", name="get")
            if read.status_code == 200:
                self.owned[product_id] = read.json()["product"]["version"]

    @task(5)
    def create(self) -> None:
        body = {
            "name": f"Load Plan {uuid.uuid4().hex[:16]}",
            "description": "Created by the load test.",
            "price": round(random.uniform(10, 999), 2),
            "period": "monthly",
        }
        with self._signed("POST", PRODUCTS, json.dumps(body).encode(), {}, "create") as response:
            if response.status_code == 201:
                self.owned[response.json()["product"]["productId"]] = 1

    def _signed(self, method: str, path: str, body: bytes, headers: dict[str, str], name: str) -> Any:
        request = AWSRequest(
            method=method,
            url=self.host.rstrip("/") + path,
            data=body,
            headers={"Content-Type": "application/json", **headers},
        )
        self.signer.add_auth(request)
        return self.client.request(
            method, path, data=body, headers=dict(request.headers.items()), name=name, catch_response=True
        )
