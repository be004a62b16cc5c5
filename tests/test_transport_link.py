"""The transport interface on virtual time: a hang-up mid-reply ends the session at once (no drain into an
output nobody reads, nothing escapes), a failing transport is a hang-up, and a barge-in clears the transport at
the decision with no frame of the interrupted speech handed over after it."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
import pytest

from pipeline.base.audio import AudioFrame
from pipeline.observe.events import AgentStartedSpeaking, ErrorEvent, Event, Interruption, SessionEnded
from pipeline.session.pipeline import Pipeline
from pipeline.transports.link import connect
from pipeline.transports.transport import CALLER_HUNG_UP, TRANSPORT_ERROR, CallEnd, CallLine
from tests.conversation import FRAME, collect_events, make_pipeline, of_type
from tests.doubles import RATE, FakeTts, ScriptedLlm, ScriptedStt, silence, tone

pytestmark = pytest.mark.anyio
LONG_REPLY = "This is a long answer. It goes on for a while. Nobody wants to hear all of it. The end."


@dataclass
class ScriptedLine:
    """A transport on virtual time: speaks, waits for the agent, then does what the test says."""

    events: list[Event]
    barge_in: bool = False  # talk over the agent, then stay until it has answered again
    hang_up_after: float = 0.5  # seconds of agent speech before hanging up
    stall_after_hang_up: bool = True  # sending blocks once the caller is gone (a socket nobody reads)
    send_error: Exception | None = None
    jitter_every: int = 0  # every n-th send takes 100 ms (a congested link): frames pile up upstream
    sent: list[tuple[float, AudioFrame]] = field(default_factory=list)
    clears: list[tuple[float, str]] = field(default_factory=list)
    hung_up_at: float | None = None
    media_time: float = 0.0

    async def _push(self, line: CallLine, samples: object) -> None:
        step = round(FRAME * RATE)
        for start in range(0, len(samples), step):  # type: ignore[arg-type]
            chunk = samples[start : start + step]  # type: ignore[index]
            line.push_audio(AudioFrame.from_int16(chunk, RATE, self.media_time))
            self.media_time += FRAME
            await anyio.sleep(FRAME)

    async def _until(self, line: CallLine, condition: object, limit: float = 30.0) -> None:
        waited = 0.0
        while not condition() and waited < limit:  # type: ignore[operator]
            await self._push(line, silence(FRAME))
            waited += FRAME

    async def run(self, line: CallLine) -> CallEnd:
        await self._push(line, silence(0.3))
        await self._push(line, tone(1.0))
        await self._until(line, lambda: of_type(self.events, AgentStartedSpeaking))
        await self._push(line, silence(self.hang_up_after))
        if self.barge_in:
            await self._push(line, tone(1.2))
            await self._until(line, lambda: len(of_type(self.events, AgentStartedSpeaking)) >= 2)
            await self._push(line, silence(1.0))
            return CallEnd.completed()
        self.hung_up_at = anyio.current_time()
        return CallEnd(CALLER_HUNG_UP)

    async def send(self, frame: AudioFrame) -> None:
        if self.send_error is not None:
            raise self.send_error
        if self.hung_up_at is not None and self.stall_after_hang_up:
            await anyio.sleep_forever()
        self.sent.append((anyio.current_time(), frame))
        if self.jitter_every and len(self.sent) % self.jitter_every == 0:
            await anyio.sleep(0.1)

    def clear(self, speech_id: str) -> None:
        self.clears.append((anyio.current_time(), speech_id))


def long_reply_pipeline() -> Pipeline:
    llm = ScriptedLlm([LONG_REPLY, "Sure."], token_interval=0.3)
    return make_pipeline(
        ScriptedStt(["tell me something", "stop please"]),
        llm,
        FakeTts(seconds_per_char=0.05),
        min_interruption_duration=0.5,
    )


async def run_over(pipeline: Pipeline, line: ScriptedLine) -> tuple[CallEnd, float]:
    """The call over ``line``; returns how it ended and the time the session ended."""
    session = pipeline.session()
    events = session.events()
    with anyio.fail_after(120):
        async with session, anyio.create_task_group() as group:
            group.start_soon(collect_events, events, line.events)
            end = await connect(session, line)
            ended_at = anyio.current_time()
    return end, ended_at


async def test_a_hang_up_mid_reply_ends_the_session_at_once() -> None:
    line = ScriptedLine(events=[])
    end, ended_at = await run_over(long_reply_pipeline(), line)

    assert end.reason == CALLER_HUNG_UP
    assert line.hung_up_at is not None
    assert ended_at - line.hung_up_at < 0.1  # not the drain timeout spent playing into a dead line
    (ended,) = of_type(line.events, SessionEnded)
    assert ended.reason == CALLER_HUNG_UP and ended.error is None
    assert not of_type(line.events, ErrorEvent)


async def test_a_failing_transport_is_a_hang_up_and_nothing_escapes() -> None:
    line = ScriptedLine(events=[], send_error=ConnectionResetError("peer gone"))
    end, _ = await run_over(long_reply_pipeline(), line)

    assert end.reason == TRANSPORT_ERROR and end.error is not None and "peer gone" in end.error
    (ended,) = of_type(line.events, SessionEnded)
    assert ended.reason == TRANSPORT_ERROR


async def test_a_barge_in_clears_the_transport_at_the_decision() -> None:
    line = ScriptedLine(events=[], barge_in=True, hang_up_after=1.5, jitter_every=7)
    await run_over(long_reply_pipeline(), line)

    (interruption,) = of_type(line.events, Interruption)
    assert [speech for _, speech in line.clears] == [interruption.speech_id]
    cleared_at = line.clears[0][0]
    stale = [
        frame for at, frame in line.sent if at > cleared_at and frame.speech_id == interruption.speech_id
    ]
    assert stale == []  # nothing of the interrupted speech was handed over after the clear
    assert all(frame.speech_id for _, frame in line.sent)  # every agent frame says which speech it belongs to
