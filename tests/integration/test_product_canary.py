"""The canary's script (scripts/ops/product_canary.py) against the local server, as Synthetics runs it."""

from __future__ import annotations

import pytest

from scripts.local_server.api import LocalApi
from scripts.ops import product_canary
from scripts.ops.product_canary import ProbeFailed, handler, probe

pytestmark = pytest.mark.integration


def test_the_canary_reads_the_list_and_one_product(
    local_api: LocalApi, created: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODUCTS_URL", f"{local_api.base_url}/v1.0/products/")
    result = handler({}, None)
    assert result.startswith("list and product ") and result.endswith(" read")


def test_the_canary_fails_when_the_list_is_not_served(local_api: LocalApi) -> None:
    with pytest.raises(ProbeFailed, match="answered 404"):
        probe(f"{local_api.base_url}/v1.0/no-such-collection")


def test_the_canary_fails_when_the_product_it_listed_cannot_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # A product deleted between the two reads: the second answer is the API's 404.
    answers = iter([(200, {"products": [{"productId": "gone"}]}), (404, None)])
    monkeypatch.setattr(product_canary, "_get", lambda url: next(answers))
    with pytest.raises(ProbeFailed, match="/gone answered 404"):
        probe("https://api.example.com/dev/v1.0/products")
