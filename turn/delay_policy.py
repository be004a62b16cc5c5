"""How long to wait in silence before the user's turn counts as over. The silence-only policy waits a fixed time;
semantic policies (see ``turn.semantic``) make the wait depend on how complete the utterance sounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DelayChoice:
    delay: float
    probability: float | None
    reason: str


class DelayPolicy(Protocol):
    def choose(
        self, transcript: str, agent_last_utterance: str | None, audio_probability: float | None = None
    ) -> DelayChoice:
        """The silence to require after the end of speech, given what the user has said so far (and, when an
        audio end-of-turn model scored this pause, its probability that the turn is complete)."""
        ...

    def observe_pause(self, seconds: float) -> None:
        """The user paused this long in the middle of a turn and then went on (policies may adapt)."""
        ...

    def observe_cut_off(self, seconds: float, probability: float | None) -> None:
        """A decision came after ``seconds`` of silence and the user went on right after it (a cut-off)."""
        ...


@dataclass
class SilencePolicy:
    delay: float = 0.5

    def choose(
        self, transcript: str, agent_last_utterance: str | None, audio_probability: float | None = None
    ) -> DelayChoice:
        return DelayChoice(self.delay, None, "silence")

    def observe_pause(self, seconds: float) -> None:
        """Silence-only endpointing does not adapt."""

    def observe_cut_off(self, seconds: float, probability: float | None) -> None:
        """Silence-only endpointing does not adapt."""
