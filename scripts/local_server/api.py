#!/usr/bin/env python3
"""Serve the Product API locally: API Gateway's proxy events, the real handlers, an embedded DynamoDB.

Each HTTP request becomes the REST proxy event (payload 1.0) AWS would send and goes to the same
`handlers.<name>.handler` the Lambda functions run. Unless DYNAMODB_ENDPOINT_URL points elsewhere, moto's
DynamoDB runs in a child process (scripts/local_server/dynamodb.py) on a free loopback port, with the table built from the Terraform schema;
LOCAL_DYNAMODB=aws uses a real table (TABLE_NAME) with the usual AWS credential chain instead.

    PYTHONPATH=src python -m scripts.local_server [--port 3000] [--seed]    # from the repository root

It also serves the API explorer (Swagger UI) at /docs and the OpenAPI document at /openapi.yaml.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace, TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from exceptions.product_exceptions import (
    ApiError,
    InvalidRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
)
from repositories.dynamodb import create_client
from scripts.function_manifest import load_functions
from scripts.local_server.dynamodb import EmbeddedDynamoDB
from scripts.local_server.explorer import explorer_answer
from scripts.local_server.table import create_table
from utils.api_gateway import error_response_for
from utils.response_builder import ApiResponse, cors_headers, error_response, render
from utils.settings import Settings, get_settings

DEFAULT_TABLE = "bbws-products-local"
STAGE = "local"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
REQUEST_TIMEOUT_SECONDS = 30.0  # API Gateway gives up on a client after 30 s too
# Connections the kernel queues before the server accepts them; socketserver's default of 5 resets bursts.
LISTEN_BACKLOG = 128


def _path_pattern(resource: str) -> re.Pattern[str]:
    """A resource path like `/v1.0/products/{productId}` as a pattern with one named group per parameter."""
    parts = re.split(r"\{(\w+)\}", resource)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(pattern + "/?")


def _routes() -> tuple[tuple[re.Pattern[str], str, dict[str, str]], ...]:
    """(pattern, API Gateway resource, {method: handler module}) for each path of the function manifest."""
    by_path: dict[str, dict[str, str]] = {}
    for function in load_functions().values():
        by_path.setdefault(function.path, {})[function.method] = function.name
    return tuple((_path_pattern(path), path, methods) for path, methods in by_path.items())


ROUTES = _routes()
SAMPLE_PRODUCTS = (
    {
        "name": "Entry Plan",
        "description": "A one-page website for a new business, hosted and secured.",
        "price": 95.0,
        "period": "monthly",
        "features": ["One-page website", "Free SSL certificate", "Email support"],
    },
    {
        "name": "Basic Plan",
        "description": "A five-page business website with a contact form and basic SEO.",
        "price": 195.0,
        "period": "monthly",
        "features": ["Up to 5 pages", "Contact form", "Basic SEO setup", "Free SSL certificate"],
    },
    {
        "name": "Premium Plan",
        "description": "An online shop with payments, analytics and priority support.",
        "price": 395.0,
        "period": "monthly",
        "features": ["Online shop", "Payment gateway", "Analytics dashboard", "Priority support"],
    },
)

WRITE_METHODS = ("POST", "PUT", "DELETE")
_SIGV4 = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/\s,]+)/")
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _default_environment(real_aws: bool) -> None:
    """Settings a local run needs, and dummy credentials unless real AWS is the target; values already set win."""
    defaults = {
        "TABLE_NAME": DEFAULT_TABLE,
        "ALLOWED_ORIGINS": "*",
        "LOG_LEVEL": "INFO",
        "AWS_REGION": "eu-west-1",
    }
    if not real_aws:
        defaults.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    # Each local server seals its page tokens with its own random secret, as each deployment does.
    defaults["PAGE_TOKEN_SECRET"] = secrets.token_urlsafe(32)
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


def proxy_event(
    method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes, client_ip: str
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The REST proxy event for a request and the methods of the resource it matched (none: no event)."""
    split = urlsplit(raw_path)
    path = unquote(split.path)
    for pattern, resource, methods in ROUTES:
        match = pattern.fullmatch(path)
        if match:
            break
    else:
        return None, {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    query = parse_qs(split.query, keep_blank_values=True)
    text_body: str | None = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": match.groupdict() or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,  # as the client sent it: the local server has no stage in its paths
            "stage": STAGE,
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": _identity(multi_headers, client_ip),
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }
    return event, methods


# API Gateway's answer to an unsigned request on an AWS_IAM method.
MISSING_SIGNATURE = error_response(
    403,
    "Forbidden",
    "Writes need an AWS Signature Version 4 Authorization header (service execute-api); "
    "set LOCAL_AUTH=off to serve unsigned writes locally.",
)


def _header(headers: dict[str, list[str]], name: str) -> str | None:
    values = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return values[-1] if values else None


def _identity(headers: dict[str, list[str]], client_ip: str) -> dict[str, Any]:
    """What API Gateway's AWS_IAM authorizer puts in the request context (the key id stands for the user)."""
    identity: dict[str, Any] = {"sourceIp": client_ip, "userAgent": _header(headers, "User-Agent")}
    match = _SIGV4.match(_header(headers, "Authorization") or "")
    if match:
        identity.update(accessKey=match.group(1), userArn=f"arn:aws:iam::000000000000:user/{match.group(1)}")
    return identity


