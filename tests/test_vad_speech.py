"""Detected speech boundaries on generated speech (espeak-ng) against the ground-truth segments.

Event times are window-quantised (32 ms windows at both rates), so "within one window" is the target. Known
model behaviour, measured and pinned here with looser bounds rather than hidden:
- Silero reacts late to breathy/plosive onsets ("Hello", "Please"): up to ~45 ms at 16 kHz;
- at 8 kHz an onset right after digital silence can be ~45 ms late ("My name is Anna." after 0.47 s of
  zeros: 42 ms), so 8 kHz starts are allowed two windows;
- in background noise louder than ``min_volume`` Silero keeps a high probability for 2-4 windows after speech
  ends, so SPEECH_STOPPED lands 30-105 ms (16 kHz) / 60-140 ms (8 kHz) after the true end (in digital
  silence the volume gate ends speech at the first silent window).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from tests.speech_audio import SpeechTrack, conversation
from vad import EnergyVad, Vad, VadConfig, VadEventKind, VadParams, VadResult, create_vad

# Sentence-level segmentation (the pipeline's default waits 0.15 s; the turn detector decides turns): pauses inside
# an espeak-ng sentence are shorter than 0.25 s, so each spoken part is one speech run.
SENTENCE_VAD = VadParams(min_silence_duration=0.25)

WINDOW_S = 0.032
WINDOW_MS = WINDOW_S * 1000
SILERO_START_TOLERANCE_MS = {16000: WINDOW_MS, 8000: 2 * WINDOW_MS}
SILERO_NOISY_STOP_LATENESS_MS = {16000: 4 * WINDOW_MS, 8000: 5 * WINDOW_MS}

# Sentences with voiced onsets; pauses of varied length so the truth falls at different points of the window grid.
SENTENCES = [
    "My name is Anna.",
    "We are open until nine.",
    "Yes, that works for me.",
    "I need a taxi to the airport.",
    "Good morning.",
    "No problem at all.",
    "Where is the station?",
    "Let me check the menu.",
]
PAUSES = [0.53, 0.81, 0.67, 1.13, 0.59, 0.94, 0.71, 0.88]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def dialogue(sentences: Sequence[str], pauses: Sequence[float], sample_rate: int) -> SpeechTrack:
    parts: list[str | float] = [0.47]
    for sentence, pause in zip(sentences, pauses, strict=True):
        parts += [sentence, pause]
    return conversation(parts, sample_rate)


def with_noise(track: SpeechTrack, sigma: float) -> np.ndarray:
    noise = np.random.default_rng(11).normal(0.0, sigma, track.samples.size)
    return np.clip(track.samples + noise, -32768, 32767).astype(np.int16)


async def detect(vad: Vad, audio: np.ndarray, sample_rate: int) -> tuple[list[float], list[float]]:
    stream = vad.create_stream(sample_rate)
    frame = sample_rate // 50  # the pipeline sends 20 ms frames
    results: list[VadResult] = []
    for start in range(0, audio.size, frame):
        results += await stream.process(audio[start : start + frame], start / sample_rate)
    stream.close()
    starts = [r.event.time for r in results if r.event and r.event.kind is VadEventKind.SPEECH_STARTED]
    stops = [r.event.time for r in results if r.event and r.event.kind is VadEventKind.SPEECH_STOPPED]
    return starts, stops


def errors_ms(detected: Sequence[float], truth: Sequence[float]) -> list[float]:
    assert len(detected) == len(truth), f"expected {len(truth)} boundaries, detected {len(detected)}"
    return [round((d - t) * 1000, 1) for d, t in zip(detected, truth, strict=True)]


@pytest.mark.anyio
@pytest.mark.parametrize("sample_rate", [16000, 8000])
@pytest.mark.parametrize("batched", [False, True], ids=["unbatched", "batched"])
async def test_silero_boundaries_within_one_window(sample_rate: int, batched: bool) -> None:
    track = dialogue(SENTENCES, PAUSES, sample_rate)
    starts, stops = await detect(
        create_vad(VadConfig(batched=batched, params=SENTENCE_VAD)), track.samples, sample_rate
    )
    start_errors = errors_ms(starts, [s for s, _, _ in track.segments])
    stop_errors = errors_ms(stops, [e for _, e, _ in track.segments])
    assert all(abs(e) <= SILERO_START_TOLERANCE_MS[sample_rate] for e in start_errors), start_errors
    assert sum(abs(e) <= WINDOW_MS for e in start_errors) >= len(start_errors) - 1, start_errors
    assert all(abs(e) <= WINDOW_MS for e in stop_errors), stop_errors


@pytest.mark.anyio
@pytest.mark.parametrize("sample_rate", [16000, 8000])
async def test_energy_vad_boundaries_within_one_window(sample_rate: int) -> None:
    track = dialogue(SENTENCES, PAUSES, sample_rate)
    audio = with_noise(track, 60.0)  # about -55 dBFS of hiss: below the energy floor, above min_volume
    starts, stops = await detect(EnergyVad(SENTENCE_VAD), audio, sample_rate)
    start_errors = errors_ms(starts, [s for s, _, _ in track.segments])
    stop_errors = errors_ms(stops, [e for _, e, _ in track.segments])
    assert all(abs(e) <= WINDOW_MS for e in start_errors), start_errors
    assert all(abs(e) <= WINDOW_MS for e in stop_errors), stop_errors


@pytest.mark.anyio
@pytest.mark.parametrize("sample_rate", [16000, 8000])
async def test_silero_in_background_noise_starts_on_time_and_stops_after_its_hangover(
    sample_rate: int,
) -> None:
    track = dialogue(SENTENCES, PAUSES, sample_rate)
    audio = with_noise(track, 60.0)  # louder than min_volume (-60 dBFS): the volume gate does not help here
    starts, stops = await detect(
        create_vad(VadConfig(batched=False, params=SENTENCE_VAD)), audio, sample_rate
    )
    start_errors = errors_ms(starts, [s for s, _, _ in track.segments])
    stop_errors = errors_ms(stops, [e for _, e, _ in track.segments])
    assert all(abs(e) <= SILERO_START_TOLERANCE_MS[sample_rate] for e in start_errors), start_errors
    # never early by more than the few samples where the speech's tail sinks into the noise
    assert all(-2.0 <= e <= SILERO_NOISY_STOP_LATENESS_MS[sample_rate] for e in stop_errors), stop_errors


@pytest.mark.anyio
async def test_breathy_onsets_are_late_by_at_most_two_windows() -> None:
    sentences = ["Hello, I would like to book a table.", "Please hold the line.", "Could you repeat that?"]
    track = dialogue(sentences, [0.7, 0.9, 0.6], 16000)
    starts, _ = await detect(create_vad(VadConfig(batched=False, params=SENTENCE_VAD)), track.samples, 16000)
    start_errors = errors_ms(starts, [s for s, _, _ in track.segments])
    assert all(-WINDOW_MS <= e <= 2 * WINDOW_MS for e in start_errors), start_errors


@pytest.mark.anyio
async def test_pause_shorter_than_min_silence_does_not_split_a_turn() -> None:
    vad = create_vad(VadConfig(batched=False, params=SENTENCE_VAD))  # min_silence_duration 0.25 s
    short = conversation([0.4, "Yes, that works.", 0.15, "See you then.", 0.5])
    starts, stops = await detect(vad, short.samples, 16000)
    assert len(starts) == len(stops) == 1
    assert abs(stops[0] - short.segments[-1][1]) <= WINDOW_S
    long = conversation([0.4, "Yes, that works.", 0.4, "See you then.", 0.5])
    starts, stops = await detect(vad, long.samples, 16000)
    assert len(starts) == len(stops) == 2
