"""Caller audio in: normalise to the pipeline format, run VAD, feed speech-to-text, and report speech starting,
going on and stopping to the caller-signal sink (the interruption controller). One task per session; per frame it
does only what it must."""

from __future__ import annotations

import anyio

from pipeline.base.audio import AudioFrame, Rechunker, StreamResampler
from pipeline.base.channel import Channel
from pipeline.observe.bus import EventBus
from pipeline.observe.events import VadMetrics
from pipeline.stages.signals import CallerSignals
from pipeline.stages.stt import SttStage
from pipeline.stages.turn_setup import RecentAudio
from vad import VadEventKind, VadResult, VadState, VadStream

VAD_METRICS_EVERY = 5.0  # seconds of audio between VAD metrics events


class InputStage:
    def __init__(
        self,
        audio_in: Channel[AudioFrame],
        *,
        sample_rate: int,
        frame_ms: int,
        vad: VadStream,
        stt: SttStage,
        signals: CallerSignals,
        bus: EventBus,
        recent_audio: RecentAudio,
    ) -> None:
        self._audio_in = audio_in
        self._sample_rate = sample_rate
        self._vad = vad
        self._stt = stt
        self._signals = signals
        self._bus = bus
        self._recent_audio = recent_audio
        self.first_frame_at: float | None = None  # clock time the first caller frame went through
        self._rechunker = Rechunker.for_duration(sample_rate, frame_ms)
        self._resampler: StreamResampler | None = None
        self._next_media_time = 0.0  # where the next caller frame should start (caller media time)
        self._vad_windows = 0
        self._vad_total = 0.0
        self._vad_max = 0.0
        self._vad_reported_at = 0.0
        self._vad_state = VadState.QUIET  # the VAD's state after the last result

    async def run(self) -> None:
        async for frame in self._audio_in:
            self._skip_gap(frame)
            for chunk in self._rechunker.push(self._to_pipeline_rate(frame)):
                await self._process(chunk)
        tail = self._resampler.flush().pcm if self._resampler is not None else b""
        for chunk in [*self._rechunker.push(tail), *self._rechunker.flush()]:
            await self._process(chunk)
        self._vad.close()

    def _skip_gap(self, frame: AudioFrame) -> None:
        """Frames dropped before this one (the input buffer overflowed) leave a gap in media time: keep it, so
        speech times stay true. Frames without timestamps (all 0.0) never look like a gap."""
        expected, self._next_media_time = self._next_media_time, frame.end_time
        if frame.timestamp - expected > frame.duration / 2:
            self._rechunker.skip(frame.timestamp - expected)

    def _to_pipeline_rate(self, frame: AudioFrame) -> bytes:
        if frame.sample_rate == self._sample_rate and self._resampler is None:
            return frame.pcm
        tail = b""
        if self._resampler is None or self._resampler.from_rate != frame.sample_rate:
            if self._resampler is not None:  # the caller's rate changed: keep the old filter's tail
                tail = self._resampler.flush().pcm
            self._resampler = StreamResampler(frame.sample_rate, self._sample_rate)
        return tail + self._resampler.process(frame).pcm

    async def _process(self, frame: AudioFrame) -> None:
        samples = frame.to_int16()
        self._recent_audio.add(samples)
        results = await self._vad.process(samples, frame.timestamp)
        await self._stt.push_audio(frame)
        for result in results:
            await self._on_vad(result, frame.end_time)
        if self.first_frame_at is None:
            self.first_frame_at = anyio.current_time()

    async def _on_vad(self, result: VadResult, media_now: float) -> None:
        self._account(result)
        event = result.event
        previous, self._vad_state = self._vad_state, result.state
        if result.state is VadState.STARTING and previous is not VadState.STARTING:
            self._signals.speech_onset()
        elif previous is VadState.STARTING and result.state is VadState.QUIET:
            self._signals.speech_onset_dropped()
        if event is not None and event.kind is VadEventKind.SPEECH_STARTED:
            self._signals.speech_started(event.time, result.speech_duration)
        elif event is not None and event.kind is VadEventKind.SPEECH_STOPPED:
            user_stopped = anyio.current_time() - max(0.0, media_now - event.time)
            self._signals.speech_stopped(event.time, result.speech_duration, user_stopped)
            await self._stt.finalize()  # after the signal: an answer inside finalize() still counts
        elif result.state in (VadState.SPEAKING, VadState.STOPPING):
            self._signals.speech_progress(result.speech_duration)

    def _account(self, result: VadResult) -> None:
        if not result.scored:
            return  # a decision between windows: no model call
        self._vad_windows += 1
        self._vad_total += result.inference_s
        self._vad_max = max(self._vad_max, result.inference_s)
        if result.window_end - self._vad_reported_at >= VAD_METRICS_EVERY:
            self._bus.emit(
                VadMetrics,
                windows=self._vad_windows,
                inference_mean_ms=1000 * self._vad_total / self._vad_windows,
                inference_max_ms=1000 * self._vad_max,
            )
            self._vad_reported_at = result.window_end
            self._vad_windows, self._vad_total, self._vad_max = 0, 0.0, 0.0
