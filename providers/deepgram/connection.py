"""Opening a Deepgram websocket: handshake timeout, retries with backoff (honouring Retry-After), error mapping,
and closing that never hangs."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio

from providers.deepgram.errors import ConnectFailure, classify_connect_error
from providers.errors import ProviderError

logger = logging.getLogger(__name__)

SocketT = TypeVar("SocketT")
CLOSE_TIMEOUT = 2.0  # seconds a graceful close may take before the socket is abandoned


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # retries after the first try
    backoff: float  # first delay, doubled each retry
    backoff_max: float
    connect_timeout: float
    max_retry_after: float  # a server asking for a longer wait is not retried

    def delay(self, retry: int) -> float:
        """Delay before retry number ``retry`` (1-based), with a little jitter against thundering herds."""
        base = min(self.backoff_max, self.backoff * 2 ** (retry - 1))
        return float(base * random.uniform(0.8, 1.0))


class OpenSocket(Generic[SocketT]):
    """A connected SDK socket and the context that owns it."""

    def __init__(self, socket: SocketT, stack: AsyncExitStack) -> None:
        self.socket = socket
        self._stack = stack

    async def close(self) -> None:
        """Close the socket (bounded in time, also while the caller is being cancelled)."""
        await close_quietly(self._stack)


async def close_quietly(stack: AsyncExitStack) -> None:
    with anyio.CancelScope(shield=True), anyio.move_on_after(CLOSE_TIMEOUT):
        try:
            await stack.aclose()
        except Exception as exc:  # a socket that is already broken may fail to close; it is gone anyway
            logger.debug("closing the Deepgram socket failed: %s", type(exc).__name__)


async def open_socket(
    provider: str,
    connect: Callable[[], AbstractAsyncContextManager[SocketT]],
    policy: RetryPolicy,
) -> OpenSocket[SocketT]:
    """Connect, retrying timeouts, refused connections, 429 and 5xx; raises ``ProviderError`` when it gives up.

    The error is raised outside any ``except`` block, so no SDK exception (whose headers hold the API key) is
    chained to it.
    """
    failure: ConnectFailure | None = None
    tries = 0
    for attempt in range(policy.attempts + 1):
        tries = attempt + 1
        if failure is not None:
            wait = policy.delay(attempt)
            if failure.retry_after is not None:
                wait = max(wait, failure.retry_after)
            logger.warning(  # one line per reconnect; Prometheus counts these records (parley_event)
                "%s reconnect: retry %d in %.2f s (%s)",
                provider,
                attempt,
                wait,
                failure.error.code.value,
                extra={"parley_event": "reconnect", "provider": provider, "code": failure.error.code.value},
            )
            await anyio.sleep(wait)
        stack = AsyncExitStack()
        try:
            with anyio.fail_after(policy.connect_timeout):
                socket = await stack.enter_async_context(connect())
        except Exception as exc:
            await close_quietly(stack)
            failure = classify_connect_error(provider, exc)
            if failure is None:
                raise
        else:
            return OpenSocket(socket, stack)
        if not failure.retryable or (failure.retry_after or 0.0) > policy.max_retry_after:
            break
    assert failure is not None
    raise _after_tries(failure.error, tries)


def _after_tries(error: ProviderError, tries: int) -> ProviderError:
    if tries <= 1:
        return error
    message = f"{error.message} (gave up after {tries} attempts)"
    return ProviderError(
        error.provider, message, code=error.code, recoverable=error.recoverable, status=error.status
    )
