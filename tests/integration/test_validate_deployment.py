"""scripts/ops/validate_deployment.py against the local server: whatever stops it, it leaves no product
active, and however often it runs, one record of its own.

`Relay` stands between the script and the server (the script is not touched): it forwards every request, and
can hold one matching request until the test lets it go (the script is then waiting in the middle of its run,
its product active), or answer one only after the script's --timeout (the server has done the write).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from api_client import ApiClient
from repositories.dynamodb import create_client
from scripts.local_server.api import LocalApi
from scripts.ops import validate_deployment
from scripts.ops.validate_deployment import CHECK_NAME
from utils.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("validate_deployment")

Match = Callable[[str, str], bool]


class Relay:
    """A forwarding HTTP server with one request to hold (until `release`) or to answer late (`delay`)."""

    def __init__(self, target: str, match: Match, delay: float = 0.0) -> None:
        self.target, self.match, self.delay = target, match, delay
        self.matched = threading.Event()
        self.released = threading.Event()
        self._spent = False
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_any(self) -> None:
                relay.forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_any

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Relay:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        special = not self._spent and self.match(handler.command, handler.path)
        if special:
            self._spent = True
            self.matched.set()
            if not self.delay:
                self.released.wait(30)  # held: the script is stopped meanwhile
                return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        request = urllib.request.Request(
            self.target + handler.path, data=body, headers=headers, method=handler.command
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # nosec B310 - the local server
                status, answer_headers, data = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, data = error.code, error.headers, error.read()
        if special:
            time.sleep(self.delay)  # the write is done; its answer comes after the script gave up
        try:
            handler.send_response(status)
            for name, value in answer_headers.items():
                if name.lower() not in (
                    "transfer-encoding",
                    "connection",
                    "content-length",
                    "date",
                    "server",
                ):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the script stopped listening


def check_records() -> list[dict[str, Any]]:
    """Every stored product named as the check's product (deleted ones included)."""
    client = create_client(get_settings())
    items = client.scan(TableName=get_settings().table_name, ConsistentRead=True)["Items"]
    return [
        item
        for item in items
        if item.get("entityType", {}).get("S") == "PRODUCT"
        and item.get("name", {}).get("S", "").startswith("Deployment check")
    ]


def active(records: list[dict[str, Any]]) -> list[str]:
    return [item["productId"]["S"] for item in records if item["active"]["BOOL"]]


def validate(base_url: str, *args: str) -> int:
    return validate_deployment.main(["--base-url", base_url, *args])


def test_runs_again_and_again_keep_one_record_of_their_own_and_leave_it_deleted(
    local_api: LocalApi, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        assert validate(local_api.base_url) == 0, capsys.readouterr().out
    records = check_records()
    assert len(records) == 1 and active(records) == []
    assert records[0]["name"]["S"] == CHECK_NAME


def test_a_product_left_active_by_a_killed_run_is_reused_and_left_deleted(
    local_api: LocalApi, api: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL leaves no time to clean up: the next run finds the active product by its name."""
    assert validate(local_api.base_url) == 0
    (record,) = check_records()
    assert api.put(f"/v1.0/products/{record['productId']['S']}", {"active": True}).status == 200
    assert active(check_records()) == [record["productId"]["S"]]
    assert validate(local_api.base_url) == 0, capsys.readouterr().out
    records = check_records()
    assert len(records) == 1 and active(records) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_leaves_no_product_active(local_api: LocalApi, signum: int) -> None:
    """Stopped while it waits for the list (its product active at that moment): it deletes the product, then
    exits with 128 + the signal's number."""
    assert validate(local_api.base_url) == 0  # the check's record exists: this run restores it
    with Relay(local_api.base_url, lambda method, path: method == "GET" and "limit=100" in path) as relay:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.ops.validate_deployment", "--base-url", relay.url],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": "src"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert relay.matched.wait(30), "the run never reached the list"
        assert active(check_records()) != []  # mid-run, the product is in the public list
        process.send_signal(signum)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 128 + signum, output
    assert "PASS  clean up: delete" in output and f"stopped by {signal.Signals(signum).name}" in output
    records = check_records()
    assert len(records) == 1 and active(records) == []


def test_a_create_answered_after_the_timeout_is_found_and_deleted(
    local_api: LocalApi, empty_table: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first run creates the product; its answer comes after --timeout. The clean-up sends the same create
    with the same Idempotency-Key, which names the product, and deletes it."""
    with Relay(local_api.base_url, lambda method, _: method == "POST", delay=2.0) as relay:
        assert validate(relay.url, "--timeout", "1") == 1
    output = capsys.readouterr().out
    assert "FAIL  create, or find its product" in output
    assert "PASS  clean up: the unanswered create" in output and "PASS  clean up: delete" in output
    records = check_records()
    assert len(records) == 1 and active(records) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example.com"], "--base-url must be an http:// or https:// URL"),
        (["--base-url", "http://127.0.0.1:9", "--timeout", "0"], "--timeout must be a positive number"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        validate_deployment.main(args)
    assert stopped.value.code != 0
    assert message in str(stopped.value.code) + capsys.readouterr().err
