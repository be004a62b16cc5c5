"""Eagerness presets: how quickly the agent takes the turn and how readily it yields it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

Eagerness = Literal["high", "medium", "low", "auto"]


@dataclass(frozen=True, slots=True)
class TurnTiming:
    complete_delay: float  # silence after an utterance that sounds finished
    uncertain_delay: float  # ... when the model cannot tell
    incomplete_delay: float  # ... after one that sounds unfinished ("my number is ...")
    silence_delay: float  # the fixed delay of the silence-only detector
    barge_in_duration: float  # caller speech over the agent that makes it yield
    adaptive: bool = False  # learn the caller's mid-sentence pauses (``auto``)


# The uncertain delay is 0.8 x the incomplete one: when the words cannot tell, waiting a little longer costs
# less than cutting the caller off. medium/auto/low were lengthened for issue 16 on the blind dev split
# (benchmarks/turn_blind.py): callers pause up to 2 s inside a date, an email or a code.
PRESETS: dict[str, TurnTiming] = {
    "high": TurnTiming(0.15, 0.8, 1.0, 0.4, 0.3),
    "medium": TurnTiming(0.25, 1.4, 2.2, 0.6, 0.5),
    "low": TurnTiming(0.5, 2.2, 2.8, 1.0, 0.6),
    "auto": TurnTiming(0.25, 1.4, 2.2, 0.6, 0.5, adaptive=True),
}


def timing_for(eagerness: Eagerness, **overrides: float | None) -> TurnTiming:
    """The preset with any non-None field overridden."""
    chosen: dict[str, Any] = {name: value for name, value in overrides.items() if value is not None}
    return replace(PRESETS[eagerness], **chosen)
