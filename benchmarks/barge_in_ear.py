"""Barge-in at the caller's ear: how long after the caller starts speaking the agent's audio actually stops playing,
across every phase of the caller's speech against the VAD's 32 ms windows.

What one case is
    A real Parley session (``Pipeline`` with the simulated STT/LLM/TTS of ``tests/doubles.py``) with the real
    Silero VAD (``SileroEngine``, one stream per session; the unbatched engine, so no batching wait is counted)
    and speech start and stop minimums of 0.2 s. The agent is speaking a long, interruptible reply
    (``session.say``). The caller sends audio from the session's start, 20 ms frames on an absolute real-time grid
    (each frame handed over when its last sample has "happened"): silence, then a spoken utterance (espeak-ng,
    the phrases and voices of ``benchmarks.vad_edges``) placed so that its first audible sample (|sample| > 100,
    as ``vad_edges`` defines the truth) falls at 1.000 s + ``phase`` ms, one case per 1 ms phase (32 phases =
    one Silero window).

    The barge-in policy adds no gate of its own (``min_interruption_duration=0``, ``min_interruption_words=0``),
    so the interruption is decided on the frame where the VAD confirms speech (the VAD's 0.2 s minimum is the one
    configured minimum; ``--min-interruption 0.2`` sets the policy's minimum too, which the VAD's speech duration
    meets only to the nearest frame at the start decision, so it can wait for the next window); ``false_interruption_timeout=None`` (no pause-then-resume on speech onset), silence-only
    end of turn.

The emulated output device
    It reads ``session.audio_out()`` as soon as frames are handed to it (as a transport does) into its own
    queue, and plays the queue back-to-back in real time: a 20 ms frame takes 20 ms; a frame that arrives while
    the device is idle starts at once. It registers ``session.on_output_cleared``: at the barge-in decision it
    drops the frames of the interrupted speech it holds but has not started playing (what ``Transport.clear``
    does on a real transport). The frame being played finishes, as on a real device. The runtime paces its output
    in real time, so such a device holds nothing unplayed beyond the frame just handed over; ``--device-preroll N``
    makes it start playing only once it holds N more frames (a jitter buffer, as on a phone leg), so that N frames
    sit queued in the transport at any moment — what the clear must drop. The relative phase of the
    agent's frame grid and the caller's frame grid varies from case to case (0.5-19.5 ms), so the part of a
    frame still playing at the decision is sampled across a whole frame.

What is measured (all on the session clock)
    ``ear``: the time the last sample of the interrupted speech finishes playing at the device minus the
    caller's true speech start; decomposed into ``decision`` (caller's true start -> the ``Interruption`` event's
    timestamp) and ``after_decision`` (the decision -> the last agent sample at the device), plus how many agent
    frames started playing after the decision (0 is the target) and how many frames the device dropped.

Virtual time
    Every case runs on trio's ``MockClock(autojump_threshold=0)`` with blocking work inline (``inline_compute``),
    so the figures are the runtime's algorithmic latency, exact and repeatable: the time the Silero model takes
    to score a window (about 0.07 ms on this machine, per ``benchmarks.vad_bench``) and event-loop scheduling
    are not counted. Nor is anything beyond the device: a real phone leg adds the network and the handset's
    jitter buffer after the transport (tens of ms, outside the runtime's control).

Repeatability: everything but the caller's audio is exact. espeak-ng's audio for one of the voices (en-us+f3)
differs by a few samples from one run to the next even in a fresh process, which moves that phrase's truth by a
fraction of a millisecond (and can flip a window-boundary decision in ``--before``): figures may move by that much.

``--before`` emulates the runtime before issue 19: the VAD decides on window boundaries
(``VadParams(frame_edges=False)``: edges at window starts, minimums rounded to whole windows), the playout hands
up to 5 frames ahead (``output_buffer_frames=5``), nothing takes handed frames back at the decision (the
playout's ``flush`` is disabled) and the device ignores the clear (plays everything it was handed). Barge-in is
still checked on the window that starts speech in both (that check predates this benchmark's "before").

    uv run python -m benchmarks.barge_in_ear [--phases 32] [--phrases 4] [--device-preroll 0] [--min-interruption 0] \
        [--out F.json] [--before]
"""

from __future__ import annotations

import argparse
import json
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import anyio
import numpy as np
from trio.testing import MockClock

from benchmarks.timing import summary
from benchmarks.vad_edges import PHRASES, audible_extent
from pipeline.base.audio import AudioFrame
from pipeline.base.compute import inline_compute
from pipeline.floor.playout import Playout
from pipeline.observe.events import Event, Interruption
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.settings import AudioSettings, SessionSettings, TurnSettings
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt
from tests.speech_audio import speak
from vad import SileroEngine, SileroModel, VadParams

RATE = 16000
FRAME = 0.02
FRAME_SAMPLES = round(FRAME * RATE)
MINIMUM = 0.2  # VAD speech start (and stop) minimum
CALLER_START = 1.0  # seconds of caller silence before the utterance's first audible sample (phase 0)
AFTER_DECISION = 0.3  # the case runs on this long after the decision
LONG_REPLY = " ".join(f"This is sentence number {n} of a long answer." for n in range(1, 6))


