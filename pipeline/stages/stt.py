"""Owns the session's speech-to-text stream: forwards caller audio and "finalize", reads transcripts, measures the
final-transcript delay, and reopens the stream after a recoverable failure (an unrecoverable one ends the session).
"""

from __future__ import annotations

import anyio

from pipeline.base.audio import AudioFrame
from pipeline.observe.bus import EventBus
from pipeline.observe.events import ErrorEvent, SttMetrics, UserTranscript
from pipeline.observe.metrics import UsageTracker
from pipeline.stages.signals import CallerSignals
from providers.errors import ProviderError, root_cause
from providers.stt import SpeechToText, SttStream, Transcript


class SttStage:
    def __init__(
        self,
        stt: SpeechToText,
        *,
        sample_rate: int,
        bus: EventBus,
        usage: UsageTracker,
        signals: CallerSignals,
        max_reopen_attempts: int = 3,
        reopen_backoff: float = 0.5,
    ) -> None:
        self._stt = stt
        self._sample_rate = sample_rate
        self._bus = bus
        self._usage = usage
        self._signals = signals
        self._max_reopen_attempts = max_reopen_attempts
        self._reopen_backoff = reopen_backoff
        self._stream: SttStream | None = None
        self._finalize_sent: float | None = None
        self._audio_seconds = 0.0

    async def push_audio(self, frame: AudioFrame) -> None:
        """Audio goes to the open stream. While the stage reopens a failed stream (a last resort: adapters
        reconnect and replay the turn's audio themselves), frames are not transcribed."""
        self._audio_seconds += frame.duration
        if self._stream is not None:
            await self._stream.push_audio(frame)

    async def finalize(self) -> None:
        self._finalize_sent = anyio.current_time()
        if self._stream is not None:
            await self._stream.finalize()

    async def run(self) -> None:
        """Open the stream and read it; raises ProviderError when it cannot be kept open."""
        failures = 0
        try:
            while True:
                try:
                    async with self._stt.stream(sample_rate=self._sample_rate) as stream:
                        self._stream = stream
                        failures = 0
                        async for transcript in stream.transcripts():
                            self._handle(transcript)
                    return  # the stream ended normally (session ending)
                except Exception as group:
                    exc = root_cause(group)
                    if not isinstance(exc, ProviderError):
                        raise
                    self._stream = None
                    failures += 1
                    self._bus.emit(
                        ErrorEvent,
                        source=exc.provider,
                        code=exc.code.value,
                        message=exc.message,
                        recoverable=exc.recoverable and failures <= self._max_reopen_attempts,
                    )
                    if not exc.recoverable or failures > self._max_reopen_attempts:
                        raise exc from None
                    await anyio.sleep(self._reopen_backoff * 2 ** (failures - 1))
        finally:
            self._stream = None

    def report_usage(self) -> None:
        """Move the audio seconds sent since the last report into the usage totals."""
        if self._audio_seconds:
            self._usage.add_stt(self._stt.provider, self._stt.model, self._audio_seconds)
            self._audio_seconds = 0.0

    def _handle(self, transcript: Transcript) -> None:
        if transcript.text or transcript.is_final:
            self._bus.emit(
                UserTranscript,
                turn_id=self._signals.turn_id or None,
                text=transcript.text,
                is_final=transcript.is_final,
                words=transcript.words,
                confidence=transcript.confidence,
            )
        if transcript.from_finalize and self._finalize_sent is not None:
            self._bus.emit(
                SttMetrics,
                turn_id=self._signals.turn_id or None,
                provider=self._stt.provider,
                model=self._stt.model,
                final_delay=anyio.current_time() - self._finalize_sent,
                queue_delay=transcript.queue_delay,
            )
            self._finalize_sent = None
        self._signals.transcript(transcript)
