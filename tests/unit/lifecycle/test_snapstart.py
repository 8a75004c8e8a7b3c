"""SnapStart's hooks run as the Lambda runtime runs them, each function in a fresh interpreter (scripts/perf/
restore.py's probe): AWS answered in process, credentials from a loopback container endpoint. Restored containers
are forks of one primed process: they share its memory as restores of one snapshot do."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.function_manifest import load_functions
from scripts.perf import restore

FUNCTIONS = load_functions()
ITEM_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


@pytest.fixture(scope="module")
def credentials_url() -> Iterator[str]:
    with restore.credentials_endpoint() as url:
        yield url


@pytest.fixture(scope="module")
def probes(credentials_url: str) -> dict[str, dict[str, Any]]:
    """Each function's probe: import, before-snapshot hooks, restore hooks and the first request."""
    return {name: restore.run_probe(name, credentials_url) for name in FUNCTIONS}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_hooks_run_as_lambda_orders_them(probes: dict[str, dict[str, Any]], name: str) -> None:
    init = probes[name]["init"]
    assert init["before_snapshot"][0] == ["prime", name] and init["before_snapshot"][-1] == ["freeze_garbage"]
    assert init["after_restore"] == [
        "reseed_random",
        "drop_connections",
        "forget_page_token_keys",
        "mark_restore",
    ]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_before_the_snapshot_nothing_is_sent_to_aws_and_nothing_printed(
    probes: dict[str, dict[str, Any]], name: str
) -> None:
    init = probes[name]["init"]
    assert (init["sent"], init["printed"]) == ([], "")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_before_the_snapshot_every_client_and_every_allowed_operation_is_primed(
    probes: dict[str, dict[str, Any]], name: str
) -> None:
    function = FUNCTIONS[name]
    writes = bool(ITEM_WRITES & function.table_actions)
    actions = {action.partition(":")[2] for action in function.table_actions | function.index_actions}
    expected = {
        f"dynamodb.{operation}" for operation in actions | ({"TransactWriteItems"} if writes else set())
    }
    expected |= {"secrets-manager.GetSecretValue"} if function.secrets else set()
    clients = ["dynamodb"] * (2 if writes else 1) + (["secretsmanager"] if function.secrets else [])
    init = probes[name]["init"]
    assert (init["primed"], init["clients"]) == (sorted(expected), sorted(clients))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_first_line_after_a_restore_says_it_was_a_restore(
    probes: dict[str, dict[str, Any]], name: str
) -> None:
    (line,) = [json.loads(text) for text in probes[name]["lines"]]
    assert (line["restore"], line["coldStart"], line["Restores"], line["ColdStarts"]) == (True, False, 1, 0)


# Two restores of one primed list function: forks of one process, as restores are copies of one snapshot.
_TWO_RESTORES = """
import json, os, random

_LIST = {event!r}
# Python reseeds `random` in a forked child; a restored snapshot keeps the state it was taken with.
_SNAPSHOT_RANDOM = random.getstate()


def restored(query):
    read, write = os.pipe()
    if os.fork() == 0:
        random.setstate(_SNAPSHOT_RANDOM)
        os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = {restored!r}
        for hook, args, kwargs in hooks.get_after_restore():
            hook(*args, **kwargs)
        draw = random.random()
        _sent.clear()
        event = dict(_LIST, queryStringParameters=query, multiValueQueryStringParameters={{k: [v] for k, v in query.items()}})
        with contextlib.redirect_stdout(io.StringIO()):
            response = module.handler(event, None)
        os.write(write, json.dumps({{"draw": draw, "sent": _sent, "status": response["statusCode"],
            "body": json.loads(response["body"])}}).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as result:
        answer = json.loads(result.read())
    os.wait()
    return answer


first = restored({{"limit": "1"}})
second = restored({{"limit": "1", "nextToken": first["body"]["nextToken"]}})
print(json.dumps([first, second]))
"""


@pytest.fixture(scope="module")
def two_restores(credentials_url: str) -> list[dict[str, Any]]:
    """Two containers restored from one primed list function: the first seals a nextToken, the second opens it."""
    code = restore.probe_code("list_products").rsplit('assert response["statusCode"]', 1)[0]
    code = code.split('os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]', 1)[0]
    event = restore.cold_start.function_event("list_products")
    code += _TWO_RESTORES.format(event=event, restored=restore.RESTORED_TOKEN)
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        env=restore.environment("list_products", credentials_url),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers: list[dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return answers


def test_two_restores_of_one_snapshot_draw_different_random_numbers(
    two_restores: list[dict[str, Any]],
) -> None:
    first, second = two_restores
    assert first["draw"] != second["draw"]


def test_a_token_sealed_after_a_restore_opens_in_another_restored_container(
    two_restores: list[dict[str, Any]],
) -> None:
    first, second = two_restores
    assert first["body"]["nextToken"] and (first["status"], second["status"]) == (200, 200)


def test_each_restored_container_reads_the_page_token_key_afresh(two_restores: list[dict[str, Any]]) -> None:
    assert ["GetSecretValue" in answer["sent"] for answer in two_restores] == [True, True]


def test_without_the_runtimes_hooks_library_a_handler_imports_and_registers_nothing() -> None:
    code = (
        "import sys\nsys.modules['snapshot_restore_py'] = None\n"
        f"sys.path.insert(0, {str(restore.cold_start.ROOT / 'src')!r})\n"
        "import handlers.get_product\nfrom lifecycle import snapstart\n"
        "print(snapstart.register_before_snapshot.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        env={"TABLE_NAME": "t"},
        check=True,
    )
    assert result.stdout.strip() == "lifecycle.snapstart"
