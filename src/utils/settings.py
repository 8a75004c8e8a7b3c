"""Configuration, read once per container from the environment."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import NamedTuple

DEFAULT_REGION = "eu-west-1"


class Settings(NamedTuple):
    """Everything the functions read from their environment."""

    table_name: str
    log_level: str
    allowed_origins: tuple[str, ...]
    dynamodb_endpoint_url: str | None
    region: str
    page_token_secret: str | None = None  # a fixed key: the local server and tests only
    # In AWS, only the list function (it mints and reads nextTokens) is told where its key is, never the key.
    page_token_key_secret_id: str | None = None
    environment: str = "local"
    # The published version Lambda runs ("$LATEST" outside a published version): a metrics dimension, so a
    # release's alarms watch the version being released.
    function_version: str = "$LATEST"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from environment variables; TABLE_NAME is required."""
        table_name = environ.get("TABLE_NAME", "").strip()
        if not table_name:
            raise RuntimeError("TABLE_NAME must be set to the products table name")
        origins = environ.get("ALLOWED_ORIGINS", "")
        return cls(
            table_name=table_name,
            log_level=environ.get("LOG_LEVEL", "INFO").upper(),
            allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            dynamodb_endpoint_url=environ.get("DYNAMODB_ENDPOINT_URL") or None,
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            page_token_secret=environ.get("PAGE_TOKEN_SECRET") or None,
            page_token_key_secret_id=environ.get("PAGE_TOKEN_KEY_SECRET_ID") or None,
            environment=environ.get("ENVIRONMENT") or "local",
            function_version=environ.get("AWS_LAMBDA_FUNCTION_VERSION") or "$LATEST",
        )


@functools.cache
def get_settings() -> Settings:
    """The container's settings, read on first use."""
    return Settings.from_environ(os.environ)


def xray_trace_id() -> str | None:
    """The X-Ray trace id of the current invocation (the Root of _X_AMZN_TRACE_ID, which Lambda sets anew
    for every request, so it is read per call rather than once with the settings)."""
    header = os.environ.get("_X_AMZN_TRACE_ID", "")
    root = next((part[5:] for part in header.split(";") if part.startswith("Root=")), "")
    return root or None
