"""Counts the project files and functions on two paths of a virtual-time call (a profiler, not a timer):
the turn path (the caller's last speech frame pushed -> the reply's first frame out of ``audio_out``) and the
barge-in path (the frame on which the VAD decides the caller started speaking over the agent -> the agent's
audio ends). Deterministic: trio's MockClock, energy VAD, simulated providers with zero latency.

    uv run python -m benchmarks.call_path
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import numpy as np
from trio.testing import MockClock

from pipeline.base.audio import AudioFrame
from pipeline.base.compute import inline_compute
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings, TurnSettings
from providers.simulated import SimulatedLlm, SimulatedStt, SimulatedTts, silence, tone
from vad import EnergyVad

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = tuple(str(ROOT / name) + "/" for name in ("pipeline", "providers", "vad", "turn"))
RATE, FRAME = 16000, 0.02


class PathRecorder:
    def __init__(self) -> None:
        self.calls: set[tuple[str, str]] = set()
        self.active = False

    def __call__(self, frame, event, arg) -> None:  # sys.setprofile hook
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGES):
            path = frame.f_code.co_filename[len(str(ROOT)) + 1 :]
            self.calls.add((path, frame.f_code.co_qualname))

    def start(self) -> None:
        self.calls.clear()
        sys.setprofile(self)

    def stop(self) -> set[tuple[str, str]]:
        sys.setprofile(None)
        return set(self.calls)


async def measure() -> dict[str, set[tuple[str, str]]]:
    settings = SessionSettings(
        turn=TurnSettings(detector="silence", false_interruption_timeout=None, min_interruption_duration=0.2)
    )
    pipeline = Pipeline(
        stt=SimulatedStt(["hello there", "tell me a story", "stop"], final_delay=0.0),
        llm=SimulatedLlm(
            ["Hi. How can I help?", "Once upon a time there was a robot who liked long walks. " * 3],
            ttft=0.0,
            token_interval=0.0,
        ),
        tts=SimulatedTts(ttfb=0.0),
        vad=EnergyVad(),
        settings=settings,
    )
    recorder = PathRecorder()
    paths: dict[str, set[tuple[str, str]]] = {}
    state = {"phase": "idle"}
    async with pipeline.session() as session, anyio.create_task_group() as group:

        async def listen() -> None:
            async for frame in session.audio_out():
                if state["phase"] == "turn" and np.any(frame.to_int16()):
                    paths["turn"] = recorder.stop()
                    state["phase"] = "idle"
                if state["phase"] == "barge-in" and not np.any(frame.to_int16()):
                    pass

        group.start_soon(listen)
        t = 0.0

        async def push(samples: np.ndarray) -> None:
            nonlocal t
            session.push_audio(AudioFrame.from_int16(samples, RATE, t))
            t += len(samples) / RATE
            await anyio.sleep(len(samples) / RATE)

        async def say(seconds: float) -> None:
            audio = tone(seconds)
            step = round(FRAME * RATE)
            for start in range(0, len(audio), step):
                if start + step >= len(audio) and state["phase"] == "arm-turn":
                    state["phase"] = "turn"
                    recorder.start()
                await push(audio[start : start + step])

        quiet_frame = silence(FRAME)

        async def quiet(seconds: float) -> None:
            for _ in range(round(seconds / FRAME)):
                await push(quiet_frame)

        # turn 1 warms up; turn 2 is measured
        await say(0.6)
        await quiet(2.0)
        state["phase"] = "arm-turn"
        await say(0.6)
        await quiet(1.5)
        # barge-in: speak over the long reply; measure from the first speech frame to the speech's interruption
        events = session.events()
        audio = tone(1.0)
        recorder.start()
        state["phase"] = "barge-in"
        step = round(FRAME * RATE)
        async with anyio.create_task_group() as watch:

            async def wait_interrupt() -> None:
                async for event in events:
                    if event.type == "agent_stopped_speaking":
                        paths["barge-in"] = recorder.stop()
                        watch.cancel_scope.cancel()

            watch.start_soon(wait_interrupt)
            for start in range(0, len(audio), step):
                await push(audio[start : start + step])
            await quiet(1.0)
        await session.end()
        group.cancel_scope.cancel()
    return paths


def main() -> None:
    async def run():
        with inline_compute():
            return await measure()

    paths = anyio.run(run, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})
    for name, calls in paths.items():
        files = {path for path, _ in calls}
        print(f"{name}: {len(files)} files, {len(calls)} functions")
        if "-v" in sys.argv:
            for path, fn in sorted(calls):
                print(f"   {path}: {fn}")


if __name__ == "__main__":
    main()
