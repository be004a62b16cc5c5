"""Per-turn latency bookkeeping and per-provider usage totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from pipeline.observe.bus import EventBus
from pipeline.observe.events import EndpointingMetrics, TurnMetrics, UsageEntry


@dataclass
class TurnTimer:
    """Clock stamps along one turn's critical path, from the user stopping to the first agent audio out.

    The parts of ``breakdown()`` are consecutive intervals, so they add up to voice-to-voice exactly; whatever
    no stage accounts for is the pipeline's own overhead.
    """

    user_stopped: float  # when the user's speech actually ended
    silence_met: float | None = None  # silence criterion of the turn detector satisfied
    decided: float | None = None  # end of turn declared (final transcript in hand)
    first_token: float | None = None  # first text token of the reply
    tool_time: float = 0.0  # tool calls that ran before the first text token
    first_sentence: float | None = None  # first sentence handed to TTS
    first_tts_audio: float | None = None
    first_audio_out: float | None = None
    preemptive_started: int = 0  # preemptive generation during this turn (see TurnMetrics)
    preemptive_committed: bool = False
    preemptive_discarded: int = 0
    preemptive_wasted_tokens: int = 0

    def mark_first(
        self, name: Literal["first_token", "first_sentence", "first_tts_audio"], now: float
    ) -> None:
        if getattr(self, name) is None:
            setattr(self, name, now)

    def breakdown(self) -> dict[str, float] | None:
        silence_met, decided, first_token = self.silence_met, self.decided, self.first_token
        first_sentence, first_tts_audio = self.first_sentence, self.first_tts_audio
        if (
            self.first_audio_out is None
            or silence_met is None
            or decided is None
            or first_token is None
            or first_sentence is None
            or first_tts_audio is None
        ):
            return None
        total = self.first_audio_out - self.user_stopped
        # A preemptive reply may have written (and synthesized) before the turn was decided: on the critical
        # path those steps took no time, so each stamp counts from the one before it at the earliest.
        first_token = max(first_token, decided + self.tool_time)
        first_sentence = max(first_sentence, first_token)
        first_tts_audio = max(first_tts_audio, first_sentence)
        parts = {
            "endpointing": silence_met - self.user_stopped,
            "stt_wait": decided - silence_met,
            "llm_ttft": first_token - decided - self.tool_time,
            "tool_time": self.tool_time,
            "llm_first_sentence": first_sentence - first_token,
            "tts_ttfb": first_tts_audio - first_sentence,
        }
        parts["overhead"] = total - sum(parts.values())
        parts["voice_to_voice"] = total
        return parts


def emit_turn_metrics(bus: EventBus, turn_id: int, timer: TurnTimer) -> None:
    parts = timer.breakdown()
    if parts is None:
        return
    bus.emit(
        EndpointingMetrics, turn_id=turn_id, silence_delay=parts["endpointing"], stt_wait=parts["stt_wait"]
    )
    bus.emit(
        TurnMetrics,
        turn_id=turn_id,
        **parts,
        preemptive_started=timer.preemptive_started,
        preemptive_committed=timer.preemptive_committed,
        preemptive_discarded=timer.preemptive_discarded,
        preemptive_wasted_tokens=timer.preemptive_wasted_tokens,
    )


@dataclass
class _Totals:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    characters: int = 0
    audio_seconds: float = 0.0
    requests: int = 0


class UsageTracker:
    """Accumulates tokens, characters and audio seconds per (kind, provider, model)."""

    def __init__(self) -> None:
        self._totals: defaultdict[tuple[Literal["stt", "llm", "tts"], str, str], _Totals] = defaultdict(
            _Totals
        )

    def add_llm(self, provider: str, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        totals = self._totals[("llm", provider, model)]
        totals.prompt_tokens += prompt_tokens
        totals.completion_tokens += completion_tokens
        totals.requests += 1

    def add_tts(self, provider: str, model: str, characters: int, audio_seconds: float) -> None:
        totals = self._totals[("tts", provider, model)]
        totals.characters += characters
        totals.audio_seconds += audio_seconds
        totals.requests += 1

    def add_stt(self, provider: str, model: str, audio_seconds: float) -> None:
        self._totals[("stt", provider, model)].audio_seconds += audio_seconds

    def entries(self) -> tuple[UsageEntry, ...]:
        return tuple(
            UsageEntry(
                kind=kind,
                provider=provider,
                model=model,
                prompt_tokens=totals.prompt_tokens,
                completion_tokens=totals.completion_tokens,
                characters=totals.characters,
                audio_seconds=round(totals.audio_seconds, 6),
                requests=totals.requests,
            )
            for (kind, provider, model), totals in sorted(self._totals.items())
        )
