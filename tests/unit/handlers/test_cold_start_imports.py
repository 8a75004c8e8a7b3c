"""Cold start: each function imports only what its own path uses (the manifest says which need pydantic); the
store's write and list sides load on first use, so no function pays at import for the side it never runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.function_manifest import load_functions

SRC = Path(__file__).resolve().parents[3] / "src"
PROBE = """
import json, sys
sys.path.insert(0, {src!r})
import handlers.{name}
from services import factory
print(json.dumps({{
    "pydantic": "pydantic" in sys.modules,
    "pydantic_core": "pydantic_core" in sys.modules,
    "clients": int(factory.bootstrapped()),
    "store_sides": sorted({{"repositories.lists", "repositories.page_token", "repositories.writes"}} & set(sys.modules)),
}}))
"""
FUNCTIONS = load_functions().values()


def imports_of(handler: str) -> dict[str, object]:
    """What importing one handler module loads, in a fresh interpreter like a new Lambda container."""
    result = subprocess.run(
        [sys.executable, "-I", "-c", PROBE.format(src=str(SRC), name=handler)],
        capture_output=True,
        text=True,
        check=True,
        env={"TABLE_NAME": "t", "PATH": ""},
    )
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("handler", [f.name for f in FUNCTIONS if not f.uses_dependencies])
def test_read_functions_do_not_load_pydantic(handler: str) -> None:
    assert imports_of(handler) == {"pydantic": False, "pydantic_core": False, "clients": 0, "store_sides": []}


@pytest.mark.parametrize("handler", [f.name for f in FUNCTIONS if f.uses_dependencies])
def test_write_functions_load_only_pydantics_validation_core_and_no_client_at_import(handler: str) -> None:
    # pydantic's model layer (the `pydantic` package) costs write functions a third more cold start.
    assert imports_of(handler) == {"pydantic": False, "pydantic_core": True, "clients": 0, "store_sides": []}
