"""The one error type adapters raise, so the pipeline can report and recover without knowing any SDK."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    AUTH_FAILED = "auth_failed"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    CONNECTION_LOST = "connection_lost"
    TIMEOUT = "timeout"
    BAD_RESPONSE = "bad_response"
    BAD_REQUEST = "bad_request"
    UNAVAILABLE = "unavailable"


class ProviderError(Exception):
    """A provider failed. ``recoverable`` says whether the session can go on (the next turn may work).

    Messages never contain secrets: adapters build them from status codes and vendor error text only.
    """

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        code: ErrorCode = ErrorCode.SERVER_ERROR,
        recoverable: bool = True,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
        self.code = code
        self.recoverable = recoverable
        self.status = status


def root_cause(exc: BaseException) -> BaseException:
    """Errors from inside task groups arrive wrapped in exception groups: the ProviderError inside (possibly
    nested) groups, else the first leaf exception."""
    leaves = list(_leaves(exc))
    for leaf in leaves:
        if isinstance(leaf, ProviderError):
            return leaf
    return leaves[0] if leaves else exc


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]