def _origin(headers: list[tuple[str, str]]) -> str | None:
    return next((value for name, value in headers if name.lower() == "origin"), None)


def _missing_signature(method: str, headers: list[tuple[str, str]]) -> bool:
    """API Gateway refuses unsigned writes (AWS_IAM); locally the signature's presence is checked, not its value."""
    if method not in WRITE_METHODS or os.environ.get("LOCAL_AUTH") == "off":
        return False
    authorization = next((value for name, value in headers if name.lower() == "authorization"), "")
    return not _SIGV4.match(authorization)


class LocalApi:
    """The local API server; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        port: int = 3000,
        seed: bool = False,
        host: str = "127.0.0.1",
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        real_aws = os.environ.get("LOCAL_DYNAMODB") == "aws"
        _default_environment(real_aws)
        # The port first: when it is taken, nothing else (no DynamoDB child process) has been started.
        self._httpd = _HttpServer((host, port), _handler_class(self, request_timeout))
        self._dynamodb: EmbeddedDynamoDB | None = None
        if not real_aws and not os.environ.get("DYNAMODB_ENDPOINT_URL"):
            self._dynamodb = EmbeddedDynamoDB()
            os.environ["DYNAMODB_ENDPOINT_URL"] = self._dynamodb.endpoint_url
        self._seed = seed
        self._thread: threading.Thread | None = None
        self.handlers: dict[str, LambdaHandler] = {}

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, background: bool = True) -> LocalApi:
        """Start DynamoDB, create the table, load the handlers and serve (in a thread if `background`)."""
        if self._dynamodb:
            self._dynamodb.start()
        self._prepare_table()
        for _, _, methods in ROUTES:
            for name in methods.values():
                self.handlers[name] = importlib.import_module(f"handlers.{name}").handler
        if self._seed:
            self.seed()
        if background:
            self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        if self._dynamodb:
            self._dynamodb.stop()

    def __enter__(self) -> LocalApi:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _prepare_table(self) -> None:
        settings = Settings.from_environ(os.environ)
        if self._dynamodb or os.environ.get("CREATE_TABLE") == "1":
            create_table(create_client(settings), settings.table_name)

    def seed(self) -> None:
        """Create the sample products through the create handler (existing names are left alone)."""
        for product in SAMPLE_PRODUCTS:
            event, _ = proxy_event(
                "POST",
                "/v1.0/products",
                [("Content-Type", "application/json")],
                json.dumps(product).encode(),
                "127.0.0.1",
            )
            assert event is not None
            status = self.handlers["create_product"](event, None)["statusCode"]
            print(f"seed: {product['name']} -> {status}", flush=True)

    def respond(
        self, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one request like API Gateway: preflight, 404, 405, or the function's response."""
        explorer = explorer_answer(method, urlsplit(raw_path).path, self.base_url)
        if explorer is not None:  # /docs and /openapi.yaml: the local server's own pages
            return explorer
        event, methods = proxy_event(method, raw_path, headers, body, client_ip)
        if event is not None and method == "OPTIONS":
            cors = cors_headers(_origin(headers), get_settings().allowed_origins)
            return 204, {"X-Request-Id": str(uuid.uuid4()), **cors}, b""
        if event is not None and method in methods and _missing_signature(method, headers):
            return self.refuse(MISSING_SIGNATURE, headers)
        if event is not None and method in methods:
            # The two context attributes the functions log (lambdaRequestId, functionName), as Lambda passes them.
            context = SimpleNamespace(
                aws_request_id=str(uuid.uuid4()), function_name=f"local-{methods[method]}"
            )
            result = self.handlers[methods[method]](event, context)
            return result["statusCode"], result["headers"], result["body"].encode("utf-8")
        if event is None:
            return self.refuse(error_response_for(RouteNotFound(unquote(urlsplit(raw_path).path))), headers)
        return self.refuse(
            error_response_for(MethodNotAllowed(method, tuple(methods) + ("OPTIONS",))), headers
        )

    def refuse(
        self, response: ApiResponse, headers: list[tuple[str, str]]
    ) -> tuple[int, dict[str, str], bytes]:
        """An answer API Gateway gives itself, with CORS headers and a request id."""
        result = render(response, str(uuid.uuid4()), _origin(headers), get_settings().allowed_origins)
        return result["statusCode"], result["headers"], result["body"].encode("utf-8")


