"""Product data: stored records (lean) and request models (pydantic)."""
