"""Turn end at the caller's ear: voice-to-voice minus the configured silence, with zero-latency providers, across
every phase of the caller's speech against the VAD's 32 ms windows.

What one case is
    A real Parley session (the simulated STT/LLM/TTS with every latency set to zero, the real Silero VAD,
    unbatched) with the VAD's stop minimum and the silence detector's wait both at 0.2 s, so the configured silence
    is 0.2 s. The caller sends 20 ms frames on an absolute real-time grid: silence, a spoken utterance (the
    phrases and voices of ``benchmarks.vad_edges``) placed so that its last audible sample (|sample| > 100, the
    truth ``vad_edges`` uses) falls at a different 1 ms phase of the model's windows in each case, then silence.
    The agent's audio goes to the emulated real-time output device of ``benchmarks.barge_in_ear``.

What is measured (on the session clock)
    ``voice_to_voice``: the first agent sample played at the device minus (the caller's true end + 0.2 s);
    decomposed into ``vad_stop`` (the ``UserStoppedSpeaking`` event, whose timestamp is when the VAD decided)
    and ``pipeline`` (that decision -> the first agent sample at the device). The best a 20 ms frame grid allows
    is a decision within a frame of the configured silence (the VAD rounds to the nearest frame: -10..+10 ms).

Virtual time: trio's ``MockClock`` with blocking work inline, so model inference time and event-loop scheduling are
not counted (``benchmarks.vad_bench`` measures the model: about 0.07 ms a window). espeak-ng's audio for one voice
varies by a few samples between runs, so figures can move by a fraction of a millisecond.

    uv run python -m benchmarks.turn_end_ear [--phases 32] [--phrases 4] [--out F.json]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import anyio
import numpy as np
from trio.testing import MockClock

from benchmarks.barge_in_ear import FRAME, RATE, EmulatedDevice, push_caller
from benchmarks.timing import summary
from benchmarks.vad_edges import PHRASES, audible_extent
from pipeline.base.compute import inline_compute
from pipeline.observe.events import Event, UserStoppedSpeaking
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings, TurnSettings
from providers.simulated import SimulatedLlm, SimulatedStt, SimulatedTts
from tests.speech_audio import speak
from vad import SileroEngine, SileroModel, VadParams

SILENCE = 0.2  # the VAD's stop minimum and the silence detector's wait
CALLER_END = 4.0  # session time (s) of the caller's last audible sample at phase 0
TAIL = 1.0  # caller silence after the utterance


@dataclass
class Case:
    phrase: int
    phase_ms: int
    voice_to_voice_ms: float
    vad_stop_ms: float
    pipeline_ms: float


def make_pipeline() -> Pipeline:
    params = VadParams(min_speech_duration=SILENCE, min_silence_duration=SILENCE)
    return Pipeline(
        stt=SimulatedStt(["hello there"] * 4, final_delay=0.0),
        llm=SimulatedLlm(["Sure."] * 4, ttft=0.0, token_interval=0.0),
        tts=SimulatedTts(ttfb=0.0, seconds_per_char=0.05),
        vad=SileroEngine(SileroModel.shared(), params),
        settings=SessionSettings(turn=TurnSettings(detector="silence", endpointing_delay=SILENCE)),
    )


async def one_case(utterance: np.ndarray, phrase: int, phase_ms: int) -> Case:
    _, end = audible_extent(utterance)
    lead = np.zeros(round((CALLER_END + phase_ms / 1000) * RATE) - end, dtype=np.int16)
    audio = np.concatenate([lead, utterance, np.zeros(round(TAIL * RATE), dtype=np.int16)])
    truth_end = audible_extent(audio)[1] / RATE  # media time just after the last audible sample
    session = make_pipeline().session()
    stops: list[Event] = []
    with inline_compute():
        async with session, anyio.create_task_group() as group:
            device = EmulatedDevice(session, clears=True)
            subscription = session.events(UserStoppedSpeaking)
            group.start_soon(device.receive, session.audio_out())
            group.start_soon(device.play)

            async def collect() -> None:
                async for event in subscription:
                    stops.append(event)

            group.start_soon(collect)
            origin = anyio.current_time() - session.now()
            await push_caller(session, audio, origin)
            with anyio.move_on_after(1.0):
                while not replied_after(device, stops):
                    await anyio.sleep(FRAME)
            await session.hang_up("benchmark")
            group.cancel_scope.cancel()
    if not replied_after(device, stops):
        raise RuntimeError(f"no reply: phrase {phrase}, phase {phase_ms} ms")
    target = truth_end + SILENCE
    decision = stops[-1].timestamp  # a pause inside the utterance may have ended an earlier turn
    first_audio = min(played.start for played in device.played if played.start >= decision)
    return Case(
        phrase=phrase,
        phase_ms=phase_ms,
        voice_to_voice_ms=1000 * (first_audio - target),
        vad_stop_ms=1000 * (decision - target),
        pipeline_ms=1000 * (first_audio - decision),
    )


def replied_after(device: EmulatedDevice, stops: list[Event]) -> bool:
    """Agent audio started playing after the caller's last stop."""
    return bool(stops) and any(played.start >= stops[-1].timestamp for played in device.played)


def run_case(utterance: np.ndarray, phrase: int, phase_ms: int) -> Case:
    async def case() -> Case:
        return await one_case(utterance, phrase, phase_ms)

    return anyio.run(case, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})


@dataclass
class Report:
    cases: list[Case] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        return {
            "configured_silence_s": SILENCE,
            "cases": len(self.cases),
            "voice_to_voice_ms": summary([c.voice_to_voice_ms for c in self.cases]),
            "vad_stop_ms": summary([c.vad_stop_ms for c in self.cases]),
            "pipeline_ms": summary([c.pipeline_ms for c in self.cases]),
        }


def measure(phases: int, phrases: int) -> Report:
    report = Report()
    for index, (text, voice) in enumerate(PHRASES[:phrases]):
        utterance = speak(text, RATE, voice=voice)
        for phase in range(phases):
            report.cases.append(run_case(utterance, index, phase))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phases", type=int, default=32, help="1 ms offsets of the caller's speech end")
    parser.add_argument("--phrases", type=int, default=len(PHRASES), help="how many of the utterances")
    parser.add_argument("--out", type=Path, help="write the figures (and every case) as JSON here")
    args = parser.parse_args()
    report = measure(args.phases, args.phrases)
    figures = report.figures()
    print(f"turn end, configured silence {SILENCE} s: {figures['cases']} cases, ms (p50 / p95 / max / min)")
    for name in ("voice_to_voice_ms", "vad_stop_ms", "pipeline_ms"):
        row = figures[name]
        assert isinstance(row, dict)
        print(f"  {name:20} {row['p50']:7.1f} {row['p95']:7.1f} {row['max']:7.1f} {row['min']:7.1f}")
    if args.out:
        args.out.write_text(json.dumps({**figures, "per_case": [asdict(c) for c in report.cases]}, indent=2))


if __name__ == "__main__":
    main()
