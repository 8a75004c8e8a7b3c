"""Typed errors; the HTTP edge maps them to statuses."""
