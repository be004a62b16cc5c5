"""How many concurrent calls one machine holds when speech-to-text is the offline Whisper provider.

    uv run python -m benchmarks.whisper_capacity [--sessions 1,2,4,8,12,16,24] [--seconds 40] [--out F.json]

Real time, asyncio, ONE process: every step runs N real Parley sessions (Whisper tiny.en STT, a scripted LLM, a
cheap simulated TTS, Silero VAD) sharing one in-process Whisper model and its bounded decode pool. Each caller
speaks espeak-ng utterances of ~1.5-2.5 s, each followed by a 3-4 s pause (the agent's turn), in 20 ms frames
paced by the clock; the sessions start at evenly spread positions of the loop, so utterance ends are spread out.
Per step: finals decoded, the delay from the caller's speech end (``user_stopped_speaking``) to the final
transcript (``user_transcript``, is_final) as p50/p95/max, p95 decode queue delay (``stt_metrics``), the CPU of
the process (``time.process_time`` over wall time; 100 % = one core) and the load average at the start (the
machine may be shared). A step holds when the p95 final delay is under ``--limit`` and the delay is not growing
(the last third of the step's finals no slower than the first third by more than ``--growth``); the ramp stops
at the first step that does not hold (unless ``--keep-going``). ``--beam``, ``--interim-every`` and ``--workers``
set the Whisper options.

Measured on 2 shared cores (details: the issue 17 note): a decode costs ~0.6-0.75 core-s whatever the beam (the
encoder runs over Whisper's fixed 30 s window); with interims every 1 s a ~2 s line takes ~2.8 decodes, ~0.36
cores per session, so the decode queue runs away above ~5-6 sessions (p95 < 1 s only at 1-2); finals only ~14.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import partial

import anyio
import numpy as np

from pipeline.base.audio import AudioFrame
from pipeline.observe.events import SttMetrics, UserStoppedSpeaking, UserTranscript
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from providers.local.whisper_engine import Decoded, WhisperEngine
from providers.local.whisper_stt import WhisperStt, WhisperSttOptions
from providers.simulated import SimulatedLlm, SimulatedTts
from vad import Vad, VadConfig, create_vad

RATE = 16000
FRAME_SECONDS = 0.02
FRAME_BYTES = 2 * round(RATE * FRAME_SECONDS)
# (caller line, pause after it in seconds): lines of ~1.5-2.5 s with espeak-ng en-us at 175 wpm, without
# commas (espeak pauses at a comma long enough for the VAD to split the line in two)
CALLER_TURNS = (
    ("I would like to check my order please.", 3.5),
    ("The number is four five six seven.", 3.0),
    ("When will it arrive at my house?", 4.0),
    ("Can you send it to my office instead?", 3.5),
    ("Yes the one on Main Street.", 3.0),
    ("Thank you that is all for today.", 4.0),
)
AGENT_REPLY = "Sure, one moment please."  # ~1 s of simulated speech at 0.04 s a character
SCRIPTED_TURNS = 500
END_GUARD = 30.0  # seconds a session may take to end before the step is abandoned


@dataclass(frozen=True)
class CallerLoop:
    frames: tuple[bytes, ...]  # the looped caller track in 20 ms PCM16 frames
    speech_seconds: tuple[float, ...]  # length of each spoken line

    @property
    def seconds(self) -> float:
        return len(self.frames) * FRAME_SECONDS


def synthesize_loop() -> CallerLoop:
    from tests.speech_audio import speak  # espeak-ng, in this process only

    pieces: list[np.ndarray] = []
    spoken: list[float] = []
    for line, pause in CALLER_TURNS:
        speech = speak(line, RATE)
        spoken.append(speech.size / RATE)
        pieces += [speech, np.zeros(round(pause * RATE), dtype=np.int16)]
    pcm = np.concatenate(pieces).astype("<i2").tobytes()
    pcm += bytes(-len(pcm) % FRAME_BYTES)
    return CallerLoop(tuple(pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)), tuple(spoken))


class CountingEngine:
    """The shared Whisper engine, counting the decodes (interim and final) and their wall seconds."""

    def __init__(self, inner: WhisperEngine) -> None:
        self.inner = inner
        self.workers = inner.workers
        self.decodes = 0
        self.decode_seconds = 0.0

    async def decode(self, audio: np.ndarray, *, beam_size: int, no_speech_threshold: float) -> Decoded:
        decoded = await self.inner.decode(audio, beam_size=beam_size, no_speech_threshold=no_speech_threshold)
        self.decodes += 1
        self.decode_seconds += decoded.compute
        return decoded

    def reset(self) -> tuple[int, float]:
        counts = self.decodes, self.decode_seconds
        self.decodes, self.decode_seconds = 0, 0.0
        return counts


@dataclass
class SessionLog:
    """What one session's events said: (loop time, final delay) of each final, and decode queue delays."""

    finals: list[tuple[float, float]] = field(default_factory=list)
    queue_delays: list[float] = field(default_factory=list)
    stops: int = 0
    interims: int = 0


