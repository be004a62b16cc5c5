"""Multi-agent calls with scripted LLMs on virtual time: the LLM hands the caller to a named agent (its own LLM,
instructions and greeting, the history kept), a hand-off the caller interrupts does not happen, and a collector
sub-agent gets an email with read-back and confirmation and returns it to the parent as a tool result."""

from __future__ import annotations

import json

import pytest

from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentStoppedSpeaking,
    CollectorFinished,
    CollectorStarted,
    Handoff,
    Interruption,
)
from pipeline.session.agents import AgentProviders
from pipeline.session.config import ConfigError, parse_config
from pipeline.session.pipeline import Pipeline
from pipeline.settings import AgentProfile, AgentSettings, SessionSettings, TurnSettings
from providers.llm import Role
from tests.conversation import Call, converse, make_pipeline, of_type
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call

pytestmark = pytest.mark.anyio

BILLING = AgentProfile(
    description="bills and payments",
    instructions="You are the billing agent.",
    greeting="Billing here. How can I help?",
)


QUICK = TurnSettings(detector="silence", endpointing_delay=0.3, false_interruption_timeout=None)


async def turns(call_: Call, replies: list[int]) -> None:
    """One caller turn per entry, each waiting until that many agent speeches have ended."""
    await call_.caller.pause(0.5)
    for count in replies:
        await call_.caller.speak(1.0)
        await call_.caller.pause_until(call_.has(AgentStoppedSpeaking, count))
        await call_.caller.pause(0.3)


async def test_the_llm_hands_the_caller_to_a_named_agent() -> None:
    main_llm = ScriptedLlm(
        [["Let me transfer you.", call("transfer_to_agent", '{"agent": "billing"}')], "One moment."]
    )
    billing_llm = ScriptedLlm(["Your balance is zero."])
    main_voice, billing_voice = FakeTts(), FakeTts()
    pipeline = make_pipeline(
        ScriptedStt(["I have a billing question", "what is my balance"]),
        main_llm,
        main_voice,
        settings=SessionSettings(agents={"billing": BILLING.model_copy(update={"turn": QUICK})}),
    )
    pipeline.agent_providers = {"billing": AgentProviders(llm=billing_llm, tts=billing_voice)}

    done = await converse(pipeline, lambda c: turns(c, [2, 3]))

    (handoff,) = of_type(done.events, Handoff)
    assert handoff.agent == "billing" and not handoff.summarized
    assert [e.agent for e in of_type(done.events, AgentStartedSpeaking)] == ["main", "billing", "billing"]
    assert [e.heard_text for e in of_type(done.events, AgentStoppedSpeaking)] == [
        "Let me transfer you. One moment.",
        "Billing here. How can I help?",
        "Your balance is zero.",
    ]
    offered = {schema.name: schema.description for schema in main_llm.requests[0].tools}
    assert "billing: bills and payments" in offered["transfer_to_agent"]
    (request,) = billing_llm.requests  # the new agent's own LLM, with its instructions and the history
    assert (
        request.messages[0].role is Role.SYSTEM
        and request.messages[0].content == "You are the billing agent."
    )
    users = [m.content for m in request.messages if m.role is Role.USER]
    assert users == ["I have a billing question", "what is my balance"]
    back = next(s for s in request.tools if s.name == "transfer_to_agent")
    assert "main" in back.description and "billing:" not in back.description
    assert done.session.agent_name == "billing" and len(main_llm.requests) == 2
    assert main_voice.texts == ["Let me transfer you.", "One moment."]  # each agent speaks with its own voice
    assert done.session.settings.turn == QUICK  # and its own turn-taking
    assert billing_voice.texts == ["Billing here.", "How can I help?", "Your balance is zero."]


async def test_an_interrupted_hand_off_does_not_hand_off() -> None:
    long_words = " ".join(["Please hold while I find the right person for you."] * 3)
    main_llm = ScriptedLlm(
        [
            ["Let me transfer you.", call("transfer_to_agent", '{"agent": "billing"}')],
            long_words,
            "Okay, I am still here.",
        ],
        token_interval=0.2,
    )
    billing_llm = ScriptedLlm(["Billing."])
    pipeline = make_pipeline(
        ScriptedStt(["billing please", "wait no"]),
        main_llm,
        FakeTts(),
        settings=SessionSettings(agents={"billing": BILLING}),
        min_interruption_duration=0.5,
    )
    pipeline.agent_providers = {"billing": AgentProviders(llm=billing_llm)}

    async def barge_in(call_: Call) -> None:
        await call_.caller.pause(0.3)
        await call_.caller.speak(1.0)
        await call_.caller.pause_until(call_.has(AgentStartedSpeaking))
        await call_.caller.pause(1.0)
        await call_.caller.speak(1.2)
        await call_.caller.pause_until(call_.has(AgentStoppedSpeaking, 2))
        await call_.caller.pause(1.0)

    done = await converse(pipeline, barge_in)

    assert of_type(done.events, Interruption)
    assert not of_type(done.events, Handoff) and done.session.agent_name == "main"
    assert billing_llm.requests == [] and len(main_llm.requests) == 3
    assert all(e.agent == "main" for e in of_type(done.events, AgentStartedSpeaking))
    notes = [m.content for m in done.session.context.messages if m.role is Role.SYSTEM]
    assert any("transfer to billing" in note and "interrupted" in note for note in notes)


