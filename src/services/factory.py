"""The composition root: the container's one service, built from its parts on first use (not at import, for
cold start) and reused by every later invocation. Tests bootstrap it over a fake store instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from repositories.dynamodb import create_client, one_attempt_twin
from repositories.product_repository import ProductRepository
from services.product_service import ProductService, ProductStore, utc_now
from utils.settings import Settings, get_settings

if TYPE_CHECKING:
    from repositories.page_token import PageTokens

_service: ProductService | None = None
# The service's page tokens, whose keys a SnapStart restore makes stale.
_container_page_tokens: PageTokens | None = None


def bootstrap(
    store: ProductStore | None = None, clock: Callable[[], str] = utc_now, *, settling_client: bool = False
) -> ProductService:
    """Build the service over `store` (default: the configured DynamoDB table) and make it the container's.
    With `settling_client`, the one-attempt twin that settles lost writes is made now rather than on first
    use (before a SnapStart snapshot)."""
    global _service, _container_page_tokens
    _container_page_tokens = None
    if store is None:
        settings = get_settings()
        client = create_client(settings)
        _container_page_tokens = _page_tokens(settings)
        twin = one_attempt_twin(client) if settling_client else None
        store = ProductRepository(client, settings.table_name, _container_page_tokens, settling_client=twin)
    _service = ProductService(store, clock=clock)
    return _service


def forget_page_token_keys() -> None:
    """Have the service's page tokens read their keys afresh at their next use (after a SnapStart restore)."""
    if _container_page_tokens is not None:
        _container_page_tokens.forget_keys()


def _page_tokens(settings: Settings) -> PageTokens | None:
    """The list function's page tokens: under the key in Secrets Manager (AWS) or a fixed one (local). Only the
    list function has either: the others' cold start skips the token code (imported here)."""
    if settings.page_token_secret:
        from repositories.page_token import PageTokens

        return PageTokens(settings.page_token_secret)
    if settings.page_token_key_secret_id:
        from repositories.page_token_key import page_tokens_from_secret

        return page_tokens_from_secret(settings.page_token_key_secret_id, settings.region)
    return None


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