@dataclass(frozen=True)
class Runtime:
    """What of the runtime a run emulates."""

    name: str
    frame_edges: bool  # VAD decisions on the frame that completes a minimum (False: on window ends)
    output_buffer_frames: int
    playout_flush: bool  # the playout drops frames handed ahead but not yet taken, at the decision
    device_clears: bool  # the device drops what it holds of the interrupted speech, at the decision


@dataclass(frozen=True)
class Setup:
    """One run's conditions: the runtime, the device's pre-roll and the barge-in policy's own minimum."""

    runtime: Runtime
    preroll: int = 0  # frames the device queues before it plays
    min_interruption: float = 0.0  # TurnSettings.min_interruption_duration


AFTER = Runtime("after", frame_edges=True, output_buffer_frames=1, playout_flush=True, device_clears=True)
BEFORE = Runtime(
    "before", frame_edges=False, output_buffer_frames=5, playout_flush=False, device_clears=False
)


@dataclass(frozen=True)
class Played:
    speech_id: str | None
    start: float  # session time the frame started playing at the device
    end: float


class EmulatedDevice:
    """Takes agent frames as soon as they are handed over and plays them back-to-back in real time; at a clear it
    drops the frames of that speech it holds but has not started (when ``clears``). With ``preroll`` it starts
    playing only once it holds that many frames besides the first (a jitter buffer), so it keeps that many
    queued while the agent speaks."""

    def __init__(self, session: Session, *, clears: bool, preroll: int = 0) -> None:
        self._session = session
        self._clears = clears
        self._preroll = preroll  # frames held before playing starts (at the start and after an underrun)
        self._held: deque[AudioFrame] = deque()
        self._arrived = anyio.Event()
        self.played: list[Played] = []
        self.clears: list[tuple[float, str]] = []  # (session time, speech id) of each clear
        self.dropped = 0

    def clear(self, speech_id: str) -> None:
        self.clears.append((self._session.now(), speech_id))
        if not self._clears:
            return
        kept = [frame for frame in self._held if frame.speech_id != speech_id]
        self.dropped += len(self._held) - len(kept)
        self._held = deque(kept)

    async def receive(self, frames: AsyncIterator[AudioFrame]) -> None:
        async for frame in frames:
            self._held.append(frame)
            self._arrived.set()

    async def play(self) -> None:
        while True:
            if not self._held:  # an underrun: wait until the pre-roll is there again
                while len(self._held) < 1 + self._preroll:
                    self._arrived = anyio.Event()
                    await self._arrived.wait()
            frame = self._held.popleft()
            start = self._session.now()
            await anyio.sleep(frame.duration)
            self.played.append(Played(frame.speech_id, start, start + frame.duration))


@dataclass
class Case:
    phrase: int
    phase_ms: int
    grid_offset_ms: float
    ear_ms: float
    decision_ms: float
    after_decision_ms: float
    frames_started_after_decision: int
    frames_dropped_at_device: int


async def push_caller(session: Session, audio: np.ndarray, origin: float) -> None:
    """20 ms frames on an absolute grid from ``origin`` (virtual time); each is handed over at its end."""
    for index, start in enumerate(range(0, audio.size, FRAME_SAMPLES)):
        chunk = np.ascontiguousarray(audio[start : start + FRAME_SAMPLES])
        await anyio.sleep_until(origin + (index + 1) * FRAME)
        session.push_audio(AudioFrame.from_int16(chunk, RATE, start / RATE))


def make_pipeline(setup: Setup) -> Pipeline:
    runtime = setup.runtime
    params = VadParams(
        min_speech_duration=MINIMUM, min_silence_duration=MINIMUM, frame_edges=runtime.frame_edges
    )
    settings = SessionSettings(
        audio=AudioSettings(output_buffer_frames=runtime.output_buffer_frames),
        turn=TurnSettings(
            detector="silence",
            min_interruption_duration=setup.min_interruption,
            min_interruption_words=0,
            false_interruption_timeout=None,
        ),
    )
    return Pipeline(
        stt=ScriptedStt(["please stop"]),
        llm=ScriptedLlm(["Sure."]),
        tts=FakeTts(seconds_per_char=0.05),
        vad=SileroEngine(SileroModel.shared(), params),
        settings=settings,
    )


