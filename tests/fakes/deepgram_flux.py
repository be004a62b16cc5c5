"""One Deepgram Flux `/v2/listen` connection: energy-based turns reported as TurnInfo events."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.audio import AudioFrame, EnergyFramer, reached
from tests.fakes.deepgram_listen import CONFIDENCE, DeepgramTiming, SessionStep
from tests.fakes.transcripts import ScriptedWords, TranscriptScript
from tests.fakes.wsserver import QueuedSender

UPDATE_CONFIDENCE = 0.05


@dataclass(frozen=True)
class FluxParams:
    sample_rate: int
    eot_threshold: float
    eager_eot_threshold: float | None
    eot_timeout: float  # seconds

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> FluxParams:
        eager = query.get("eager_eot_threshold")
        return cls(
            sample_rate=int(query.get("sample_rate", "16000")),
            eot_threshold=float(query.get("eot_threshold", "0.7")),
            eager_eot_threshold=float(eager) if eager is not None else None,
            eot_timeout=int(query.get("eot_timeout_ms", "5000")) / 1000,
        )


@dataclass(frozen=True)
class FluxSilences:
    """Audio seconds of silence after speech before EagerEndOfTurn / EndOfTurn."""

    eager: float
    end_of_turn: float


class TurnState(enum.Enum):
    IDLE = "idle"  # between turns
    SPEAKING = "speaking"  # speech frames arriving
    PAUSED = "paused"  # silence inside a turn, no eager end sent
    EAGER_SENT = "eager_sent"  # EagerEndOfTurn sent; speech now means TurnResumed


class FluxSession:
    def __init__(
        self,
        params: FluxParams,
        timing: DeepgramTiming,
        silences: FluxSilences,
        script: TranscriptScript,
        sender: QueuedSender,
        request_id: str,
    ) -> None:
        self._params = params
        self._timing = timing
        self._eager_silence = silences.eager
        self._eot_silence = min(silences.end_of_turn, params.eot_timeout)
        self._script = script
        self._sender = sender
        self._request_id = request_id
        self._framer = EnergyFramer(params.sample_rate, timing.speech_threshold)
        self._state = TurnState.IDLE
        self._sequence = 0
        self._turn_index = 0
        self._words = ScriptedWords((), ())
        self._turn_start = 0.0
        self._speech_end = 0.0
        self._last_update = 0.0
        self._send({"type": "Connected", "request_id": request_id})

    def on_audio(self, data: bytes) -> None:
        for frame in self._framer.feed(data):
            self._on_frame(frame)

    def on_control(self, message: Mapping[str, Any]) -> SessionStep:
        match message.get("type"):
            case "ForceEndTurn":
                self._end_turn(self._framer.position)
            case "CloseStream":
                if self._state is not TurnState.IDLE:
                    self._end_turn(self._framer.position)
                return SessionStep.CLOSE
            case _:
                pass
        return SessionStep.CONTINUE

    def _on_frame(self, frame: AudioFrame) -> None:
        match self._state:
            case TurnState.IDLE if frame.speech:
                self._start_turn(frame)
            case TurnState.IDLE:
                pass
            case TurnState.SPEAKING | TurnState.PAUSED if frame.speech:
                self._state = TurnState.SPEAKING
                self._speech_end = frame.end
                if reached(frame.end - self._last_update, self._timing.interim_interval):
                    self._last_update = frame.end
                    self._turn_info("Update", frame.end, self._revealed(frame.end), UPDATE_CONFIDENCE)
            case TurnState.EAGER_SENT if frame.speech:
                self._state = TurnState.SPEAKING
                self._speech_end = frame.end
                self._turn_info("TurnResumed", frame.end, self._revealed(frame.end), UPDATE_CONFIDENCE)
            case TurnState.SPEAKING:
                self._state = TurnState.PAUSED
            case TurnState.PAUSED | TurnState.EAGER_SENT:
                self._on_silence(frame)

    def _on_silence(self, frame: AudioFrame) -> None:
        silence = frame.end - self._speech_end
        if reached(silence, self._eot_silence):
            self._end_turn(frame.end)
            return
        eager = self._params.eager_eot_threshold
        if self._state is TurnState.PAUSED and eager is not None and reached(silence, self._eager_silence):
            self._state = TurnState.EAGER_SENT
            self._turn_info("EagerEndOfTurn", frame.end, len(self._words), eager)

    def _start_turn(self, frame: AudioFrame) -> None:
        self._state = TurnState.SPEAKING
        self._words = self._script.next()
        self._turn_start = frame.start
        self._speech_end = frame.end
        self._last_update = frame.end
        self._turn_info("StartOfTurn", frame.end, min(1, len(self._words)), UPDATE_CONFIDENCE)

    def _end_turn(self, position: float) -> None:
        confidence = max(self._params.eot_threshold, 0.9)
        self._turn_info("EndOfTurn", position, len(self._words), confidence, self._timing.final_delay)
        self._state = TurnState.IDLE
        self._turn_index += 1
        self._words = ScriptedWords((), ())

    def _revealed(self, position: float) -> int:
        return self._words.revealed(position - self._turn_start, self._timing.word_seconds)

    def _turn_info(
        self, event: str, position: float, count: int, confidence: float, delay: float = 0.0
    ) -> None:
        words = [{"word": word, "confidence": CONFIDENCE} for word in self._words.tokens[:count]]
        message = {
            "type": "TurnInfo",
            "request_id": self._request_id,
            "event": event,
            "turn_index": self._turn_index,
            "audio_window_start": round(self._turn_start, 3),
            "audio_window_end": round(position, 3),
            "transcript": self._words.text(count),
            "words": words,
            "end_of_turn_confidence": confidence,
        }
        self._send(message, delay)

    def _send(self, message: dict[str, Any], delay: float = 0.0) -> None:
        message["sequence_id"] = self._sequence
        self._sequence += 1
        self._sender.put(message, delay)
