"""SDK and wire failures of the OpenAI adapters as ``ProviderError``s.

Messages are built from the status code and the vendor's error text only — never ``str(exc)`` (the request
behind an SDK error carries the Authorization header) — and the key, or anything shaped like one, is masked
even in vendor text (OpenAI echoes part of a wrong key in its 401 message).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
import openai

from providers.errors import ErrorCode, ProviderError
from providers.openai.connection import API_KEY_ENV, OpenAIConnectionOptions
from providers.redact import MASK, redact

PROVIDER = "openai"

# Everything the mapper understands; adapters catch exactly these around SDK calls.
SDK_ERRORS: tuple[type[Exception], ...] = (openai.OpenAIError, httpx2.HTTPError, json.JSONDecodeError)

# OpenAI quotes a rejected key with most of it starred ("sk-ab***yz"): no digit need be left in it
_STARRED_KEY = re.compile(r"\b(sk|key)-(?!\[redacted\])[A-Za-z0-9_*\-]{3,}")
_MAX_DETAIL = 200


@dataclass(frozen=True)
class ErrorContext:
    """What a failure is about: the request kind ("chat completion", "speech"...), who answers, the key to mask."""

    what: str
    server: str
    secret: str | None

    @classmethod
    def of(cls, what: str, options: OpenAIConnectionOptions) -> ErrorContext:
        secret = options.api_key.get_secret_value() if options.api_key is not None else None
        return cls(what, options.server, secret)


def to_provider_error(exc: Exception, context: ErrorContext, *, mid_stream: bool = False) -> ProviderError:
    """``exc`` is one of ``SDK_ERRORS``; ``mid_stream`` says whether part of the answer was already delivered."""
    match exc:
        case openai.APIStatusError():
            return _status_error(exc.status_code, _detail(exc.body, context), _vendor_code(exc.body), context)
        case openai.APITimeoutError() | httpx2.TimeoutException():
            where = "while streaming" if mid_stream else "before answering"
            return _error(f"{context.server} timed out {where} ({context.what})", ErrorCode.TIMEOUT)
        case openai.APIConnectionError() | httpx2.TransportError():
            if mid_stream:
                message = f"the connection to {context.server} dropped mid-stream ({context.what})"
            else:
                message = f"cannot reach {context.server} ({context.what})"
            return _error(message, ErrorCode.CONNECTION_LOST)
        case openai.APIResponseValidationError() | json.JSONDecodeError():
            return _error(
                f"{context.server} sent a malformed response ({context.what})", ErrorCode.BAD_RESPONSE
            )
        case openai.APIError():  # an in-band `data: {"error": ...}` frame
            detail = _detail(exc.body, context) or _clean(exc.message, context)
            code = ErrorCode.RATE_LIMITED if _vendor_code(exc.body) == "rate_limit_exceeded" else None
            return _error(
                f"{context.server} reported an error mid-stream ({context.what}): {detail}",
                code or ErrorCode.SERVER_ERROR,
            )
        case _:
            return _error(f"{context.what} failed ({type(exc).__name__})", ErrorCode.SERVER_ERROR)


def _status_error(status: int, detail: str, vendor_code: str | None, context: ErrorContext) -> ProviderError:
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        message = (
            f"{context.server} rejected the API key (HTTP {status}{suffix}); "
            f"check {API_KEY_ENV} or the api_key option"
        )
        return _error(message, ErrorCode.AUTH_FAILED, status, recoverable=False)
    if status == 429:
        if vendor_code == "insufficient_quota":
            message = f"{context.server}: quota exhausted (HTTP 429{suffix}); check the account's billing"
            return _error(message, ErrorCode.RATE_LIMITED, status, recoverable=False)
        return _error(f"{context.server} rate limit (HTTP 429{suffix})", ErrorCode.RATE_LIMITED, status)
    if status >= 500:
        return _error(
            f"{context.server} server error (HTTP {status}{suffix})", ErrorCode.SERVER_ERROR, status
        )
    # 404: unknown model or wrong base_url — the next turn will fail the same way.
    recoverable = status not in (404,)
    message = f"{context.server} refused the {context.what} request (HTTP {status}{suffix})"
    return _error(message, ErrorCode.BAD_REQUEST, status, recoverable=recoverable)


def _error(
    message: str, code: ErrorCode, status: int | None = None, *, recoverable: bool = True
) -> ProviderError:
    return ProviderError(PROVIDER, message, code=code, recoverable=recoverable, status=status)


def _detail(body: object, context: ErrorContext) -> str:
    """The vendor's error text: ``{"message": ...}`` (OpenAI, after the SDK unwraps "error"), a nested
    ``{"error": {"message": ...}}`` or ``{"error": "..."}`` (compatible servers), or a plain text body."""
    text: Any = body
    if isinstance(text, Mapping):
        inner = text.get("error", text)
        text = inner.get("message") if isinstance(inner, Mapping) else inner
        if text is None:
            text = body.get("message") if isinstance(body, Mapping) else None
    return _clean(text, context) if isinstance(text, str) else ""


def _vendor_code(body: object) -> str | None:
    if isinstance(body, Mapping):
        code = body.get("code")
        return code if isinstance(code, str) else None
    return None


def _clean(text: str, context: ErrorContext) -> str:
    text = redact(text, [context.secret])
    text = _STARRED_KEY.sub(lambda m: f"{m.group(1)}-{MASK}", text)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
