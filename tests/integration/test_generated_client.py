"""A client generated from openapi.yaml by openapi-python-client works for a whole life cycle, unedited."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from api_client import HttpxSigV4
from scripts.local_server.api import LocalApi

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "bbws_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package openapi-python-client generates from openapi.yaml, imported from a temporary directory."""
    where = tmp_path_factory.mktemp("generated")
    bin_dir = str(Path(sys.executable).parent)  # the generator formats its output with ruff from this venv
    result = subprocess.run(
        [
            f"{bin_dir}/openapi-python-client",
            "generate",
            "--path",
            str(ROOT / "openapi.yaml"),
            "--meta",
            "none",
        ]
        + ["--output-path", str(where / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    # Imported from its folder by location (sys.path stays as it is): its modules find each other through the
    # package's own __path__.
    spec = importlib.util.spec_from_file_location(
        PACKAGE, where / PACKAGE / "__init__.py", submodule_search_locations=[str(where / PACKAGE)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    try:
        spec.loader.exec_module(package)
        yield package
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def part(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_list_products_with_no_arguments_succeeds(generated: ModuleType, local_api: LocalApi) -> None:
    client = part(generated, "client").Client(base_url=local_api.base_url)
    response = part(generated, "api.products.list_products").sync_detailed(client=client)
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, part(generated, "models").ProductList)


def test_a_whole_life_cycle_through_the_generated_client(generated: ModuleType, local_api: LocalApi) -> None:
    models = part(generated, "models")
    api = "api.products."
    client = part(generated, "client").AuthenticatedClient(
        base_url=local_api.base_url, token="signed-by-auth", httpx_args={"auth": HttpxSigV4()}
    )
    draft = models.ProductCreate(
        name="Generated Client Plan",
        description="A plan created through the generated client.",
        price=19.99,
        period="monthly",
        currency=models.Currency.ZAR,
        features=["Free SSL certificate"],
    )
    created = part(generated, api + "create_product").sync_detailed(client=client, body=draft)
    assert created.status_code == 201, created.content
    product_id = str(created.parsed.product.product_id)
    assert Decimal(str(created.parsed.product.price)) == Decimal("19.99")

    read = part(generated, api + "get_product").sync_detailed(product_id=product_id, client=client)
    assert read.status_code == 200 and read.parsed.product.name == "Generated Client Plan"

    listed = part(generated, api + "list_products").sync(client=client, limit=100)
    assert isinstance(listed, models.ProductList)

    updated = part(generated, api + "update_product").sync_detailed(
        product_id=product_id,
        client=client,
        body=models.ProductUpdate(price=0.07),
        if_match=read.headers["ETag"],
    )
    assert updated.status_code == 200, updated.content
    assert updated.parsed.product.version == 2 and Decimal(str(updated.parsed.product.price)) == Decimal(
        "0.07"
    )

    deleted = part(generated, api + "delete_product").sync_detailed(
        product_id=product_id, client=client, if_match=updated.headers["ETag"]
    )
    assert deleted.status_code == 204, deleted.content
    gone = part(generated, api + "get_product").sync_detailed(product_id=product_id, client=client)
    assert gone.status_code == 404
