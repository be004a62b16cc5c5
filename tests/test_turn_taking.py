"""Turn-taking and conversation control on virtual time: exact timings of when the agent takes the turn, when
it yields, when it resumes, and what it does when the caller goes quiet."""

from __future__ import annotations

import pytest

from pipeline.observe.events import (
    AgentPaused,
    AgentResumed,
    AgentStartedSpeaking,
    AgentState,
    AgentStoppedSpeaking,
    Backchannel,
    EndOfUserTurn,
    InactivityCountdown,
    Interruption,
    SessionEnded,
    ToolFinished,
    TurnMetrics,
    UserIdle,
    UserState,
    UserStateChanged,
)
from pipeline.settings import AgentSettings, IdleSettings, SessionSettings, TurnSettings
from providers.llm import Role
from tests.conversation import Call, converse, expected_heard, make_pipeline, of_type
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call
from vad import VadParams

pytestmark = pytest.mark.anyio

# The VAD confirms silence after 0.1 s (4 windows), so the turn delays below are what decides.
QUICK_VAD = VadParams(min_silence_duration=0.1)

LONG = "Here is a long answer. It has several sentences. You will not want to hear all of them. The end."


def replies(done: Call) -> list[AgentStoppedSpeaking]:
    return of_type(done.events, AgentStoppedSpeaking)


async def speak_with_pause(done: Call) -> None:
    await done.caller.pause(0.3)
    await done.caller.speak(1.2)
    await done.caller.pause(0.9)  # a mid-sentence pause: "I would like to book a table for ... four people"
    await done.caller.speak(0.8)
    await done.caller.pause_until(done.has(AgentStoppedSpeaking))
    await done.caller.pause(0.3)


async def test_slow_speaker_is_not_cut_off_by_the_semantic_detector() -> None:
    words = ["i would like to book a table for", "four people tonight"]
    llm = ScriptedLlm(["Booked."])
    done = await converse(
        make_pipeline(ScriptedStt(list(words)), llm, FakeTts(), detector="semantic", vad_params=QUICK_VAD),
        speak_with_pause,
    )

    (turn,) = of_type(done.events, EndOfUserTurn)
    assert turn.transcript == "i would like to book a table for four people tonight"
    assert turn.reason == "semantic" and turn.probability is not None and turn.probability > 0.8
    assert turn.delay == pytest.approx(
        0.25, abs=0.02
    )  # medium: a complete thought gets about the short delay
    (metrics,) = of_type(done.events, TurnMetrics)
    assert metrics.endpointing == pytest.approx(turn.delay)
    assert [m.content for m in done.session.context.messages if m.role is Role.USER] == [turn.transcript]


async def test_silence_only_detector_cuts_the_same_speaker_off() -> None:
    words = ["i would like to book a table for", "four people tonight"]
    pipeline = make_pipeline(
        ScriptedStt(list(words)), ScriptedLlm(["Sure?", "Booked."]), FakeTts(), endpointing_delay=0.6
    )
    done = await converse(pipeline, speak_with_pause)
    turns = of_type(done.events, EndOfUserTurn)
    assert turns[0].transcript == "i would like to book a table for"  # cut off mid-sentence


@pytest.mark.parametrize(
    ("eagerness", "complete", "incomplete"), [("high", 0.15, 1.0), ("medium", 0.25, 2.2), ("low", 0.5, 2.8)]
)
async def test_eagerness_presets_set_the_wait(eagerness: str, complete: float, incomplete: float) -> None:
    stt = ScriptedStt(["yes please", "and then i"])
    pipeline = make_pipeline(
        stt,
        ScriptedLlm(["Great.", "Go on."]),
        FakeTts(),
        detector="semantic",
        eagerness=eagerness,
        vad_params=QUICK_VAD,
    )

    async def two_turns(done: Call) -> None:
        for answered in (1, 2):
            await done.caller.pause(0.3)
            await done.caller.speak(0.8)
            await done.caller.pause_until(lambda n=answered: len(replies(done)) >= n)
        await done.caller.pause(0.5)

    done = await converse(pipeline, two_turns)
    first, second = of_type(done.events, EndOfUserTurn)
    # the wait is a smooth function of the probability: within a few ms of the preset's ends
    assert first.delay == pytest.approx(complete, abs=0.02)  # a complete short answer: the short wait
    assert second.delay == pytest.approx(
        incomplete, abs=0.05
    )  # "and then i": the long wait, then the turn ends
    assert [m.endpointing for m in of_type(done.events, TurnMetrics)] == pytest.approx(
        [first.delay, second.delay]
    )


