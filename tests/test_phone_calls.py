"""Whole phone calls through the telephony transport, driven by a platform simulator written from the protocol
document (Twilio, Plivo, Telnyx), on virtual time: a call with a tool call, a barge-in that clears the platform's
buffer at once, keypresses as events, and ``stop`` ending the session at once."""

from __future__ import annotations

import gc
import warnings

import anyio
import pytest

from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentStoppedSpeaking,
    Interruption,
    SessionEnded,
    ToolFinished,
)
from pipeline.observe.phone_events import DigitsCollected, DtmfReceived
from pipeline.stages.tools import tool
from tests.conversation import make_pipeline
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call
from tests.phone_harness import PLATFORMS, PhoneRun, phone_call, quiet, speech, until

pytestmark = pytest.mark.anyio
LONG_REPLY = " ".join(f"This is sentence number {n} of a long answer." for n in range(1, 9))


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_whole_call_with_a_tool_call(platform: str) -> None:
    looked_up: list[str] = []

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        looked_up.append(city)
        return "sunny"

    llm = ScriptedLlm([[call("get_weather", '{"city": "Paris"}')], "It is sunny in Paris."])
    pipeline = make_pipeline(
        ScriptedStt(["what is the weather in Paris"]), llm, FakeTts(), tools=[get_weather]
    )

    async def script(run: PhoneRun) -> None:
        await run.platform.media(quiet(0.3))
        await run.platform.media(speech(1.0))
        await run.platform.media(quiet(0.5))
        await until(lambda: bool(run.of(AgentStoppedSpeaking)))
        await run.platform.media(quiet(0.5))
        await run.platform.stop()

    run = await phone_call(pipeline, platform, script, custom={"from": "+14155550100"})

    assert looked_up == ["Paris"]
    assert [event.name for event in run.of(ToolFinished)] == ["get_weather"]
    stopped = run.of(AgentStoppedSpeaking)[0]
    assert not stopped.interrupted and stopped.heard_text == "It is sunny in Paris."
    # the caller heard the whole reply (FakeTts: 0.05 s per character) at 8 kHz, every frame once
    assert run.platform.heard_seconds() == pytest.approx(len("It is sunny in Paris.") * 0.05, abs=0.03)
    assert run.started is not None and run.started.custom_parameters == {"from": "+14155550100"}
    assert run.started.caller == "+14155550100" or platform == "telnyx"
    assert run.of(SessionEnded)[0].reason == "caller_stopped"
    assert run.report is not None and run.report.bad_messages == []
    # playback marks went out with the audio and came back as played
    marks_sent = run.platform.sent("checkpoint" if platform == "plivo" else "mark")
    assert len(marks_sent) >= 5
    assert run.platform.sent("media" if platform != "plivo" else "playAudio")


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_barge_in_clears_the_platform_buffer_within_one_frame(platform: str) -> None:
    llm = ScriptedLlm([LONG_REPLY, "Sure."])
    pipeline = make_pipeline(ScriptedStt(["tell me everything", "stop please"]), llm, FakeTts())

    async def script(run: PhoneRun) -> None:
        await run.platform.media(speech(0.8))
        await run.platform.media(quiet(0.4))
        await until(lambda: run.platform.heard_seconds() > 1.5)
        await run.platform.media(speech(1.0))
        await run.platform.media(quiet(2.0))
        await run.platform.stop()

    run = await phone_call(pipeline, platform, script)

    decision = run.clock(run.of(Interruption)[0])
    clear_event = "clearAudio" if platform == "plivo" else "clear"
    clears = run.platform.sent(clear_event)
    assert len(clears) == 1
    assert 0 <= clears[0].at - decision <= 0.02  # within one frame of the decision
    # nothing of the interrupted speech was played after the clear
    played_after = [at for at, _ in run.platform.heard if at > clears[0].at + 0.02]
    second_reply_start = run.clock(run.of(AgentStartedSpeaking)[1])
    assert all(at >= second_reply_start for at in played_after)
    stopped = run.of(AgentStoppedSpeaking)[0]
    assert stopped.interrupted and stopped.heard_text and LONG_REPLY.startswith(stopped.heard_text[:-1])


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_keypresses_arrive_as_dtmf_events_and_collect_into_a_turn(platform: str) -> None:
    llm = ScriptedLlm(["Thanks, I have your account number."])
    pipeline = make_pipeline(ScriptedStt([]), llm, FakeTts())

    async def script(run: PhoneRun) -> None:
        await until(lambda: run.session is not None)
        assert run.session is not None
        run.session.collect_digits()
        for digit in "4071#":
            await run.platform.dtmf(digit)
            await run.platform.media(quiet(0.2))
        await until(lambda: bool(run.of(AgentStoppedSpeaking)))
        await run.platform.stop()

    run = await phone_call(pipeline, platform, script)

    assert [event.digit for event in run.of(DtmfReceived)] == list("4071#")
    assert all(event.source == "platform" for event in run.of(DtmfReceived))
    assert [(e.digits, e.ended_by) for e in run.of(DigitsCollected)] == [("4071", "terminator")]
    assert llm.requests[0].messages[-1].content == "(entered on the keypad) 4071"


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_stop_mid_reply_ends_the_session_at_once(platform: str) -> None:
    pipeline = make_pipeline(ScriptedStt(["tell me everything"]), ScriptedLlm([LONG_REPLY]), FakeTts())
    stop_sent: list[float] = []

    async def script(run: PhoneRun) -> None:
        await run.platform.media(speech(0.8))
        await run.platform.media(quiet(0.2))
        await until(lambda: run.platform.heard_seconds() > 1.0)
        stop_sent.append(anyio.current_time())
        await run.platform.stop()
        await until(lambda: run.ended_at is not None)

    run = await phone_call(pipeline, platform, script)

    assert run.ended_at is not None and run.ended_at - stop_sent[0] < 0.1
    ended = run.of(SessionEnded)[0]
    assert ended.reason == "caller_stopped"
    assert run.report is not None and run.report.end_reason == "caller_stopped"
    assert run.report.hung_up_by_rest is None  # the caller hung up: nothing to hang up through REST


