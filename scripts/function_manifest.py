"""The five Lambda functions, read from the one manifest Terraform also reads (terraform/functions.json).

Each entry names a handler module (`handlers.<name>`), its route, whether it needs the dependencies layer
(pydantic: the write functions), the DynamoDB actions its role allows and the secrets it reads. A sixth
function is one entry plus its handler module.

    python scripts/function_manifest.py    # prints the names, one a line (for shell scripts)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "terraform" / "functions.json"


@dataclass(frozen=True)
class Function:
    """One function of the manifest."""

    name: str
    method: str
    path: str
    uses_dependencies: bool
    table_actions: frozenset[str]
    index_actions: frozenset[str]
    secrets: tuple[str, ...]  # Secrets Manager secrets the function reads (bbws-<secret>-<env>)


def load_functions() -> dict[str, Function]:
    """The manifest's functions by handler module name, in manifest order."""
    entries = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return {
        name: Function(
            name=name,
            method=entry["method"],
            path=entry["path"],
            uses_dependencies=entry["uses_dependencies"],
            table_actions=frozenset(entry["table_actions"]),
            index_actions=frozenset(entry["index_actions"]),
            secrets=tuple(entry["secrets"]),
        )
        for name, entry in entries.items()
    }


if __name__ == "__main__":
    print("\n".join(load_functions()))
