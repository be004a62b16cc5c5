"""Speech edges at frame granularity: whatever the phase of the caller's audio against the model's 32 ms windows,
the VAD dates a boundary to the audio itself and decides on the 20 ms frame that completes the configured minimum
(to the nearest frame), not on the next window boundary. The scorer here hears a window as speech one window late
(as a real model roughly does), so only the audio level can place the edges inside windows."""

from __future__ import annotations

import numpy as np
import pytest

from vad import VadEventKind, VadParams, VadStream, WindowScore

RATE = 16000
FRAME = 320  # 20 ms
MINIMUM = 0.2


class LaggingScorer:
    """Probability 0.95 for a window after one that holds any loud sample (one window late), else 0.02."""

    window_size = 512

    def __init__(self) -> None:
        self._previous_loud = False

    async def score(self, window: np.ndarray) -> WindowScore:
        loud = bool(np.abs(window).max() > 0.05)
        probability = 0.95 if (loud or self._previous_loud) else 0.02
        self._previous_loud = loud
        return WindowScore(probability, 0.0)

    def reset(self) -> None:
        self._previous_loud = False

    def close(self) -> None:
        """Nothing to release."""


def caller(onset: float, offset: float, total: float, pause: tuple[float, float] | None = None) -> np.ndarray:
    """Silence, a voiced tone from ``onset`` to ``offset`` (optionally with a silent pause inside), silence."""
    t = np.arange(round(total * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 180 * t) + 0.1 * np.sin(2 * np.pi * 540 * t)
    voiced = (t >= onset) & (t < offset)
    if pause is not None:
        voiced &= ~((t >= pause[0]) & (t < pause[1]))
    return np.round(32767 * tone * voiced).astype(np.int16)


async def decisions(audio: np.ndarray, frame_edges: bool) -> list[tuple[VadEventKind, float, float]]:
    """(kind, the boundary's media time, the media time of the frame end where it was decided)."""
    params = VadParams(min_speech_duration=MINIMUM, min_silence_duration=MINIMUM, frame_edges=frame_edges)
    stream = VadStream(LaggingScorer(), params)
    found = []
    for start in range(0, audio.size, FRAME):
        chunk = audio[start : start + FRAME]
        for result in await stream.process(chunk, start / RATE):
            if result.event is not None:
                found.append((result.event.kind, result.event.time, (start + chunk.size) / RATE))
    return found


PHASES = [phase / 1000 for phase in range(0, 32, 3)]


@pytest.mark.anyio
@pytest.mark.parametrize("phase", PHASES)
async def test_edges_are_dated_to_the_audio_and_decided_within_half_a_frame_of_the_minimum(
    phase: float,
) -> None:
    onset, offset = 0.5 + phase, 1.6 + phase
    events = await decisions(caller(onset, offset, 2.4), frame_edges=True)
    assert [kind for kind, _, _ in events] == [VadEventKind.SPEECH_STARTED, VadEventKind.SPEECH_STOPPED]
    (_, start_time, start_decided), (_, stop_time, stop_decided) = events
    assert start_time == pytest.approx(onset, abs=0.004)  # the 4 ms block the tone starts in
    assert stop_time == pytest.approx(offset, abs=0.004)
    # decided on the frame nearest to "edge + minimum": never more than half a frame off
    assert abs(start_decided - (onset + MINIMUM)) <= FRAME / RATE / 2 + 0.004
    assert abs(stop_decided - (offset + MINIMUM)) <= FRAME / RATE / 2 + 0.004


@pytest.mark.anyio
async def test_window_edges_are_late_by_up_to_a_window_and_a_frame() -> None:
    """The same audio with edges on window boundaries (the old VAD): some phases decide well over half a frame late
    — what frame edges remove."""
    worst = 0.0
    for phase in PHASES:
        onset, offset = 0.5 + phase, 1.6 + phase
        events = await decisions(caller(onset, offset, 2.4), frame_edges=False)
        stop_decided = next(decided for kind, _, decided in events if kind is VadEventKind.SPEECH_STOPPED)
        worst = max(worst, stop_decided - (offset + MINIMUM))
    assert worst > FRAME / RATE


@pytest.mark.anyio
@pytest.mark.parametrize("phase", PHASES)
async def test_a_pause_shorter_than_the_minimum_by_a_frame_does_not_stop_speech(phase: float) -> None:
    onset, offset = 0.5 + phase, 1.8 + phase
    pause = (1.0 + phase, 1.0 + phase + MINIMUM - 0.02)
    events = await decisions(caller(onset, offset, 2.6, pause), frame_edges=True)
    assert [kind for kind, _, _ in events] == [VadEventKind.SPEECH_STARTED, VadEventKind.SPEECH_STOPPED]
    assert events[1][1] == pytest.approx(offset, abs=0.004)


@pytest.mark.anyio
@pytest.mark.parametrize("inside_block", [0.0007, 0.0019, 0.0031])
async def test_the_end_of_speech_is_dated_to_the_sample_not_to_its_4_ms_block(inside_block: float) -> None:
    """Silence is counted from the caller's last loud sample: a speech end 0.7-3.1 ms into a 4 ms level block is
    not rounded up to the block's end (which would make the stop decision up to 4 ms late)."""
    onset, offset = 0.5, 1.6 + inside_block
    events = await decisions(caller(onset, offset, 2.4), frame_edges=True)
    assert [kind for kind, _, _ in events] == [VadEventKind.SPEECH_STARTED, VadEventKind.SPEECH_STOPPED]
    assert events[1][1] == pytest.approx(offset, abs=0.0005)
