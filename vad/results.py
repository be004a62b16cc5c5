"""What a VAD stream reports for each processed window."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class VadState(Enum):
    """Speech state of one stream. Transitions are listed in ``vad.state_machine.ALLOWED_TRANSITIONS``."""

    QUIET = "quiet"
    STARTING = "starting"  # speech-like windows seen, not yet long enough to count as speech
    SPEAKING = "speaking"
    STOPPING = "stopping"  # silence seen after speech, not yet long enough to end it


class VadEventKind(Enum):
    SPEECH_STARTED = "speech_started"
    SPEECH_STOPPED = "speech_stopped"


@dataclass(frozen=True, slots=True)
class VadEvent:
    """A confirmed speech boundary.

    ``time`` is the media time of the boundary itself (where speech began / ended), not the later moment the
    state machine confirmed it.
    """

    kind: VadEventKind
    time: float


@dataclass(frozen=True, slots=True)
class VadResult:
    """The outcome of one model window, or (``scored`` False) of a decision made on the frame between two windows
    — then ``probability`` is the last window's and ``inference_s`` is 0.

    ``speech_duration`` is the length of the current speech run (0 while quiet); on the window that emits
    SPEECH_STOPPED it is the length of the run that just ended. ``inference_s`` is the compute time spent on
    this window (for batched inference: the batch's time divided by its rows).
    """

    probability: float
    volume_db: float
    state: VadState
    window_end: float
    event: VadEvent | None
    speech_duration: float
    inference_s: float
    scored: bool = True
