"""One awaited SDK step of a streamed response, under the deadline for the response's first item, with its
failures mapped to ``ProviderError``. Steps never span a ``yield``, so no cancel scope is held across one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from providers.errors import ErrorCode, ProviderError
from providers.openai.errors import PROVIDER, SDK_ERRORS, ErrorContext, to_provider_error

T = TypeVar("T")


class FirstItemDeadline:
    """``timeout`` seconds from now for the first ``item`` ("token", "audio"), SDK retries included; once
    ``met()`` only the client's read timeout applies."""

    def __init__(self, timeout: float | None, item: str) -> None:
        self.timeout = timeout
        self.item = item
        self._deadline = anyio.current_time() + timeout if timeout is not None else None

    def met(self) -> None:
        self._deadline = None

    def remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - anyio.current_time())


async def sdk_step(
    call: Callable[[], Awaitable[T]], deadline: FirstItemDeadline, errors: ErrorContext, *, mid_stream: bool
) -> T:
    """``await call()``; ``mid_stream`` says whether the response had started (for the error message)."""
    scope: anyio.CancelScope | None = None
    try:
        with anyio.fail_after(deadline.remaining()) as scope:
            return await call()
    except TimeoutError:
        if scope is not None and scope.cancel_called:
            message = f"no {deadline.item} from {errors.server} within {deadline.timeout:g} s ({errors.what})"
        else:
            message = f"{errors.server} timed out ({errors.what})"
        raise ProviderError(PROVIDER, message, code=ErrorCode.TIMEOUT) from None
    except SDK_ERRORS as exc:
        raise to_provider_error(exc, errors, mid_stream=mid_stream) from None
    except UnicodeDecodeError:  # garbage bytes in the event stream
        message = f"{errors.server} sent bytes that are not UTF-8 text ({errors.what})"
        raise ProviderError(PROVIDER, message, code=ErrorCode.BAD_RESPONSE) from None
