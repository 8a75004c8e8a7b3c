"""Business rules of the product catalogue."""
