"""One ElevenLabs websocket synthesis context: a text buffer, queued generations, and the task sending audio."""

from __future__ import annotations

import asyncio
import base64
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakes.audio import SpeechChunk, synthesize
from tests.fakes.wsserver import SessionEnded, WsOutbox

DEFAULT_SCHEDULE = (120, 160, 250, 290)


@dataclass(frozen=True)
class SynthSettings:
    sample_rate: int
    ms_per_char: int
    chars_per_chunk: int
    first_byte_delay: float  # seconds from a generation's trigger to its first audio message
    audio_pace: float  # wall seconds per audio second (0 = as fast as possible)
    duration_key: str  # "charsDurationsMs" (what the service sends) or "charDurationsMs" (its AsyncAPI spec)
    auto_mode: bool  # generate on every text message instead of following chunk_length_schedule


@dataclass(frozen=True)
class ClosePolicy:
    flush_buffer: bool  # True: synthesize the unflushed text first (end of input); False: discard it
    chunks_after: int | None  # audio messages still sent after the close (None: everything queued)
    final_always: bool  # send isFinal even when the context never produced audio


class ContextState(enum.Enum):
    OPEN = "open"  # accepting text
    CLOSING = "closing"  # no new text; queued audio goes out per the ClosePolicy, then isFinal
    CLOSED = "closed"  # done; isFinal sent or (never started) skipped


class TtsContext:
    def __init__(
        self,
        context_id: str | None,
        settings: SynthSettings,
        outbox: WsOutbox,
        schedule: Sequence[int],
        on_closed: Callable[[TtsContext], None],
    ) -> None:
        self.context_id = context_id  # None on the single-stream endpoint (no contextId in messages)
        self._settings = settings
        self._outbox = outbox
        self._schedule = tuple(schedule) or DEFAULT_SCHEDULE
        self._schedule_step = 0
        self._on_closed = on_closed
        self._buffer = ""
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._state = ContextState.OPEN
        self._policy = ClosePolicy(flush_buffer=False, chunks_after=None, final_always=False)
        self._budget: int | None = None
        self._produced_audio = False
        self._done = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def add_text(self, text: str, flush: bool) -> None:
        if self._state is not ContextState.OPEN:
            return
        self._buffer += text
        threshold = self._schedule[min(self._schedule_step, len(self._schedule) - 1)]
        if flush or self._settings.auto_mode:
            self._generate()
        elif len(self._buffer) >= threshold:
            self._schedule_step += 1
            self._generate()

    def close(self, policy: ClosePolicy) -> None:
        if self._state is not ContextState.OPEN:
            return
        if policy.flush_buffer:
            self._generate()
        self._buffer = ""
        self._state = ContextState.CLOSING
        self._policy = policy
        self._budget = policy.chunks_after
        self._queue.put_nowait(None)

    async def wait_closed(self) -> None:
        await self._done.wait()

    def cancel(self) -> None:
        self._task.cancel()

    def _generate(self) -> None:
        text, self._buffer = self._buffer, ""
        if text.strip():
            self._queue.put_nowait(text)

    async def _run(self) -> None:
        try:
            while (text := await self._queue.get()) is not None:
                if not await self._speak(text):
                    break
            if self._produced_audio or self._policy.final_always:
                await self._outbox.send(self._tagged({"isFinal": True}))
        except SessionEnded:
            pass
        finally:
            self._state = ContextState.CLOSED
            self._done.set()
            self._on_closed(self)

    async def _speak(self, text: str) -> bool:
        """Send one generation; False once a closing context has used up its `chunks_after` budget."""
        settings = self._settings
        chunks = synthesize(text, settings.sample_rate, settings.ms_per_char, settings.chars_per_chunk)
        if settings.first_byte_delay > 0:
            await asyncio.sleep(settings.first_byte_delay)
        for chunk in chunks:
            if self._state is ContextState.CLOSING and self._budget is not None:
                if self._budget == 0:
                    return False
                self._budget -= 1
            await self._outbox.send(self._audio_message(chunk))
            self._produced_audio = True
            if settings.audio_pace > 0:
                await asyncio.sleep(settings.audio_pace * len(chunk.chars) * settings.ms_per_char / 1000)
        return True

    def _audio_message(self, chunk: SpeechChunk) -> dict[str, Any]:
        alignment = {
            "chars": list(chunk.chars),
            "charStartTimesMs": [start - chunk.chunk_start_ms for start in chunk.start_ms],
            self._settings.duration_key: list(chunk.duration_ms),
        }
        message: dict[str, Any] = {
            "audio": base64.b64encode(chunk.pcm).decode("ascii"),
            "normalizedAlignment": alignment,
            "alignment": alignment,
        }
        if self.context_id is None:
            message["isFinal"] = None
        return self._tagged(message)

    def _tagged(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.context_id is not None:
            message["contextId"] = self.context_id
        return message
