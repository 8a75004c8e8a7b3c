"""The default list reads a bounded amount per request (README, "Behaviour worth knowing") on moto's
DynamoDB: at most the budget's Scan calls, short (even empty) pages with a `nextToken` when the budget runs
out, and every active product exactly once over a full walk, whatever soft-deleted products, name claims and
idempotency records lie in between."""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.commands import IdempotentRequest
from models.record import ProductRecord
from repositories.dynamodb import create_client
from repositories.lists import ScanBudget
from repositories.product_repository import ProductRepository
from samples import fresh_table, page_tokens, product_record
from utils.settings import get_settings

pytestmark = pytest.mark.usefixtures("empty_table")


@dataclass
class Walk:
    """Every page of a full walk of the default list, and the Scan calls each request made."""

    pages: list[list[ProductRecord]]
    calls: list[int]
    tokens: list[str]

    @property
    def ids(self) -> Counter[str]:
        return Counter(p.product_id for page in self.pages for p in page)


def counting_repository(budget: ScanBudget) -> tuple[ProductRepository, list[str]]:
    """A repository under `budget` and the log of DynamoDB operations its client makes."""
    client = create_client(get_settings())
    made: list[str] = []
    client.meta.events.register("before-call.dynamodb.*", lambda model, **_: made.append(model.name))
    return ProductRepository(client, get_settings().table_name, page_tokens(), budget), made


def walk(repository: ProductRepository, made: list[str], limit: int) -> Walk:
    result = Walk([], [], [])
    token: str | None = None
    while len(result.pages) < 1_000:
        before = len(made)
        page = repository.list_active(limit, token)
        result.calls.append(made[before:].count("Scan"))
        result.pages.append(page.products)
        if page.next_token is None:
            return result
        token = page.next_token
        result.tokens.append(token)
    raise AssertionError("the walk did not end")


def store(repository: ProductRepository, products: list[ProductRecord], keyed: int = 0) -> None:
    for n, product in enumerate(products):
        request = IdempotentRequest(f"key-{n}", "body", 1_000) if n < keyed else None
        repository.create(product, request)


def numbered(n: int, active: bool) -> ProductRecord:
    """A product whose id fixes where it sits in moto's scan order (moto scans in key order)."""
    return replace(product_record(name=f"Plan {n:04d}", active=active), product_id=str(uuid.UUID(int=n)))


def test_each_request_makes_at_most_the_budgets_scan_calls() -> None:
    repository, made = counting_repository(ScanBudget(calls=2, batch=5))
    active = [product_record(name=f"Active {n}") for n in range(5)]
    store(repository, active + [product_record(name=f"Gone {n}", active=False) for n in range(30)], keyed=10)
    result = walk(repository, made, limit=3)
    assert max(result.calls) <= 2
    assert result.ids == Counter(p.product_id for p in active)
    assert min(len(page) for page in result.pages[:-1]) < 3  # the budget ended some page short


def test_a_page_that_ends_on_a_name_claim_resumes_after_it_and_hides_the_claim() -> None:
    repository, made = counting_repository(ScanBudget(calls=1))
    # moto scans in key order: the two deleted products, the active one, then the three name claims.
    store(repository, [numbered(1, False), numbered(2, False), numbered(3, True)])
    first = repository.list_active(1, None)  # one call reads 4 items: 3 products and the first claim
    assert [p.product_id for p in first.products] == [str(uuid.UUID(int=3))]
    assert first.next_token is not None
    raw = base64.urlsafe_b64decode(first.next_token + "=" * (-len(first.next_token) % 4))
    assert b"PRODUCTNAME" not in raw and b"plan" not in raw
    rest = repository.list_active(1, first.next_token)
    assert rest.products == [] and rest.next_token is None


def test_the_price_and_name_paths_still_take_one_call() -> None:
    repository, made = counting_repository(ScanBudget())
    store(repository, [product_record(name=f"Plan {n:02d}", active=n % 3 == 0) for n in range(30)])
    by_price = repository.list_by_price(5, False, None)
    by_name = repository.list_by_name("Plan 03", 5, None)
    assert made.count("Query") == 2 and len(by_price.products) == 5 and len(by_name.products) == 1
    assert by_price.next_token is not None and by_name.next_token is None


@st.composite
def tables(draw: Callable[..., Any]) -> tuple[list[bool], int, int, ScanBudget]:
    """Products (active or not), how many were created with an Idempotency-Key, a page size and a budget."""
    actives = draw(st.lists(st.booleans(), max_size=10))
    keyed = draw(st.integers(0, len(actives)))
    budget = ScanBudget(calls=draw(st.integers(1, 5)), batch=draw(st.integers(1, 8)))
    return actives, keyed, draw(st.integers(1, 5)), budget


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables())
def test_walking_every_page_returns_each_active_product_exactly_once(
    dynamodb_client: Any, table: tuple[list[bool], int, int, ScanBudget]
) -> None:
    actives, keyed, limit, budget = table
    fresh_table(dynamodb_client)
    repository, made = counting_repository(budget)
    products = [product_record(name=f"Plan {n:02d}", active=active) for n, active in enumerate(actives)]
    store(repository, products, keyed)
    result = walk(repository, made, limit)
    assert result.ids == Counter(p.product_id for p in products if p.active)
    assert max(result.calls) <= budget.calls
    assert all(len(page) <= limit for page in result.pages)
