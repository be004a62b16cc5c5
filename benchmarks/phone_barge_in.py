"""Barge-in on the phone path: caller speech start -> ``clear`` sent, and -> last agent media frame sent.

Each call runs through the telephony transport against the platform simulator (tests/fakes/phone_platform.py),
the caller talking over a long reply at a different moment each time. ``--clock virtual`` (default) measures the
pipeline's decisions exactly (trio MockClock); ``--clock real`` runs on asyncio in real time, so scheduling
costs count too.

    uv run python -m benchmarks.phone_barge_in --calls 20 --platform twilio
"""

from __future__ import annotations

import argparse
import statistics

import anyio
from trio.testing import MockClock

from pipeline.observe.events import Interruption
from tests.conversation import make_pipeline
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt
from tests.phone_harness import PhoneRun, phone_call, quiet, speech, until

LONG_REPLY = " ".join(f"This is sentence number {n} of a long answer." for n in range(1, 9))


async def one_call(platform: str, offset: float) -> tuple[float, float, float]:
    pipeline = make_pipeline(
        ScriptedStt(["tell me everything", "stop"]), ScriptedLlm([LONG_REPLY, "Sure."]), FakeTts()
    )
    marks: dict[str, float] = {}

    async def script(run: PhoneRun) -> None:
        await run.platform.media(speech(0.8))
        await run.platform.media(quiet(0.4))
        await until(lambda: run.platform.heard_seconds() > offset)
        marks["speech_start"] = anyio.current_time()
        await run.platform.media(speech(1.0))
        await run.platform.media(quiet(1.0))
        await run.platform.stop()

    run = await phone_call(pipeline, platform, script)
    clear_name = "clearAudio" if platform == "plivo" else "clear"
    media_name = "playAudio" if platform == "plivo" else "media"
    clear_at = run.platform.sent(clear_name)[0].at
    before_clear = [m.at for m in run.platform.sent(media_name) if m.at <= clear_at]
    decision = run.clock(run.of(Interruption)[0])
    start = marks["speech_start"]
    return clear_at - start, max(before_clear) - start, clear_at - decision


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--platform", default="twilio", choices=["twilio", "plivo", "telnyx"])
    parser.add_argument("--clock", default="virtual", choices=["virtual", "real"])
    args = parser.parse_args()
    to_clear: list[float] = []
    to_last: list[float] = []
    decision_to_clear: list[float] = []
    for index in range(args.calls):
        offset = 1.0 + 0.137 * index
        if args.clock == "virtual":
            result = anyio.run(
                one_call,
                args.platform,
                offset,
                backend="trio",
                backend_options={"clock": MockClock(autojump_threshold=0)},
            )
        else:
            result = anyio.run(one_call, args.platform, offset, backend="asyncio")
        to_clear.append(result[0])
        to_last.append(result[1])
        decision_to_clear.append(result[2])
    for name, values in (
        ("speech start -> clear sent", to_clear),
        ("speech start -> last agent frame sent", to_last),
        ("barge-in decision -> clear sent", decision_to_clear),
    ):
        print(
            f"{args.platform} ({args.clock} clock, {args.calls} calls) {name}: "
            f"p50 {percentile(values, 0.5) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms, mean {statistics.mean(values) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
