#!/usr/bin/env python3
"""Post-deployment validation: one full product life cycle against a running Product API.

The check keeps one product of its own per environment, named CHECK_NAME. The first run creates it; every
later run finds it by that name (the create's 409 names the deleted product that holds it) and restores it.
Then it reads the product back, finds it in the list, updates it (plainly, with its ETag, and with a stale
ETag that must fail), deletes it and checks it is gone, checking at each step that the API answers as
openapi.yaml says and that every read sees the write before it (read-your-writes).

Whatever happens, the product is deleted (inactive) in the end, so the check leaves nothing in the public
list and never more than its one record: after a failed step, after SIGTERM or Ctrl-C (a second signal waits
for the clean-up), and after a create whose answer came too late (the clean-up sends the same create with the
same Idempotency-Key, which answers with the product the first one made). Writes are signed with AWS
Signature Version 4 when the botocore credential chain finds credentials. Exit 0 only when every step gave
the contract's answer; 1 when one did not; 128 + the signal's number when a signal stopped it.

    python scripts/ops/validate_deployment.py --base-url https://<api>.execute-api.eu-west-1.amazonaws.com/dev
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
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
CHECK_NAME = "Deployment check (validate-deployment)"  # the check's one product in each environment
DRAFT: dict[str, Any] = {
    "name": CHECK_NAME,
    "description": "The post-deployment check's own product: restored, changed and deleted by every run.",
    "price": 12.34,
    "currency": "ZAR",
    "period": "monthly",
    "features": ["Kept by the deployment check"],
}
RESTORE = {"active": True, **{k: v for k, v in DRAFT.items() if k != "name"}}
PRODUCT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CLEAN_UP_ATTEMPTS = 3


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

    def client_path(self, path: str) -> str:
        """The path of `path` as a request of this client reaches the API: the base URL's own path first."""
        return urllib.parse.urlsplit(self.base_url).path + path

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
    expected: tuple[int, ...]
    status: int | None = None
    millis: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status in self.expected and not self.problems


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
        expected: int | tuple[int, ...],
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        check: Callable[[Reply, Step], None] | None = None,
    ) -> Reply | None:
        step = Step(name, f"{method} {path}", expected if isinstance(expected, tuple) else (expected,))
        self.steps.append(step)
        try:
            reply = self.client.call(method, path, body, headers)
        except OSError as error:
            step.problems.append(f"no response: {error}")
            self._print(step)
            return None
        step.status, step.millis = reply.status, reply.millis
        if reply.status not in step.expected:
            wanted = " or ".join(map(str, step.expected))
            step.problems.append(f"expected {wanted}, got {reply.status}: {reply.body[:300]!r}")
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


class Stop(BaseException):
    """A signal stopped the run (raised out of whatever it was doing); the clean-up still runs."""


