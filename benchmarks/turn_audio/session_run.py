"""One caller turn, as audio, through a full Parley ``Session`` on virtual time; what the turn-taking did.

The session is the real one (``Pipeline(...).session()``): the real Silero VAD (``SileroEngine``, unbatched,
default ``VadParams``), the real input stage, interruption controller and ``TurnDetector`` with the delay policy
that ``TurnSettings`` builds. Around it: a perfect speech-to-text (``PerfectStt``) that knows what was said when,
the simulated LLM (answers "OK.") and TTS (a tone). The agent's question, when the case has one, is the session's
greeting (``speaks_first: agent``), so the detector reads it as the agent's last utterance; the caller's speech
starts after it has been played.

The caller's audio is handed over in 20 ms frames on an absolute grid (each frame at the time its last sample
"happened"), so media time and session time agree: a decision's ``EndOfUserTurn.timestamp`` is compared with the
track's true piece boundaries directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from unittest import mock

import anyio
import numpy as np

from benchmarks.turn_audio.render import RATE, CaseAudio
from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.base.compute import inline_compute
from pipeline.observe.events import EndOfUserTurn, ErrorEvent
from pipeline.session.pipeline import Pipeline
from pipeline.settings import AgentSettings, IdleSettings, SessionSettings, TurnSettings
from providers.simulated import SimulatedLlm, SimulatedTts
from providers.stt import Transcript
from turn.delay_policy import DelayPolicy
from turn.eot.protocols import TurnCompletionModel
from vad import SileroEngine, SileroModel, VadParams

FRAME = 0.02
FRAME_SAMPLES = round(FRAME * RATE)
STT_FINAL_DELAY = 0.1  # the perfect STT answers Finalize this long after it was asked
REPLY_TTFT = 0.2  # the simulated LLM's first token (then the simulated TTS: 50 ms to its first audio)


class PerfectStt:
    """Speech-to-text that knows the caller's words and when each was said: at each Finalize it sends, after
    ``final_delay``, the words spoken since the last final up to the audio it has received (a piece still being
    spoken counts in proportion to the share of it received). No interim results."""

    provider = "perfect"
    model = "script"

    def __init__(self, segments: tuple[tuple[float, float, str], ...], final_delay: float = STT_FINAL_DELAY):
        self.segments = segments
        self.final_delay = final_delay

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[PerfectSttStream]:
        async with anyio.create_task_group() as group:
            stream = PerfectSttStream(self, group)
            yield stream
            stream.results.close()
            group.cancel_scope.cancel()


class PerfectSttStream:
    def __init__(self, script: PerfectStt, group: anyio.abc.TaskGroup) -> None:
        self._script = script
        self._group = group
        self.results: Channel[Transcript] = Channel("perfect-stt", 64)
        self._heard_until = 0.0  # media time of the end of the audio received
        self._words_sent = 0

    async def push_audio(self, frame: AudioFrame) -> None:
        self._heard_until = max(self._heard_until, frame.timestamp + frame.duration)

    def _words_heard(self) -> list[str]:
        words: list[str] = []
        for start, end, text in self._script.segments:
            piece = text.split()
            if self._heard_until >= end:
                words.extend(piece)
            elif self._heard_until > start:
                words.extend(piece[: int(len(piece) * (self._heard_until - start) / (end - start))])
        return words

    async def finalize(self) -> None:
        words = self._words_heard()
        text = " ".join(words[self._words_sent :])
        self._words_sent = len(words)
        self._group.start_soon(self._answer, text)

    async def _answer(self, text: str) -> None:
        await anyio.sleep(self._script.final_delay)
        if not self.results.closed:
            self.results.send_nowait(Transcript(text, is_final=True, from_finalize=True))

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self.results.__aiter__()


@dataclass(frozen=True)
class Outcome:
    """What the turn-taking did with one case (times in seconds on the track)."""

    case_id: str
    decisions: tuple[float, ...]  # EndOfUserTurn times
    pauses: int
    pauses_cut: int  # internal pauses with a decision between their start and the end of the next piece
    mid_speech_cuts: int  # decisions inside the first piece (a VAD stop inside the speech)
    cuts_after_resume: (
        int  # cut-offs decided after the caller had already resumed (before the VAD confirmed it)
    )
    wait: float | None  # true end of speech -> first decision after it (None: none came)
    talked_over: int = 0  # cut-offs after which agent audio played before the caller's next piece ended


def outcome(audio: CaseAudio, decisions: list[float], agent_audio: tuple[float, ...] = ()) -> Outcome:
    """``agent_audio``: when each frame of agent speech was handed out (track time), for ``talked_over``."""
    pauses = audio.pauses
    ends = [end for _, end, _ in audio.segments]
    cut = set()
    talked_over = set()
    mid = resumed = 0
    for t in decisions:
        if t >= audio.speech_end:
            continue
        earlier = [i for i, (start, _) in enumerate(pauses) if start <= t]
        if earlier:
            pause = earlier[-1]
            cut.add(pause)
            resumed += t >= pauses[pause][1]
            if any(t <= heard <= ends[pause + 1] for heard in agent_audio):
                talked_over.add(pause)
        elif t < ends[0]:
            mid += 1
    after = [t - audio.speech_end for t in decisions if t >= audio.speech_end]
    return Outcome(
        audio.case.case_id,
        tuple(decisions),
        len(pauses),
        len(cut),
        mid,
        resumed,
        min(after) if after else None,
        len(talked_over),
    )


def make_pipeline(audio: CaseAudio, turn: TurnSettings, reply_ttft: float = REPLY_TTFT) -> Pipeline:
    question = audio.case.agent_question
    agent = (
        AgentSettings(speaks_first="agent", greeting=question, greeting_interruptible=False)
        if question
        else AgentSettings()
    )
    settings = SessionSettings(agent=agent, turn=turn, idle=IdleSettings(timeout=None))
    return Pipeline(
        stt=PerfectStt(audio.segments),
        llm=SimulatedLlm([], ttft=reply_ttft),
        tts=SimulatedTts(ttfb=0.05, seconds_per_char=0.01),
        vad=SileroEngine(SileroModel.shared(), VadParams()),
        settings=settings,
        observers=[],
    )


async def play_case(audio: CaseAudio, turn: TurnSettings, reply_ttft: float = REPLY_TTFT) -> Outcome:
    """Plays the track into a fresh session until the end of turn is decided after the caller's true end (or the
    tail runs out) and returns what was decided."""
    session = make_pipeline(audio, turn, reply_ttft).session()
    decisions: list[float] = []
    agent_audio: list[float] = []
    errors: list[str] = []
    async with session, anyio.create_task_group() as group:
        subscription = session.events(EndOfUserTurn, ErrorEvent)

        async def collect() -> None:
            async for event in subscription:
                if isinstance(event, EndOfUserTurn):
                    decisions.append(event.timestamp)
                elif isinstance(event, ErrorEvent):
                    errors.append(event.message)

        origin = anyio.current_time() - session.now()  # virtual time of session (= media) time 0

        async def drain() -> None:
            async for frame in session.audio_out():
                if frame.speech_id is not None:
                    agent_audio.append(anyio.current_time() - origin)

        group.start_soon(collect)
        group.start_soon(drain)
        samples = audio.samples
        for index, start in enumerate(range(0, samples.size, FRAME_SAMPLES)):
            if decisions and decisions[-1] >= audio.speech_end:
                break  # the end of turn is decided: the rest of the tail cannot change the outcome
            chunk = np.ascontiguousarray(samples[start : start + FRAME_SAMPLES])
            await anyio.sleep_until(origin + (index + 1) * FRAME)
            session.push_audio(AudioFrame.from_int16(chunk, RATE, start / RATE))
        await anyio.sleep(0.05)
        await session.hang_up("benchmark")
        group.cancel_scope.cancel()
    if errors:
        raise RuntimeError(f"{audio.case.case_id}: the session reported errors: {errors}")
    return outcome(audio, decisions, tuple(agent_audio))


@contextmanager
def detector_under_test(
    model: TurnCompletionModel | None = None,
    policy: Callable[[TurnSettings], DelayPolicy] | None = None,
) -> Iterator[None]:
    """Run sessions with another end-of-turn model (any ``TurnCompletionModel``) or a whole other delay policy
    in place of the shipped one; with neither, the runtime's own is used unchanged."""
    with inline_compute():
        if policy is not None:
            with mock.patch("pipeline.stages.turn_setup.delay_policy", lambda s: policy(s)):
                yield
        elif model is not None:
            with mock.patch("pipeline.stages.turn_setup.shared_text_model", lambda: model):
                yield
        else:
            yield
