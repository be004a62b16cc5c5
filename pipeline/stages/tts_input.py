"""The text side of one speech's streaming TTS, metered: time to first byte, and real-time factor excluding time
spent waiting for text or for room in the output queue; a held (preemptive) reply's sentences wait at its gate."""

from __future__ import annotations

import anyio

from pipeline.observe.metrics import TurnTimer
from pipeline.stages.output_gate import OutputGate
from providers.tts import TtsStream


class TtsMeter:
    """Times one speech's synthesis: time to first byte, and real-time factor excluding time spent waiting
    for text or for room in the output queue."""

    def __init__(self) -> None:
        self.first_push: float | None = None
        self.first_audio: float | None = None
        self.characters = 0
        self.audio_seconds = 0.0
        self.busy_seconds = 0.0
        self._pending_pushes: list[float] = []
        self._segment_started: float | None = None

    def pushed(self, text: str, now: float) -> None:
        self.characters += len(text)
        self._pending_pushes.append(now)
        if self.first_push is None:
            self.first_push = now
        if self._segment_started is None:
            self._segment_started = now

    def audio(self, seconds: float, now: float) -> None:
        self.audio_seconds += seconds
        if self.first_audio is None:
            self.first_audio = now

    def segment_done(self, now: float, idle: float) -> None:
        if self._pending_pushes:
            self._pending_pushes.pop(0)
        if self._segment_started is not None:
            self.busy_seconds += max(0.0, now - self._segment_started - idle)
        self._segment_started = max(now, self._pending_pushes[0]) if self._pending_pushes else None


class MeteredTtsInput:
    """The text side of one speech's TTS stream, stamping what the metrics need on every push."""

    def __init__(self, stream: TtsStream, timer: TurnTimer | None, gate: OutputGate | None = None) -> None:
        self.stream = stream
        self.timer = timer
        self.meter = TtsMeter()
        self._gate = gate

    async def push(self, text: str) -> None:
        if self._gate is not None:
            await self._gate.synthesis()  # a held (preemptive) reply's sentences wait for the commit
        now = anyio.current_time()
        self.meter.pushed(text, now)
        if self.timer is not None:
            self.timer.mark_first("first_sentence", now)
        await self.stream.push_text(text)

    async def end(self) -> None:
        await self.stream.end_input()