@dataclass(frozen=True)
class StepResult:
    sessions: int
    seconds: float
    load_average: tuple[float, float, float]  # at the start of the step
    finals: int
    unanswered: int  # speech ends still waiting for their final when the step ended
    interims: int
    p50: float
    p95: float
    max: float
    queue_p95: float
    cpu_percent: float  # of one core
    decodes: int  # interim and final decodes done during the step
    decode_wall: float  # mean wall seconds of one decode (grows when decodes share the cores)
    growth: float  # median final delay of the last third minus that of the first third
    holds: bool
    reason: str


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def verdict(
    delays: Sequence[float], unanswered: int, sessions: int, *, limit: float, growth_limit: float
) -> tuple[bool, float, str]:
    """Whether a step held, the growth of its final delay, and why. ``delays`` are in order of speech end."""
    if len(delays) < 3:
        return False, float("nan"), f"only {len(delays)} finals"
    third = len(delays) // 3
    growth = statistics.median(delays[-third:]) - statistics.median(delays[:third])
    p95 = percentile(delays, 95)
    if p95 >= limit:
        return False, growth, f"p95 final delay {p95:.2f} s >= {limit:.2f} s"
    if growth > growth_limit:
        return False, growth, f"final delay grew {growth:.2f} s over the step"
    if unanswered > sessions:  # more than one decode in flight per session at the end: a queue builds
        return False, growth, f"{unanswered} speech ends unanswered at the end"
    return True, growth, "holds"


def summarize(
    sessions: int,
    seconds: float,
    load: tuple[float, float, float],
    logs: Sequence[SessionLog],
    cpu_seconds: float,
    decodes: tuple[int, float] = (0, 0.0),
    *,
    limit: float,
    growth_limit: float,
) -> StepResult:
    delays = [delay for _, delay in sorted(final for log in logs for final in log.finals)]  # in time order
    queued = [q for log in logs for q in log.queue_delays]
    unanswered = sum(log.stops for log in logs) - len(delays)
    holds, growth, reason = verdict(delays, unanswered, sessions, limit=limit, growth_limit=growth_limit)
    return StepResult(
        sessions=sessions,
        seconds=seconds,
        load_average=load,
        finals=len(delays),
        unanswered=unanswered,
        interims=sum(log.interims for log in logs),
        p50=percentile(delays, 50),
        p95=percentile(delays, 95),
        max=max(delays, default=float("nan")),
        queue_p95=percentile(queued, 95),
        cpu_percent=100.0 * cpu_seconds / seconds,
        decodes=decodes[0],
        decode_wall=decodes[1] / decodes[0] if decodes[0] else float("nan"),
        growth=growth,
        holds=holds,
        reason=reason,
    )


async def _watch(session: Session, log: SessionLog) -> None:
    stopped: list[float] = []  # speech ends waiting for their final, oldest first
    async for event in session.events(UserStoppedSpeaking, UserTranscript, SttMetrics):
        if isinstance(event, UserStoppedSpeaking):
            stopped.append(event.timestamp)
            log.stops += 1
        elif isinstance(event, UserTranscript) and not event.is_final:
            log.interims += 1
        elif isinstance(event, UserTranscript) and stopped:
            log.finals.append((anyio.current_time(), event.timestamp - stopped.pop(0)))
        elif isinstance(event, SttMetrics) and event.queue_delay is not None:
            log.queue_delays.append(event.queue_delay)


async def _drain(session: Session) -> None:
    async for _ in session.audio_out():
        pass


async def run_session(
    pipeline: Pipeline, loop: CallerLoop, offset: int, origin: float, hang_up: anyio.Event, log: SessionLog
) -> None:
    """Feed the loop from frame ``offset`` in real time (frame k at ``origin + (k + 1) * 20 ms``) until hang-up."""
    session = pipeline.session()
    watched = SessionLog()
    async with session, anyio.create_task_group() as group:
        group.start_soon(_drain, session)
        group.start_soon(_watch, session, watched)
        for k in itertools.count():
            await anyio.sleep_until(origin + (k + 1) * FRAME_SECONDS)
            if hang_up.is_set():
                break
            frame = loop.frames[(offset + k) % len(loop.frames)]
            session.push_audio(AudioFrame(frame, RATE, k * FRAME_SECONDS))
        # copied at hang-up: what happens while the session ends is not part of the step
        log.finals, log.queue_delays = list(watched.finals), list(watched.queue_delays)
        log.stops, log.interims = watched.stops, watched.interims
        with anyio.move_on_after(END_GUARD):
            await session.end("caller_hung_up")


def step_pipeline(stt: WhisperStt, vad: Vad) -> Pipeline:
    return Pipeline(
        stt=stt,
        llm=SimulatedLlm([AGENT_REPLY] * SCRIPTED_TURNS, ttft=0.1, token_interval=0.02),
        tts=SimulatedTts(ttfb=0.1, seconds_per_char=0.04),
        vad=vad,
        observers=[],  # the benchmark reads the events itself
    )


