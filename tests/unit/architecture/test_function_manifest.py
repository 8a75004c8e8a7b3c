"""terraform/functions.json lists exactly the handler modules of src/handlers, each with the route it serves."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from scripts.function_manifest import load_functions

HANDLERS = Path(__file__).resolve().parents[3] / "src" / "handlers"
FUNCTIONS = load_functions()


def test_every_handler_module_has_a_manifest_entry_and_every_entry_a_module() -> None:
    modules = {path.stem for path in HANDLERS.glob("*.py") if path.stem != "__init__"}
    assert modules == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_handler_serves_the_route_its_entry_names(name: str) -> None:
    module = importlib.import_module(f"handlers.{name}")
    function = FUNCTIONS[name]
    assert callable(module.handler)
    assert (module.__doc__ or "").startswith(f"{function.method} {function.path}:")


def test_each_route_is_served_by_one_function() -> None:
    routes = [(f.method, f.path) for f in FUNCTIONS.values()]
    assert len(routes) == len(set(routes))


def test_every_function_may_at_least_read_the_table() -> None:
    assert all(f.table_actions for f in FUNCTIONS.values())
