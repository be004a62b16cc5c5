"""8 kHz end to end vs 16 kHz with resampling at the edge, for phone callers (G.711 μ-law, 8 kHz).

The same conversation (espeak-ng speech, known segment times) is turned into phone audio (8 kHz μ-law), then
run through Silero VAD two ways: at 8 kHz as received, and upsampled to 16 kHz by the phone edge's FIR. Reported:
speech-start and speech-stop detection error against the true segment times, missed / false segments, and the
CPU per second of call audio (VAD, plus the edge resampling both ways for the 16 kHz path).

    uv run python -m benchmarks.phone_rate
"""

from __future__ import annotations

import time

import anyio
import numpy as np

from pipeline.base.audio import resample_int16, ulaw_decode, ulaw_encode
from pipeline.transports.telephony.edge_resample import Decimator, Interpolator
from tests.speech_audio import conversation
from vad import SileroEngine, SileroModel, VadEventKind, VadParams

PARTS: list[str | float] = [
    0.8,
    "Hi, I'd like to check the status of my order.",
    0.9,
    "It's order number four five two one.",
    1.2,
    "Yes.",
    0.7,
    "And can you also change the delivery address to my office?",
    1.0,
    "Thanks, that's all.",
    1.0,
]


async def run_vad(samples: np.ndarray, rate: int) -> tuple[list[tuple[str, float]], float]:
    engine = SileroEngine(SileroModel.shared(None), VadParams())
    stream = engine.create_stream(rate)
    events: list[tuple[str, float]] = []
    step = rate // 50
    cpu = time.process_time()
    for begin in range(0, len(samples), step):
        for result in await stream.process(samples[begin : begin + step], begin / rate):
            if result.event is not None:
                events.append(
                    (
                        "start" if result.event.kind is VadEventKind.SPEECH_STARTED else "stop",
                        result.event.time,
                    )
                )
    return events, time.process_time() - cpu


def score(events: list[tuple[str, float]], segments: list[tuple[float, float, str]]) -> str:
    starts = [t for kind, t in events if kind == "start"]
    stops = [t for kind, t in events if kind == "stop"]
    start_err = [min(abs(s - seg[0]) for s in starts) for seg in segments] if starts else []
    stop_err = [min(abs(s - seg[1]) for s in stops) for seg in segments] if stops else []
    return (
        f"{len(starts)} starts for {len(segments)} segments; start error mean {np.mean(start_err) * 1000:.0f} ms "
        f"(max {np.max(start_err) * 1000:.0f}), stop error mean {np.mean(stop_err) * 1000:.0f} ms"
    )


async def main() -> None:
    track = conversation(PARTS, sample_rate=16000)
    phone = ulaw_decode(ulaw_encode(resample_int16(track.samples, 16000, 8000)))  # what a phone caller sends
    seconds = len(phone) / 8000

    events_8k, cpu_8k = await run_vad(phone, 8000)
    cpu = time.process_time()
    up = Interpolator(2)
    wide = np.concatenate([up.process(phone[i : i + 160]) for i in range(0, len(phone), 160)])
    down = Decimator(2)
    for i in range(0, len(wide), 320):
        down.process(wide[i : i + 320])  # the agent's audio goes back the same way
    resample_cpu = time.process_time() - cpu
    events_16k, cpu_16k = await run_vad(wide, 16000)

    print(f"conversation: {seconds:.1f} s of phone audio, {len(track.segments)} spoken segments")
    print(
        f"8 kHz end to end : {score(events_8k, track.segments)}; VAD CPU {cpu_8k / seconds * 1000:.2f} ms per s"
    )
    print(
        f"16 kHz at the edge: {score(events_16k, track.segments)}; VAD CPU {cpu_16k / seconds * 1000:.2f} ms per s"
        f" + edge resampling (in and out) {resample_cpu / seconds * 1000:.2f} ms per s"
    )


if __name__ == "__main__":
    anyio.run(main)