class Signals:
    """SIGTERM and SIGINT raise Stop while the cycle runs; during the clean-up they are only noted."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.cleaning = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *_: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.received = self.received or signum
        print(f"{signal.Signals(signum).name}: leaving the check's product deleted first", flush=True)
        if not self.cleaning:
            raise Stop(signal.Signals(signum).name)


@dataclass
class CheckProduct:
    """What the run knows about its product: all the clean-up needs."""

    idempotency_key: str
    product_id: str | None = None
    create_unsettled: bool = False  # a create was sent, and no answer said whether it created the product
    deleted: bool = False  # the run's last write left it deleted

    @property
    def path(self) -> str:
        return f"{PRODUCTS_PATH}/{self.product_id}"


def run_cycle(validation: Validation, product: CheckProduct) -> None:
    """The life cycle; stops early only when a later step would have nothing to act on."""
    version = claim(validation, product)
    if version is not None:
        product.deleted = life_cycle(validation, product.path, version)


def claim(validation: Validation, product: CheckProduct) -> int | None:
    """Create the check's product, or find and restore the one earlier runs left: its version then (None when
    neither worked)."""

    def created(reply: Reply, step: Step) -> None:
        if reply.status == 409:
            return
        body = reply.json()["product"]
        product_checks(DRAFT, 1)(reply, step)
        expect(step, body.get("active") is True, "a new product is not active")
        location = reply.headers.get("location")
        # The 201's Location is the path the client used: a stage's URL (…/dev) puts the stage before it.
        expected = validation.client.client_path(f"{PRODUCTS_PATH}/{body['productId']}")
        expect(step, location == expected, f"Location is {location!r}, not {expected!r}")

    product.create_unsettled = True
    reply = send_create(validation, product, "create, or find its product", check=created)
    if reply is not None and reply.status == 201:
        product.product_id = answered_id(reply)
    # Unsettled: no answer, a 5xx (it may have been stored), or a 201 the run cannot read.
    product.create_unsettled = product.product_id is None and (
        reply is None or reply.status in (201, *range(500, 600))
    )
    if reply is None or reply.status != 409:
        return 1 if product.product_id else None
    product.product_id = name_owner(validation.client, reply)
    if product.product_id is None:
        validation.steps[-1].problems.append(f"no product holding the name {CHECK_NAME!r} could be found")
        return None
    state: dict[str, int] = {}

    def restored(reply: Reply, step: Step) -> None:
        state["version"] = reply.json()["product"]["version"]
        product_checks(DRAFT, state["version"])(reply, step)
        expect(step, reply.json()["product"].get("active") is True, "the restored product is not active")

    validation.step("restore its product", "PUT", product.path, 200, body=RESTORE, check=restored)
    return state.get("version")


def answered_id(reply: Reply) -> str | None:
    try:
        return str(reply.json()["product"]["productId"])
    except (ValueError, KeyError, TypeError):
        return None


def deleted_owner(conflict: Reply) -> str | None:
    """The deleted product a 409 names (the message says to restore it), if it names one."""
    try:
        named = PRODUCT_ID.search(str(conflict.json().get("message", "")))
    except (ValueError, AttributeError):
        return None
    return named[0] if named else None


def name_owner(client: ApiClient, conflict: Reply) -> str | None:
    """The product holding the check's name: a deleted one is named by the 409's message; an active one (left
    by a run that was killed outright) is found in the list."""
    return deleted_owner(conflict) or active_owner(client)


def active_owner(client: ApiClient) -> str | None:
    """The active product with the check's name, read from the (strongly consistent) default list."""
    try:
        owner = next((p["productId"] for p in listed_products(client) if p.get("name") == CHECK_NAME), None)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(owner) if owner else None


def clean_up(validation: Validation, product: CheckProduct) -> None:
    """Leave the check's product deleted, whatever happened: a create whose answer was lost is found first."""
    if product.product_id is None and product.create_unsettled:
        product.product_id = created_unanswered(validation, product)
        if product.product_id is None:
            print(
                "A create was never answered: if it made the check's product, the next run deletes it",
                flush=True,
            )
    for _ in range(CLEAN_UP_ATTEMPTS):
        if product.product_id is None or product.deleted:
            return
        reply = validation.step("clean up: delete", "DELETE", product.path, 204)
        product.deleted = reply is not None and reply.status == 204
    if not product.deleted:
        print(f"The check's product may be left active: DELETE {product.path}", flush=True)


def send_create(
    validation: Validation,
    product: CheckProduct,
    name: str,
    check: Callable[[Reply, Step], None] | None = None,
) -> Reply | None:
    """The check's one create (its Idempotency-Key makes a repeat answer with the same product): 201 or 409."""
    return validation.step(
        name,
        "POST",
        PRODUCTS_PATH,
        (201, 409),
        body=DRAFT,
        headers={"Idempotency-Key": product.idempotency_key},
        check=check,
    )


def created_unanswered(validation: Validation, product: CheckProduct) -> str | None:
    """The product made by a create whose answer never came: the same create with the same Idempotency-Key
    answers with it (or makes it now, once). A 409 means it made none; an active holder of the name is the
    check's."""
    for _ in range(CLEAN_UP_ATTEMPTS):
        reply = send_create(validation, product, "clean up: the unanswered create")
        if reply is not None and reply.status in (201, 409):
            if reply.status == 201:
                return answered_id(reply)
            return None if deleted_owner(reply) else active_owner(validation.client)
    return None


