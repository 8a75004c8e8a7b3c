"""The five functions as the Lambda stack deployed them, read back with boto3 independently of the Terraform
code: configuration, the code each runs (the package built for it, its handler inside), each role's exact
DynamoDB grants and its log group; and the dependencies layer built for Lambda."""

from __future__ import annotations

import ast
import base64
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from local_aws import LocalAws, as_set
from scripts.function_manifest import load_functions
from scripts.local_server.table import load_schema

FUNCTIONS = load_functions()


def function_name(name: str, environment: str) -> str:
    return f"bbws-{name.replace('_', '-')}-{environment}"


def configuration(aws: LocalAws, name: str) -> dict[str, Any]:
    found: dict[str, Any] = aws.client("lambda").get_function(
        FunctionName=function_name(name, aws.environment)
    )["Configuration"]
    return found


def test_exactly_the_manifests_functions_are_deployed(deployed: LocalAws) -> None:
    listed = deployed.client("lambda").list_functions()["Functions"]
    # Of this environment (prod's are deployed beside dev's in the same account: conftest.py).
    deployed_names = {
        f["FunctionName"] for f in listed if f["FunctionName"].endswith(f"-{deployed.environment}")
    }
    expected = {function_name(name, deployed.environment) for name in FUNCTIONS}
    assert deployed_names == expected


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_runs_its_handler_on_python_312_arm64_with_tracing(
    deployed: LocalAws, name: str
) -> None:
    config = configuration(deployed, name)
    shape = {
        "Handler": config["Handler"],
        "Runtime": config["Runtime"],
        "Architectures": config.get("Architectures"),
        "MemorySize": config["MemorySize"],
        "Timeout": config["Timeout"],
        "Tracing": config.get("TracingConfig", {}).get("Mode"),
    }
    assert shape == {
        "Handler": f"handlers.{name}.handler",
        "Runtime": "python3.12",
        "Architectures": ["arm64"],
        "MemorySize": 256,
        "Timeout": 15,
        "Tracing": "Active",
    }


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_is_configured_for_its_environment_without_a_local_endpoint(
    deployed: LocalAws, name: str
) -> None:
    variables = configuration(deployed, name).get("Environment", {}).get("Variables", {})
    assert variables.get("TABLE_NAME") == f"bbws-products-{deployed.environment}", variables
    assert variables.get("ALLOWED_ORIGINS"), "ALLOWED_ORIGINS empty"
    assert "LOG_LEVEL" in variables, "LOG_LEVEL missing"
    assert variables.get("ENVIRONMENT") == deployed.environment, variables
    assert "DYNAMODB_ENDPOINT_URL" not in variables, "DYNAMODB_ENDPOINT_URL set in AWS"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_only_a_function_with_a_secret_is_told_where_it_is_and_never_its_value(
    deployed: LocalAws, name: str
) -> None:
    variables = configuration(deployed, name).get("Environment", {}).get("Variables", {})
    secret_ids = {key: value for key, value in variables.items() if key.endswith("_SECRET_ID")}
    if FUNCTIONS[name].secrets:
        assert list(secret_ids) == ["PAGE_TOKEN_KEY_SECRET_ID"], sorted(secret_ids)
        assert all(value.startswith("arn:aws:secretsmanager:") for value in secret_ids.values()), secret_ids
    else:
        assert not secret_ids, sorted(secret_ids)
    assert "PAGE_TOKEN_SECRET" not in variables, "a secret value in the environment"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_only_the_write_functions_get_the_dependencies_layer(deployed: LocalAws, name: str) -> None:
    layers = configuration(deployed, name).get("Layers", [])
    assert bool(layers) == FUNCTIONS[name].uses_dependencies, f"layers {layers}"


def package_sha256(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_runs_the_package_built_for_it(deployed: LocalAws, name: str) -> None:
    package = deployed.package_dir / f"{name}.zip"
    assert configuration(deployed, name)["CodeSha256"] == package_sha256(
        package
    ), f"deployed code is not {package}"


def handler_defined(archive: zipfile.ZipFile, handler: str) -> bool:
    """Whether `module.function` names a top-level function of a module inside the archive."""
    module, _, function = handler.rpartition(".")
    member = module.replace(".", "/") + ".py"
    packages = [f"{'/'.join(module.split('.')[: n + 1])}/__init__.py" for n in range(module.count("."))]
    if not set(packages + [member]) <= set(archive.namelist()):
        return False
    tree = ast.parse(archive.read(member))
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names |= {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return function in names


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_handler_resolves_inside_its_package(deployed: LocalAws, name: str) -> None:
    handler = configuration(deployed, name)["Handler"]
    with zipfile.ZipFile(deployed.package_dir / f"{name}.zip") as archive:
        assert handler_defined(archive, handler), f"handler {handler} does not resolve inside {name}.zip"


def role_statements(aws: LocalAws, name: str) -> list[dict[str, Any]]:
    return aws.role_statements(configuration(aws, name)["Role"].rsplit("/", 1)[-1])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_role_grants_exactly_the_manifests_dynamodb_actions(deployed: LocalAws, name: str) -> None:
    table_arn = deployed.client("dynamodb").describe_table(TableName=f"bbws-products-{deployed.environment}")[
        "Table"
    ]["TableArn"]
    index_arns = {f"{table_arn}/index/{gsi['name']}" for gsi in load_schema()["global_secondary_indexes"]}
    statements = role_statements(deployed, name)
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in as_set(s["Action"]))]
    granted = {(a, r) for s in dynamodb for a in as_set(s["Action"]) for r in as_set(s["Resource"])}
    function = FUNCTIONS[name]
    wanted = {(a, table_arn) for a in function.table_actions}
    wanted |= {(a, r) for a in function.index_actions for r in index_arns}
    assert granted == wanted


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_role_only_allows_named_actions_and_names_its_resources(deployed: LocalAws, name: str) -> None:
    for statement in role_statements(deployed, name):
        actions = as_set(statement["Action"])
        assert statement["Effect"] == "Allow", f"unexpected {statement['Effect']} statement"
        assert all("*" not in a for a in actions), f"wildcard action {sorted(actions)}"
        if "*" in as_set(statement["Resource"]):
            assert all(a.startswith("xray:") for a in actions), f"'*' resource for {sorted(actions)}"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_logs_to_a_group_kept_90_days(deployed: LocalAws, name: str) -> None:
    prefix = f"/aws/lambda/{function_name(name, deployed.environment)}"
    groups = deployed.client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    assert [g.get("retentionInDays") for g in groups] == [90]


def layer_entries(aws: LocalAws) -> list[str]:
    with zipfile.ZipFile(aws.package_dir / "dependencies-layer.zip") as archive:
        return archive.namelist()


def test_the_layers_binaries_are_built_for_lambdas_python_312_on_arm64(local_aws: LocalAws) -> None:
    binaries = [n for n in layer_entries(local_aws) if n.endswith(".so")]
    assert binaries and all(n.endswith("cpython-312-aarch64-linux-gnu.so") for n in binaries), binaries


def test_the_layer_keeps_everything_under_python(local_aws: LocalAws) -> None:
    assert [n for n in layer_entries(local_aws) if not n.startswith("python/")] == []


def test_the_layer_leaves_boto3_to_the_runtime(local_aws: LocalAws) -> None:
    assert [n for n in layer_entries(local_aws) if n.startswith(("python/boto3/", "python/botocore/"))] == []
