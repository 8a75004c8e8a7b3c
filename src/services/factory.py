"""The composition root: the container's one service, built from its parts on first use (not at import, for
cold start) and reused by every later invocation. Tests bootstrap it over a fake store instead."""

from __future__ import annotations

from collections.abc import Callable

from repositories.dynamodb import create_client
from repositories.product_repository import ProductRepository
from services.product_service import ProductService, ProductStore, utc_now
from utils.settings import get_settings

_service: ProductService | None = None


def bootstrap(store: ProductStore | None = None, clock: Callable[[], str] = utc_now) -> ProductService:
    """Build the service over `store` (default: the configured DynamoDB table) and make it the container's."""
    global _service
    if store is None:
        settings = get_settings()
        secret = settings.page_token_secret
        tokens = None
        if secret:  # only the list function has one: the others' cold start skips the token code
            from repositories.page_token import PageTokens

            tokens = PageTokens(secret)
        store = ProductRepository(create_client(settings), settings.table_name, tokens)
    _service = ProductService(store, clock=clock)
    return _service


def product_service() -> ProductService:
    """The container's service, bootstrapped with the defaults on the first call."""
    return bootstrap() if _service is None else _service


def bootstrapped() -> bool:
    """Whether the container's service exists yet (a fresh container has none until its first request)."""
    return _service is not None


def reset() -> None:
    """Forget the container's service: the next call bootstraps the defaults again."""
    global _service
    _service = None
