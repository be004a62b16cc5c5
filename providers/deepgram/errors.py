"""Deepgram failures mapped to ``ProviderError``.

Messages are built from status codes and Deepgram's own error text only. The SDK's ``ApiError`` must never be
turned into text: its ``headers`` are the *request* headers, Authorization included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepgram.core.api_error import ApiError
from websockets.exceptions import InvalidURI, WebSocketException

from providers.errors import ErrorCode, ProviderError

API_KEY_ENV = "DEEPGRAM_API_KEY"
_MAX_VENDOR_TEXT = 300


@dataclass(frozen=True)
class ConnectFailure:
    """Why a websocket handshake failed, and whether trying again may help."""

    error: ProviderError
    retryable: bool
    retry_after: float | None = None  # seconds the server asked us to wait (429/503)


def classify_connect_error(provider: str, exc: BaseException) -> ConnectFailure | None:
    """The failure for an exception raised while opening the socket; None when it is not a connect failure
    (a bug, to be raised as it is)."""
    if isinstance(exc, ApiError):
        return _status_failure(provider, exc.status_code or 0, _retry_after(exc))
    if isinstance(exc, TimeoutError):
        message = "Deepgram did not complete the websocket handshake in time"
        return ConnectFailure(ProviderError(provider, message, code=ErrorCode.TIMEOUT), retryable=True)
    if isinstance(exc, InvalidURI):
        message = "the Deepgram websocket URL is invalid; check ws_url / http_url"
        error = ProviderError(provider, message, code=ErrorCode.BAD_REQUEST, recoverable=False)
        return ConnectFailure(error, retryable=False)
    if isinstance(exc, WebSocketException | OSError | EOFError):
        message = f"cannot reach Deepgram ({type(exc).__name__})"
        return ConnectFailure(
            ProviderError(provider, message, code=ErrorCode.CONNECTION_LOST), retryable=True
        )
    return None


def _status_failure(provider: str, status: int, retry_after: float | None) -> ConnectFailure:
    if status in (401, 403):
        what = "rejected the API key" if status == 401 else "refused the API key access to live transcription"
        message = f"Deepgram {what} (HTTP {status}); check {API_KEY_ENV}"
        error = ProviderError(provider, message, code=ErrorCode.AUTH_FAILED, recoverable=False, status=status)
        return ConnectFailure(error, retryable=False)
    if status == 402:
        message = "the Deepgram project has no credit left (HTTP 402)"
        error = ProviderError(provider, message, code=ErrorCode.UNAVAILABLE, recoverable=False, status=status)
        return ConnectFailure(error, retryable=False)
    if status == 429:
        message = "Deepgram rate limit reached (HTTP 429)"
        error = ProviderError(provider, message, code=ErrorCode.RATE_LIMITED, status=status)
        return ConnectFailure(error, retryable=True, retry_after=retry_after)
    if status == 408:
        message = "Deepgram timed out the request (HTTP 408)"
        error = ProviderError(provider, message, code=ErrorCode.TIMEOUT, status=status)
        return ConnectFailure(error, retryable=True, retry_after=retry_after)
    if status >= 500:
        message = f"Deepgram server error (HTTP {status})"
        error = ProviderError(provider, message, code=ErrorCode.SERVER_ERROR, status=status)
        return ConnectFailure(error, retryable=True, retry_after=retry_after)
    message = f"Deepgram refused the request (HTTP {status}); check the model, language and other options"
    error = ProviderError(provider, message, code=ErrorCode.BAD_REQUEST, recoverable=False, status=status)
    return ConnectFailure(error, retryable=False)


def _retry_after(exc: ApiError) -> float | None:
    """Retry-After from the handshake *response*: the SDK keeps it only on the websockets exception it was
    raised from (``__context__``); ``exc.headers`` are the request's."""
    seen: BaseException | None = exc.__cause__ or exc.__context__
    for _ in range(3):
        if seen is None:
            return None
        headers = _response_headers(seen)
        if headers is not None:
            return parse_retry_after(headers)
        seen = seen.__cause__ or seen.__context__
    return None


def _response_headers(exc: BaseException) -> Mapping[str, str] | None:
    if isinstance(exc, ApiError):
        return None
    response = getattr(exc, "response", None)  # websockets.exceptions.InvalidStatus (new API)
    headers: Any = getattr(response, "headers", None) or getattr(exc, "headers", None)  # legacy
    return headers if headers is not None and hasattr(headers, "get") else None


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (delta seconds; an HTTP date is ignored)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if seconds >= 0:
            return seconds
    return None


def message_field(message: object, name: str) -> Any:
    """A field of a parsed SDK message, or of a raw JSON object the SDK could not parse."""
    if isinstance(message, dict):
        return message.get(name)
    return getattr(message, name, None)


def error_frame(provider: str, description: str | None, variant: str | None) -> ProviderError:
    """An in-band ``{"type":"Error"}`` message: the server gave up on this stream."""
    text = (description or "no description").strip()[:_MAX_VENDOR_TEXT]
    kind = f" ({variant})" if variant else ""
    return ProviderError(provider, f"Deepgram reported an error{kind}: {text}", code=ErrorCode.BAD_RESPONSE)


def connection_lost(provider: str, attempts: int) -> ProviderError:
    message = f"the Deepgram websocket dropped and {attempts} reconnect attempt(s) failed"
    return ProviderError(provider, message, code=ErrorCode.CONNECTION_LOST)