async def test_turn_settings_change_mid_session() -> None:
    pipeline = make_pipeline(
        ScriptedStt(["yes please", "yes please"]),
        ScriptedLlm(["Ok.", "Ok."]),
        FakeTts(),
        detector="semantic",
        vad_params=QUICK_VAD,
    )

    async def script(done: Call) -> None:
        await done.caller.pause(0.3)
        await done.caller.speak(0.8)
        await done.caller.pause_until(done.has(AgentStoppedSpeaking))
        done.session.update(turn=TurnSettings(detector="semantic", eagerness="low"))
        await done.caller.speak(0.8)
        await done.caller.pause_until(lambda: len(replies(done)) == 2)

    done = await converse(pipeline, script)
    assert [turn.delay for turn in of_type(done.events, EndOfUserTurn)] == pytest.approx(
        [0.25, 0.5], abs=0.02
    )


async def agent_talks_then_caller(done: Call, caller_seconds: float, after: float = 1.0) -> None:
    await done.caller.pause(0.3)
    await done.caller.speak(0.8)
    await done.caller.pause_until(done.has(AgentStartedSpeaking))
    await done.caller.pause(after)
    await done.caller.speak(caller_seconds)
    await done.caller.pause_until(lambda: bool(replies(done)))
    await done.caller.pause(0.5)


async def test_backchannel_does_not_interrupt() -> None:
    llm = ScriptedLlm([LONG])
    tts = FakeTts()
    pipeline = make_pipeline(ScriptedStt(["tell me", "uh huh"]), llm, tts, false_interruption_timeout=1.0)

    done = await converse(pipeline, lambda d: agent_talks_then_caller(d, 0.4))

    assert [b.text for b in of_type(done.events, Backchannel)] == ["uh huh"]
    assert not of_type(done.events, Interruption)
    (resumed,) = of_type(done.events, AgentResumed)
    assert resumed.reason == "backchannel"
    (reply,) = replies(done)
    assert not reply.interrupted and reply.heard_text == LONG
    assert len(llm.requests) == 1  # "uh huh" was not a turn
    assert len(of_type(done.events, EndOfUserTurn)) == 1


async def agent_audio(done: Call) -> bytes:
    return b"".join(frame.pcm for frame in done.recording.frames)


async def test_false_interruption_resumes_at_the_right_sample() -> None:
    def pipeline(cough: bool):  # type: ignore[no-untyped-def]
        stt = ScriptedStt(["tell me", ""])  # the cough is transcribed as nothing
        return make_pipeline(stt, ScriptedLlm([LONG]), FakeTts(), false_interruption_timeout=1.0)

    baseline = await converse(pipeline(False), lambda d: agent_talks_then_caller(d, 0.0))
    coughed = await converse(pipeline(True), lambda d: agent_talks_then_caller(d, 0.3))

    (paused,) = of_type(coughed.events, AgentPaused)
    (resumed,) = of_type(coughed.events, AgentResumed)
    assert resumed.reason == "false_interruption"
    # Nothing played while paused; afterwards it went on from the very next sample.
    assert not coughed.recording.between(paused.timestamp + 1e-9, resumed.timestamp - 1e-9)
    assert await agent_audio(coughed) == await agent_audio(baseline)
    (reply,) = replies(coughed)
    assert not reply.interrupted and not of_type(coughed.events, Interruption)


