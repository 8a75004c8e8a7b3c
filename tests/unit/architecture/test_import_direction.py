"""Dependencies point one way (handlers -> services -> repositories -> boto3), checked over src/'s imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
PACKAGES = {path.name for path in SRC.iterdir() if (path / "__init__.py").is_file()}

# package -> the packages of src/ it may import (modules named "package.module" allow just that module)
ALLOWED = {
    "exceptions": set(),
    "metrics": {"metrics"},
    "models": {"models", "exceptions"},
    "repositories": {"repositories", "models", "exceptions", "metrics.recorder", "utils.settings"},
    "services": {"services", "repositories", "models", "exceptions", "metrics.recorder", "utils.settings"},
    # The SnapStart hooks build the service (the composition root) and prime its clients.
    "lifecycle": {"lifecycle", "services", "repositories", "metrics.emf", "utils.settings"},
}


def imports_of(path: Path) -> set[str]:
    """Every src/ module or package a file imports, type-checking-only imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def allowed(imported: str, rules: set[str]) -> bool:
    return imported.split(".")[0] in rules or any(
        imported == rule or imported.startswith(rule + ".") for rule in rules
    )


def test_every_package_of_src_is_checked_or_free_to_import() -> None:
    assert set(ALLOWED) | {"handlers", "utils", "validators"} == PACKAGES


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_may(package: str) -> None:
    wrong = {
        f"{path.relative_to(SRC)} imports {name}"
        for path in sorted((SRC / package).rglob("*.py"))
        for name in imports_of(path)
        if not allowed(name, ALLOWED[package])
    }
    assert not wrong, sorted(wrong)


def test_nothing_imports_a_handler() -> None:
    importers = {
        f"{path.relative_to(SRC)} imports {name}"
        for path in SRC.rglob("*.py")
        for name in imports_of(path)
        if name.split(".")[0] == "handlers"
    }
    assert not importers
