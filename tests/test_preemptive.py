"""Preemptive generation on virtual time: a reply started on the final transcript before the end of turn is
decided is played when the turn ends with those words (sooner by the LLM's time to first token), and thrown
away — unheard, unsaid, unkept — when the caller goes on; with a budget, discarded replies never cost more than
the cap."""

from __future__ import annotations

import pytest

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    AgentTranscriptDelta,
    EndOfUserTurn,
    PreemptiveCommitted,
    PreemptiveDiscarded,
    PreemptiveStarted,
    ToolStarted,
    TurnMetrics,
    UsageSummary,
)
from pipeline.settings import PreemptiveSettings, SessionSettings
from pipeline.stages.tools import tool
from providers.llm import Role
from tests.conversation import Call, converse, make_pipeline, of_type
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call

pytestmark = pytest.mark.anyio

TTFT = 0.2
TOKEN = 0.02


def settings(mode: str = "on", **preemptive: object) -> SessionSettings:
    return SessionSettings(preemptive=PreemptiveSettings.model_validate({"mode": mode, **preemptive}))


async def one_turn(call_: Call) -> None:
    await call_.caller.pause(0.5)
    await call_.caller.speak(1.0)
    await call_.caller.pause_until(call_.has(AgentStoppedSpeaking))
    await call_.caller.pause(0.5)


async def run_one_turn(mode: str, **preemptive: object) -> tuple[Call, ScriptedLlm, FakeTts]:
    llm = ScriptedLlm(["Hi! How can I help?"], ttft=TTFT, token_interval=TOKEN)
    tts = FakeTts(ttfb=0.1)
    pipeline = make_pipeline(
        ScriptedStt(["hello there"], final_delay=0.1),
        llm,
        tts,
        settings=settings(mode, **preemptive),
        endpointing_delay=0.5,
    )
    return await converse(pipeline, one_turn), llm, tts


async def test_committed_when_the_turn_ends_with_the_same_words_and_sooner_by_the_ttft() -> None:
    without, _, _ = await run_one_turn("off")
    done, llm, tts = await run_one_turn("on")

    assert not of_type(without.events, PreemptiveStarted)
    (started,) = of_type(done.events, PreemptiveStarted)
    (committed,) = of_type(done.events, PreemptiveCommitted)
    (turn,) = of_type(done.events, EndOfUserTurn)
    assert started.transcript == "hello there" and started.timestamp < turn.timestamp
    assert committed.speech_id == started.speech_id
    assert not of_type(done.events, PreemptiveDiscarded)
    assert len(llm.requests) == 1  # the held reply is the reply: no second request
    # The LLM had written its first sentence before the decision; TTS (held) starts at the decision.
    (before,) = of_type(without.events, TurnMetrics)
    (metrics,) = of_type(done.events, TurnMetrics)
    assert before.llm_ttft == pytest.approx(TTFT) and metrics.llm_ttft == pytest.approx(0.0)
    assert metrics.voice_to_voice == pytest.approx(before.voice_to_voice - TTFT - TOKEN)
    assert metrics.preemptive_committed and metrics.preemptive_started == 1
    assert metrics.preemptive_discarded == 0 and metrics.preemptive_wasted_tokens == 0
    parts = metrics.endpointing + metrics.stt_wait + metrics.llm_ttft + metrics.llm_first_sentence
    assert parts + metrics.tts_ttfb + metrics.overhead + metrics.tool_time == pytest.approx(
        metrics.voice_to_voice
    )
    # The held transcript deltas are published at the commit, after the turn decision.
    deltas = of_type(done.events, AgentTranscriptDelta)
    assert "".join(d.text for d in deltas) == "Hi! How can I help?"
    assert all(d.timestamp >= turn.timestamp for d in deltas)
    assert tts.texts == ["Hi!", "How can I help?"]
    assert [(m.role, m.content) for m in done.session.context.messages] == [
        (Role.USER, "hello there"),
        (Role.ASSISTANT, "Hi! How can I help?"),
    ]


async def test_speculative_tts_also_takes_the_first_sentence_off_the_critical_path() -> None:
    held, _, _ = await run_one_turn("on")
    speculative, _, _ = await run_one_turn("on", speculative_tts=True)
    (metrics,) = of_type(held.events, TurnMetrics)
    (faster,) = of_type(speculative.events, TurnMetrics)
    assert faster.voice_to_voice < metrics.voice_to_voice


async def continue_after_a_pause(call_: Call, pauses: int = 1) -> None:
    """The caller stops long enough for a final transcript but not for the end of turn, then goes on."""
    await call_.caller.pause(0.5)
    for _ in range(pauses):
        await call_.caller.speak(1.0)
        # final ~0.24 s after the speech ended; the end of turn would come at 0.5 s, counted from the end of the
        # speech itself (the VAD's edge), and the resumed speech is confirmed ~0.08 s after it starts
        await call_.caller.pause(0.35)
    await call_.caller.speak(1.0)
    await call_.caller.pause_until(call_.has(AgentStoppedSpeaking))
    await call_.caller.pause(0.5)


