#!/usr/bin/env python3
"""moto's DynamoDB server for local runs and tests, in a process of its own, one request at a time.

Why its own process: moto is CPU-bound, and sharing an interpreter (and its GIL) with the handlers made
each slow the other. Why one request at a time: each call must be atomic, as DynamoDB's are (moto does not
lock its tables, so two interleaved TransactWriteItems could both pass their conditions).

Why a faster answer path: profiling the local server under load (py-spy) showed about 70% of its CPU in
moto's generic, model-driven response serializer. DynamoDB's item operations already hold their answer as
plain JSON-ready data, so those answers are written with json.dumps; anything json cannot write as-is
(binary values, timestamps) and every error still goes through moto's serializer.
tests/integration/test_local_dynamodb.py checks both paths give botocore the same answers.

    python scripts/local_server/dynamodb.py [--port 0]   # prints "port N" once it listens; exits when stdin closes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

ITEM_OPERATIONS = frozenset(
    (
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    )
)
CONTENT_TYPE = "application/x-amz-json-1.0"


def install_fast_answers() -> None:
    """Answer DynamoDB's item operations with json.dumps instead of moto's serializer."""
    from moto.dynamodb.responses import DynamoResult

    slow = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name in ITEM_OPERATIONS and isinstance(self.result, dict):
            try:
                body = json.dumps(self.result, separators=(",", ":"))
            except TypeError:  # bytes or datetime: moto knows their wire form
                return slow(self, context)
            return 200, {"Content-Type": CONTENT_TYPE}, body
        return slow(self, context)

    DynamoResult.execute_result = execute_result


def _forget_tracked_models(app: Any) -> Any:
    """Wrap moto's WSGI app so it stops keeping every model object it ever made.

    moto records each instance of its models for its web dashboard, and a DynamoDB transaction deep-copies the
    whole table (its rollback snapshot), so every write kept a copy of every item: memory, request time and the
    final garbage collection at exit grew with the square of the table size (a minute to stop with a few hundred
    products). Nothing here uses the dashboard, so the record is dropped after each request.
    """
    from moto.core.model_instances import reset_model_data

    def forgetful_app(environ: Any, start_response: Any) -> Any:
        try:
            return app(environ, start_response)
        finally:
            reset_model_data()

    return forgetful_app


def make_server(port: int) -> Any:
    """moto's WSGI app on a single-threaded werkzeug server (no request log)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as werkzeug_server

    class QuietHandler(MotoRequestHandler):  # type: ignore[misc]
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    app = _forget_tracked_models(DomainDispatcherApplication(create_backend_app))
    return werkzeug_server("127.0.0.1", port, app, threaded=False, request_handler=QuietHandler)


class EmbeddedDynamoDB:
    """This module run as a child process on a free loopback port; it ends with its parent."""

    def __init__(self, fast_answers: bool = True) -> None:
        # Started here, not in start(), so the endpoint is known from construction on (as a bound socket's is).
        self._process: subprocess.Popen[str] | None = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--port", "0"]
            + ([] if fast_answers else ["--moto-answers"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"moto's DynamoDB did not start (said {line!r})")
        self._port = int(line.split()[1])

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> None:
        """Nothing left to do: the server answers from construction on."""

    def stop(self) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()  # the child exits when its stdin closes
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def _exit_when_closed(stream: IO[str]) -> None:
    """End the process when the parent closes our stdin or dies, so no server outlives its user."""
    stream.read()
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--moto-answers", action="store_true", help="keep moto's own serializer (for comparison)"
    )
    args = parser.parse_args(argv)
    if not args.moto_answers:
        install_fast_answers()
    server = make_server(args.port)
    threading.Thread(target=_exit_when_closed, args=(sys.stdin,), daemon=True).start()
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
