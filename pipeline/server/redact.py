"""Secrets never reach the server's logs: uvicorn logs a WebSocket's path with its query string, where a browser's
``?token=`` lives. Parley's one masker (``providers.redact``) rewrites such records before any handler sees them."""

from __future__ import annotations

from providers.redact import guard_vendor_loggers

SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "parley.server")


def install(*logger_names: str) -> None:
    """Redact the named loggers (default: uvicorn's and the server's)."""
    guard_vendor_loggers(logger_names or SERVER_LOGGERS)
