"""The local server speaks HTTP/1.1 as a client expects: framing, HEAD, bad lengths, timeouts and a quick stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_server.api import LocalApi

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = "/v1.0/products"
STOP_TEST_PRODUCTS = 20


def address_of(server: LocalApi) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def exchange(server: LocalApi, data: bytes, wait: float = 10.0) -> bytes:
    """Send raw bytes on one connection and read until the server closes it (a hang fails after `wait` s)."""
    with socket.create_connection(address_of(server), timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def split_response(stream: bytes) -> tuple[str, dict[str, str], bytes]:
    """Status line, headers (lower-case names) and the rest of the stream after the header block."""
    head, _, rest = stream.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return status_line, headers, rest


@pytest.fixture(scope="module")
def impatient_server(dynamodb_endpoint: str) -> Iterator[LocalApi]:
    """A second local server that gives up on a silent client after half a second."""
    with LocalApi(port=0, request_timeout=0.5) as server:
        yield server


def test_head_has_no_body_so_the_next_response_on_the_connection_is_intact(local_api: LocalApi) -> None:
    stream = exchange(
        local_api,
        b"HEAD /v1.0/products HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /v1.0/products?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    head_status, head_headers, rest = split_response(stream)
    assert head_status.startswith("HTTP/1.1 405 ")
    assert int(head_headers["content-length"]) > 0  # the length a GET-like answer would have, but no bytes
    get_status, get_headers, get_body = split_response(rest)
    assert get_status.startswith("HTTP/1.1 200 ")
    assert len(get_body) == int(get_headers["content-length"])
    assert "products" in json.loads(get_body)


@pytest.mark.parametrize("path", ["/nowhere", f"{PRODUCTS}/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"])
def test_head_answers_never_carry_a_body(local_api: LocalApi, path: str) -> None:
    stream = exchange(local_api, f"HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status, headers, rest = split_response(stream)
    assert status.split()[1] in ("404", "405") and "x-request-id" in headers
    assert rest == b""


@pytest.mark.parametrize(
    "framing",
    [
        "Content-Length: abc",
        "Content-Length: -1",
        "Content-Length: +5",
        "Content-Length: 5\r\nContent-Length: 6",
        "Transfer-Encoding: chunked",
    ],
    ids=["not-a-number", "negative", "signed", "two-lengths", "chunked"],
)
def test_a_body_length_that_cannot_be_read_is_a_json_400_and_the_connection_closes(
    local_api: LocalApi, framing: str
) -> None:
    stream = exchange(
        local_api,
        f"POST {PRODUCTS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{framing}\r\n\r\n{{}}".encode(),
    )
    status, headers, body = split_response(stream)
    assert status.startswith("HTTP/1.1 400 ")
    assert headers["connection"] == "close"
    assert set(json.loads(body)) == {"error", "message", "requestId"}


def test_a_body_larger_than_api_gateway_takes_is_a_json_413(local_api: LocalApi) -> None:
    stream = exchange(
        local_api, f"POST {PRODUCTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n".encode()
    )
    status, _, body = split_response(stream)
    assert status.startswith("HTTP/1.1 413 ")
    assert json.loads(body)["error"] == "Payload Too Large"


def test_a_client_that_sends_less_body_than_announced_is_dropped_after_the_timeout(
    impatient_server: LocalApi,
) -> None:
    started = time.monotonic()
    stream = exchange(
        impatient_server, f"POST {PRODUCTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode()
    )
    assert stream == b""
    assert time.monotonic() - started < 5


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(impatient_server: LocalApi) -> None:
    stream = exchange(impatient_server, b"GET /v1.0/products?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = split_response(stream)
    assert status.startswith("HTTP/1.1 200 ") and len(body) == int(headers["content-length"])


def test_server_stops_promptly_on_sigterm_after_serving_writes() -> None:
    """SIGTERM ends the server and its DynamoDB child cleanly within seconds (5 s: make test's lanes share the
    CPU). That moto keeps no per-transaction copy of the table, which made a stop take a minute with hundreds of
    products, is test_local_dynamodb.py's to show."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "PORT": str(port), "LOCAL_AUTH": "off", "LOG_LEVEL": "ERROR"}
    environment["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    for name in ("DYNAMODB_ENDPOINT_URL", "TABLE_NAME", "ALLOWED_ORIGINS"):
        environment.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.local_server"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if "Press Ctrl-C" in line:
                break
        # Keep reading: each request's line (its metrics) is written whatever LOG_LEVEL says, and a full pipe
        # would block the server.
        threading.Thread(target=server.stdout.read, daemon=True).start()
        requests = b""
        for n in range(STOP_TEST_PRODUCTS):
            body = json.dumps(
                {
                    "name": f"Plan {n}",
                    "description": "A plan for the stop test.",
                    "price": 10,
                    "period": "monthly",
                }
            ).encode()
            requests += (
                f"POST {PRODUCTS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
        requests += f"GET {PRODUCTS}?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
            connection.sendall(requests)
            stream = b""
            while chunk := connection.recv(65536):
                stream += chunk
        assert stream.count(b"HTTP/1.1 201 ") == STOP_TEST_PRODUCTS
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert time.monotonic() - started < 5.0
        assert server.returncode == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