async def test_barge_in_with_pause_keeps_the_heard_words_only() -> None:
    tts = FakeTts()
    pipeline = make_pipeline(
        ScriptedStt(["tell me", "no stop that"]),
        ScriptedLlm([LONG, "Okay."]),
        tts,
        false_interruption_timeout=1.0,
    )
    done = await converse(pipeline, lambda d: agent_talks_then_caller(d, 1.0, after=1.5))

    first = replies(done)[0]
    assert first.interrupted
    (paused,) = of_type(done.events, AgentPaused)
    assert not done.recording.between(
        paused.timestamp + 1e-9, of_type(done.events, Interruption)[0].timestamp
    )
    heard = expected_heard(tts.texts[:3], first.played_seconds, tts.seconds_per_char)
    assert first.heard_text == heard and heard
    assistant = [m for m in done.session.context.messages if m.role is Role.ASSISTANT]
    assert assistant[0].content == heard and assistant[0].interrupted


async def test_uninterruptible_speech_ignores_barge_in() -> None:
    legal = "This call may be recorded. By staying on the line you agree to that."
    pipeline = make_pipeline(
        ScriptedStt(["hello there"]), ScriptedLlm(["Hi!"]), FakeTts(), false_interruption_timeout=1.0
    )

    async def script(done: Call) -> None:
        done.session.say(legal, allow_interruption=False)
        await done.caller.pause(0.5)
        await done.caller.speak(1.5)
        await done.caller.pause_until(lambda: len(replies(done)) == 2)

    done = await converse(pipeline, script)
    assert not of_type(done.events, Interruption) and not of_type(done.events, AgentPaused)
    legal_reply, answer = replies(done)
    assert legal_reply.text == legal and not legal_reply.interrupted
    assert answer.text == "Hi!"
    assert answer.timestamp > legal_reply.timestamp  # the caller's turn was answered after the legal text


def end_call_llm() -> ScriptedLlm:
    return ScriptedLlm(
        [
            [call("end_call")],
            "Goodbye, have a wonderful day and thank you so much for calling us.",
            "I am still here.",
        ]
    )


async def test_end_call_ends_the_call_after_the_goodbye() -> None:
    pipeline = make_pipeline(ScriptedStt(["bye"]), end_call_llm(), FakeTts())

    async def script(done: Call) -> None:
        await done.caller.pause(0.3)
        await done.caller.speak(0.6)
        await done.caller.pause_until(done.has(SessionEnded))

    done = await converse(pipeline, script)
    (goodbye,) = replies(done)
    assert not goodbye.interrupted and goodbye.text.startswith("Goodbye")
    ended = of_type(done.events, SessionEnded)[0]
    assert ended.reason == "end_call" and ended.timestamp >= goodbye.timestamp


async def test_interrupted_end_call_does_not_end_the_call() -> None:
    llm = end_call_llm()
    pipeline = make_pipeline(
        ScriptedStt(["bye", "wait one more thing"]), llm, FakeTts(), false_interruption_timeout=1.0
    )

    async def script(done: Call) -> None:
        await agent_talks_then_caller(done, 1.0, after=0.5)
        await done.caller.pause_until(lambda: len(replies(done)) == 2)
        await done.caller.pause(0.5)

    done = await converse(pipeline, script)
    goodbye, still_here = replies(done)
    assert goodbye.interrupted and still_here.text == "I am still here."
    assert [e.name for e in of_type(done.events, ToolFinished)] == ["end_call"]
    assert [e.reason for e in of_type(done.events, SessionEnded)] == [
        "ended"
    ]  # ended by the test, not the tool


IDLE = IdleSettings(
    timeout=5.0, reminders=["Are you still there?"], max_reminders=2, goodbye="Goodbye then.", countdown=3
)