async def run_step(
    sessions: int,
    seconds: float,
    stt: WhisperStt,
    vad_config: VadConfig,
    loop: CallerLoop,
    engine: CountingEngine,
) -> tuple[list[SessionLog], float, float, tuple[int, float]]:
    """Run one step; returns the session logs, wall and process CPU seconds, and (decodes, decode seconds)."""
    vad = create_vad(vad_config)  # a batched Silero engine belongs to one event loop
    logs = [SessionLog() for _ in range(sessions)]
    hang_up = anyio.Event()
    origin = anyio.current_time() + 0.1
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    engine.reset()
    async with anyio.create_task_group() as group:
        for index, log in enumerate(logs):
            offset = index * len(loop.frames) // sessions  # starts spread evenly over the loop
            group.start_soon(run_session, step_pipeline(stt, vad), loop, offset, origin, hang_up, log)
        await anyio.sleep_until(origin + seconds)
        hang_up.set()
        cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
        decodes = engine.reset()
    return logs, wall, cpu, decodes


async def warm_up(engine: CountingEngine, beam_size: int) -> None:
    """One decode per worker at once, so every worker has decoded before the first step."""
    from tests.speech_audio import speak

    audio = speak(CALLER_TURNS[0][0], RATE).astype(np.float32) / 32768.0
    async with anyio.create_task_group() as group:
        for _ in range(engine.workers):
            group.start_soon(partial(engine.decode, audio, beam_size=beam_size, no_speech_threshold=0.6))


def row(step: StepResult) -> str:
    load = "/".join(f"{value:.1f}" for value in step.load_average)
    return (
        f"{step.sessions:>3} | {step.finals:>4} | {step.unanswered:>3} | {step.p50:5.2f} | {step.p95:5.2f} | "
        f"{step.max:5.2f} | {step.queue_p95:5.2f} | {step.cpu_percent:5.0f} | {step.decodes:>4} | "
        f"{step.decode_wall:4.2f} | {step.growth:+5.2f} | {load} | "
        f"{step.reason}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sessions", default="1,2,4,8,12,16,24", help="comma-separated session counts")
    parser.add_argument("--seconds", type=float, default=40.0, help="wall seconds per step")
    parser.add_argument("--limit", type=float, default=1.0, help="p95 final delay a holding step stays under")
    parser.add_argument("--growth", type=float, default=0.25, help="allowed growth of the median final delay")
    parser.add_argument("--beam", type=int, default=5, help="Whisper beam size")
    parser.add_argument("--interim-every", type=float, default=1.0, help="seconds between interims; 0: none")
    parser.add_argument("--workers", type=int, default=None, help="concurrent decodes (default: CPU count)")
    parser.add_argument("--vad", choices=("silero", "energy"), default="silero")
    parser.add_argument("--keep-going", action="store_true", help="run every step, held or not")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    counts = [int(part) for part in args.sessions.split(",")]
    options = WhisperSttOptions(
        beam_size=args.beam, interim_every=args.interim_every or None, workers=args.workers
    )
    stt = WhisperStt(options)
    engine = CountingEngine(stt.engine)
    stt.engine = engine  # type: ignore[assignment]  # the streams decode through it
    vad_config = VadConfig(kind=args.vad)
    loop = synthesize_loop()
    anyio.run(warm_up, engine, args.beam, backend="asyncio")
    settings = {
        "process": "one asyncio process; the Whisper model and decode pool are shared in-process",
        "whisper": options.model_dump(mode="json"),
        "decode_workers": stt.engine.workers,
        "vad": vad_config.model_dump(mode="json"),
        "cpu_count": os.cpu_count(),
        "caller": {
            "speech_seconds": [round(s, 2) for s in loop.speech_seconds],
            "loop_seconds": loop.seconds,
        },
        "limit": args.limit,
        "growth_limit": args.growth,
    }
    print(json.dumps(settings))
    print(
        "  N | fin. | un. |  p50  |  p95  |  max  | q p95 | CPU % | dec. | dec s | growth | load 1/5/15 | verdict"
    )
    steps: list[StepResult] = []
    for sessions in counts:
        load = os.getloadavg()
        logs, wall, cpu, decodes = anyio.run(
            run_step, sessions, args.seconds, stt, vad_config, loop, engine, backend="asyncio"
        )
        step = summarize(sessions, wall, load, logs, cpu, decodes, limit=args.limit, growth_limit=args.growth)
        steps.append(step)
        print(row(step), flush=True)
        if args.out:
            with open(args.out, "w") as out:
                json.dump({"settings": settings, "steps": [asdict(s) for s in steps]}, out, indent=2)
        if not step.holds and not args.keep_going:
            break


if __name__ == "__main__":
    main()
