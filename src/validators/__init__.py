"""Input rules for requests."""
