#!/usr/bin/env python3
"""Post-deployment validation: one full product life cycle against a running Product API.

Creates a product with a name unique to this run, reads it back, finds it in the list, updates it (plainly,
with its ETag, and with a stale ETag that must fail), deletes it and checks it is gone, checking at each step
that the API answers as openapi.yaml says and that every read sees the write before it (read-your-writes).
Writes are signed with AWS Signature Version 4 when the botocore credential chain finds credentials. The
product is soft-deleted in the end whatever happened. Exit 0 only when every step gave the contract's answer.

    python scripts/ops/validate_deployment.py --base-url https://<api>.execute-api.eu-west-1.amazonaws.com/dev
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import Session

PRODUCTS_PATH = "/v1.0/products"
MAX_LIST_PAGES = 200
SIGNED_METHODS = ("POST", "PUT", "DELETE")


def find_credentials() -> Credentials | None:
    """AWS credentials from botocore's usual chain (environment, profile, SSO, instance role), if any."""
    return Session().get_credentials()


def sigv4_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
) -> dict[str, str]:
    """`headers` plus the SigV4 headers (Authorization, X-Amz-Date, ...) of an execute-api request."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return dict(request.headers.items())


@dataclass(frozen=True)
class Reply:
    """One HTTP response: status, headers (names lower-case), body and how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    millis: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ApiClient:
    """A minimal HTTP client for the API; signs writes when it has credentials."""

    def __init__(self, base_url: str, region: str, credentials: Credentials | None, timeout: float) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SystemExit(f"--base-url must be an http:// or https:// URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.region = region
        self.credentials = credentials
        self.timeout = timeout

    def call(
        self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> Reply:
        url = self.base_url + path
        payload = json.dumps(body).encode() if body is not None else b""
        sent = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/json"
        if method in SIGNED_METHODS and self.credentials is not None:
            sent = sigv4_headers(method, url, sent, payload, self.credentials, self.region)
        request = urllib.request.Request(url, data=payload or None, headers=sent, method=method)
        started = time.perf_counter()
        try:
            # base_url was checked to be http(s) in __init__, so no file: or custom scheme reaches urlopen.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                status, raw_headers, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, raw_headers, data = error.code, error.headers, error.read()
        millis = (time.perf_counter() - started) * 1000
        return Reply(status, {k.lower(): v for k, v in raw_headers.items()}, data, millis)


@dataclass
class Step:
    """One step of the cycle and what came of it."""

    name: str
    request: str
    expected: int
    status: int | None = None
    millis: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == self.expected and not self.problems


class Validation:
    """Runs the steps in order; a step's checks add problems instead of stopping the run."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.steps: list[Step] = []

    def step(
        self,
        name: str,
        method: str,
        path: str,
        expected: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        check: Callable[[Reply, Step], None] | None = None,
    ) -> Reply | None:
        step = Step(name, f"{method} {path}", expected)
        self.steps.append(step)
        try:
            reply = self.client.call(method, path, body, headers)
        except OSError as error:
            step.problems.append(f"no response: {error}")
            self._print(step)
            return None
        step.status, step.millis = reply.status, reply.millis
        if reply.status != expected:
            step.problems.append(f"expected {expected}, got {reply.status}: {reply.body[:300]!r}")
        elif check is not None:
            try:
                check(reply, step)
            except (ValueError, KeyError, TypeError) as error:
                step.problems.append(f"unreadable response: {error!r}")
        if "x-request-id" not in reply.headers:
            step.problems.append("no X-Request-Id header")
        self._print(step)
        return reply

    @staticmethod
    def _print(step: Step) -> None:
        mark = "PASS" if step.passed else "FAIL"
        status = step.status if step.status is not None else "---"
        print(f"{mark}  {step.name:<34} {step.request:<60} {status!s:>4} {step.millis:8.1f} ms", flush=True)
        for problem in step.problems:
            print(f"      - {problem}", flush=True)


def expect(step: Step, condition: bool, problem: str) -> None:
    """Record `problem` on the step unless `condition` holds."""
    if not condition:
        step.problems.append(problem)


def product_checks(expected_fields: Mapping[str, Any], version: int) -> Callable[[Reply, Step], None]:
    """Check a single-product response: the fields, the version and the ETag that goes with it."""

    def check(reply: Reply, step: Step) -> None:
        product = reply.json()["product"]
        for name, value in expected_fields.items():
            expect(step, product.get(name) == value, f"{name} is {product.get(name)!r}, expected {value!r}")
        expect(
            step,
            product.get("version") == version,
            f"version is {product.get('version')}, expected {version}",
        )
        expect(step, reply.headers.get("etag") == f'"{version}"', f"ETag is {reply.headers.get('etag')!r}")

    return check


def run_cycle(validation: Validation, run_id: str) -> None:
    """The life cycle; stops early only when a later step would have nothing to act on."""
    draft = {
        "name": f"Deployment check {run_id}",
        "description": "A temporary product created by validate_deployment.py; it deletes it again.",
        "price": 12.34,
        "currency": "ZAR",
        "period": "monthly",
        "features": ["Created by the deployment check"],
    }
    state: dict[str, Any] = {}

    def created(reply: Reply, step: Step) -> None:
        product = reply.json()["product"]
        state["id"] = product["productId"]
        product_checks(draft, 1)(reply, step)
        expect(step, product.get("active") is True, "a new product is not active")
        location = reply.headers.get("location")
        expect(step, location == f"{PRODUCTS_PATH}/{state['id']}", f"Location is {location!r}")

    validation.step("create", "POST", PRODUCTS_PATH, 201, body=draft, check=created)
    if "id" not in state:
        return
    item = f"{PRODUCTS_PATH}/{state['id']}"
    try:
        state["deleted"] = life_cycle(validation, item, draft, state["id"])
    finally:
        if not state.get("deleted"):
            validation.step("clean up: delete", "DELETE", item, 204)


def life_cycle(validation: Validation, item: str, draft: Mapping[str, Any], product_id: str) -> bool:
    """Every step after the create; True when the product was deleted."""

    validation.step("read own create", "GET", item, 200, check=product_checks(draft, 1))
    validation.step("read, ETag still current", "GET", item, 304, headers={"If-None-Match": '"1"'})

    def listed(reply: Reply, step: Step) -> None:
        found = list_pages(validation.client, product_id)
        expect(step, found == 1, f"the product is in the list {found} times, expected once")

    validation.step("list finds it (all pages)", "GET", f"{PRODUCTS_PATH}?limit=100", 200, check=listed)

    changes = {"price": 56.78, "features": ["Created by the deployment check", "Updated once"]}
    validation.step("update", "PUT", item, 200, body=changes, check=product_checks({**draft, **changes}, 2))
    validation.step("read own update", "GET", item, 200, check=product_checks({**draft, **changes}, 2))

    conditional = {"description": "A temporary product; this description was set with If-Match."}
    after = {**draft, **changes, **conditional}
    validation.step(
        "conditional update (current ETag)",
        "PUT",
        item,
        200,
        body=conditional,
        headers={"If-Match": '"2"'},
        check=product_checks(after, 3),
    )
    validation.step(
        "conditional update (stale ETag)", "PUT", item, 412, body={"price": 1.0}, headers={"If-Match": '"2"'}
    )
    validation.step("stale update changed nothing", "GET", item, 200, check=product_checks(after, 3))
    validation.step("delete (stale ETag)", "DELETE", item, 412, headers={"If-Match": '"2"'})
    deleted = validation.step("delete (current ETag)", "DELETE", item, 204, headers={"If-Match": '"3"'})
    validation.step("read after delete", "GET", item, 404)
    validation.step("delete again (already inactive)", "DELETE", item, 204)
    return deleted is not None and deleted.status == 204


def list_pages(client: ApiClient, product_id: str) -> int:
    """How many times the product appears when every page of the default list is read."""
    found, token = 0, None
    for _ in range(MAX_LIST_PAGES):
        query = "?limit=100" + (f"&nextToken={urllib.parse.quote(token)}" if token else "")
        page = client.call("GET", PRODUCTS_PATH + query).json()
        found += sum(1 for product in page["products"] if product["productId"] == product_id)
        token = page.get("nextToken")
        if not token:
            return found
    raise ValueError(f"the list did not end within {MAX_LIST_PAGES} pages")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base-url",
        required=True,
        help="the stage URL, e.g. https://<id>.execute-api.<region>.amazonaws.com/dev",
    )
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION", "eu-west-1"), help="region for SigV4"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    args = parser.parse_args(argv)

    credentials = find_credentials()
    run_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]
    print(f"Validating {args.base_url} (run {run_id})")
    print(
        "Writes are "
        + ("signed with SigV4 (" + args.region + ")" if credentials else "UNSIGNED: no AWS credentials found")
    )
    validation = Validation(ApiClient(args.base_url, args.region, credentials, args.timeout))
    run_cycle(validation, run_id)
    failed = [step for step in validation.steps if not step.passed]
    if failed:
        print(f"Result: {len(failed)} of {len(validation.steps)} steps did not give the contract's answer")
        return 1
    print(f"Result: all {len(validation.steps)} steps gave the contract's answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
