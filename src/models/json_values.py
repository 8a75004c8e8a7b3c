"""Values a bounded JSON reader leaves in a document instead of converting them."""

from __future__ import annotations


class OversizedNumber:
    """A number token too long to convert; left in the document so the field it sits in is reported."""

    def __init__(self, token: str) -> None:
        self.length = len(token)
