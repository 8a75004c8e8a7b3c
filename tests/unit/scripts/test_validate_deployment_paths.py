"""The validation expects the 201's Location the API gives a client of the URL it was handed: API Gateway's stage
URL puts the stage before the route, the local server puts nothing."""

from __future__ import annotations

import pytest

from scripts.ops.validate_deployment import ApiClient


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev", "/dev/v1.0/products/p1"),
        ("https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/", "/dev/v1.0/products/p1"),
        ("https://api.example.com/catalogue", "/catalogue/v1.0/products/p1"),
        ("http://127.0.0.1:3000", "/v1.0/products/p1"),
    ],
)
def test_a_created_products_location_starts_with_the_base_urls_path(base_url: str, expected: str) -> None:
    client = ApiClient(base_url, "eu-west-1", None, 5.0)
    assert client.client_path("/v1.0/products/p1") == expected