async def test_a_collector_gets_an_email_and_returns_it_to_the_parent() -> None:
    llm = ScriptedLlm(
        [
            ["Sure.", call("collect_email", '{"reason": "receipt"}', "c1")],
            "Great, the receipt goes to john.smith@example.com.",
        ]
    )
    settings = SessionSettings(agent=AgentSettings(builtin_tools=["end_call", "collect_email"]))
    pipeline = make_pipeline(
        ScriptedStt(["send me a receipt", "it is john dot smith at example dot com", "yes that's right"]),
        llm,
        FakeTts(),
        settings=settings,
    )

    done = await converse(pipeline, lambda c: turns(c, [1, 2, 3]))

    assert [e.heard_text for e in of_type(done.events, AgentStoppedSpeaking)] == [
        "Sure. What is your email address?",
        "I have john dot smith at example dot com. Is that right?",
        "Thank you. Great, the receipt goes to john.smith@example.com.",
    ]
    (started,) = of_type(done.events, CollectorStarted)
    (finished,) = of_type(done.events, CollectorFinished)
    assert started.field == finished.field == "email" and finished.status == "ok" and finished.attempts == 1
    assert len(llm.requests) == 2  # the collector's turns need no LLM
    result = llm.requests[1].messages[-1]
    assert result.role is Role.TOOL and result.tool_call_id == "c1_result"
    assert json.loads(result.content) == {
        "field": "email",
        "status": "ok",
        "value": "john.smith@example.com",
        "attempts": 1,
    }
    assistant = [m.content for m in done.session.context.messages if m.role is Role.ASSISTANT]
    assert "I have john dot smith at example dot com. Is that right?" in assistant


async def test_a_collector_question_the_caller_interrupts_does_not_start_it() -> None:
    llm = ScriptedLlm(
        [["Sure.", call("collect_email", "{}", "c1")], "Okay, no email then."], token_interval=0.05
    )
    settings = SessionSettings(agent=AgentSettings(builtin_tools=["collect_email"]))
    pipeline = make_pipeline(
        ScriptedStt(["send me a receipt", "never mind"]), llm, FakeTts(), settings=settings
    )

    async def barge_in(call_: Call) -> None:
        await call_.caller.pause(0.3)
        await call_.caller.speak(1.0)
        await call_.caller.pause_until(call_.has(AgentStartedSpeaking))
        await call_.caller.pause(0.3)
        await call_.caller.speak(1.2)
        await call_.caller.pause_until(call_.has(AgentStoppedSpeaking, 2))
        await call_.caller.pause(0.5)

    done = await converse(pipeline, barge_in)
    assert of_type(done.events, Interruption)
    assert not of_type(done.events, CollectorStarted)
    assert len(llm.requests) == 2  # the parent answered the next turn itself


AGENTS_YAML = """
stt: {provider: pocketsphinx}
llm: {provider: scripted}
tts: {provider: espeak}
agents:
  billing:
    description: bills
    instructions: You are billing.
    llm: {provider: scripted, fallback: "Billing speaking."}
    tools: [lookup_order]
tools:
  - pipeline.demo.tools:DEMO_TOOLS
"""


def test_named_agents_in_the_config_get_their_own_providers() -> None:
    loaded = parse_config(AGENTS_YAML)
    pipeline = Pipeline.from_config(loaded)
    billing = pipeline.agent_providers["billing"]
    assert billing.llm is not None and billing.llm.provider == "scripted" and billing.tts is None
    assert loaded.settings.agents["billing"].tools == ["lookup_order"]
    with pytest.raises(ConfigError, match=r"agents\.billing\.tools\[0\]: no tool named 'nope'"):
        parse_config(AGENTS_YAML.replace("[lookup_order]", "[nope]"))
    with pytest.raises(ConfigError, match=r"agents\.billing\.llm\.provider"):
        parse_config(AGENTS_YAML.replace("{provider: scripted, fallback", "{provider: nosuch, fallback"))


def test_mcp_servers_in_the_config_are_checked() -> None:
    base = "stt: {provider: pocketsphinx}\nllm: {provider: scripted}\ntts: {provider: espeak}\n"
    loaded = parse_config(base + "mcp_servers:\n  - {name: files, command: npx, args: [server-files]}\n")
    (server,) = loaded.settings.mcp_servers
    assert (server.name, server.transport, server.args) == ("files", "stdio", ["server-files"])
    with pytest.raises(ConfigError, match=r"mcp_servers\[0\].*needs `url`"):
        parse_config(base + "mcp_servers:\n  - {name: web, transport: http}\n")
