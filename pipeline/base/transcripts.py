"""What speech-to-text produces, shared by providers, turn-taking and the pipeline: word timings, transcripts and
the end-of-turn signals of providers that model turns themselves."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class WordTiming(BaseModel):
    model_config = ConfigDict(frozen=True)

    word: str
    start: float
    end: float
    confidence: float | None = None


class TurnSignal(StrEnum):
    """End-of-turn signals from providers that model turns themselves (Deepgram Flux)."""

    START_OF_TURN = "start_of_turn"
    EAGER_END_OF_TURN = "eager_end_of_turn"
    TURN_RESUMED = "turn_resumed"
    END_OF_TURN = "end_of_turn"


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    is_final: bool
    words: tuple[WordTiming, ...] = ()
    confidence: float | None = None
    from_finalize: bool = False  # the answer to a finalize() request
    turn_signal: TurnSignal | None = None
    end_of_turn_probability: float | None = None
    queue_delay: float | None = None  # a local engine: how long the decode waited for a free worker
