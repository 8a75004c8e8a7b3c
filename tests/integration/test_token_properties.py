"""Any string as a nextToken, through the local server to the real repository: a 200 or a 400, never a 5xx.
(Opening any text or bytes as a token: tests/unit/repositories/test_page_tokens.py.)"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_client import ApiClient

pytestmark = pytest.mark.integration
tokens = (
    st.text(max_size=200)
    | st.binary(max_size=150).map(lambda raw: raw.hex())
    | st.sampled_from(["W1tbW1s", "e30K", "e30KMDAwMDAwMDAwMDAwMDAwMA"])
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    token=tokens,
    sort=st.sampled_from(["", "&sortBy=price", "&sortBy=price&order=desc", "&name=Basic%20Plan"]),
)
def test_any_next_token_is_a_200_or_a_400(api: ApiClient, token: str, sort: str) -> None:
    response = api.get(f"/v1.0/products?nextToken={quote(token, safe='')}{sort}")
    assert response.status in (200, 400), response.body
