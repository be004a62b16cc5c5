"""Test doubles for whole conversations on virtual time: the simulated providers under the names the tests use,
plus a speech-to-text provider that cannot connect. Caller "speech" in these tests is a tone (the energy VAD hears
it); every latency is a virtual-clock sleep, so the timing of a conversation is exact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from providers.llm import ToolCall
from providers.simulated import RATE, SimulatedSttStream, silence, tone
from providers.simulated import SimulatedLlm as ScriptedLlm
from providers.simulated import SimulatedStt as ScriptedStt
from providers.simulated import SimulatedTts as FakeTts

__all__ = [
    "RATE",
    "FailingStt",
    "FakeTts",
    "ScriptedLlm",
    "ScriptedStt",
    "call",
    "silence",
    "tone",
]


@dataclass
class FailingStt:
    """A speech-to-text provider whose stream cannot be opened."""

    error: Exception
    provider: str = "failing-stt"
    model: str = "test"
    attempts: int = 0

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[SimulatedSttStream]:
        self.attempts += 1
        raise self.error
        yield  # pragma: no cover


def call(name: str, arguments: str = "{}", call_id: str | None = None) -> ToolCall:
    return ToolCall(call_id or f"call_{name}", name, arguments)
