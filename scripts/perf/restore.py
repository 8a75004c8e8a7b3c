"""The first request after a SnapStart restore, with the project's own hooks, beside the floor.

Each probe is a fresh `python -I` interpreter, as Lambda snapshots a freshly initialised one: import the handler
module, run the before-snapshot hooks as the Lambda runtime does (`snapshot_restore_py`'s registry, in reverse
order of registration), let the credentials expire, then time the after-restore hooks (in order) and the first
request. AWS is answered in process as in `cold_start` (botocore's HTTP send returns canned answers), and the
credentials come from a container-credentials endpoint on loopback, as SnapStart functions get theirs: the
snapshot's credentials are within botocore's mandatory refresh window when the restore runs, so the first request
fetches new ones. The list function is told only its secret's ARN (AWS's way), so after the restore it reads its
page-token key again. Besides the timings, the probe reports what the before-snapshot hooks did (the clients
they made, the calls answered in process, anything sent or printed) and the first request's log line, which the
tests check (tests/unit/lifecycle).

    PYTHONPATH=src python -m scripts.perf.restore [--runs 15]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import statistics
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scripts.function_manifest import load_functions
from scripts.perf import cold_start, secret_cost

RUNS = cold_start.RUNS
TARGET = (
    0.05  # the most a first request after a restore, hooks included, may cost, as a multiple of the floor
)
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:000000000000:secret:bbws-page-token-key-bench"
# Lambda's token for the credentials endpoint is the environment's; here it tells the snapshot's from the restore's.
SNAPSHOT_TOKEN, RESTORED_TOKEN = "snapshot", "restored"
ANSWERS = cold_start.ANSWERS | secret_cost.ANSWERS

# SnapStart's prices (docs/PERFORMANCE.md says where from) and the cost model's assumptions.
PRICES_READ = "December 2026"
CACHE_PRICE = 0.0000015046  # USD per GB-second cached
RESTORE_PRICE = 0.0001397998  # USD per GB restored
DURATION_PRICE = 0.0000133334  # USD per GB-second of duration, arm64
MEMORY_MB = 256
FUNCTION_COUNT = len(load_functions())
SECONDS_PER_MONTH = 730 * 3600
# environment -> (versions cached per function, restores per month over the five functions)
COST_ASSUMPTIONS = {"sit": (6, 1_500), "prod": (3, 30_000)}

# After the stub: count what reaches botocore's HTTP send (the stub answers it; nothing reaches a network).
_COUNTED = """
_sent = []
_answer_send = Endpoint._send


def _counted_send(self, request):
    _sent.append(request.headers["X-Amz-Target"].decode().rpartition(".")[2])
    return _answer_send(self, request)


Endpoint._send = _counted_send
"""
_PROBE = """
import contextlib, io, json, os, sys, time
sys.path.insert(0, {src!r})
from lifecycle import snapstart
from repositories import aws_clients

_primed = []
_canned_answer = snapstart._canned_answer


def _recorded_answer(request, event_name, **kwargs):
    _primed.append(event_name.split(".", 1)[1])
    return _canned_answer(request, event_name=event_name, **kwargs)


snapstart._canned_answer = _recorded_answer
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    import handlers.{name} as module
    import snapshot_restore_py as hooks

    started = time.perf_counter()
    for hook, args, kwargs in reversed(hooks.get_before_snapshot()):
        hook(*args, **kwargs)
    snapshot_hooks = time.perf_counter() - started
init = {{
    "sent": list(_sent),
    "printed": printed.getvalue(),
    "primed": sorted(set(_primed)),
    "clients": sorted(client.meta.service_model.service_name for client in aws_clients.made()),
    "before_snapshot": [[hook.__name__, *args] for hook, args, _ in reversed(hooks.get_before_snapshot())],
    "after_restore": [hook.__name__ for hook, _, _ in hooks.get_after_restore()],
}}
_sent.clear()
os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = {restored!r}
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    started, started_cpu = time.perf_counter(), time.process_time()
    for hook, args, kwargs in hooks.get_after_restore():
        hook(*args, **kwargs)
    response = module.handler({event!r}, None)
    first, first_cpu = time.perf_counter() - started, time.process_time() - started_cpu
assert response["statusCode"] < 300, response
print(json.dumps({{"snapshot_hooks": snapshot_hooks, "first": first, "cpu": first_cpu, "init": init,
    "sent": _sent, "lines": printed.getvalue().splitlines()}}))