class _HttpServer(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


_CONTENT_LENGTH = re.compile(r"[0-9]{1,12}")
_CHUNK_SIZE = re.compile(r"([0-9A-Fa-f]+)[ \t]*(?:;.*)?")
CHUNKED = -1  # _body_length's answer for a chunked body
# Python's own refusals of a request head (http.server's send_error), answered as API Gateway's JSON errors.
_HEAD_REFUSALS = {
    400: ("Bad Request", "The request line or headers are not valid HTTP/1.1."),
    414: ("URI Too Long", "The request line is longer than 65,536 bytes; shorten the URL."),
    431: (
        "Request Header Fields Too Large",
        "A header line is longer than 65,536 bytes or there are more than 100 headers; send fewer or shorter ones.",
    ),
}


def _too_large(length: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The body is over {length} bytes; API Gateway accepts at most {MAX_BODY_BYTES}.")


def _read_chunked(rfile: Any) -> bytes | ApiError:
    """A chunked body (RFC 9112 7.1): chunk extensions ignored, trailer fields read and dropped, at most
    MAX_BODY_BYTES in all. An error leaves the stream out of step: the caller answers and closes."""
    body = bytearray()
    while True:
        line = rfile.readline(1024)
        size = _CHUNK_SIZE.fullmatch(line.decode("latin-1").rstrip("\r\n"))
        if size is None or not line.endswith(b"\n"):
            return InvalidRequest("A chunk size of the chunked body is not a hexadecimal number.")
        length = int(size.group(1), 16)
        if len(body) + length > MAX_BODY_BYTES:
            return _too_large(len(body) + length)
        if length == 0:
            break
        chunk = rfile.read(length + 2)
        if len(chunk) < length + 2 or chunk[length:] != b"\r\n":
            return InvalidRequest("A chunk of the chunked body is shorter than its size says.")
        body += chunk[:length]
    while (trailer := rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
        if len(trailer) > 65536:
            return InvalidRequest("A trailer field of the chunked body is too long.")
    return bytes(body)


def _body_length(headers: Any) -> int | ApiError:
    """The body's length from Content-Length (digits only, one value), CHUNKED, or the error to answer.

    A request whose body length cannot be known leaves the connection out of sync: it is answered and closed.
    """
    coding = headers.get_all("Transfer-Encoding")
    if coding is not None:
        # Both framings at once is how requests are smuggled past proxies (RFC 9112 6.3): refused.
        if [value.strip().lower() for value in coding] != ["chunked"] or "Content-Length" in headers:
            return InvalidRequest(
                "Send the body with Transfer-Encoding: chunked alone or with one Content-Length header."
            )
        return CHUNKED
    values = headers.get_all("Content-Length") or []
    if not values:
        return 0
    if len(set(values)) != 1 or not _CONTENT_LENGTH.fullmatch(values[0].strip()):
        return InvalidRequest("Content-Length must be one non-negative whole number of bytes.")
    length = int(values[0].strip())
    if length > MAX_BODY_BYTES:
        return _too_large(length)
    return length


def _handler_class(api: LocalApi, request_timeout: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "bbws-local-api"
        # A client that stops sending (a short body, an idle keep-alive) frees its thread after this many seconds.
        timeout = request_timeout

        def _serve(self) -> None:
            length = _body_length(self.headers)
            body = _read_chunked(self.rfile) if length == CHUNKED else b""
            if isinstance(length, ApiError) or isinstance(body, ApiError):
                # The rest of the stream cannot be framed: answer, then close the connection.
                self.close_connection = True
                error = length if isinstance(length, ApiError) else body
                assert isinstance(error, ApiError)
                self._send(*api.refuse(error_response_for(error), list(self.headers.items())))
                return
            if length != CHUNKED:
                body = self.rfile.read(length) if length else b""
                if len(body) < length:  # the client closed or timed out mid-body: nothing to answer
                    self.close_connection = True
                    return
            self._send(
                *api.respond(
                    self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                )
            )

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # http.server refuses a request head it cannot read (too long, too many headers, malformed) with
            # an HTML page; API Gateway answers in the JSON envelope with a request id, and so does this.
            self.close_connection = True
            title, text = _HEAD_REFUSALS.get(code, (self.responses.get(code, ("Error",))[0], message or ""))
            headers = list(self.headers.items()) if hasattr(self, "headers") else []
            self._send(*api.refuse(error_response(code, title, text), headers))

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            bodyless = status in (204, 304) or self.command == "HEAD"
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not bodyless:  # a HEAD answer has the GET answer's headers and never a body (RFC 9110 9.3.2)
                self.wfile.write(payload)

        def __getattr__(self, name: str) -> Any:
            # Every method, even one we never heard of (TRACE, QUERY), goes to the router: 405 or 404 as JSON.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            return None  # the handlers log one JSON line per request

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--seed", action="store_true", default=os.environ.get("SEED") == "1")
    args = parser.parse_args(argv)
    # Stop cleanly on Ctrl-C or a plain kill, even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        api = LocalApi(port=args.port, seed=args.seed)
    except OSError as error:  # the port is taken (or not ours to open): one line, no traceback
        print(
            f"local server: cannot listen on 127.0.0.1:{args.port} ({error.strerror or error}); "
            "stop what uses it, or choose another port: PORT=8080 make run",
            file=sys.stderr,
        )
        return 1
    api.start(background=False)
    where = os.environ.get("DYNAMODB_ENDPOINT_URL") or "AWS"
    print(
        f"Product API on {api.base_url}/v1.0/products (DynamoDB at {where}, table {os.environ['TABLE_NAME']})"
    )
    print(f"API explorer on {api.base_url}/docs")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean stop
        api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