async def test_idle_reminders_then_hang_up() -> None:
    settings = SessionSettings(idle=IDLE, agent=AgentSettings(speaks_first="agent", greeting="Hello!"))
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts(), settings=settings)

    async def script(done: Call) -> None:
        await done.caller.pause_until(done.has(SessionEnded), limit=60)

    done = await converse(pipeline, script)
    said = [reply.text for reply in replies(done)]
    assert said == ["Hello!", "Are you still there?", "Are you still there?", "Goodbye then."]
    idle = of_type(done.events, UserIdle)
    assert [(e.action, e.reminders_sent) for e in idle] == [("reminder", 0), ("reminder", 1), ("goodbye", 2)]
    assert all(e.idle_seconds == pytest.approx(5.0) for e in idle)
    # Each action follows five silent seconds after the agent stopped speaking, counted down 3, 2, 1.
    for event, spoken in zip(idle, replies(done), strict=False):
        assert event.timestamp - spoken.timestamp == pytest.approx(5.0)
    countdowns = [round(e.seconds_left) for e in of_type(done.events, InactivityCountdown)]
    assert countdowns == [3, 2, 1] * 3
    away = [e for e in of_type(done.events, UserStateChanged) if e.new is UserState.AWAY]
    assert len(away) == 1
    assert of_type(done.events, SessionEnded)[0].reason == "idle"


async def test_hold_on_extends_the_wait() -> None:
    settings = SessionSettings(idle=IDLE)
    llm = ScriptedLlm([[call("hold_on", '{"seconds": 30}')], "Sure, take your time."])
    pipeline = make_pipeline(ScriptedStt(["give me a minute"]), llm, FakeTts(), settings=settings)

    async def script(done: Call) -> None:
        await done.caller.pause(0.3)
        await done.caller.speak(0.8)
        await done.caller.pause_until(done.has(UserIdle), limit=60)

    done = await converse(pipeline, script)
    answer = replies(done)[0]
    (first_idle,) = of_type(done.events, UserIdle)
    assert answer.text == "Sure, take your time."
    assert first_idle.timestamp - answer.timestamp == pytest.approx(30.0)


async def test_agent_speaks_first() -> None:
    settings = SessionSettings(agent=AgentSettings(speaks_first="agent", greeting="Welcome to Parley."))
    tts = FakeTts(ttfb=0.1)
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), tts, settings=settings)

    async def script(done: Call) -> None:
        await done.caller.pause_until(done.has(AgentStoppedSpeaking))

    done = await converse(pipeline, script)
    started = of_type(done.events, AgentStartedSpeaking)[0]
    assert started.timestamp == pytest.approx(0.1)  # at once: just the TTS's first byte
    assert [r.text for r in replies(done)] == ["Welcome to Parley."]
    assert done.session.context.messages[0].content == "Welcome to Parley."


@pytest.mark.parametrize("caller_speaks", [False, True])
async def test_user_speaks_first_with_a_wait(caller_speaks: bool) -> None:
    agent = AgentSettings(speaks_first="user", greeting="Hello, anyone there?", wait_for_user=3.0)
    pipeline = make_pipeline(
        ScriptedStt(["hi"]),
        ScriptedLlm(["Hi! How can I help?"]),
        FakeTts(),
        settings=SessionSettings(agent=agent),
    )

    async def script(done: Call) -> None:
        await done.caller.pause(1.0)
        if caller_speaks:
            await done.caller.speak(0.6)
        await done.caller.pause_until(done.has(AgentStoppedSpeaking))

    done = await converse(pipeline, script)
    (first,) = replies(done)[:1]
    if caller_speaks:
        assert first.text == "Hi! How can I help?"
    else:
        assert first.text == "Hello, anyone there?"
        assert of_type(done.events, AgentStartedSpeaking)[0].timestamp == pytest.approx(3.0 + 0.1)
    assert done.session.agent_state in (AgentState.LISTENING, AgentState.ENDED)
