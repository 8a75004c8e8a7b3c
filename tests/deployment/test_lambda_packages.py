"""The Lambda packages scripts/ops/package_lambdas.sh builds are self-contained and reproducible.

The packages are built for this machine (same layout as the arm64 ones, host wheels), each is unpacked into
an empty folder, and a fresh `python -I -S` process whose sys.path holds only the standard library, that
folder, the dependencies layer (write functions only) and boto3 imports the configured handler and answers a
real API Gateway proxy event against moto's DynamoDB server.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from scripts.function_manifest import load_functions
from scripts.local_server.table import create_table

# One worker builds the packages once for the whole module (make pytest runs with --dist loadgroup).
pytestmark = [pytest.mark.deployment, pytest.mark.xdist_group("packages")]

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_SCRIPT = REPO_ROOT / "scripts" / "ops" / "package_lambdas.sh"
TABLE_NAME = "bbws-products-package-test"
FUNCTIONS = tuple(load_functions())
# Functions whose handlers import pydantic and so get the dependencies layer (as Terraform gives them).
LAYERED = {name for name, function in load_functions().items() if function.uses_dependencies}

# Runs in the child interpreter: confine sys.path, import the handler, answer one event, report as JSON.
CHILD = r"""
import importlib, json, sys, sysconfig
args = json.loads(sys.argv[1])
sys.path[:0] = args["path"]
module = importlib.import_module(args["module"])
handler = getattr(module, "handler")

