"""The one secret masker of Parley, for every text that leaves the process: error messages, events, tool results,
call records and log lines (the log filters of ``pipeline.observe.logs`` and the server use it too). It masks
credentials in URLs (``http://user:pw@host``), the values of credential fields and headers (``xi-api-key: …``,
``Authorization: Bearer …``, ``api_key=…``, ``?token=…``), key-shaped tokens (``sk-…``), and echoes of a known
secret — also a part of one (a server that quotes ``...abcd1234`` without the key's prefix). A masked value reads
``[redacted]``; what names it (the header, the ``sk-`` prefix) stays, so a reader still sees what was hidden."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_URL_CREDENTIALS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]{0,15}://)[^/\s@]{1,512}@")
# the value of a credential field or header, or of a token in a query string
_CREDENTIAL_FIELD = re.compile(
    r"(?i)\b(xi-api-key|xi_api_key|proxy-authorization|authorization|x-api-key|api[-_]?key|secret|password"
    r"|access_token|token|auth)(['\"]?\s*[:=]\s*['\"]?)(?:(bearer|token|basic)\s+)?([^\s'\",;&}]+)"
)
# a token after a prefix has a digit in it: "key provided" and "token expired" are English, "key 3f9a1c2b..." is
# a key
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|token|basic)\s+(?=[A-Za-z._~+/=\-]*[0-9])[A-Za-z0-9._~+/=\-]{8,}")
_KEY_SHAPED = re.compile(r"\b(sk|key|xi|dg)[-_](?=[A-Za-z_*\-]*[0-9])[A-Za-z0-9_*\-]{8,}")
_ECHO_MIN = 8  # a run of this many characters of a secret counts as an echo of it
_SECRET_MIN = 6  # a known secret this long or longer is masked wherever it appears whole
MASK = "[redacted]"


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
    """``text`` with URL credentials, credential fields, key-shaped tokens and any run of 8+ characters of a
    secret masked."""
    text = redact_url(text)
    for secret in secrets:
        if secret and len(secret) >= _SECRET_MIN:
            text = _mask_echoes(text, secret)
    text = _CREDENTIAL_FIELD.sub(_mask_field, text)
    text = _SCHEME_TOKEN.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _KEY_SHAPED.sub(lambda m: f"{m.group(1)}-{MASK}", text)


def _mask_field(match: re.Match[str]) -> str:
    if match.group(4) == MASK:
        return match.group(0)
    scheme = f"{match.group(3)} " if match.group(3) else ""
    return f"{match.group(1)}{match.group(2)}{scheme}{MASK}"


def _mask_echoes(text: str, secret: str) -> str:
    if secret in text:
        text = text.replace(secret, MASK)
    if len(secret) < _ECHO_MIN:
        return text
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


class SecretFilter(logging.Filter):
    """Rewrites a log record whose text carries a credential (runs only for records that will be logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        clean = redact(message)
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
