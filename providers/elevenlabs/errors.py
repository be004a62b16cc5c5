"""ElevenLabs failures as ``ProviderError``s, built from status codes, close codes and the vendor's error text only
(never ``str()`` of an SDK or websockets exception, which may carry request headers). The key is masked even in
vendor text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.elevenlabs.options import API_KEY_ENV
from providers.errors import ErrorCode, ProviderError
from providers.redact import redact

_MAX_DETAIL = 200
_AUTH_HINTS = ("api key", "api_key", "apikey", "auth", "unauthori", "permission", "credential")

# In-band websocket errors after which the same request may succeed on a fresh socket.
SOCKET_LEVEL_ERRORS = frozenset({"input_timeout_exceeded", "max_active_conversations"})


@dataclass(frozen=True)
class ErrorScope:
    """Who reports (the provider name) and the secret to keep out of every message."""

    provider: str
    secret: str | None

    def clean(self, text: object) -> str:
        return redact(" ".join(str(text).split()), [self.secret])[:_MAX_DETAIL]

    def error(
        self, message: str, code: ErrorCode, *, recoverable: bool = True, status: int | None = None
    ) -> ProviderError:
        return ProviderError(self.provider, message, code=code, recoverable=recoverable, status=status)

    def auth_failed(self, detail: str, status: int | None = None) -> ProviderError:
        message = f"ElevenLabs rejected the API key ({detail}); check {API_KEY_ENV} or the api_key option"
        return self.error(message, ErrorCode.AUTH_FAILED, recoverable=False, status=status)

    def connection_lost(self, detail: str) -> ProviderError:
        return self.error(f"connection to ElevenLabs lost: {detail}", ErrorCode.CONNECTION_LOST)

    def timeout(self, detail: str) -> ProviderError:
        return self.error(f"ElevenLabs timed out: {detail}", ErrorCode.TIMEOUT)

    def bad_response(self, detail: str) -> ProviderError:
        return self.error(f"ElevenLabs sent a malformed response: {detail}", ErrorCode.BAD_RESPONSE)

    def unavailable(self, detail: str) -> ProviderError:
        return self.error(f"cannot reach ElevenLabs: {detail}", ErrorCode.UNAVAILABLE)


def vendor_detail(body: Any) -> tuple[str | None, str]:
    """(kind, message) from an error body: ``{"detail": {"status": k, "message": m}}``, ``{"detail": "m"}``,
    ``{"error": k, "message": m}`` or plain text."""
    if isinstance(body, Mapping):
        detail = body.get("detail", body)
        if isinstance(detail, Mapping):
            kind = detail.get("status") or detail.get("error") or detail.get("code")
            message = detail.get("message") or ""
            return (str(kind) if kind else None), str(message)
        if isinstance(detail, str):
            return None, detail
        return None, ""
    if isinstance(body, bytes):
        return None, body.decode("utf-8", "replace")
    return None, "" if body is None else str(body)


def status_error(scope: ErrorScope, status: int, body: Any) -> ProviderError:
    """An HTTP error status (HTTP API, or a refused websocket handshake)."""
    kind, message = vendor_detail(body)
    text = scope.clean(message or kind or "")
    detail = f"HTTP {status}" + (f": {text}" if text else "")
    if kind == "quota_exceeded":
        return scope.error(
            f"ElevenLabs quota exceeded ({detail})", ErrorCode.RATE_LIMITED, recoverable=False, status=status
        )
    if status in (401, 403):
        return scope.auth_failed(detail, status)
    if status == 429:
        return scope.error(f"ElevenLabs rate limit ({detail})", ErrorCode.RATE_LIMITED, status=status)
    if status >= 500:
        return scope.error(f"ElevenLabs server error ({detail})", ErrorCode.SERVER_ERROR, status=status)
    if status == 404:  # unknown voice or model: every request will fail the same way
        return scope.error(
            f"ElevenLabs: not found ({detail}); check voice_id and model_id",
            ErrorCode.BAD_REQUEST,
            recoverable=False,
            status=status,
        )
    if status in (408, 409):
        return scope.error(f"ElevenLabs could not answer ({detail})", ErrorCode.SERVER_ERROR, status=status)
    return scope.error(f"ElevenLabs refused the request ({detail})", ErrorCode.BAD_REQUEST, status=status)


def server_message_error(scope: ErrorScope, error: str, message: str) -> ProviderError:
    """A websocket in-band error: ``{"error": kind, "message": text, "code": 1008}``."""
    kind = error.lower()
    detail = f"{error}: {scope.clean(message)}" if message else error
    if kind == "input_timeout_exceeded":
        return scope.timeout(f"the socket received no text in time ({detail})")
    if kind == "max_active_conversations":
        return scope.error(f"too many open contexts ({detail})", ErrorCode.RATE_LIMITED)
    if kind == "quota_exceeded":
        return scope.error(f"ElevenLabs quota exceeded ({detail})", ErrorCode.RATE_LIMITED, recoverable=False)
    if any(hint in kind for hint in _AUTH_HINTS):
        return scope.auth_failed(detail)
    if "rate" in kind or "too_many" in kind:
        return scope.error(f"ElevenLabs rate limit ({detail})", ErrorCode.RATE_LIMITED)
    if kind.startswith("invalid") or kind.endswith("request"):
        return scope.error(f"ElevenLabs refused a message ({detail})", ErrorCode.BAD_REQUEST)
    return scope.error(f"ElevenLabs error ({detail})", ErrorCode.SERVER_ERROR)


def close_error(scope: ErrorScope, code: int | None, reason: str) -> ProviderError:
    """The service closed the websocket with no in-band error before it."""
    text = scope.clean(reason)
    detail = f"close code {code}" + (f": {text}" if text else "")
    if code == 1008 and (not text or any(hint in text.lower() for hint in _AUTH_HINTS)):
        return scope.auth_failed(detail)  # the service closes 1008 right after the handshake for a bad key
    if code == 1008:
        return scope.error(f"ElevenLabs closed the socket ({detail})", ErrorCode.BAD_REQUEST)
    if code == 1011:
        return scope.error(f"ElevenLabs server error ({detail})", ErrorCode.SERVER_ERROR)
    return scope.connection_lost(f"the socket was closed ({detail})")
