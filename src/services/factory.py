"""The container's one service instance: built on first use, reused by every later invocation."""

from __future__ import annotations

import functools

from repositories.dynamodb import create_client
from repositories.product_repository import ProductRepository
from services.product_service import ProductService
from utils.settings import get_settings


@functools.cache
def product_service() -> ProductService:
    """The service wired to the configured table."""
    settings = get_settings()
    return ProductService(ProductRepository(create_client(settings), settings.table_name))