async def test_a_call_with_the_pipeline_at_8khz_end_to_end() -> None:
    """Phone audio needs no resampling when the pipeline runs at 8 kHz (the measured recommendation for
    phone-only deployments; see benchmarks/phone_rate.py)."""
    from pipeline.settings import AudioSettings, SessionSettings

    settings = SessionSettings(audio=AudioSettings(sample_rate=8000))
    pipeline = make_pipeline(
        ScriptedStt(["hello"]), ScriptedLlm(["Hello, how can I help?"]), FakeTts(), settings=settings
    )

    async def script(run: PhoneRun) -> None:
        await run.platform.media(speech(0.8))
        await run.platform.media(quiet(0.4))
        await until(lambda: bool(run.of(AgentStoppedSpeaking)))
        await run.platform.stop()

    run = await phone_call(pipeline, "twilio", script)

    assert run.of(AgentStoppedSpeaking)[0].heard_text == "Hello, how can I help?"
    assert run.platform.heard_seconds() == pytest.approx(len("Hello, how can I help?") * 0.05, abs=0.03)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_heard_text_follows_the_marks_when_the_platform_plays_late(platform: str) -> None:
    """The platform plays 300 ms behind what it received: at the barge-in, the caller had heard less than was
    sent, and the heard text (context and event) is what the marks confirmed, not what was sent."""
    llm = ScriptedLlm([LONG_REPLY, "Sure."])
    pipeline = make_pipeline(ScriptedStt(["tell me everything", "stop please"]), llm, FakeTts())
    played_at_clear: list[float] = []

    async def script(run: PhoneRun) -> None:
        await run.platform.media(speech(0.8))
        await run.platform.media(quiet(0.4))
        await until(lambda: run.platform.heard_seconds() > 1.5)
        await run.platform.media(speech(1.0))
        await until(lambda: bool(run.platform.sent("clearAudio" if platform == "plivo" else "clear")))
        played_at_clear.append(run.platform.heard_seconds())
        await run.platform.media(quiet(1.5))
        await run.platform.stop()

    run = await phone_call(pipeline, platform, script, playback_delay=0.3)

    stopped = run.of(AgentStoppedSpeaking)[0]
    assert stopped.interrupted
    # confirmed by marks: at most what the caller heard, at least that minus one mark interval (and a frame)
    assert played_at_clear[0] - 0.12 <= stopped.played_seconds <= played_at_clear[0] + 1e-6
    assert LONG_REPLY.startswith(stopped.heard_text.rstrip("."))
    words_heard = len(stopped.heard_text.split())
    sent_words = len(LONG_REPLY[: round((played_at_clear[0] + 0.3) / 0.05)].split())
    assert words_heard < sent_words  # what was sent would have claimed more
    assert run.session is not None
    assert run.session.context.messages[1].content == stopped.heard_text


async def test_out_of_order_caller_chunks_are_dropped_not_played_back_in_time() -> None:
    """Telnyx does not guarantee order: a chunk older than one already used is dropped and counted."""
    import base64
    import json

    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts())

    async def script(run: PhoneRun) -> None:
        await run.platform.media(quiet(0.2))  # chunks 1..10
        payload = base64.b64encode(b"\xff" * 160).decode()
        for chunk in ("11", "12", "14", "13", "15"):
            media = {"track": "inbound", "chunk": chunk, "timestamp": "0", "payload": payload}
            await run.platform.line.send(
                json.dumps({"event": "media", "sequence_number": chunk, "media": media, "stream_id": "32DE"})
            )
        await run.platform.stop()

    run = await phone_call(pipeline, "telnyx", script)

    assert run.report is not None and run.report.late_chunks == 1  # chunk 13, after 14


async def test_a_finished_call_leaves_no_open_stream_behind() -> None:
    """Every stream the call opened is closed when it ends: nothing is reported unclosed when it is collected
    (each leaked stream showed up as a ResourceWarning in whichever later test the collector ran)."""
    pipeline = make_pipeline(ScriptedStt(["hello"]), ScriptedLlm(["Hi."]), FakeTts())

    async def script(run: PhoneRun) -> None:
        await run.platform.media(speech(0.6))
        await run.platform.media(quiet(0.8))
        await until(lambda: run.platform.heard_seconds() > 0.2)
        await run.platform.stop()
        await until(lambda: run.ended_at is not None)

    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        run = await phone_call(pipeline, "twilio", script)
        del run
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
