"""The synthetic probe: what a client sees of the API, from outside, every five minutes per environment.

CloudWatch Synthetics runs `handler` (terraform/canary.tf) with PRODUCTS_URL, the stage's products URL. It
reads the first page of the list and, when the list holds a product, that product by its id; any other answer
raises, which fails the run and moves the canary's SuccessPercent (its alarm, docs/OPERATIONS.md). Standard
library only, so the runtime's bundled browser tooling is never loaded and the same code runs here against the
local server (tests/integration/test_product_canary.py).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 10


class ProbeFailed(Exception):
    """The API answered something a client could not use."""


def _get(url: str) -> tuple[int, Any]:
    """Status and JSON body of a GET, error statuses included (they are answers, not crashes)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "bbws-canary"})
    try:
        # The URL is the stage's own (https in AWS, loopback in tests), from the canary's configuration.
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # nosec B310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def probe(products_url: str) -> str:
    """Read the list's first product page and one product; say what was read, or raise ProbeFailed."""
    status, page = _get(f"{products_url}?limit=1")
    if status != 200 or not isinstance(page, dict) or not isinstance(page.get("products"), list):
        raise ProbeFailed(f"GET {products_url}?limit=1 answered {status}, not a product page")
    if not page["products"]:
        return "list read (no products to read one of)"
    product_id = page["products"][0].get("productId")
    status, found = _get(f"{products_url}/{product_id}")
    if (
        status != 200
        or not isinstance(found, dict)
        or found.get("product", {}).get("productId") != product_id
    ):
        raise ProbeFailed(f"GET {products_url}/{product_id} answered {status}, not that product")
    return f"list and product {product_id} read"


def handler(event: Any, context: Any) -> str:
    """The Synthetics entry point (`product_canary.handler`)."""
    result = probe(os.environ["PRODUCTS_URL"].rstrip("/"))
    print(result)
    return result
