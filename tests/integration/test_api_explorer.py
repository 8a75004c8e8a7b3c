"""The local server's API explorer: /openapi.yaml over HTTP, and /docs in a real headless Chromium."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api_client import ApiClient
from browser import Chromium, find_chromium
from scripts.local_server.api import LocalApi

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "build" / "api-explorer.png"
OPERATIONS = ("listProducts", "getProduct", "createProduct", "updateProduct", "deleteProduct")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the API explorer test: install Debian's chromium package (.ci/run does)")
        pytest.skip("no Chromium on PATH (apt-get install chromium, or set CHROMIUM) to drive the explorer")
    with Chromium(binary) as browser:
        yield browser


def fetch(local_api: LocalApi, path: str) -> tuple[str, bytes]:
    """Content-Type and body of a page outside the API's contract (ApiClient checks answers against it)."""
    with urllib.request.urlopen(local_api.base_url + path, timeout=30) as answer:
        return answer.headers["Content-Type"], answer.read()


def test_openapi_document_lists_this_server_first(local_api: LocalApi) -> None:
    content_type, body = fetch(local_api, "/openapi.yaml")
    assert content_type.startswith("application/yaml")
    assert f"servers:\n  - url: {local_api.base_url}\n" in body.decode()


@pytest.mark.parametrize("path", ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"])
def test_explorer_assets_are_served_locally(local_api: LocalApi, path: str) -> None:
    _, body = fetch(local_api, path)
    assert len(body) > 10_000


@pytest.mark.parametrize("path", ["/docs/index.j2", "/docs/../openapi.yaml", "/docs/swagger-ui.js.map"])
def test_explorer_serves_no_other_file(api: ApiClient, path: str) -> None:
    assert api.get(path).status == 404


def test_explorer_renders_operations_and_tries_a_read(chromium: Chromium, local_api: LocalApi) -> None:
    chromium.navigate(f"{local_api.base_url}/docs")
    rendered = chromium.wait_for(
        "[...document.querySelectorAll('.opblock')].map(e => e.id).join(' ')", "operations to render"
    )
    for operation in OPERATIONS:
        assert f"operations-products-{operation}" in rendered

    chromium.click("#operations-products-listProducts .opblock-summary-control")
    chromium.click("#operations-products-listProducts .try-out__btn")
    chromium.click("#operations-products-listProducts .execute")
    status = chromium.wait_for(
        "document.querySelector('#operations-products-listProducts .live-responses-table tbody .response-col_status')"
        "?.textContent.trim()",
        "the Try it out response",
    )
    chromium.screenshot(SCREENSHOT)

    assert status == "200"
    assert SCREENSHOT.stat().st_size > 10_000
    # Offline by construction: the page loaded nothing from anywhere but this server.
    origins = {
        f"{u.scheme}://{u.netloc}" for u in map(urlsplit, chromium.requested_urls()) if u.scheme != "data"
    }
    assert origins == {local_api.base_url}
