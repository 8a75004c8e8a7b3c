"""Shared fixtures: sample data, API Gateway events, the fake store, and one moto DynamoDB server for the session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

# Settings are read once per process (as in a Lambda container): fix them before any src module reads them.
os.environ.update(
    TABLE_NAME="bbws-products-test",
    ALLOWED_ORIGINS="https://admin.example.com,https://www.example.com",
    LOG_LEVEL="INFO",
    AWS_REGION="eu-west-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    PAGE_TOKEN_SECRET="test-page-token-secret-of-at-least-32-characters",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("DYNAMODB_ENDPOINT_URL", None)

from fakes import FakeProductStore  # noqa: E402
from samples import FIXED_NOW, fresh_table, page_tokens, to_json  # noqa: E402
from scripts.local_server.api import EmbeddedDynamoDB  # noqa: E402
from scripts.local_server.table import create_table  # noqa: E402
from models.commands import ProductDraft  # noqa: E402
from repositories.dynamodb import create_client  # noqa: E402
from repositories.product_repository import ProductRepository  # noqa: E402
from services.product_service import ProductService  # noqa: E402
from utils.settings import get_settings  # noqa: E402


@pytest.fixture
def draft() -> ProductDraft:
    return ProductDraft(
        name="Entry Plan",
        description="A one-page website for a new business.",
        price=Decimal("95.00"),
        period="monthly",
        features=("One-page website",),
    )


@pytest.fixture
def fake_store() -> FakeProductStore:
    return FakeProductStore()


@pytest.fixture
def service(fake_store: FakeProductStore) -> ProductService:
    ids = iter(str(uuid.UUID(int=n, version=4)) for n in range(1, 10_000))
    return ProductService(fake_store, clock=lambda: FIXED_NOW, new_id=lambda: next(ids))


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """Build a REST proxy event as API Gateway sends it."""

    def build(
        method: str = "GET",
        path: str = "/v1.0/products",
        body: Any = None,
        path_parameters: dict[str, str] | None = None,
        query: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        identity: dict[str, Any] | None = None,
        authorizer: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        text = body if isinstance(body, str) or body is None else to_json(body)
        return {
            "resource": path,
            "path": path,
            "httpMethod": method,
            "headers": all_headers,
            "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
            "multiValueQueryStringParameters": query,
            "pathParameters": path_parameters,
            "requestContext": {
                "requestId": f"req-{uuid.uuid4()}",
                "identity": identity or {},
                **({"authorizer": authorizer} if authorizer else {}),
            },
            "body": text,
            "isBase64Encoded": False,
        }

    return build


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """One moto DynamoDB server over real HTTP for the whole session, with the products table."""
    server = EmbeddedDynamoDB()
    server.start()
    os.environ["DYNAMODB_ENDPOINT_URL"] = server.endpoint_url
    get_settings.cache_clear()
    create_table(create_client(get_settings()), get_settings().table_name)
    yield server.endpoint_url
    server.stop()


@pytest.fixture(scope="session")
def dynamodb_client(dynamodb_endpoint: str) -> Any:
    """A client of the session's moto server (making one costs more than the calls a test makes with it)."""
    return create_client(get_settings())


@pytest.fixture
def empty_table(dynamodb_client: Any) -> Iterator[None]:
    """Start the test with a fresh, empty table, and leave one behind: such tests write items the API never
    would (fixed ids, legacy keys), and a parallel worker runs the other tests in any order after them."""
    fresh_table(dynamodb_client)
    yield
    fresh_table(dynamodb_client)


@pytest.fixture
def repository(dynamodb_endpoint: str) -> ProductRepository:
    return ProductRepository(create_client(get_settings()), get_settings().table_name, page_tokens())
