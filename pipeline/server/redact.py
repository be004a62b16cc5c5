"""Secrets never reach the logs: uvicorn logs a WebSocket's path with its query string, where a browser's
``?token=`` lives. This filter rewrites such records before any handler sees them."""

from __future__ import annotations

import logging
import re

_SECRET_QUERY = re.compile(r"((?:token|access_token|auth)=)[^&\s\"']+", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _SECRET_QUERY.sub(rf"\1{REDACTED}", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install(*logger_names: str) -> None:
    """Redact the named loggers (default: uvicorn's and the server's)."""
    for name in logger_names or ("uvicorn", "uvicorn.error", "uvicorn.access", "parley.server"):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())