async def test_discarded_when_the_caller_goes_on_and_nothing_of_it_is_heard_or_kept() -> None:
    llm = ScriptedLlm(["Stale answer. Never heard.", "Sure, for when?"], ttft=0.05, token_interval=TOKEN)
    tts = FakeTts(ttfb=0.1)
    pipeline = make_pipeline(
        ScriptedStt(["I want to", "book a table"], final_delay=0.1),
        llm,
        tts,
        settings=settings("on"),
        endpointing_delay=0.5,
    )

    done = await converse(pipeline, continue_after_a_pause)

    first, second = of_type(done.events, PreemptiveStarted)
    assert first.transcript == "I want to" and second.transcript == "I want to book a table"
    (discarded,) = of_type(done.events, PreemptiveDiscarded)
    assert discarded.speech_id == first.speech_id and discarded.reason == "caller_continued"
    assert discarded.wasted_tokens > 0  # it had written something: that is what was thrown away
    (committed,) = of_type(done.events, PreemptiveCommitted)
    assert committed.speech_id == second.speech_id
    # Nothing of the discarded reply was said, synthesized, heard or kept.
    assert all("Stale" not in d.text for d in of_type(done.events, AgentTranscriptDelta))
    assert all("Stale" not in text for text in tts.texts)
    (stopped,) = of_type(done.events, AgentStoppedSpeaking)
    assert stopped.heard_text == "Sure, for when?"
    assert tts.texts == ["Sure, for when?"]
    assert done.recording.seconds == pytest.approx(len("Sure, for when?") * 0.05, abs=0.02)  # frame rounding
    assert [(m.role, m.content) for m in done.session.context.messages] == [
        (Role.USER, "I want to book a table"),
        (Role.ASSISTANT, "Sure, for when?"),
    ]
    (usage,) = of_type(done.events, UsageSummary)
    (llm_usage,) = [entry for entry in usage.usage if entry.kind == "llm"]
    assert llm_usage.requests == 2  # the discarded request is counted, with the tokens it wrote
    assert llm_usage.completion_tokens == len(["Sure,", "for", "when?"]) + discarded.wasted_tokens
    (metrics,) = of_type(done.events, TurnMetrics)
    assert metrics.preemptive_started == 2 and metrics.preemptive_discarded == 1
    assert metrics.preemptive_wasted_tokens == discarded.wasted_tokens and metrics.preemptive_committed


LONG_RUN_ON = " ".join(f"word{i}" for i in range(40))  # no sentence end: only the token cap holds it back


async def wasted(mode: str, **preemptive: object) -> tuple[list[PreemptiveDiscarded], int]:
    llm = ScriptedLlm([LONG_RUN_ON] * 4 + ["Okay."], ttft=0.02, token_interval=0.005)
    pipeline = make_pipeline(
        ScriptedStt(["one", "two", "three", "four"], final_delay=0.1),
        llm,
        FakeTts(ttfb=0.1),
        settings=settings(mode, **preemptive),
        endpointing_delay=0.5,
    )
    done = await converse(pipeline, lambda c: continue_after_a_pause(c, pauses=3))
    return of_type(done.events, PreemptiveDiscarded), len(of_type(done.events, PreemptiveStarted))


async def test_the_budget_caps_wasted_tokens_and_then_stops_preempting() -> None:
    unbounded, started_unbounded = await wasted("on")
    capped, started_capped = await wasted("budget", max_wasted_tokens=12)

    assert sum(d.wasted_tokens for d in unbounded) > 12  # without a cap the discards cost more
    assert started_unbounded == 4
    assert sum(d.wasted_tokens for d in capped) == 12  # held replies never stream past what is left
    assert started_capped < started_unbounded  # once spent, no more preemptive replies


async def test_settings_are_live_through_session_update() -> None:
    llm = ScriptedLlm(["Hi there.", "Again."], ttft=TTFT, token_interval=TOKEN)
    pipeline = make_pipeline(
        ScriptedStt(["hello", "hello again"], final_delay=0.1), llm, FakeTts(), endpointing_delay=0.5
    )

    async def two_turns(call_: Call) -> None:
        await one_turn(call_)
        call_.session.update(preemptive=PreemptiveSettings(mode="on"))
        await call_.caller.speak(1.0)
        await call_.caller.pause_until(call_.has(AgentStoppedSpeaking, 2))
        await call_.caller.pause(0.5)

    done = await converse(pipeline, two_turns)
    (started,) = of_type(done.events, PreemptiveStarted)
    assert started.turn_id == 2 and done.session.settings.preemptive.mode == "on"
    assert [m.preemptive_committed for m in of_type(done.events, TurnMetrics)] == [False, True]


async def test_a_discarded_reply_never_runs_its_tools() -> None:
    ran: list[str] = []

    @tool
    def book(time: str) -> str:
        """Book a table."""
        ran.append(time)
        return "booked"

    llm = ScriptedLlm(
        [[call("book", '{"time": "7pm"}')], [call("book", '{"time": "8pm"}')], "Booked for eight."],
        ttft=0.05,
        token_interval=TOKEN,
    )
    pipeline = make_pipeline(
        ScriptedStt(["book seven", "no eight"], final_delay=0.1),
        llm,
        FakeTts(ttfb=0.1),
        tools=[book],
        settings=settings("on"),
        endpointing_delay=0.5,
    )

    done = await converse(pipeline, continue_after_a_pause)

    assert [d.reason for d in of_type(done.events, PreemptiveDiscarded)] == ["caller_continued"]
    assert ran == ["8pm"]  # the held reply's call waited for a commit that never came
    assert [e.arguments for e in of_type(done.events, ToolStarted)] == ['{"time":"8pm"}']