class Context:
    function_name = args["function_name"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:" + args["function_name"]
    memory_limit_in_mb = "256"
    aws_request_id = "package-test-request"
    log_group_name = "/aws/lambda/" + args["function_name"]
    log_stream_name = "package-test"
    def get_remaining_time_in_millis(self):
        return 15000

response = handler(args["event"], Context())
stdlib = (sysconfig.get_path("stdlib") + "/", sysconfig.get_path("platstdlib") + "/")


def allowed(file):
    if file.startswith(tuple(args["path"])):
        return True
    return file.startswith(stdlib) and "/site-packages/" not in file


outside = sorted(
    name for name, mod in list(sys.modules.items()) if getattr(mod, "__file__", None) and not allowed(mod.__file__)
)
print(json.dumps({"response": response, "outside": outside, "pydantic": "pydantic" in sys.modules}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build(output: Path) -> dict[str, str]:
    env = {**os.environ, "PACKAGE_PYTHON": sys.executable}
    subprocess.run(
        ["bash", str(PACKAGE_SCRIPT), "--platform", "host", "--output", str(output)],
        check=True,
        env=env,
        capture_output=True,
    )
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(output.glob("*.zip"))}


# Session scope: a module fixture is rebuilt when a parallel worker runs other tests in between.
@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("packages")
    _build(output)
    return output


@pytest.fixture(scope="module")
def boto3_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding boto3 and what it needs, and nothing else: what the Lambda runtime provides."""
    folder = tmp_path_factory.mktemp("boto3-only")
    pending, seen = ["boto3"], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                pending.append(re.split(r"[^A-Za-z0-9._-]", requirement, maxsplit=1)[0])
        for file in dist.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", "..")) or top == "bin":
                continue
            target = folder / top
            if not target.exists():
                target.symlink_to(Path(dist.locate_file(top)))
    return folder


@pytest.fixture(scope="module")
def dynamodb_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    create_table(client, TABLE_NAME)
    yield endpoint
    server.stop()


def _unpack(archive: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target)
    return target


def _event(method: str, product_id: str | None = None, body: dict[str, Any] | None = None) -> dict[str, Any]:
    resource = "/v1.0/products" + ("/{productId}" if product_id else "")
    path = "/v1.0/products" + (f"/{product_id}" if product_id else "")
    headers = {"Accept": "application/json", "Origin": "https://admin.example.com"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"productId": product_id} if product_id else None,
        "stageVariables": None,
        "requestContext": {
            "requestId": f"package-test-{method.lower()}",
            "resourcePath": resource,
            "httpMethod": method,
            "stage": "dev",
            "identity": {"sourceIp": "127.0.0.1", "userArn": "arn:aws:iam::123456789012:user/package-test"},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


class PackageRunner:
    """Runs one function's package in an isolated interpreter."""

    def __init__(self, packages: Path, workdir: Path, boto3_only: Path, endpoint: str) -> None:
        self.packages, self.workdir, self.boto3_only, self.endpoint = packages, workdir, boto3_only, endpoint
        self.layer = _unpack(packages / "dependencies-layer.zip", workdir / "layer") / "python"

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        folder = self.workdir / f"{name}-{event['httpMethod'].lower()}"
        _unpack(self.packages / f"{name}.zip", folder)
        path = [str(folder)] + ([str(self.layer)] if name in LAYERED else []) + [str(self.boto3_only)]
        args = {
            "path": path,
            "module": f"handlers.{name}",
            "function_name": f"bbws-{name.replace('_', '-')}-test",
            "event": event,
        }
        env = {
            "TABLE_NAME": TABLE_NAME,
            "LOG_LEVEL": "INFO",
            "ALLOWED_ORIGINS": "https://admin.example.com",
            "DYNAMODB_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "PATH": os.environ.get("PATH", ""),
        }
        if name == "list_products":  # as Terraform gives it, to the list function only
            env["PAGE_TOKEN_SECRET"] = "package-test-page-token-secret-of-32-characters"
        child = subprocess.run(
            [sys.executable, "-I", "-S", "-c", CHILD, json.dumps(args)],
            env=env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert child.returncode == 0, f"{name} failed in isolation:\n{child.stderr}"
        report: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        assert report["outside"] == [], f"{name} loaded modules from outside its package: {report['outside']}"
        if name not in LAYERED:
            assert (
                report["pydantic"] is False
            ), f"{name} imported pydantic (read functions must not: cold start)"
        return report


@pytest.fixture(scope="module")
def runner(
    packages: Path, tmp_path_factory: pytest.TempPathFactory, boto3_only: Path, dynamodb_endpoint: str
) -> PackageRunner:
    return PackageRunner(packages, tmp_path_factory.mktemp("unpacked"), boto3_only, dynamodb_endpoint)


def test_each_package_answers_its_route_in_isolation(runner: PackageRunner) -> None:
    listed = runner.invoke("list_products", _event("GET"))
    assert listed["response"]["statusCode"] == 200
    assert json.loads(listed["response"]["body"]) == {"products": [], "count": 0}

    new_product = {
        "name": "Package Check Plan",
        "description": "Created by the Lambda package self-containment test.",
        "price": 149.5,
        "period": "monthly",
        "features": ["Daily backups"],
    }
    created = runner.invoke("create_product", _event("POST", body=new_product))["response"]
    assert created["statusCode"] == 201, created
    product_id = json.loads(created["body"])["product"]["productId"]

    fetched = runner.invoke("get_product", _event("GET", product_id))
    assert fetched["response"]["statusCode"] == 200, fetched["response"]
    assert json.loads(fetched["response"]["body"])["product"]["name"] == "Package Check Plan"

    updated = runner.invoke("update_product", _event("PUT", product_id, {"price": 199.0}))["response"]
    assert updated["statusCode"] == 200, updated
    assert json.loads(updated["body"])["product"]["version"] == 2

    deleted = runner.invoke("delete_product", _event("DELETE", product_id))
    assert deleted["response"]["statusCode"] == 204, deleted["response"]


def test_rebuild_is_byte_identical(packages: Path, tmp_path: Path) -> None:
    first = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(packages.glob("*.zip"))}
    assert _build(tmp_path) == first


def test_packages_hold_only_their_own_handler_and_no_caches(packages: Path) -> None:
    for name in FUNCTIONS:
        with zipfile.ZipFile(packages / f"{name}.zip") as zf:
            entries = zf.namelist()
        handlers = {
            e
            for e in entries
            if e.startswith("handlers/") and e.removeprefix("handlers/") in {f"{f}.py" for f in FUNCTIONS}
        }
        assert handlers == {f"handlers/{name}.py"}, f"{name}.zip handlers: {sorted(handlers)}"
        assert "functions.json" in entries, f"{name}.zip lacks the function manifest its metrics come from"
        assert not [e for e in entries if "__pycache__" in e or e.endswith(".pyc") or e.startswith("tests/")]
        assert all(zf_date == (1980, 1, 1, 0, 0, 0) for zf_date in _dates(packages / f"{name}.zip"))


def test_layer_holds_pydantic_and_not_boto3(packages: Path) -> None:
    with zipfile.ZipFile(packages / "dependencies-layer.zip") as zf:
        tops = {e.split("/")[1] for e in zf.namelist() if e.startswith("python/")}
    assert {"pydantic", "pydantic_core", "annotated_types"} <= tops
    assert not {"boto3", "botocore", "s3transfer"} & tops


def _dates(archive: Path) -> list[tuple[int, ...]]:
    with zipfile.ZipFile(archive) as zf:
        return [info.date_time for info in zf.infolist()]


def test_the_canary_package_holds_its_script_where_synthetics_loads_it(packages: Path) -> None:
    with zipfile.ZipFile(packages / "canary.zip") as zf:
        assert zf.namelist() == ["python/product_canary.py"]
        script = zf.read("python/product_canary.py")
    assert script == (REPO_ROOT / "scripts" / "ops" / "product_canary.py").read_bytes()
