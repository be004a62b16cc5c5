"""An ordered list of LLMs used as one: when one fails before its first token, the next is tried. A failure
after the first token is not retried elsewhere (the caller would hear the answer twice). A provider that failed
is skipped for ``recovery_after`` seconds, then tried again; every change of availability is reported."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import anyio

from providers.errors import ErrorCode, ProviderError
from providers.llm import LLM, LlmChunk, LlmRequest

AvailabilityListener = Callable[["AvailabilityChange"], None]


@dataclass(frozen=True, slots=True)
class AvailabilityChange:
    provider: str
    model: str
    available: bool
    reason: str


@runtime_checkable
class ReportsAvailability(Protocol):
    def subscribe_availability(self, listener: AvailabilityListener) -> Callable[[], None]:
        """Call ``listener`` on every availability change; returns the unsubscribe function."""
        ...


class FallbackLlm:
    def __init__(
        self, llms: Sequence[LLM], *, first_token_timeout: float = 10.0, recovery_after: float = 30.0
    ) -> None:
        if not llms:
            raise ValueError("FallbackLlm needs at least one LLM")
        self.llms = list(llms)
        self.provider = "fallback"
        self.model = "+".join(f"{llm.provider}/{llm.model}" for llm in llms)
        self.first_token_timeout = first_token_timeout
        self.recovery_after = recovery_after
        self._down_since: dict[int, float] = {}
        self._listeners: list[AvailabilityListener] = []

    async def aclose(self) -> None:
        for llm in self.llms:
            close = getattr(llm, "aclose", None)
            if close is not None:
                await close()

    def subscribe_availability(self, listener: AvailabilityListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def stream(self, request: LlmRequest) -> AsyncGenerator[LlmChunk, None]:
        failures: list[ProviderError] = []
        for index in self._order():
            llm = self.llms[index]
            async with aclosing(llm.stream(request)) as chunks:
                try:
                    first = await self._first_chunk(llm, chunks)
                except ProviderError as exc:
                    failures.append(exc)
                    self._set_available(index, False, exc.message)
                    continue
                self._set_available(index, True, "answered")
                if first is not None:
                    yield first
                    async for chunk in chunks:
                        yield chunk
                return
        reasons = "; ".join(f"{exc.provider}: {exc.message}" for exc in failures)
        raise ProviderError(
            "fallback",
            f"every LLM failed ({reasons})",
            code=failures[-1].code if failures else ErrorCode.UNAVAILABLE,
            recoverable=any(exc.recoverable for exc in failures),
        )

    async def _first_chunk(self, llm: LLM, chunks: AsyncIterator[LlmChunk]) -> LlmChunk | None:
        try:
            with anyio.fail_after(self.first_token_timeout):
                return await anext(chunks)
        except StopAsyncIteration:
            return None
        except TimeoutError:
            raise ProviderError(
                llm.provider, f"no first token within {self.first_token_timeout:g} s", code=ErrorCode.TIMEOUT
            ) from None

    def _order(self) -> list[int]:
        """Available LLMs first (in configured order), then the ones that failed recently."""
        now = anyio.current_time()
        up = [i for i in range(len(self.llms)) if now - self._down_since.get(i, -1e18) >= self.recovery_after]
        down = [i for i in range(len(self.llms)) if i not in up]
        return up + down

    def _set_available(self, index: int, available: bool, reason: str) -> None:
        was_available = index not in self._down_since
        if available:
            self._down_since.pop(index, None)
        else:
            self._down_since[index] = anyio.current_time()
        if available != was_available:
            llm = self.llms[index]
            change = AvailabilityChange(llm.provider, llm.model, available, reason)
            for listener in list(self._listeners):
                listener(change)
