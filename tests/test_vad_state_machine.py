"""The speech state machine on synthetic probability sequences, directly and through VadStream."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from vad import VadEvent, VadEventKind, VadParams, VadState, VadStateMachine, VadStream, WindowScore
from vad.state_machine import ALLOWED_TRANSITIONS

WINDOW = 0.032  # seconds per window at 16 kHz
LOUD = -20.0  # dBFS
Q, ST, SP, SO = VadState.QUIET, VadState.STARTING, VadState.SPEAKING, VadState.STOPPING


def run(
    probabilities: Sequence[float],
    params: VadParams | None = None,
    volumes: Sequence[float] | None = None,
) -> tuple[list[VadState], list[tuple[int, VadEvent]], list[float]]:
    machine = VadStateMachine(params or VadParams())
    states: list[VadState] = []
    events: list[tuple[int, VadEvent]] = []
    durations: list[float] = []
    for index, probability in enumerate(probabilities):
        volume = LOUD if volumes is None else volumes[index]
        step = machine.step(probability, volume, index * WINDOW, (index + 1) * WINDOW)
        states.append(step.state)
        durations.append(step.speech_duration)
        if step.event is not None:
            events.append((index, step.event))
    return states, events, durations


def test_speech_confirmed_after_min_speech_and_dated_to_its_first_window() -> None:
    # 0.1 s of speech rounds to the nearest whole number of 32 ms windows: 3 (96 ms), not up to 4 (128 ms)
    states, events, durations = run([0.1, 0.9, 0.8, 0.7, 0.9, 0.9])
    assert states == [Q, ST, ST, SP, SP, SP]
    assert len(events) == 1
    index, event = events[0]
    assert index == 3
    assert event.kind is VadEventKind.SPEECH_STARTED
    assert event.time == pytest.approx(1 * WINDOW)  # where speech began, not when it was confirmed
    assert durations[3] == pytest.approx(3 * WINDOW)
    assert durations[5] == pytest.approx(5 * WINDOW)


def test_minimums_round_to_the_nearest_window() -> None:
    # 0.2 s is 6.25 windows: 6 (192 ms), not 7 (224 ms); 0.21 s is 6.6 windows: 7
    for minimum, windows in ((0.2, 6), (0.21, 7), (0.016, 1), (0.0, 1)):
        _, events, _ = run([0.9] * 10, VadParams(min_speech_duration=minimum))
        assert events[0][0] == windows - 1, minimum


def test_short_blip_is_a_false_start() -> None:
    states, events, _ = run([0.9, 0.9, 0.1, 0.1, 0.9, 0.2])
    assert states == [ST, ST, Q, Q, ST, Q]
    assert events == []


def test_hysteresis_keeps_starting_and_speaking_between_thresholds() -> None:
    # 0.4 is below activation (0.5) but above deactivation (0.35): speech that has begun continues
    states, events, _ = run([0.6, 0.4, 0.4, 0.4, 0.4])
    assert states == [ST, ST, SP, SP, SP]
    assert [e.kind for _, e in events] == [VadEventKind.SPEECH_STARTED]
    # ...but 0.4 never starts speech from QUIET
    states, events, _ = run([0.4] * 6)
    assert states == [Q] * 6


def test_stop_after_min_silence_dated_to_end_of_speech() -> None:
    speech = [0.9] * 5  # windows 0-4, confirmed at window 2
    silence = [0.05] * 9  # 0.25 s of silence is 7.8 windows: 8 (256 ms)
    states, events, durations = run(speech + silence, VadParams(min_silence_duration=0.25))
    assert states[:5] == [ST, ST, SP, SP, SP]
    assert states[5:12] == [SO] * 7
    assert states[12:] == [Q, Q]
    assert [(i, e.kind) for i, e in events] == [
        (2, VadEventKind.SPEECH_STARTED),
        (12, VadEventKind.SPEECH_STOPPED),
    ]
    stop = events[1][1]
    assert stop.time == pytest.approx(5 * WINDOW)  # end of the last speech window
    assert durations[12] == pytest.approx(5 * WINDOW)  # the finished run
    assert durations[13] == 0.0


def test_short_pause_does_not_end_speech() -> None:
    probabilities = [0.9] * 5 + [0.1] * 4 + [0.9] * 3 + [0.1] * 8
    states, events, durations = run(probabilities)
    assert states[5:9] == [SO] * 4
    assert states[9:12] == [SP] * 3
    kinds = [e.kind for _, e in events]
    assert kinds == [VadEventKind.SPEECH_STARTED, VadEventKind.SPEECH_STOPPED]
    assert events[1][1].time == pytest.approx(12 * WINDOW)
    assert durations[11] == pytest.approx(12 * WINDOW)


def test_resuming_from_stopping_needs_activation_not_just_deactivation() -> None:
    probabilities = [0.9] * 5 + [0.1] + [0.45] * 7  # 0.45 while stopping: still silence
    states, events, _ = run(probabilities)
    assert states[-1] is Q
    assert events[-1][1] == VadEvent(VadEventKind.SPEECH_STOPPED, 5 * WINDOW)


def test_quiet_windows_count_as_silence_whatever_the_probability() -> None:
    params = VadParams(min_volume=-50.0)
    states, events, _ = run([0.99] * 6, params, volumes=[-70.0] * 6)
    assert states == [Q] * 6 and events == []
    states, _, _ = run([0.99] * 6, params, volumes=[-40.0] * 6)
    assert states[-1] is SP


def test_zero_minimums_switch_within_one_window() -> None:
    params = VadParams(min_speech_duration=0.0, min_silence_duration=0.0)
    states, events, _ = run([0.1, 0.9, 0.1], params)
    assert states == [Q, SP, Q]
    assert [(i, e.kind, round(e.time, 6)) for i, e in events] == [
        (1, VadEventKind.SPEECH_STARTED, round(WINDOW, 6)),
        (2, VadEventKind.SPEECH_STOPPED, round(2 * WINDOW, 6)),
    ]


def test_transition_table_is_the_documented_cycle() -> None:
    assert {
        Q: frozenset({ST}),
        ST: frozenset({SP, Q}),
        SP: frozenset({SO}),
        SO: frozenset({SP, Q}),
    } == ALLOWED_TRANSITIONS


def test_reset_returns_to_quiet() -> None:
    machine = VadStateMachine(VadParams(min_speech_duration=0.0))
    machine.step(0.9, LOUD, 0.0, WINDOW)
    assert machine.state is SP
    machine.reset()
    assert machine.state is Q


class ScriptedScorer:
    """A WindowScorer replaying given probabilities (and recording the windows it saw)."""

    def __init__(self, probabilities: Sequence[float], window_size: int = 512) -> None:
        self._probabilities = list(probabilities)
        self._window_size = window_size
        self.windows: list[np.ndarray] = []
        self.resets = 0
        self.closed = False

    @property
    def window_size(self) -> int:
        return self._window_size

    async def score(self, window: np.ndarray) -> WindowScore:
        self.windows.append(window.copy())
        return WindowScore(self._probabilities[len(self.windows) - 1], 0.0)

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_stream_buffers_20ms_frames_into_windows_with_media_times() -> None:
    probabilities = [0.0] * 3 + [0.9] * 6 + [0.0] * 10
    scorer = ScriptedScorer(probabilities)
    stream = VadStream(
        scorer, VadParams(frame_edges=False)
    )  # window edges (tests/test_vad_frame_edges.py: finer)
    audio = (np.arange(19 * 512) % 200 * 50).astype(np.int16)  # loud enough, not silence
    start_time = 12.5  # media time of the first sample
    results = []
    for offset in range(0, audio.size, 320):
        results += await stream.process(audio[offset : offset + 320], start_time + offset / 16000)
    assert len(results) == 19
    assert [r.window_end for r in results] == pytest.approx([start_time + (i + 1) * 0.032 for i in range(19)])
    np.testing.assert_allclose(scorer.windows[5], audio[5 * 512 : 6 * 512] / 32768.0, rtol=1e-6)
    events = [(r.event.kind, r.event.time) for r in results if r.event]
    assert events == [
        (VadEventKind.SPEECH_STARTED, pytest.approx(start_time + 3 * 0.032)),
        (VadEventKind.SPEECH_STOPPED, pytest.approx(start_time + 9 * 0.032)),
    ]
    assert results[0].volume_db > -40.0


@pytest.mark.anyio
async def test_stream_lifecycle_reset_close_and_input_checks() -> None:
    scorer = ScriptedScorer([0.9] * 10)
    stream = VadStream(scorer, VadParams(min_speech_duration=0.0))
    results = await stream.process(np.full(700, 3000, dtype=np.int16), 0.0)
    assert [r.state for r in results] == [SP]
    stream.reset()
    assert stream.state is Q and scorer.resets == 1
    # the 188 buffered samples were dropped by reset: 512 new samples make exactly one window
    assert len(await stream.process(np.full(512, 3000, dtype=np.int16), 1.0)) == 1
    with pytest.raises(TypeError, match="int16"):
        await stream.process(np.zeros(320, dtype=np.int32), 2.0)
    with pytest.raises(ValueError, match="mono"):
        await stream.process(np.zeros((320, 2), dtype=np.int16), 2.0)
    stream.close()
    stream.close()
    assert scorer.closed and stream.closed
    with pytest.raises(RuntimeError, match="closed"):
        await stream.process(np.zeros(320, dtype=np.int16), 3.0)
