"""docs/API.md's signing example, run as printed against the local server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.local_server.api import LocalApi

pytestmark = pytest.mark.integration
API_DOC = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def python_example() -> str:
    section = API_DOC.read_text(encoding="utf-8").split("## Signing a write", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "docs/API.md's signing section shows one Python example"
    return blocks[0]


def test_the_python_signing_example_creates_a_product(
    local_api: LocalApi, tmp_path: Path, empty_table: None
) -> None:
    script = tmp_path / "sign_a_write.py"
    script.write_text(python_example(), encoding="utf-8")
    environment = {
        **os.environ,
        "PRODUCT_API_URL": local_api.base_url,
        "AWS_ACCESS_KEY_ID": "docs-example",
        "AWS_SECRET_ACCESS_KEY": "not-a-secret",
    }
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=environment
    )
    assert result.returncode == 0, result.stderr
    status, location = result.stdout.split()
    assert status == "201" and location.startswith("/v1.0/products/")