def life_cycle(validation: Validation, item: str, version: int) -> bool:
    """Every step after the create or restore (the product at `version`); True when it was deleted."""
    draft = DRAFT
    validation.step("read own write", "GET", item, 200, check=product_checks(draft, version))
    validation.step("read, ETag still current", "GET", item, 304, headers={"If-None-Match": f'"{version}"'})
    product_id = item.rsplit("/", 1)[-1]

    def listed(reply: Reply, step: Step) -> None:
        found = list_pages(validation.client, product_id)
        expect(step, found == 1, f"the product is in the list {found} times, expected once")

    validation.step("list finds it (all pages)", "GET", f"{PRODUCTS_PATH}?limit=100", 200, check=listed)

    changes = {"price": 56.78, "features": ["Kept by the deployment check", "Updated once"]}
    updated = {**draft, **changes}
    validation.step("update", "PUT", item, 200, body=changes, check=product_checks(updated, version + 1))
    validation.step("read own update", "GET", item, 200, check=product_checks(updated, version + 1))

    conditional = {"description": "The deployment check's product; this description was set with If-Match."}
    after = {**updated, **conditional}
    current, stale = f'"{version + 1}"', f'"{version}"'
    validation.step(
        "conditional update (current ETag)",
        "PUT",
        item,
        200,
        body=conditional,
        headers={"If-Match": current},
        check=product_checks(after, version + 2),
    )
    validation.step(
        "conditional update (stale ETag)",
        "PUT",
        item,
        412,
        body={"price": 1.0},
        headers={"If-Match": current},
    )
    validation.step(
        "stale update changed nothing", "GET", item, 200, check=product_checks(after, version + 2)
    )
    validation.step("delete (stale ETag)", "DELETE", item, 412, headers={"If-Match": stale})
    deleted = validation.step(
        "delete (current ETag)", "DELETE", item, 204, headers={"If-Match": f'"{version + 2}"'}
    )
    validation.step("read after delete", "GET", item, 404)
    validation.step("delete again (already inactive)", "DELETE", item, 204)
    return deleted is not None and deleted.status == 204


def listed_products(client: ApiClient) -> Iterator[dict[str, Any]]:
    """Every product of the default list (strongly consistent), page after page."""
    token = None
    for _ in range(MAX_LIST_PAGES):
        query = "?limit=100" + (f"&nextToken={urllib.parse.quote(token)}" if token else "")
        page = client.call("GET", PRODUCTS_PATH + query).json()
        yield from page["products"]
        token = page.get("nextToken")
        if not token:
            return
    raise ValueError(f"the list did not end within {MAX_LIST_PAGES} pages")


def list_pages(client: ApiClient, product_id: str) -> int:
    """How many times the product appears when every page of the default list is read."""
    return sum(1 for product in listed_products(client) if product["productId"] == product_id)


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

    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of seconds, not {args.timeout}")
    client = ApiClient(args.base_url, args.region, find_credentials(), args.timeout)
    run_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]
    print(f"Validating {args.base_url} (run {run_id})")
    print(
        "Writes are "
        + (
            "signed with SigV4 (" + args.region + ")"
            if client.credentials
            else "UNSIGNED: no AWS credentials found"
        )
    )
    validation = Validation(client)
    product = CheckProduct(idempotency_key=f"validate-deployment-{run_id}")
    with Signals() as signals:
        try:
            run_cycle(validation, product)
        except Stop:
            signals.cleaning = True
        finally:
            signals.cleaning = True
            clean_up(validation, product)
    return result(validation, signals.received)


def result(validation: Validation, stopped_by: int | None) -> int:
    if stopped_by is not None:
        print(f"Result: stopped by {signal.Signals(stopped_by).name} after {len(validation.steps)} steps")
        return 128 + stopped_by
    failed = [step for step in validation.steps if not step.passed]
    if failed:
        print(f"Result: {len(failed)} of {len(validation.steps)} steps did not give the contract's answer")
        return 1
    print(f"Result: all {len(validation.steps)} steps gave the contract's answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
