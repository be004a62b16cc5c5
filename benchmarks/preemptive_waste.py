"""Preemptive generation on virtual time: voice-to-voice and wasted completion tokens per turn, off / on / budget,
with the `typical` profile's latencies (STT final 150 ms after Finalize, LLM first token 350 ms then 40 tokens/s,
TTS first byte 120 ms) and the silence detector. Every other caller turn has a hesitation: a pause long enough for
a final transcript (so a preemptive reply starts) but shorter than the end-of-turn wait (so it is discarded).

    uv run python -m benchmarks.preemptive_waste --turns 20

The real-time counterpart with the real adapters and Silero is
``uv run python -m benchmarks.latency.cli --profile typical --endpointing-delay 0.6 --preemptive on``.
"""

from __future__ import annotations

import argparse
import statistics

import trio
from trio.testing import MockClock

from pipeline.observe.events import AgentStoppedSpeaking, PreemptiveDiscarded, TurnMetrics
from pipeline.settings import PreemptiveMode, PreemptiveSettings, SessionSettings
from tests.conversation import Call, converse, make_pipeline, of_type
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt

REPLY = "Sure, I can help with that. Your order shipped on Monday and should arrive by Friday."
SETUPS = ((0.6, 0.45), (1.2, 0.9))  # (end-of-turn silence, the caller's hesitation)


async def measure(mode: PreemptiveMode, turns: int, endpointing: float, hesitation: float) -> str:
    utterances: list[str] = []
    for index in range(turns):
        utterances += [f"part one of {index}", f"part two of {index}"] if index % 2 else [f"turn {index}"]
    llm = ScriptedLlm([REPLY] * (2 * turns), ttft=0.35, token_interval=0.025)
    preemptive = PreemptiveSettings(mode=mode, max_wasted_tokens=60)
    pipeline = make_pipeline(
        ScriptedStt(utterances, final_delay=0.15),
        llm,
        FakeTts(ttfb=0.12),
        settings=SessionSettings(preemptive=preemptive),
        endpointing_delay=endpointing,
    )

    async def script(call: Call) -> None:
        await call.caller.pause(0.5)
        for index in range(turns):
            await call.caller.speak(1.0)
            if index % 2:
                await call.caller.pause(hesitation)
                await call.caller.speak(0.8)
            await call.caller.pause_until(call.has(AgentStoppedSpeaking, index + 1))
            await call.caller.pause(0.4)

    done = await converse(pipeline, script)
    metrics = of_type(done.events, TurnMetrics)
    discarded = of_type(done.events, PreemptiveDiscarded)
    wasted = sum(event.wasted_tokens for event in discarded)
    v2v = [1000 * m.voice_to_voice for m in metrics]
    return (
        f"silence {endpointing:.1f} s, hesitation {hesitation:.2f} s, {mode:6s}: voice-to-voice p50 "
        f"{statistics.median(v2v):5.0f} ms, mean {statistics.mean(v2v):5.0f} ms | LLM requests "
        f"{len(llm.requests) / len(metrics):.2f}/turn, discarded {len(discarded) / len(metrics):.2f}/turn, "
        f"wasted completion tokens {wasted / len(metrics):.1f}/turn"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    modes: tuple[PreemptiveMode, ...] = ("off", "on", "budget")
    for endpointing, hesitation in SETUPS:
        for mode in modes:
            line = trio.run(
                measure, mode, args.turns, endpointing, hesitation, clock=MockClock(autojump_threshold=0)
            )
            print(line)


if __name__ == "__main__":
    main()
