"""Streams a chunked HTTP body while applying a request's `FaultPlan` (drop / malformed / in-band error)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

from tests.fakes.faults import FaultPlan, MalformedKind, StreamAction
from tests.fakes.http import HttpResponse

T = TypeVar("T")


@dataclass(frozen=True)
class InBandRenderers:
    """How a vendor spells an in-band error or a malformed chunk; `None` = the vendor has no such thing."""

    error: Callable[[str | None], bytes] | None = None
    malformed: Callable[[MalformedKind], bytes] | None = None


async def stream_chunks(
    response: HttpResponse, plan: FaultPlan, chunks: AsyncIterator[bytes], renderers: InBandRenderers
) -> None:
    """Write `chunks` on an already started chunked response, then end it.

    Faults are counted in body chunks: `DropAfter(2)` delivers two chunks then cuts the connection. A fault
    positioned past the last chunk fires just before the body would end.
    """
    index = 0
    async for chunk in chunks:
        if await _run(response, plan, plan.actions_before(index), renderers):
            return
        await response.write(chunk)
        index += 1
    if await _run(response, plan, plan.actions_from(index), renderers):
        return
    await response.end()


async def stamp_first(chunks: AsyncIterator[T], times: list[float]) -> AsyncGenerator[T, None]:
    """`chunks`, appending to `times` the loop time at which the first one is handed on (for benchmarks)."""
    first = True
    async for chunk in chunks:
        if first:
            times.append(asyncio.get_running_loop().time())
            first = False
        yield chunk


async def _run(
    response: HttpResponse, plan: FaultPlan, actions: list[StreamAction], renderers: InBandRenderers
) -> bool:
    """Perform `actions` in order; True if the stream is over."""
    for action in actions:
        match action:
            case StreamAction.SEND_MALFORMED if (
                renderers.malformed is not None and plan.malformed is not None
            ):
                await response.write(renderers.malformed(plan.malformed.kind))
            case StreamAction.SEND_ERROR if renderers.error is not None and plan.error_frame is not None:
                await response.write(renderers.error(plan.error_frame.message))
                await response.end()
                return True
            case StreamAction.DROP:
                await response.abort()
                return True
            case _:
                pass
    return False
