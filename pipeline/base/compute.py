"""Where blocking work (model inference, synthesis, sync tools) runs.

In production it goes to a worker thread so the event loop keeps serving other sessions. Under a virtual clock
(tests running whole conversations on ``trio.testing.MockClock``) a thread would let virtual time jump ahead while
the work runs, so the session switches to running it inline: deterministic, and time still only moves on sleeps.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import anyio.to_thread

P = ParamSpec("P")
R = TypeVar("R")

_inline: contextvars.ContextVar[bool] = contextvars.ContextVar("parley_inline_compute", default=False)


@contextmanager
def inline_compute(enabled: bool = True) -> Iterator[None]:
    """Run blocking work inline in this context (and tasks started from it)."""
    token = _inline.set(enabled)
    try:
        yield
    finally:
        _inline.reset(token)


async def run_blocking(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    if _inline.get():
        return fn(*args, **kwargs)
    return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), abandon_on_cancel=True)
