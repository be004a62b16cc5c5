"""One Deepgram `/v1/listen` connection: energy-based utterances turned into Results / UtteranceEnd / Metadata."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.fakes.audio import AudioFrame, EnergyFramer, reached
from tests.fakes.transcripts import ScriptedWords, TranscriptScript
from tests.fakes.wsserver import QueuedSender

MODEL_UUID = "1dbdfb4d-85b2-4659-9a2b-f7c3c3e1c7b5"
CONFIDENCE = 0.99


@dataclass(frozen=True)
class DeepgramTiming:
    """Behaviour knobs shared by `/v1/listen` and `/v2/listen` sessions (seconds unless noted)."""

    final_delay: float  # wall time between the trigger (endpoint / Finalize / CloseStream) and the final
    interim_interval: float  # audio time between interim results
    speech_threshold: float  # RMS (int16 scale) above which a 10 ms frame is speech
    word_seconds: float  # audio time per word revealed in interim results
    finalize_split: int = 1  # the answer to Finalize comes as this many finals (each flagged from_finalize)
    answer_idle_finalize: bool = True  # answer a Finalize that has no speech to flush (with an empty final)


class SessionStep(enum.Enum):
    CONTINUE = "continue"
    CLOSE = "close"  # flush what is queued, then close 1000


def query_flag(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = query.get(name)
    return default if value is None else value.lower() == "true"


@dataclass(frozen=True)
class ListenParams:
    model: str
    sample_rate: int
    channels: int
    interim_results: bool
    endpointing: float | None  # seconds of trailing silence that end an utterance; None = disabled
    utterance_end: float | None  # seconds of silence after the last word for UtteranceEnd; None = disabled
    vad_events: bool
    punctuate: bool

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ListenParams:
        endpointing_raw = query.get("endpointing", "10")
        endpointing = None if endpointing_raw.lower() == "false" else int(endpointing_raw) / 1000
        interim = query_flag(query, "interim_results")
        utterance_end_ms = query.get("utterance_end_ms")
        return cls(
            model=query.get("model", "base"),
            sample_rate=int(query.get("sample_rate", "16000")),
            channels=int(query.get("channels", "1")),
            interim_results=interim,
            endpointing=endpointing,
            utterance_end=int(utterance_end_ms) / 1000 if utterance_end_ms and interim else None,
            vad_events=query_flag(query, "vad_events"),
            punctuate=query_flag(query, "punctuate") or query_flag(query, "smart_format"),
        )


class UtteranceState(enum.Enum):
    IDLE = "idle"  # no speech since the last final
    SPEAKING = "speaking"  # speech frames arriving
    TRAILING = "trailing"  # speech stopped; counting silence toward the endpoint
    AWAITING_UTTERANCE_END = "awaiting_utterance_end"  # final sent; counting silence toward UtteranceEnd


class ListenSession:
    """Turns audio and control messages of one connection into Deepgram server messages on `sender`."""

    def __init__(
        self,
        params: ListenParams,
        timing: DeepgramTiming,
        script: TranscriptScript,
        sender: QueuedSender,
        request_id: str,
    ) -> None:
        self._params = params
        self._timing = timing
        self._script = script
        self._sender = sender
        self._request_id = request_id
        self._framer = EnergyFramer(params.sample_rate * params.channels, timing.speech_threshold)
        self._state = UtteranceState.IDLE
        self._words: ScriptedWords | None = None
        self._span_start = 0.0  # audio covered by the last final ends here
        self._utterance_start = 0.0
        self._speech_end = 0.0
        self._last_interim = 0.0

    def on_audio(self, data: bytes) -> None:
        for frame in self._framer.feed(data):
            self._on_frame(frame)

    def on_control(self, message: Mapping[str, Any]) -> SessionStep:
        match message.get("type"):
            case "Finalize":
                self._finalize_now()
            case "CloseStream":
                if self._state in (UtteranceState.SPEAKING, UtteranceState.TRAILING):
                    self._final(self._framer.position, speech_final=True, from_finalize=False)
                self._sender.put(self._metadata())
                return SessionStep.CLOSE
            case _:
                pass  # KeepAlive and unknown messages only keep the connection alive
        return SessionStep.CONTINUE

    def _on_frame(self, frame: AudioFrame) -> None:
        match self._state:
            case UtteranceState.IDLE | UtteranceState.AWAITING_UTTERANCE_END if frame.speech:
                self._begin_utterance(frame)
            case UtteranceState.AWAITING_UTTERANCE_END:
                assert self._params.utterance_end is not None
                if reached(frame.end - self._speech_end, self._params.utterance_end):
                    self._sender.put(
                        {"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": self._speech_end}
                    )
                    self._state = UtteranceState.IDLE
            case UtteranceState.IDLE:
                pass
            case UtteranceState.SPEAKING | UtteranceState.TRAILING if frame.speech:
                self._state = UtteranceState.SPEAKING
                self._speech_end = frame.end
                self._maybe_interim(frame.end)
            case UtteranceState.SPEAKING:
                self._state = UtteranceState.TRAILING
            case UtteranceState.TRAILING:
                endpointing = self._params.endpointing
                if endpointing is not None and reached(frame.end - self._speech_end, endpointing):
                    self._final(frame.end, speech_final=True, from_finalize=False)

    def _begin_utterance(self, frame: AudioFrame) -> None:
        self._state = UtteranceState.SPEAKING
        self._words = self._script.next()
        self._utterance_start = frame.start
        self._speech_end = frame.end
        self._last_interim = frame.start
        if self._params.vad_events:
            self._sender.put({"type": "SpeechStarted", "channel": [0], "timestamp": round(frame.start, 3)})

    def _maybe_interim(self, position: float) -> None:
        if not self._params.interim_results or self._words is None:
            return
        if not reached(position - self._last_interim, self._timing.interim_interval):
            return
        self._last_interim = position
        count = self._words.revealed(position - self._utterance_start, self._timing.word_seconds)
        self._sender.put(
            self._results(
                self._words, count, position, is_final=False, speech_final=False, from_finalize=False
            )
        )

    def _finalize_now(self) -> None:
        position = self._framer.position
        if self._state in (UtteranceState.SPEAKING, UtteranceState.TRAILING):
            if self._timing.finalize_split > 1:
                self._split_final(position, self._timing.finalize_split)
            else:
                self._final(position, speech_final=False, from_finalize=True)
            return
        if not self._timing.answer_idle_finalize:
            return
        empty = ScriptedWords((), ())
        message = self._results(empty, 0, position, is_final=True, speech_final=False, from_finalize=True)
        self._span_start = position
        self._sender.put(message, self._timing.final_delay)

    def _split_final(self, position: float, parts: int) -> None:
        """The Finalize answer as `parts` consecutive finals over the span, each flagged from_finalize."""
        words = self._words or ScriptedWords((), ())
        whole = self._results(
            words, len(words), position, is_final=True, speech_final=False, from_finalize=True
        )
        items = whole["channel"]["alternatives"][0]["words"]
        parts = max(1, min(parts, len(items)))
        span = position - self._span_start
        for part in range(parts):
            chunk = items[part * len(items) // parts : (part + 1) * len(items) // parts]
            start = self._span_start + span * part / parts
            end = position if part == parts - 1 else self._span_start + span * (part + 1) / parts
            message = json.loads(json.dumps(whole))
            message["start"], message["duration"] = round(start, 3), round(end - start, 3)
            alternative = message["channel"]["alternatives"][0]
            alternative["words"] = chunk
            alternative["transcript"] = " ".join(w.get("punctuated_word", w["word"]) for w in chunk)
            self._sender.put(message, self._timing.final_delay)
        self._end_utterance(position, words)

    def _final(self, position: float, *, speech_final: bool, from_finalize: bool) -> None:
        words = self._words or ScriptedWords((), ())
        message = self._results(
            words, len(words), position, is_final=True, speech_final=speech_final, from_finalize=from_finalize
        )
        self._sender.put(message, self._timing.final_delay)
        self._end_utterance(position, words)

    def _end_utterance(self, position: float, words: ScriptedWords) -> None:
        """After the final(s) covering audio up to `position`: wait for UtteranceEnd if it is on and words came."""
        self._span_start = position
        self._words = None
        wants_end = self._params.utterance_end is not None and len(words) > 0
        self._state = UtteranceState.AWAITING_UTTERANCE_END if wants_end else UtteranceState.IDLE

    def _results(
        self,
        words: ScriptedWords,
        count: int,
        position: float,
        *,
        is_final: bool,
        speech_final: bool,
        from_finalize: bool,
    ) -> dict[str, Any]:
        end = self._speech_end if is_final else position
        step = (end - self._utterance_start) / count if count else 0.0
        word_items: list[dict[str, Any]] = []
        for i in range(count):
            item: dict[str, Any] = {
                "word": words.words[i],
                "start": round(self._utterance_start + i * step, 3),
                "end": round(self._utterance_start + (i + 1) * step, 3),
                "confidence": CONFIDENCE,
            }
            if self._params.punctuate:
                item["punctuated_word"] = words.tokens[i]
            word_items.append(item)
        transcript = words.text(count, punctuated=self._params.punctuate)
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(position - self._span_start, 3),
            "start": round(self._span_start, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {
                "alternatives": [
                    {
                        "transcript": transcript,
                        "confidence": CONFIDENCE if count else 0.0,
                        "words": word_items,
                    }
                ]
            },
            "metadata": {
                "request_id": self._request_id,
                "model_info": {
                    "name": f"general-{self._params.model}",
                    "version": "fake",
                    "arch": self._params.model,
                },
                "model_uuid": MODEL_UUID,
            },
        }

    def _metadata(self) -> dict[str, Any]:
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self._request_id,
            "sha256": hashlib.sha256(self._request_id.encode()).hexdigest(),
            "created": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "duration": round(self._framer.position, 3),
            "channels": self._params.channels,
            "models": [MODEL_UUID],
            "model_info": {
                MODEL_UUID: {"name": f"general-{self._params.model}", "version": "fake", "arch": "fake"}
            },
        }
