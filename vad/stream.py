"""One session's VAD: buffers caller audio into model windows and runs the speech state machine."""

from __future__ import annotations

from enum import Enum
from typing import Protocol, runtime_checkable

import numpy as np

from vad.edges import AudioEdges
from vad.levels import rms_dbfs
from vad.params import VadParams
from vad.protocols import WindowScorer
from vad.results import VadResult, VadState
from vad.state_machine import VadStateMachine
from vad.window_buffer import WindowBuffer, to_float32


class StreamPhase(Enum):
    IDLE = "idle"
    PROCESSING = "processing"  # inside process(); the stream is not re-entrant
    CLOSED = "closed"


_PHASE_TRANSITIONS: dict[StreamPhase, frozenset[StreamPhase]] = {
    StreamPhase.IDLE: frozenset({StreamPhase.PROCESSING, StreamPhase.CLOSED}),
    StreamPhase.PROCESSING: frozenset({StreamPhase.IDLE, StreamPhase.CLOSED}),
    StreamPhase.CLOSED: frozenset(),
}


class VadStream:
    """Per-session VAD. Feed it caller audio of any chunk size with ``process``; one VadResult per window.

    ``process`` is a coroutine because batched inference waits for other streams. Once started it finishes
    the windows of its chunk even if the calling task is cancelled (the cancellation then takes effect at the
    caller's next checkpoint), so the model state and the speech state never disagree.
    """

    def __init__(self, scorer: WindowScorer, params: VadParams) -> None:
        self._scorer = scorer
        self._params = params
        self._buffer = WindowBuffer(scorer.window_size, params.sample_rate)
        self._edges = (
            AudioEdges(params.sample_rate, self._buffer.window_duration, params.min_volume)
            if params.frame_edges
            else None
        )
        self._machine = VadStateMachine(params, self._edges)
        self._phase = StreamPhase.IDLE

    @property
    def params(self) -> VadParams:
        return self._params

    @property
    def sample_rate(self) -> int:
        return self._params.sample_rate

    @property
    def window_size(self) -> int:
        return self._scorer.window_size

    @property
    def state(self) -> VadState:
        return self._machine.state

    @property
    def closed(self) -> bool:
        return self._phase is StreamPhase.CLOSED

    async def process(self, samples: np.ndarray, timestamp: float) -> list[VadResult]:
        """Add mono PCM (int16, or float in [-1, 1]) whose first sample is at media time ``timestamp`` (s)."""
        audio = to_float32(samples)
        self._move(StreamPhase.PROCESSING)
        results: list[VadResult] = []
        chunk = audio.size / self._params.sample_rate
        granularity = chunk if self._edges is not None and chunk > 0 else None
        try:
            self._buffer.push(audio, timestamp)
            if self._edges is not None:
                self._edges.push(audio, timestamp)
            window_duration = self._buffer.window_duration
            probability, scored_until = 0.0, timestamp
            while self._phase is StreamPhase.PROCESSING and (popped := self._buffer.pop()) is not None:
                window, window_start = popped
                score = await self._scorer.score(window)
                volume_db = rms_dbfs(window)
                window_end = window_start + window_duration
                step = self._machine.step(score.probability, volume_db, window_start, window_end, granularity)
                probability, scored_until = score.probability, window_end
                results.append(
                    VadResult(
                        probability=score.probability,
                        volume_db=volume_db,
                        state=step.state,
                        window_end=window_end,
                        event=step.event,
                        speech_duration=step.speech_duration,
                        inference_s=score.inference_s,
                    )
                )
            if granularity is not None and self._phase is StreamPhase.PROCESSING:
                results += self._between_windows(probability, scored_until, timestamp + chunk, granularity)
        finally:
            if self._phase is StreamPhase.PROCESSING:
                self._move(StreamPhase.IDLE)
        return results

    def _between_windows(
        self, probability: float, scored_until: float, now: float, granularity: float
    ) -> list[VadResult]:
        """The audio after the last full window may complete a minimum before the next window does."""
        edges = self._edges
        if edges is None or self._machine.state not in (VadState.STARTING, VadState.STOPPING):
            return []
        since = max(scored_until, now - granularity)
        step = self._machine.between_windows(
            now, loud=edges.is_loud_since(since), quiet=edges.is_quiet_since(since), granularity=granularity
        )
        if step is None or step.event is None:
            return []
        return [
            VadResult(probability, 0.0, step.state, now, step.event, step.speech_duration, 0.0, scored=False)
        ]

    def reset(self) -> None:
        """Forget buffered audio, model state and speech state (no event is emitted)."""
        if self._phase is StreamPhase.PROCESSING:
            raise RuntimeError("VadStream.reset() called while process() is running on this stream")
        if self._phase is StreamPhase.CLOSED:
            raise RuntimeError("VadStream is closed")
        self._buffer.clear()
        if self._edges is not None:
            self._edges.clear()
        self._scorer.reset()
        self._machine.reset()

    def close(self) -> None:
        """Release the stream (idempotent). A running process() stops after its current window."""
        if self._phase is StreamPhase.CLOSED:
            return
        self._move(StreamPhase.CLOSED)
        self._buffer.clear()
        self._scorer.close()

    def _move(self, target: StreamPhase) -> None:
        if target not in _PHASE_TRANSITIONS[self._phase]:
            if self._phase is StreamPhase.CLOSED:
                raise RuntimeError("VadStream is closed")
            raise RuntimeError(
                f"VadStream cannot go from {self._phase.name} to {target.name} "
                "(process() is not re-entrant: await one call before the next)"
            )
        self._phase = target


@runtime_checkable
class Vad(Protocol):
    """Something that creates per-session VAD streams (Silero, batched Silero or energy).

    ``sample_rate`` defaults to ``params.sample_rate``; ``params`` defaults to the VAD's configured params.
    """

    def create_stream(self, sample_rate: int | None = None, params: VadParams | None = None) -> VadStream: ...
