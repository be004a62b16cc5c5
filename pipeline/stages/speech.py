"""One thing the agent says — an LLM reply, a ``say`` or a ``play`` — as one object that owns everything it needs:
a cancel scope covering its LLM stream, tool calls and synthesis, and its queued output audio. Cancelling it is the
whole of "stop talking"."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import anyio
import anyio.lowlevel

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel, ChannelClosed
from pipeline.observe.events import SpeechSource
from pipeline.stages.collect_dialog import CollectorDialog
from pipeline.stages.heard_text import HeardTextTracker
from pipeline.stages.output_gate import OutputGate
from pipeline.stages.tools import ToolResult
from providers.llm import ToolCall


class SpeechState(Enum):
    """Where a speech is: pending (queued), generating, playing, then done, interrupted or failed."""

    PENDING = "pending"  # queued behind another speech
    GENERATING = "generating"  # LLM/TTS working, nothing played yet
    PLAYING = "playing"
    DONE = "done"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    DISCARDED = "discarded"  # a preemptive reply whose turn ended otherwise: never played, never kept

    @property
    def is_final(self) -> bool:
        return self in (SpeechState.DONE, SpeechState.INTERRUPTED, SpeechState.FAILED, SpeechState.DISCARDED)


_TRANSITIONS: dict[SpeechState, frozenset[SpeechState]] = {
    SpeechState.PENDING: frozenset(
        {SpeechState.GENERATING, SpeechState.INTERRUPTED, SpeechState.FAILED, SpeechState.DISCARDED}
    ),
    SpeechState.GENERATING: frozenset(
        {
            SpeechState.PLAYING,
            SpeechState.DONE,
            SpeechState.INTERRUPTED,
            SpeechState.FAILED,
            SpeechState.DISCARDED,
        }
    ),
    SpeechState.PLAYING: frozenset({SpeechState.DONE, SpeechState.INTERRUPTED, SpeechState.FAILED}),
    SpeechState.DONE: frozenset(),
    SpeechState.INTERRUPTED: frozenset(),
    SpeechState.FAILED: frozenset(),
    SpeechState.DISCARDED: frozenset(),
}


@dataclass(frozen=True)
class AfterDone:
    """Something a reply's tool asked for that happens only if the caller hears the reply in full."""

    description: str  # "transfer to billing": told to the model when it does not happen
    action: Callable[[], None]


class InvalidTransition(RuntimeError):
    pass


@dataclass
class ReplyStep:
    """One LLM round of a reply: the text it wrote and the tool calls that actually started, with results."""

    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)


_ids = itertools.count(1)


class Speech:
    """One thing the agent says (an LLM reply, a ``say`` or a ``play``). ``await`` it to wait until it has been
    spoken, interrupted or has failed; ``heard_text()`` is what the caller heard."""

    def __init__(
        self,
        source: SpeechSource,
        *,
        turn_id: int,
        allow_interruption: bool = True,
        audio_buffer_frames: int = 3000,
        gate: OutputGate | None = None,
    ) -> None:
        self.id = f"speech_{next(_ids)}"
        self.source = source
        self.turn_id = turn_id
        self.allow_interruption = allow_interruption
        self.state = SpeechState.PENDING
        self.gate = gate or OutputGate()  # held while a preemptive reply waits for its turn to be decided
        self.cancel_scope = anyio.CancelScope()
        self.audio: Channel[AudioFrame] = Channel(f"{self.id}-audio", audio_buffer_frames)
        self.tracker = HeardTextTracker()
        self.steps: list[ReplyStep] = []
        self.played_seconds = 0.0  # handed to the transport
        self.confirmed_seconds: float | None = None  # played at the far end, when the transport reports marks
        self.error: str | None = None
        self.end_call_goodbye: str | None = None  # set by the end_call tool
        self.end_call_requested = False
        self.agent: str | None = None  # the named agent that says it
        self.after_done: list[AfterDone] = []  # run once it has been played in full (hand-offs...)
        self.pending_dialog: CollectorDialog | None = None  # a collector asked for by one of its tools
        self._finished = anyio.Event()
        self._released = anyio.Event()  # the output buffer is done with it (played out, or dropped)

    def __repr__(self) -> str:
        return f"<Speech {self.id} {self.source.value} {self.state.value}>"

    @property
    def text(self) -> str:
        return self.tracker.full_text

    def heard_text(self) -> str:
        """What the caller heard: all of it, unless the speech was interrupted (then the words played)."""
        if self.state is SpeechState.INTERRUPTED:
            return self.tracker.heard(self.heard_seconds)
        return self.text

    @property
    def heard_seconds(self) -> float:
        """How much of the speech the caller has heard: what the transport confirmed playing (playback marks),
        or else what was handed to it."""
        if self.confirmed_seconds is None:
            return self.played_seconds
        return min(self.played_seconds, self.confirmed_seconds)

    def confirm_played(self, seconds: float) -> None:
        """The transport reports that the first ``seconds`` of this speech have been played to the caller."""
        self.confirmed_seconds = max(self.confirmed_seconds or 0.0, seconds)

    def transition(self, to: SpeechState) -> None:
        if to not in _TRANSITIONS[self.state]:
            raise InvalidTransition(f"{self.id}: {self.state.value} -> {to.value}")
        self.state = to
        if to.is_final:
            self._finished.set()

    def stop(self, to: SpeechState) -> bool:
        """End the speech now (interrupt or fail): cancel its work and drop its queued audio."""
        if self.state.is_final:
            return False
        self.transition(to)
        self.cancel_scope.cancel()
        self.audio.clear()
        self.audio.close()
        return True

    async def queue_audio(self, frame: AudioFrame) -> None:
        """Queue a frame for the output buffer (waits while it is full). Once the speech has been stopped this is
        where its work ends: ``stop`` closes the audio and cancels the work's scope, and a producer that was
        already runnable reaches this before the cancellation has reached it."""
        try:
            await self.audio.send(frame)
        except ChannelClosed:
            if not self.state.is_final:
                raise
            await anyio.lowlevel.checkpoint()  # inside the cancelled scope: raises the cancellation
            raise

    def release(self) -> None:
        self._released.set()

    async def wait_released(self) -> None:
        await self._released.wait()

    def __await__(self) -> Generator[Any, None, SpeechState]:
        return self.wait().__await__()

    async def wait(self) -> SpeechState:
        """Until the speech has finished playing, been interrupted or failed."""
        await self._finished.wait()
        return self.state
