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

from samples import product_body, to_json, worst_case_body
from scripts.local_server.api import MAX_BODY_BYTES as GATEWAY_MAX_BODY_BYTES
from scripts.local_server.api import LocalApi
from validators.request_validator import MAX_BODY_BYTES

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


# The local server checks that a write carries a SigV4 Authorization header, not its signature.
SIGNED = (
    "Authorization: AWS4-HMAC-SHA256 Credential=tester/20261130/eu-west-1/execute-api/aws4_request, x\r\n"
)


def chunked(body: bytes, size: int) -> bytes:
    """`body` in the chunked transfer coding: chunks of `size` bytes (the first with an extension), a trailer."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    framed = b"".join(
        f"{len(piece):x}{';note=1' if i == 0 else ''}\r\n".encode() + piece + b"\r\n"
        for i, piece in enumerate(pieces)
    )
    return framed + b"0\r\nX-Trailer: done\r\n\r\n"


def chunked_post(body: bytes, size: int, more: bytes = b"") -> bytes:
    """A chunked create, then `more` on the same connection (without it, the connection closes after)."""
    head = f"POST {PRODUCTS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{SIGNED}"
    head += "" if more else "Connection: close\r\n"
    return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunked(body, size) + more


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
        "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 2",
    ],
    ids=["not-a-number", "negative", "signed", "two-lengths", "unknown-coding", "chunked-and-length"],
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


def test_a_chunked_body_is_read_as_one_body_and_the_connection_stays_in_step(local_api: LocalApi) -> None:
    body = to_json(product_body()).encode()
    stream = exchange(
        local_api, chunked_post(body, 7, b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    status, headers, rest = split_response(stream)
    assert status.startswith("HTTP/1.1 201 "), rest
    created, after = rest[: int(headers["content-length"])], rest[int(headers["content-length"]) :]
    assert json.loads(created)["product"]["name"] == json.loads(body)["name"]
    assert split_response(after)[0].startswith("HTTP/1.1 404 ")


def test_a_chunked_body_of_the_largest_valid_product_is_created(local_api: LocalApi) -> None:
    stream = exchange(local_api, chunked_post(worst_case_body("\u4e09", "\U0001f600"), 4096))
    status, _, body = split_response(stream)
    assert status.startswith("HTTP/1.1 201 "), body[:300]


def test_a_chunked_body_over_the_apis_limit_is_a_json_413(local_api: LocalApi) -> None:
    text = to_json(product_body())
    padded = (text[:-1] + " " * (MAX_BODY_BYTES - len(text) + 1) + "}").encode()
    status, _, body = split_response(exchange(local_api, chunked_post(padded, 8192)))
    assert status.startswith("HTTP/1.1 413 ")
    assert str(MAX_BODY_BYTES) in json.loads(body)["message"]


@pytest.mark.parametrize(
    ("chunk_head", "code"),
    [(f"{GATEWAY_MAX_BODY_BYTES + 1:x}", "413"), ("zz", "400"), ("-1", "400"), ("1" * 30, "413")],
    ids=["larger-than-api-gateway-takes", "not-hex", "negative", "endless-digits"],
)
def test_a_chunk_that_cannot_be_taken_is_a_json_error_and_the_connection_closes(
    local_api: LocalApi, chunk_head: str, code: str
) -> None:
    head = f"POST {PRODUCTS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{SIGNED}"
    stream = exchange(local_api, f"{head}Transfer-Encoding: chunked\r\n\r\n{chunk_head}\r\n{{".encode())
    status, headers, body = split_response(stream)
    assert status.split()[1] == code
    assert headers["connection"] == "close"
    assert set(json.loads(body)) == {"error", "message", "requestId"}


@pytest.mark.parametrize(
    ("request_head", "code"),
    [
        (f"GET {PRODUCTS}?name={'a' * 70_000} HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
        (f"GET {PRODUCTS} HTTP/1.1\r\nHost: x\r\nX-Large: {'a' * 70_000}\r\n\r\n", "431"),
        (f"GET {PRODUCTS} HTTP/1.1\r\nHost: x\r\n" + "X-Many: 1\r\n" * 120 + "\r\n", "431"),
    ],
    ids=["url-of-70-kb", "header-of-70-kb", "120-headers"],
)
def test_an_oversized_request_head_is_answered_in_the_json_envelope(
    local_api: LocalApi, request_head: str, code: str
) -> None:
    status, headers, body = split_response(exchange(local_api, request_head.encode()))
    assert status.split()[1] == code
    assert headers["content-type"] == "application/json"
    assert headers["x-request-id"]
    assert set(json.loads(body)) == {"error", "message", "requestId"}


def test_eighty_connections_opened_at_once_are_all_answered(local_api: LocalApi) -> None:
    count = 80
    connections = [socket.socket() for _ in range(count)]
    for connection in connections:
        connection.setblocking(False)
        connection.connect_ex(address_of(local_api))  # all 80 handshakes in flight before any request
    statuses: list[bytes] = []
    try:
        for connection in connections:
            connection.setblocking(True)
            connection.settimeout(20)
            connection.sendall(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for connection in connections:
            received = b""
            try:
                while chunk := connection.recv(65536):
                    received += chunk
            except OSError as error:  # a reset connection is the failure this test is about
                received = repr(error).encode()
            statuses.append(received.split(b"\r\n", 1)[0])
    finally:
        for connection in connections:
            connection.close()
    assert statuses == [b"HTTP/1.1 404 Not Found"] * count
