"""The speech state machine shared by all VADs: window probabilities in, states and boundary events out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


def _reached(duration: float, minimum: float, granularity: float) -> bool:
    """``duration`` is ``minimum`` to the nearest step of the granularity it is checked at (a window, or a frame
    between windows), or more."""
    return duration + granularity / 2 + _EPSILON >= minimum


class EdgeLocator(Protocol):
    """Places speech edges more finely than the model's windows (see ``vad.edges.AudioEdges``)."""

    def onset(self, window_start: float, window_end: float) -> float: ...

    def offset(self, window_start: float, window_end: float) -> float: ...


class WindowEdges:
    """Edges at window boundaries: the start of the first speech window, the start of the first silent one."""

    def onset(self, window_start: float, window_end: float) -> float:
        return window_start

    def offset(self, window_start: float, window_end: float) -> float:
        return window_start


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

    Checked at window ends, a minimum is reached to the nearest window: with window edges (the default) and
    Silero's 32 ms windows at 16 kHz, 0.2 s means 6 windows (192 ms), 0.1 s means 3 (96 ms). With an
    ``EdgeLocator`` the edges are placed inside windows by the audio's level, and ``between_windows`` lets the
    stream decide on the frame that completes a minimum (to the nearest frame) instead of the next window end.
    """

    def __init__(self, params: VadParams, edges: EdgeLocator | None = None) -> None:
        self._params = params
        self._edges: EdgeLocator = edges or WindowEdges()
        self._state = VadState.QUIET
        self._speech_start = 0.0
        self._resumed_at = 0.0  # start of the window where the model last heard speech begin or resume
        self._silence_start = 0.0
        self._granularity = 0.0  # what minimums are rounded to (a window, or a frame)

    @property
    def state(self) -> VadState:
        return self._state

    def reset(self) -> None:
        self._state = VadState.QUIET
        self._speech_start = 0.0
        self._silence_start = 0.0

    def step(
        self,
        probability: float,
        volume_db: float,
        window_start: float,
        window_end: float,
        granularity: float | None = None,
    ) -> Step:
        """One window's probability and level. ``granularity``: what a minimum is rounded to (default: the
        window; the stream passes its frame length when it places edges inside windows)."""
        params = self._params
        self._granularity = granularity or (window_end - window_start)
        level = probability if volume_db >= params.min_volume else 0.0
        state = self._state
        if state is VadState.QUIET:
            if level >= params.activation_threshold:
                self._speech_start = self._resumed_at = self._edges.onset(window_start, window_end)
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
                # never before the model last heard speech resume: a soft onset it heard is still speech
                self._silence_start = max(self._resumed_at, self._edges.offset(window_start, window_end))
                self._move(VadState.STOPPING)
                return self._confirm_stop(window_end)
            return Step(VadState.SPEAKING, None, window_end - self._speech_start)
        # STOPPING
        if level >= params.activation_threshold:
            self._resumed_at = window_start
            self._move(VadState.SPEAKING)
            return Step(VadState.SPEAKING, None, window_end - self._speech_start)
        return self._confirm_stop(window_end)

    def between_windows(self, now: float, *, loud: bool, quiet: bool, granularity: float) -> Step | None:
        """Audio up to media time ``now`` arrived after the last full window (``loud``/``quiet``: by its level,
        all of it): confirm a start or a stop now if that completes the minimum; None when nothing changes."""
        params = self._params
        if (
            self._state is VadState.STARTING
            and loud
            and _reached(now - self._speech_start, params.min_speech_duration, granularity)
        ):
            return self._confirm_start(now, granularity)
        if (
            self._state is VadState.STOPPING
            and quiet
            and _reached(now - self._silence_start, params.min_silence_duration, granularity)
        ):
            return self._confirm_stop(now, granularity)
        return None

    def _confirm_start(self, window_end: float, granularity: float | None = None) -> Step:
        duration = window_end - self._speech_start
        if not _reached(duration, self._params.min_speech_duration, granularity or self._granularity):
            return Step(VadState.STARTING, None, duration)
        self._move(VadState.SPEAKING)
        return Step(VadState.SPEAKING, VadEvent(VadEventKind.SPEECH_STARTED, self._speech_start), duration)

    def _confirm_stop(self, window_end: float, granularity: float | None = None) -> Step:
        speech_duration = self._silence_start - self._speech_start
        silence = window_end - self._silence_start
        if not _reached(silence, self._params.min_silence_duration, granularity or self._granularity):
            return Step(VadState.STOPPING, None, speech_duration)
        self._move(VadState.QUIET)
        return Step(
            VadState.QUIET, VadEvent(VadEventKind.SPEECH_STOPPED, self._silence_start), speech_duration
        )

    def _move(self, target: VadState) -> None:
        if target not in ALLOWED_TRANSITIONS[self._state]:
            raise InvalidTransitionError(f"VAD cannot go from {self._state.name} to {target.name}")
        self._state = target
