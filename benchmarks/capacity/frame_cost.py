"""CPU per session-second of the per-frame path, on virtual time: ``--sessions`` capacity-benchmark calls (the same
caller audio, simulated providers and batched Silero VAD as ``bench capacity``) run for ``--seconds`` of session time
as fast as the CPU allows (trio's ``MockClock`` jumps over every idle moment), and the process CPU spent is divided
by the session-seconds run. The figure does not depend on how busy the machine is the way a real-time ramp does
(no lag verdict, no dropped frames), so two versions of the code can be compared on a shared machine; the real-time
capacity stays ``bench capacity``'s to report. The event loop is trio's, not asyncio's: scheduling costs differ a
little from the server's.

    uv run python -m benchmarks.capacity.frame_cost [--sessions 40] [--seconds 20] [--audio-model smart-turn.onnx]

``--audio-model`` enables an audio end-of-turn model (``turn.audio_model_path``) in every session: its CPU per
pause is then part of the figure (run inline on the virtual clock, as the audio benchmark runs it).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import anyio
from trio.testing import MockClock

from benchmarks.capacity.call import Tally, call_pipeline, run_call
from benchmarks.capacity.conversation import FRAME_SECONDS, synthesize_caller
from benchmarks.capacity.lag import LagHistogram, LagProbe
from pipeline.base.compute import inline_compute
from pipeline.settings import SessionSettings, TurnSettings
from vad import VadConfig, create_vad


async def run(
    sessions: int,
    seconds: float,
    frames: list[bytes],
    utterances: tuple[str, ...],
    audio_model: Path | None = None,
) -> Tally:
    vad = create_vad(VadConfig(offload_min_rows=None))
    settings = SessionSettings(drain_timeout=0.0, turn=TurnSettings(audio_model_path=audio_model))
    histogram = LagHistogram()
    tally = Tally()
    hang_up = anyio.Event()
    rng = random.Random(7)
    with inline_compute():
        async with anyio.create_task_group() as group:
            for _ in range(sessions):
                probe = LagProbe(histogram, anyio.current_time, lambda: False)
                pipeline = call_pipeline(vad, probe, utterances, settings)
                offset, phase = rng.randrange(len(frames)), rng.random() * FRAME_SECONDS
                group.start_soon(run_call, pipeline, probe, frames, offset, tally, hang_up, phase)
            await anyio.sleep(seconds)
            hang_up.set()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0, help="session time each call runs")
    parser.add_argument("--audio-model", type=Path, help="a Smart Turn v3 ONNX file for every session")
    args = parser.parse_args()
    caller = synthesize_caller()
    frames = caller.frames()

    async def main_task() -> Tally:
        return await run(args.sessions, args.seconds, frames, caller.utterances, args.audio_model)

    cpu = time.process_time()
    tally = anyio.run(main_task, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})
    cpu = time.process_time() - cpu
    per_second = cpu / (args.sessions * args.seconds)
    print(
        f"{args.sessions} sessions x {args.seconds:g} s: {cpu:.2f} CPU s, {1000 * per_second:.2f} ms CPU per "
        f"session-second ({100 * per_second:.2f} % of a core per real-time session); turns {tally.turns}, "
        f"errors {tally.errors}"
    )


if __name__ == "__main__":
    main()
