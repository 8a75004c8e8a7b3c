"""JSON logs for CloudWatch: one line per request, never a body or an auth header."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Any

_LOGGER_NAME = "bbws.products"


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"level": record.levelname, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["stackTrace"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time (Lambda and test runners both redirect it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def get_logger(level: str = "INFO") -> logging.Logger:
    """The service logger, writing one JSON object per line to stdout."""
    logger = logging.getLogger(_LOGGER_NAME)
    if not logger.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(_JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
    return logger


def log_request(logger: logging.Logger, fields: dict[str, Any]) -> None:
    """Log the summary line of one request. It carries the request's metrics, so it is written whatever the
    log level (a level above INFO silences everything else, never the metrics)."""
    record = logger.makeRecord(
        logger.name, logging.INFO, __file__, 0, "request", (), None, extra={"fields": fields}
    )
    logger.handle(record)


def log_unexpected(logger: logging.Logger, fields: dict[str, Any]) -> None:
    """Log an unexpected exception with its stack trace (call from an except block)."""
    logger.error("unexpected error", exc_info=True, extra={"fields": fields})
