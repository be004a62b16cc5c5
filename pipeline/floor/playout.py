"""The output buffer: plays agent speeches one after another, paced in real time on the session clock, so the
pipeline always knows exactly how much of each has left for the caller — and can stop, pause or resume at once.

It is the one owner of "agent output is paused": the overlap logic asks it, never keeps its own copy.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

import anyio

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel, ChannelClosed
from pipeline.base.clock import SessionClock
from pipeline.stages.speech import Speech, SpeechState

_MAX_LATENESS = 0.05  # seconds behind schedule before pacing restarts


class PlayoutListener(Protocol):
    def on_speech_playing(self, speech: Speech) -> None: ...

    def on_speech_finished(self, speech: Speech) -> None: ...


class PlayoutPhase(Enum):
    IDLE = "idle"  # no speech is playing
    PLAYING = "playing"
    PAUSED = "paused"  # a speech is current but its frames are held back


_TRANSITIONS: dict[PlayoutPhase, frozenset[PlayoutPhase]] = {
    PlayoutPhase.IDLE: frozenset({PlayoutPhase.PLAYING}),
    PlayoutPhase.PLAYING: frozenset({PlayoutPhase.PAUSED, PlayoutPhase.IDLE}),
    PlayoutPhase.PAUSED: frozenset({PlayoutPhase.PLAYING, PlayoutPhase.IDLE}),
}


class Playout:
    def __init__(
        self,
        out: Channel[AudioFrame],
        listener: PlayoutListener,
        clock: SessionClock,
        *,
        max_queued_speeches: int = 16,
    ) -> None:
        self._out = out
        self._listener = listener
        self._clock = clock  # session time, stamped on outgoing frames
        self._queue: Channel[Speech] = Channel("speech-queue", max_queued_speeches)
        self._phase = PlayoutPhase.IDLE
        self._resumed = anyio.Event()
        self._paused_at = 0.0
        self.current: Speech | None = None
        self.first_frame_time = 0.0  # clock time the current speech's first frame went out

    @property
    def phase(self) -> PlayoutPhase:
        return self._phase

    @property
    def paused(self) -> bool:
        return self._phase is PlayoutPhase.PAUSED

    def try_enqueue(self, speech: Speech) -> bool:
        """Queue a speech to play after those already queued; False when the queue is full."""
        return self._queue.send_nowait(speech)

    def close(self) -> None:
        """No more speeches; ``run`` returns after playing what is queued."""
        self._queue.close()

    def pause(self) -> bool:
        """Hold the current speech's frames back; False when nothing is playing."""
        if self._phase is not PlayoutPhase.PLAYING:
            return False
        self._move(PlayoutPhase.PAUSED)
        self._paused_at = anyio.current_time()
        self._resumed = anyio.Event()
        return True

    def resume(self) -> float | None:
        """Play on where it paused; returns how long it was paused (None when it was not)."""
        if self._phase is not PlayoutPhase.PAUSED:
            return None
        self._move(PlayoutPhase.PLAYING)
        self._resumed.set()
        return anyio.current_time() - self._paused_at

    def flush(self) -> float:
        """Drop the frames handed to the output that the transport has not taken yet (an interruption);
        returns how many seconds of audio were dropped."""
        seconds = 0.0
        while (frame := self._out.receive_nowait()) is not None:
            seconds += frame.duration
        return seconds

    async def run(self) -> None:
        async for speech in self._queue:
            if speech.state.is_final:
                continue  # interrupted before its turn came
            self.current = speech
            self._move(PlayoutPhase.PLAYING)
            await self._play(speech)
            self._move(PlayoutPhase.IDLE)
            self.current = None
            self._listener.on_speech_finished(speech)
        self._out.close()

    async def _play(self, speech: Speech) -> None:
        due: float | None = None
        async for frame in speech.audio:
            due = await self._wait_for_slot(speech, due)
            if speech.state.is_final:
                return
            try:
                await self._out.send(AudioFrame(frame.pcm, frame.sample_rate, self._clock.now(), speech.id))
            except ChannelClosed:
                return  # the session closed its output: nobody is listening any more
            speech.played_seconds += frame.duration
            if speech.state is SpeechState.GENERATING:
                self.first_frame_time = anyio.current_time()
                speech.transition(SpeechState.PLAYING)
                self._listener.on_speech_playing(speech)
            due += frame.duration

    async def _wait_for_slot(self, speech: Speech, due: float | None) -> float:
        """Wait until the next frame is due (and not paused); returns its send time, or at once when the speech is
        stopped meanwhile (an interruption never waits for the next frame's slot)."""
        while not speech.state.is_final:
            if self._phase is PlayoutPhase.PAUSED:
                await self._resumed.wait()
                due = None  # pace afresh after a pause
                continue
            now = anyio.current_time()
            if due is None or now - due > _MAX_LATENESS:
                return now  # first frame, or audio arrived late (an underrun): pace from now
            if now >= due:
                return due  # keep the schedule so small scheduling delays never accumulate
            with anyio.CancelScope(deadline=due):
                await speech.wait()
        return anyio.current_time()

    def _move(self, target: PlayoutPhase) -> None:
        if target not in _TRANSITIONS[self._phase]:
            raise RuntimeError(f"playout cannot go from {self._phase.value} to {target.value}")
        self._phase = target
