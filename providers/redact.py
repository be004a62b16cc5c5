"""Masking secrets in text that leaves the process (error messages, events, logs, text for the LLM):
credentials in URLs (``http://user:pw@host``), key-shaped tokens, and echoes of a known secret — also a part of
one (a server that quotes ``...abcd1234`` without the key's prefix)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_URL_CREDENTIALS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]{0,15}://)[^/\s@]{1,512}@")
# a token after the prefix has a digit in it: "key provided" is English, "key 3f9a1c2b..." is a key
_KEY_SHAPED = re.compile(r"\b(sk|key|xi|dg|Bearer|Token)[-_ ](?=[A-Za-z_*\-]*[0-9])[A-Za-z0-9_*\-]{8,}")
_ECHO_MIN = 8  # a run of this many characters of a secret counts as an echo of it
MASK = "***"


def redact_url(url: str) -> str:
    """``scheme://host:port/path`` without ``user:password@``."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASK}@", url)


def safe_netloc(url: str) -> str:
    """host[:port] of ``url`` for messages: never the credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host or redact_url(url)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with URL credentials, key-shaped tokens and any run of 8+ characters of a secret masked."""
    text = redact_url(text)
    for secret in secrets:
        if secret and len(secret) >= _ECHO_MIN:
            text = _mask_echoes(text, secret)
    return _KEY_SHAPED.sub(lambda m: f"{m.group(1)}-{MASK}", text)


def _mask_echoes(text: str, secret: str) -> str:
    if secret in text:
        text = text.replace(secret, MASK)
    windows = {secret[i : i + _ECHO_MIN] for i in range(len(secret) - _ECHO_MIN + 1)}
    if not any(window in text for window in windows):
        return text
    hidden = bytearray(len(text))
    for window in windows:
        start = text.find(window)
        while start != -1:
            hidden[start : start + _ECHO_MIN] = b"\x01" * _ECHO_MIN
            start = text.find(window, start + 1)
    out: list[str] = []
    index = 0
    while index < len(text):
        if hidden[index]:
            while index < len(text) and hidden[index]:
                index += 1
            out.append(MASK)
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


_AUTH_VALUE = re.compile(
    r"(?i)\b(xi-api-key|xi_api_key|authorization|proxy-authorization|api[-_]key|x-api-key)"
    r"(['\"]?\s*[:=]\s*['\"]?)(?:(bearer|token|basic)\s+)?([^\s'\",}]+)"
)
# The vendor libraries under the adapters; at DEBUG they print request headers and frames.
VENDOR_LOGGERS = (
    "websockets.client",
    "httpx",
    "httpx2",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "openai",
    "openai._base_client",
    "deepgram",
    "fern",
)


def redact_log_text(text: str) -> str:
    """``redact`` plus the values of auth headers and fields (``xi-api-key: …``, ``Authorization: Token …``)."""

    def mask(match: re.Match[str]) -> str:
        scheme = f"{match.group(3)} " if match.group(3) else ""
        return f"{match.group(1)}{match.group(2)}{scheme}{MASK}"

    return _AUTH_VALUE.sub(mask, redact(text))


class SecretFilter(logging.Filter):
    """Rewrites a log record whose text carries a credential (runs only for records that will be logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        clean = redact_log_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def guard_vendor_loggers(names: Iterable[str] = VENDOR_LOGGERS) -> None:
    """Attach ``SecretFilter`` to the vendor libraries' loggers (once each), so that DEBUG logging never prints
    an API key or an auth header."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, SecretFilter) for existing in logger.filters):
            logger.addFilter(SecretFilter())
