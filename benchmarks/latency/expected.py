"""What voice-to-voice should be under a simulated profile if the pipeline cost nothing: the configured
endpointing delay plus each fake's configured latency along the turn's critical path, including the LLM's
token pacing up to the first complete sentence (and, for a turn that calls tools, the tool-call step and the
tools)."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.latency.fake_script import tool_reply
from benchmarks.latency.profiles import ProviderLatencies
from benchmarks.latency.scenario import Scenario, TurnSpec
from pipeline.stages.sentences import SentenceSplitter
from tests.fakes import ChatReply
from tests.fakes.openai_chat import reply_deltas


@dataclass(frozen=True)
class ExpectedTurn:
    endpointing: float
    stt_final: float
    tool_step: float  # the LLM request that returns the tool calls, then the tools themselves
    llm_ttft: float
    llm_first_sentence: float
    tts_ttfb: float

    @property
    def voice_to_voice(self) -> float:
        return (
            self.endpointing
            + self.stt_final
            + self.tool_step
            + self.llm_ttft
            + self.llm_first_sentence
            + self.tts_ttfb
        )


def words_to_first_sentence(text: str) -> int:
    """How many of the fake's word chunks the pipeline needs before its first sentence is complete."""
    splitter = SentenceSplitter()
    pieces = [delta["content"] for delta in reply_deltas(ChatReply.of(text), 1) if delta.get("content")]
    for count, piece in enumerate(pieces, start=1):
        if splitter.push(piece):
            return count
    return len(pieces)  # one sentence without a break after it: complete at the end of the reply


def expected_turn(
    latencies: ProviderLatencies, scenario: Scenario, turn: TurnSpec, endpointing: float
) -> ExpectedTurn:
    interval = latencies.token_interval
    tool_step = 0.0
    calls = tool_reply(turn)
    if calls is not None:
        chunks = len(reply_deltas(calls, 1))
        tools = {tool.name: tool for tool in scenario.tools}
        slowest = max(tools[call.name].latency for call in turn.tool_calls)
        tool_step = latencies.llm_first_chunk_delay + (chunks - 1) * interval + slowest
    return ExpectedTurn(
        endpointing=endpointing,
        stt_final=latencies.stt_final,
        tool_step=tool_step,
        llm_ttft=latencies.llm_ttft,
        llm_first_sentence=(words_to_first_sentence(turn.agent) - 1) * interval,
        tts_ttfb=latencies.tts_first_byte,
    )
