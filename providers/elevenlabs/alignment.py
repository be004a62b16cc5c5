"""ElevenLabs character timings -> ``providers.tts.Alignment`` (seconds from the first sample of the chunk the
alignment travels with, which is what the pipeline's heard-text tracker expects).

* Websocket messages carry ``{"chars", "charStartTimesMs", "charsDurationsMs"}`` (the AsyncAPI spec spells the
  last one ``charDurationsMs``; both are accepted), already relative to the message's own audio.
* ``/stream/with-timestamps`` lines carry ``{"characters", "character_start_times_seconds",
  "character_end_times_seconds"}`` counted from the start of the whole request: shift them by the audio before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from providers.tts import Alignment

_DURATION_KEYS = ("charsDurationsMs", "charDurationsMs")


class AlignmentError(ValueError):
    """Alignment arrays that do not describe the same characters."""


def websocket_alignment(raw: Any) -> Alignment | None:
    """The alignment object of one websocket audio message (``None`` or empty: no alignment)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise AlignmentError("alignment is not an object")
    chars = _strings(raw.get("chars"), "chars")
    starts = _numbers(raw.get("charStartTimesMs"), "charStartTimesMs")
    durations_raw = next((raw[key] for key in _DURATION_KEYS if key in raw), None)
    durations = _numbers(durations_raw, "charsDurationsMs")
    if not (len(chars) == len(starts) == len(durations)):
        raise AlignmentError("chars, charStartTimesMs and charsDurationsMs differ in length")
    if not chars:
        return None
    return Alignment(
        tuple(chars),
        tuple(start / 1000 for start in starts),
        tuple((start + duration) / 1000 for start, duration in zip(starts, durations, strict=True)),
    )


def request_alignment(
    characters: Sequence[str], starts: Sequence[float], ends: Sequence[float], offset: float
) -> Alignment | None:
    """An HTTP timestamps chunk's alignment, moved so that ``offset`` (the audio before this chunk) is 0."""
    if not (len(characters) == len(starts) == len(ends)):
        raise AlignmentError("characters and their start/end times differ in length")
    if not characters:
        return None
    return Alignment(
        tuple(characters),
        tuple(float(start) - offset for start in starts),
        tuple(float(end) - offset for end in ends),
    )


def spoken_characters(alignment: Alignment | None) -> int:
    """Characters that are not whitespace (the service may add or drop spaces, never letters)."""
    if alignment is None:
        return 0
    return sum(1 for char in alignment.chars if not char.isspace())


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AlignmentError(f"{name} is not a list of strings")
    return value


def _numbers(value: Any, name: str) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(item, int | float) and not isinstance(item, bool) for item in value
    ):
        raise AlignmentError(f"{name} is not a list of numbers")
    return value
