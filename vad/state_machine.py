"""The speech state machine shared by all VADs: window probabilities in, states and boundary events out."""

from __future__ import annotations

from dataclasses import dataclass

from vad.params import VadParams
from vad.results import VadEvent, VadEventKind, VadState

ALLOWED_TRANSITIONS: dict[VadState, frozenset[VadState]] = {
    VadState.QUIET: frozenset({VadState.STARTING}),
    VadState.STARTING: frozenset({VadState.SPEAKING, VadState.QUIET}),
    VadState.SPEAKING: frozenset({VadState.STOPPING}),
    VadState.STOPPING: frozenset({VadState.SPEAKING, VadState.QUIET}),
}

# Durations are sums of window lengths; allow float rounding when comparing them with the minimums.
_EPSILON = 1e-9


def _reached(duration: float, minimum: float, window: float) -> bool:
    """``duration`` (whole windows) is the nearest whole number of windows to ``minimum``, or more."""
    return duration + window / 2 + _EPSILON >= minimum


class InvalidTransitionError(RuntimeError):
    """A transition not in ALLOWED_TRANSITIONS was attempted (a bug in the state machine)."""


@dataclass(frozen=True, slots=True)
class Step:
    """The state machine's answer for one window."""

    state: VadState
    event: VadEvent | None
    speech_duration: float


class VadStateMachine:
    """Turns per-window speech probabilities into QUIET/STARTING/SPEAKING/STOPPING and boundary events.

    A window is speech-like when its probability reaches ``activation_threshold`` (from QUIET or STOPPING) or
    stays at/above ``deactivation_threshold`` (while STARTING or SPEAKING); windows quieter than ``min_volume``
    always count as silence. Speech is confirmed once it has lasted ``min_speech_duration`` (SPEECH_STARTED,
    time = start of its first window) and ended once silence has lasted ``min_silence_duration``
    (SPEECH_STOPPED, time = start of the first silent window).

    Durations are whole windows, so each minimum is rounded to the *nearest* number of windows (at least one):
    with Silero's 32 ms windows at 16 kHz, 0.2 s means 6 windows (192 ms), 0.1 s means 3 (96 ms).
    """

    def __init__(self, params: VadParams) -> None:
        self._params = params
        self._state = VadState.QUIET
        self._speech_start = 0.0
        self._silence_start = 0.0
        self._window = 0.0  # length of the window being stepped

    @property
    def state(self) -> VadState:
        return self._state

    def reset(self) -> None:
        self._state = VadState.QUIET
        self._speech_start = 0.0
        self._silence_start = 0.0

    def step(self, probability: float, volume_db: float, window_start: float, window_end: float) -> Step:
        params = self._params
        self._window = window_end - window_start
        level = probability if volume_db >= params.min_volume else 0.0
        state = self._state
        if state is VadState.QUIET:
            if level >= params.activation_threshold:
                self._speech_start = window_start
                self._move(VadState.STARTING)
                return self._confirm_start(window_end)
            return Step(VadState.QUIET, None, 0.0)
        if state is VadState.STARTING:
            if level < params.deactivation_threshold:
                self._move(VadState.QUIET)
                return Step(VadState.QUIET, None, 0.0)
            return self._confirm_start(window_end)
        if state is VadState.SPEAKING:
            if level < params.deactivation_threshold:
                self._silence_start = window_start
                self._move(VadState.STOPPING)
                return self._confirm_stop(window_end)
            return Step(VadState.SPEAKING, None, window_end - self._speech_start)
        # STOPPING
        if level >= params.activation_threshold:
            self._move(VadState.SPEAKING)
            return Step(VadState.SPEAKING, None, window_end - self._speech_start)
        return self._confirm_stop(window_end)

    def _confirm_start(self, window_end: float) -> Step:
        duration = window_end - self._speech_start
        if not _reached(duration, self._params.min_speech_duration, self._window):
            return Step(VadState.STARTING, None, duration)
        self._move(VadState.SPEAKING)
        return Step(VadState.SPEAKING, VadEvent(VadEventKind.SPEECH_STARTED, self._speech_start), duration)

    def _confirm_stop(self, window_end: float) -> Step:
        speech_duration = self._silence_start - self._speech_start
        if not _reached(window_end - self._silence_start, self._params.min_silence_duration, self._window):
            return Step(VadState.STOPPING, None, speech_duration)
        self._move(VadState.QUIET)
        return Step(
            VadState.QUIET, VadEvent(VadEventKind.SPEECH_STOPPED, self._silence_start), speech_duration
        )

    def _move(self, target: VadState) -> None:
        if target not in ALLOWED_TRANSITIONS[self._state]:
            raise InvalidTransitionError(f"VAD cannot go from {self._state.name} to {target.name}")
        self._state = target
