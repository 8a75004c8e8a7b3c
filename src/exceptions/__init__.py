"""Typed errors, each carrying its HTTP status."""
