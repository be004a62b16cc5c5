"""The offline demo call: a short caller conversation generated with espeak-ng and played into the pipeline,
reacting to the agent like a person would — wait for the answer, ask for something that needs a tool, and talk
over a long answer (a barge-in)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from enum import Enum

import anyio

from pipeline.base.audio import AudioFrame, resample_int16, split_frames
from pipeline.observe.events import AgentStartedSpeaking, AgentState, AgentStateChanged, Event
from pipeline.transports.callers import PacedLine
from pipeline.transports.transport import CallEnd, CallLine


class Cue(Enum):
    AFTER_REPLY = "after_reply"  # speak once the agent has finished its answer
    DURING_REPLY = "during_reply"  # speak while the agent is still talking (barge in)


@dataclass(frozen=True)
class CallerLine:
    text: str
    cue: Cue = Cue.AFTER_REPLY
    delay: float = 0.6  # after the cue: silence after the reply ends, or agent speech before barging in


# Lines chosen so the offline recognizer (pocketsphinx, weak on synthetic speech) gets their key words.
DEMO_SCRIPT = (
    CallerLine("Hello there.", delay=0.5),
    CallerLine("What is the weather like in Paris today?"),
    CallerLine("Please tell me a long story about a robot."),
    CallerLine("Stop stop.", Cue.DURING_REPLY, delay=2.0),
    CallerLine("That is all goodbye."),
)
CALLER_VOICE = {"voice": "en-us+klatt4", "rate_wpm": 150, "pitch": 50}


class DemoCaller:
    def __init__(self, lines: list[tuple[CallerLine, AudioFrame]], *, reply_timeout: float = 20.0) -> None:
        self.lines = lines
        self.reply_timeout = reply_timeout

    @classmethod
    def default(cls, sample_rate: int, script: tuple[CallerLine, ...] = DEMO_SCRIPT) -> DemoCaller:
        """Speak the script with espeak-ng (the agent of configs/local.yaml speaks with another voice)."""
        from providers.local.espeak_engine import EspeakEngine

        engine = EspeakEngine.shared()
        lines = []
        for line in script:
            speech = engine.synthesize(line.text, **CALLER_VOICE)  # type: ignore[arg-type]
            samples = resample_int16(speech.samples, speech.sample_rate, sample_rate)
            lines.append((line, AudioFrame.from_int16(samples, sample_rate)))
        return cls(lines)

    async def send(self, frame: AudioFrame) -> None:
        """The simulated caller reacts to events, not to the audio itself."""

    def clear(self, speech_id: str) -> None:
        """Nothing is buffered on the simulated caller's side."""

    async def run(self, call: CallLine) -> CallEnd:
        session = call.session
        watcher = _AgentWatcher()
        events = session.events(AgentStartedSpeaking, AgentStateChanged)
        frame_ms = session.settings.audio.frame_ms
        silence = AudioFrame.silence(frame_ms / 1000, session.settings.audio.sample_rate)
        paced = PacedLine(call)
        async with anyio.create_task_group() as group:
            group.start_soon(watcher.follow, events)
            for index, (line, audio) in enumerate(self.lines):
                if not session.running:
                    break
                if index:  # the first line opens the call
                    await self._wait_for_cue(paced, watcher, line, silence)
                else:
                    await self._pause(paced, silence, line.delay)
                watcher.mark()
                for frame in split_frames(audio, frame_ms):
                    await paced.send(frame)
            await paced.silence_until_idle(frame_ms=frame_ms)
            group.cancel_scope.cancel()
        return CallEnd.completed()

    async def _wait_for_cue(
        self,
        paced: PacedLine,
        watcher: _AgentWatcher,
        line: CallerLine,
        silence: AudioFrame,
    ) -> None:
        condition: Callable[[], bool] = watcher.replied if line.cue is Cue.AFTER_REPLY else watcher.speaking
        waited = 0.0
        while not condition() and waited < self.reply_timeout and paced.session.running:
            await paced.send(silence)
            waited += silence.duration
        await self._pause(paced, silence, line.delay)

    @staticmethod
    async def _pause(paced: PacedLine, silence: AudioFrame, seconds: float) -> None:
        for _ in range(round(seconds / silence.duration)):
            await paced.send(silence)


class _AgentWatcher:
    """Follows the agent since the caller's last line: has it started answering, and is it listening again?"""

    def __init__(self) -> None:
        self._started_since_mark = False
        self._listening = True

    def mark(self) -> None:
        self._started_since_mark = False

    def speaking(self) -> bool:
        return self._started_since_mark

    def replied(self) -> bool:
        return self._started_since_mark and self._listening

    async def follow(self, events: AsyncIterable[Event]) -> None:
        async for event in events:
            self._count(event)

    def _count(self, event: Event) -> None:
        if isinstance(event, AgentStartedSpeaking):
            self._started_since_mark = True
        elif isinstance(event, AgentStateChanged):
            self._listening = event.new is AgentState.LISTENING
