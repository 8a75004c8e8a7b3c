"""Handlers wired to the service over the in-memory store."""

from __future__ import annotations

import pytest

from handlers import create_product, delete_product, get_product, list_products, update_product
from services.product_service import ProductService

HANDLER_MODULES = (create_product, delete_product, get_product, list_products, update_product)


@pytest.fixture(autouse=True)
def wired(service: ProductService, monkeypatch: pytest.MonkeyPatch) -> ProductService:
    for module in HANDLER_MODULES:
        monkeypatch.setattr(module, "product_service", lambda: service)
    return service
