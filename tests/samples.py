"""Sample request bodies for tests."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any


def product_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body with a unique name; override any field."""
    body: dict[str, Any] = {
        "name": f"Plan {uuid.uuid4().hex[:10]}",
        "description": "A website plan for a small business.",
        "price": Decimal("95.50"),
        "period": "monthly",
        "features": ["Free SSL certificate", "Email support"],
    }
    body.update(overrides)
    return body


def to_json(body: Any) -> str:
    """JSON text of a request body; Decimals become numbers (prices have at most 8 significant digits)."""
    return json.dumps(body, default=lambda value: float(value) if isinstance(value, Decimal) else str(value))