async def one_case(setup: Setup, utterance: np.ndarray, phrase: int, phase_ms: int) -> Case:
    runtime = setup.runtime
    lead = np.zeros(round(CALLER_START * RATE) + phase_ms * RATE // 1000, dtype=np.int16)
    audio = np.concatenate([lead, utterance])
    truth = audible_extent(audio)[0] / RATE  # media time of the first audible sample
    grid_offset = ((phase_ms * 7 + phrase * 3) % 20 + 0.5) / 1000  # agent frame grid vs the caller's
    session = make_pipeline(setup).session()
    events: list[Event] = []
    with inline_compute():
        async with session, anyio.create_task_group() as group:
            device = EmulatedDevice(session, clears=runtime.device_clears, preroll=setup.preroll)
            session.on_output_cleared(device.clear)
            subscription = session.events(Interruption)
            group.start_soon(device.receive, session.audio_out())
            group.start_soon(device.play)

            async def collect() -> None:
                async for event in subscription:
                    events.append(event)

            group.start_soon(collect)
            origin = anyio.current_time() - session.now()  # virtual time of session time 0
            group.start_soon(push_caller, session, audio, origin)
            await anyio.sleep_until(origin + grid_offset)
            session.say(LONG_REPLY)
            with anyio.move_on_after(truth + 2.0):
                while not events:
                    await anyio.sleep(FRAME)
            await anyio.sleep(AFTER_DECISION)
            await session.hang_up("benchmark")
            group.cancel_scope.cancel()
    if not events:
        raise RuntimeError(f"no barge-in: phrase {phrase}, phase {phase_ms} ms ({runtime.name})")
    decision = events[0]
    assert isinstance(decision, Interruption)
    interrupted = [p for p in device.played if p.speech_id == decision.speech_id]
    if not interrupted or interrupted[0].start >= truth:
        raise RuntimeError(f"the agent was not speaking when the caller started (phase {phase_ms} ms)")
    last_end = interrupted[-1].end
    return Case(
        phrase=phrase,
        phase_ms=phase_ms,
        grid_offset_ms=1000 * grid_offset,
        ear_ms=1000 * (last_end - truth),
        decision_ms=1000 * (decision.timestamp - truth),
        after_decision_ms=1000 * (last_end - decision.timestamp),
        frames_started_after_decision=sum(p.start > decision.timestamp + 1e-9 for p in interrupted),
        frames_dropped_at_device=device.dropped,
    )


@contextmanager
def playout_flush(enabled: bool) -> Iterator[None]:
    """With ``enabled`` False, the playout keeps what it handed ahead at the decision (the runtime before)."""
    if enabled:
        yield
        return
    flush = Playout.flush
    Playout.flush = lambda self: 0.0  # type: ignore[method-assign]
    try:
        yield
    finally:
        Playout.flush = flush  # type: ignore[method-assign]


def run_case(setup: Setup, utterance: np.ndarray, phrase: int, phase_ms: int) -> Case:
    async def case() -> Case:
        return await one_case(setup, utterance, phrase, phase_ms)

    with playout_flush(setup.runtime.playout_flush):
        return anyio.run(case, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})


@dataclass
class Report:
    setup: Setup
    cases: list[Case] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        return {
            "runtime": asdict(self.setup.runtime),
            "device_preroll_frames": self.setup.preroll,
            "min_interruption_duration": self.setup.min_interruption,
            "cases": len(self.cases),
            "ear_ms": summary([c.ear_ms for c in self.cases]),
            "decision_ms": summary([c.decision_ms for c in self.cases]),
            "after_decision_ms": summary([c.after_decision_ms for c in self.cases]),
            "frames_started_after_decision": summary(
                [float(c.frames_started_after_decision) for c in self.cases]
            ),
            "frames_dropped_at_device": summary([float(c.frames_dropped_at_device) for c in self.cases]),
        }


def measure(setup: Setup, phases: int, phrases: int) -> Report:
    report = Report(setup)
    for index, (text, voice) in enumerate(PHRASES[:phrases]):
        utterance = speak(text, RATE, voice=voice)
        for phase in range(phases):
            report.cases.append(run_case(setup, utterance, index, phase))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phases", type=int, default=32, help="1 ms offsets of the caller's speech start")
    parser.add_argument("--phrases", type=int, default=len(PHRASES), help="how many of the utterances")
    parser.add_argument("--out", type=Path, help="write the figures (and every case) as JSON here")
    parser.add_argument("--before", action="store_true", help="emulate the runtime before issue 19")
    parser.add_argument(
        "--device-preroll",
        type=int,
        default=0,
        help="frames the device queues before it plays (a jitter buffer)",
    )
    parser.add_argument(
        "--min-interruption",
        type=float,
        default=0.0,
        help="the barge-in policy's own minimum (TurnSettings.min_interruption_duration), seconds",
    )
    args = parser.parse_args()
    setup = Setup(BEFORE if args.before else AFTER, args.device_preroll, args.min_interruption)
    report = measure(setup, args.phases, args.phrases)
    figures = report.figures()
    print(
        f"{setup.runtime.name}, device pre-roll {setup.preroll} frames, min_interruption_duration "
        f"{setup.min_interruption} s: {figures['cases']} cases, ms (p50 / p95 / max)"
    )
    for name in ("ear_ms", "decision_ms", "after_decision_ms"):
        row = figures[name]
        assert isinstance(row, dict)
        print(f"  {name:32} {row['p50']:7.1f} {row['p95']:7.1f} {row['max']:7.1f}")
    for name in ("frames_started_after_decision", "frames_dropped_at_device"):
        row = figures[name]
        assert isinstance(row, dict)
        print(f"  {name:32} {row['p50']:7.0f} {row['p95']:7.0f} {row['max']:7.0f}")
    if args.out:
        args.out.write_text(json.dumps({**figures, "per_case": [asdict(c) for c in report.cases]}, indent=2))


if __name__ == "__main__":
    main()