"""


class _Credentials(BaseHTTPRequestHandler):
    """The container-credentials endpoint: the snapshot's credentials are already inside botocore's mandatory
    refresh window (botocore fetches again before every use of them), the restored environment's are fresh."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        fresh = self.headers.get("Authorization") == RESTORED_TOKEN
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            hours=6 if fresh else 0.08
        )
        body = json.dumps(
            {
                "AccessKeyId": "ASIABENCH",
                "SecretAccessKey": "bench",
                "Token": "bench",
                "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def credentials_endpoint() -> Iterator[str]:
    """A container-credentials endpoint on loopback, for the probes run meanwhile; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Credentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/credentials"
    finally:
        server.shutdown()
        server.server_close()


def probe_code(name: str) -> str:
    """A restore probe of function `name`: stub, send counter, import, hooks and first request."""
    event = cold_start.function_event(name)
    probe = _PROBE.format(src=str(cold_start.ROOT / "src"), name=name, restored=RESTORED_TOKEN, event=event)
    return "import json\n" + cold_start.stub_code(ANSWERS) + _COUNTED + probe


def environment(name: str, credentials_url: str) -> dict[str, str]:
    """Function `name`'s environment under SnapStart: credentials from the endpoint, never from keys or files;
    the list function told where its key is."""
    environ = {
        key: value
        for key, value in cold_start.function_environment(name).items()
        if not key.startswith(
            ("AWS_ACCESS_KEY", "AWS_SECRET_ACCESS", "AWS_SESSION", "AWS_PROFILE", "PAGE_TOKEN")
        )
    }
    environ |= {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": SNAPSHOT_TOKEN,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        "LOG_LEVEL": "INFO",
    }
    if load_functions()[name].secrets:
        environ["PAGE_TOKEN_KEY_SECRET_ID"] = SECRET_ARN
    return environ


def run_probe(name: str, credentials_url: str) -> dict[str, Any]:
    """Run one restore probe of function `name` in a fresh interpreter; what it reports (times in seconds)."""
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe_code(name)],
        capture_output=True,
        text=True,
        env=environment(name, credentials_url),
        check=False,
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@dataclass(frozen=True)
class Restore:
    """One function's figures in milliseconds: the before-snapshot hooks (median), and the after-restore hooks
    with the first request (median, best, best CPU)."""

    name: str
    snapshot_hooks: float
    first: float
    best: float
    best_cpu: float


def restores(runs: int = RUNS) -> tuple[cold_start.ColdStart, list[Restore]]:
    """The floor and each function's restore, `runs` fresh interpreters each, in turns (floor first)."""
    floor_code = cold_start.probe_code(cold_start.FLOOR_IMPORTS, cold_start.FLOOR_FIRST)
    floors: list[dict[str, float]] = []
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in load_functions()}
    with credentials_endpoint() as url:
        for _ in range(runs):
            floors.append(cold_start.run_probe(cold_start.FLOOR, floor_code))
            for name, found in samples.items():
                found.append(run_probe(name, url))
    floor_totals = [sample["import"] + sample["first"] for sample in floors]
    floor = cold_start.ColdStart(
        cold_start.FLOOR,
        statistics.median(s["import"] for s in floors) * 1000,
        statistics.median(s["first"] for s in floors) * 1000,
        statistics.median(floor_totals) * 1000,
        min(floor_totals) * 1000,
        min(s["cpu"] for s in floors) * 1000,
    )
    return floor, [
        Restore(
            name,
            statistics.median(s["snapshot_hooks"] for s in found) * 1000,
            statistics.median(s["first"] for s in found) * 1000,
            min(s["first"] for s in found) * 1000,
            min(s["cpu"] for s in found) * 1000,
        )
        for name, found in samples.items()
    ]


def table(floor: cold_start.ColdStart, results: list[Restore]) -> list[str]:
    """Markdown rows: each function's restore beside the floor measured in the same run."""
    lines = [
        "| function | before-snapshot hooks ms (median) | restore hooks + first request ms (median) | median / floor's "
        "median | best ms | best / floor's best | target | best CPU / floor's |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| {floor.name} | | {floor.total:.1f} | 1.000 | {floor.best:.1f} | 1.000 | | 1.000 |",
    ]
    for result in results:
        lines.append(
            f"| {result.name} | {result.snapshot_hooks:.1f} | {result.first:.2f} | {result.first / floor.total:.3f} | "
            f"{result.best:.2f} | {result.best / floor.best:.3f} | {TARGET:.2f}x | "
            f"{result.best_cpu / floor.best_cpu:.3f} |"
        )
    return lines


def section(floor: cold_start.ColdStart, results: list[Restore], runs: int = RUNS) -> list[str]:
    """docs/PERFORMANCE.md's section on the first request after a SnapStart restore."""
    return [
        f"## First request after a SnapStart restore (best and median of {runs} fresh interpreters, in turns)",
        "",
        "`scripts/perf/restore.py`: each probe imports the handler, runs the before-snapshot hooks as the Lambda",
        "runtime does (`src/lifecycle/snapstart.py`: build the clients, prime every operation the manifest allows",
        "with canned answers, freeze the garbage collector), lets the credentials expire, then times the",
        "after-restore hooks (reseed `random`, drop pooled connections, forget the page-token keys, mark the",
        "restore) together with the first request. AWS answers in process as above; the credentials come from a",
        "container-credentials endpoint on loopback, as SnapStart functions get theirs, so the first request",
        "fetches fresh ones; the list function is told only its key's ARN and reads the key again when a token",
        "needs it. The floor is the cold-start floor, measured again in this run, in turns with the probes.",
        f"Target: at most {TARGET}x the floor. In AWS the restore itself (Lambda loading the snapshot) comes on",
        "top: the REPORT line's `Restore Duration` (the cold-start query and dashboard panel show it).",
        f"Load average when measured: {os.getloadavg()[0]:.1f} (2 cores).",
        "",
        *table(floor, results),
        "",
    ]


def cost_section(cold: list[cold_start.ColdStart], results: list[Restore]) -> list[str]:
    """docs/PERFORMANCE.md's section on what SnapStart costs per environment and what it saves."""
    first_saved_ms = statistics.mean(c.total for c in cold[1:]) - statistics.mean(r.first for r in results)
    gb = MEMORY_MB / 1024
    lines = [
        "## SnapStart: monthly cost per environment, and what it buys",
        "",
        "Prices: AWS's published Lambda pricing (aws.amazon.com/lambda/pricing), SnapStart section, US East",
        "(N. Virginia), as listed since SnapStart for Python became generally available (November 2024) and read",
        f"again in {PRICES_READ}: cache ${CACHE_PRICE:.10f} per GB-second of each cached version's memory (at least",
        f"3 hours per version), restore ${RESTORE_PRICE:.10f} per GB restored; duration ${DURATION_PRICE:.10f} per",
        "GB-second (arm64).",
        f"Check the page for the deployment's region before budgeting. Assumptions: {FUNCTION_COUNT} functions of",
        f"{MEMORY_MB} MB; a version's snapshot is cached (and charged) until Lambda deletes it 14 days after its last",
        "invocation, so the versions cached per function are the live one and those released in the 14 days",
        "before; every new execution environment is a restore (traffic, scaling, Lambda recycling environments).",
        "dev has SnapStart off (`environments/dev.tfvars`): it pays nothing and initialises on demand.",
        "",
        "| environment | versions cached per function | cache $/month | restores/month | restores $/month |"
        " total $/month | first-request time saved/month | INIT duration no longer billed $/month |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for environment, (versions, restores_per_month) in COST_ASSUMPTIONS.items():
        cache = FUNCTION_COUNT * versions * gb * SECONDS_PER_MONTH * CACHE_PRICE
        restored = restores_per_month * gb * RESTORE_PRICE
        saved_s = restores_per_month * first_saved_ms / 1000
        lines.append(
            f"| {environment} | {versions} | {cache:.2f} | {restores_per_month:,} | {restored:.2f} | "
            f"{cache + restored:.2f} | {saved_s / 60:.1f} min | {saved_s * gb * DURATION_PRICE:.4f} |"
        )
    lines += [
        "",
        f"The time saved uses this run's figures: a cold start's median (import and first request, "
        f"{statistics.mean(c.total for c in cold[1:]):.0f} ms",
        f"averaged over the functions) less the median first request after a restore "
        f"({statistics.mean(r.first for r in results):.1f} ms); in AWS both are",
        "longer and the restore adds its own `Restore Duration`, so read the column as the order of magnitude.",
        "SnapStart costs more than the INIT billing it avoids (Lambda bills a Python function's INIT phase since",
        "August 2025, and bills a restore's runtime load and after-restore hooks instead); what it buys is the",
        "first request of each new environment at about the cost of a warm one. Most of the cost is the cache: fewer",
        "releases a fortnight, or deleting versions no rollback will need, lower it.",
        "",
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0] if __doc__ else None,
    )
    parser.add_argument("--runs", type=int, default=RUNS, help=f"fresh interpreters per probe ({RUNS})")
    runs = parser.parse_args().runs
    print("\n".join(section(*restores(runs), runs=runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
