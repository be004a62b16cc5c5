"""Offline text-to-speech with espeak-ng: blocking synthesis with word timings, whole or chunk by chunk.

libespeak-ng is process-global and not thread-safe, so there is one :class:`EspeakEngine` per process
(:meth:`EspeakEngine.shared`) and every synthesis holds its lock. All calls block; run them in a worker thread
from async code. Audio is 16-bit mono at the engine's native rate (22050 Hz).

Determinism: espeak-ng keeps a little synthesis state (pitch-flutter phase) in static variables that survive
between calls, so synthesizing the same text twice in one process can differ by a few samples. A fresh process
that makes the same sequence of calls produces identical audio.
"""

from __future__ import annotations

import enum
import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from providers.local.espeak_ctypes import (
    RATE_MAXIMUM_WPM,
    RATE_MINIMUM_WPM,
    EspeakLibrary,
    EventType,
    Parameter,
    Status,
    VoiceInfo,
    find_voice,
)

PITCH_MINIMUM = 0
PITCH_MAXIMUM = 100
# A word's end is pulled back to its last sample louder than this (about -48 dBFS): espeak reports a clause's
# end only after the pause that follows it.
_WORD_END_LEVEL = 128

ChunkSink = Callable[["SynthesisChunk"], bool | None]
"""Receives each chunk as it is produced; returning ``False`` cancels the rest of the synthesis."""


@dataclass(frozen=True, slots=True)
class WordStart:
    """A word that starts in a streamed chunk; ``char_start:char_end`` index the input text.

    Spoken numbers and symbols ("42" -> "forty two") may widen the span in the final :class:`WordTiming`.
    """

    text: str
    char_start: int
    char_end: int
    start_s: float


@dataclass(frozen=True, slots=True)
class WordTiming:
    """When a word of the input text is spoken, in seconds from the start of the synthesized audio."""

    text: str
    char_start: int
    char_end: int
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class SynthesisChunk:
    """One buffer of audio as espeak-ng produced it, with the words that start inside it."""

    samples: np.ndarray  # int16, mono
    sample_rate: int
    start_s: float  # position of the first sample within the whole utterance
    words: tuple[WordStart, ...]


@dataclass(frozen=True, slots=True)
class Synthesis:
    """The synthesized audio of one text. ``cancelled`` is true when a chunk sink stopped it early."""

    text: str
    samples: np.ndarray  # int16, mono
    sample_rate: int
    words: list[WordTiming]
    cancelled: bool = False

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def validate_options(voice: str, rate_wpm: int, pitch: int) -> None:
    """Raise ValueError for options espeak-ng would silently clamp or ignore."""
    if not isinstance(voice, str) or not voice.strip():
        raise ValueError(f"voice must be a non-empty string such as 'en-us', got {voice!r}")
    if isinstance(rate_wpm, bool) or not isinstance(rate_wpm, int):
        raise ValueError(f"rate_wpm must be an integer (words per minute), got {rate_wpm!r}")
    if not RATE_MINIMUM_WPM <= rate_wpm <= RATE_MAXIMUM_WPM:
        raise ValueError(
            f"rate_wpm must be between {RATE_MINIMUM_WPM} and {RATE_MAXIMUM_WPM} words per minute, got {rate_wpm}"
        )
    if isinstance(pitch, bool) or not isinstance(pitch, int) or not PITCH_MINIMUM <= pitch <= PITCH_MAXIMUM:
        raise ValueError(
            f"pitch must be an integer between {PITCH_MINIMUM} and {PITCH_MAXIMUM}, got {pitch!r}"
        )


def _word_span(text: str, position: int, length: int) -> tuple[int, int]:
    """Turn an event's 1-based position and length into a stripped ``[start, end)`` span of ``text``.

    espeak-ng sometimes stops a word early (``don't`` is reported as ``don``); the span is extended over the
    rest of the word so that it maps back to what the user wrote.
    """
    start = min(max(position - 1, 0), len(text))
    end = min(start + max(length, 0), len(text))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return start, end
    while end < len(text) and (
        text[end].isalnum() or (text[end] in "'\u2019" and end + 1 < len(text) and text[end + 1].isalnum())
    ):
        end += 1
    return start, end


@dataclass
class _OpenWord:
    char_start: int
    char_end: int
    start_s: float


class _WordTracker:
    """Folds espeak-ng WORD/END events into one timing per written word.

    Numbers and symbols are spoken as several words ("42" -> "forty two") whose events point into the same
    written token; those extend the open word instead of starting a new one.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._open: _OpenWord | None = None
        self._done: list[WordTiming] = []

    def on_word(self, position: int, length: int, time_s: float) -> WordStart | None:
        start, end = _word_span(self._text, position, length)
        if start == end:  # whitespace: a continuation of the open word (e.g. an emoji's second word)
            return None
        if self._open is not None and start < self._open.char_end:
            self._open.char_end = max(self._open.char_end, end)
            return None
        self.on_boundary(time_s)
        self._open = _OpenWord(start, end, time_s)
        return WordStart(self._text[start:end], start, end, time_s)

    def on_boundary(self, time_s: float) -> None:
        if self._open is None:
            return
        word = self._open
        self._done.append(
            WordTiming(
                self._text[word.char_start : word.char_end],
                word.char_start,
                word.char_end,
                word.start_s,
                max(time_s, word.start_s),
            )
        )
        self._open = None

    def finish(self, end_s: float) -> list[WordTiming]:
        self.on_boundary(end_s)
        return list(self._done)


def _trim_word_ends(words: list[WordTiming], samples: np.ndarray, sample_rate: int) -> list[WordTiming]:
    """Pull each word's end back over trailing silence (the pause espeak counts into a clause's end)."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _WORD_END_LEVEL)
    trimmed: list[WordTiming] = []
    for word in words:
        first = round(word.start_s * sample_rate)
        last = round(word.end_s * sample_rate)
        inside = loud[(loud >= first) & (loud < last)]
        end_s = float(inside[-1] + 1) / sample_rate if inside.size else word.end_s
        trimmed.append(
            WordTiming(word.text, word.char_start, word.char_end, word.start_s, max(word.start_s, end_s))
        )
    return trimmed


class _RunState(enum.Enum):
    RUNNING = "running"
    CANCELLED = "cancelled"  # the sink returned False; espeak-ng was told to abort
    FAILED = "failed"  # the sink raised; espeak-ng was told to abort and the error is re-raised


@dataclass
class _Run:
    """The state of one espeak_Synth call, fed by the C callback."""

    text: str
    sample_rate: int
    sink: ChunkSink | None
    state: _RunState = _RunState.RUNNING
    error: BaseException | None = None
    buffers: list[np.ndarray] = field(default_factory=list)
    sample_count: int = 0
    tracker: _WordTracker = field(init=False)

    def __post_init__(self) -> None:
        self.tracker = _WordTracker(self.text)

    def on_callback(self, wav: Any, count: int, events: Any) -> int:
        if self.state is not _RunState.RUNNING:
            return 1
        try:
            return self._consume(wav, count, events)
        except BaseException as error:  # must not unwind through C; re-raised after the call
            self.state = _RunState.FAILED
            self.error = error
            return 1

    def _consume(self, wav: Any, count: int, events: Any) -> int:
        started: list[WordStart] = []
        index = 0
        while events and events[index].type != EventType.LIST_TERMINATED:
            event = events[index]
            time_s = event.audio_position / 1000.0
            if event.type == EventType.WORD:
                word = self.tracker.on_word(event.text_position, event.length, time_s)
                if word is not None:
                    started.append(word)
            elif event.type == EventType.END:
                self.tracker.on_boundary(time_s)
            index += 1
        samples = np.ctypeslib.as_array(wav, (count,)).copy() if wav and count > 0 else np.zeros(0, np.int16)
        chunk = SynthesisChunk(
            samples, self.sample_rate, self.sample_count / self.sample_rate, tuple(started)
        )
        self.buffers.append(samples)
        self.sample_count += samples.size
        if self.sink is not None and (samples.size or started) and self.sink(chunk) is False:
            self.state = _RunState.CANCELLED
            return 1
        return 0

    def result(self) -> Synthesis:
        samples = np.concatenate(self.buffers) if self.buffers else np.zeros(0, np.int16)
        words = self.tracker.finish(samples.size / self.sample_rate)
        return Synthesis(
            text=self.text,
            samples=samples,
            sample_rate=self.sample_rate,
            words=_trim_word_ends(words, samples, self.sample_rate),
            cancelled=self.state is _RunState.CANCELLED,
        )


_CONSTRUCTION_KEY = object()
_CHUNKS_DONE = object()


class EspeakEngine:
    """The process-wide espeak-ng synthesizer. Get it with :meth:`shared`; all methods block."""

    _shared: ClassVar[EspeakEngine | None] = None
    _shared_guard: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def shared(cls) -> EspeakEngine:
        """The engine for this process, initialising libespeak-ng on first use (a few milliseconds)."""
        with cls._shared_guard:
            if cls._shared is None:
                cls._shared = cls(EspeakLibrary(), _key=_CONSTRUCTION_KEY)
            return cls._shared

    def __init__(self, library: EspeakLibrary, *, _key: object = None) -> None:
        if _key is not _CONSTRUCTION_KEY:
            raise TypeError("libespeak-ng is process-global: use EspeakEngine.shared()")
        self._library = library
        self.sample_rate: int = library.initialize()
        self.version: str = library.version()
        library.set_synth_callback(self._on_synth)
        self._lock = threading.Lock()
        self._run: _Run | None = None
        self._voice: str | None = None
        self._voices: list[VoiceInfo] | None = None

    def voices(self) -> list[VoiceInfo]:
        """The installed voices (languages such as ``en-us`` are also accepted as voice names)."""
        with self._lock:
            if self._voices is None:
                self._voices = self._library.list_voices()
            return list(self._voices)

    def synthesize(
        self, text: str, *, voice: str = "en-us", rate_wpm: int = 175, pitch: int = 50
    ) -> Synthesis:
        """Synthesize ``text`` completely and return its audio and word timings."""
        return self.synthesize_stream(text, None, voice=voice, rate_wpm=rate_wpm, pitch=pitch)

    def synthesize_stream(
        self,
        text: str,
        sink: ChunkSink | None,
        *,
        voice: str = "en-us",
        rate_wpm: int = 175,
        pitch: int = 50,
    ) -> Synthesis:
        """Synthesize ``text``, handing each chunk to ``sink`` (on this thread) as soon as it exists.

        ``sink`` returning ``False`` stops synthesis (barge-in); the returned Synthesis then holds the audio
        produced so far and has ``cancelled`` set. An exception raised by ``sink`` propagates.
        """
        return self._execute(text, sink, voice, rate_wpm, pitch).result()

    def _execute(self, text: str, sink: ChunkSink | None, voice: str, rate_wpm: int, pitch: int) -> _Run:
        """Run one synthesis; raises what the sink raised, or on a failed status unless the sink cancelled."""
        validate_options(voice, rate_wpm, pitch)
        if not isinstance(text, str) or "\0" in text:
            raise ValueError("text must be a string without NUL characters")
        run = _Run(text, self.sample_rate, sink)
        if not text.strip():
            return run
        with self._lock:
            self._select_voice(voice)
            self._library.set_parameter(Parameter.RATE, rate_wpm)
            self._library.set_parameter(Parameter.PITCH, pitch)
            self._run = run
            try:
                status = self._library.synth(text)
            finally:
                self._run = None
        if run.state is _RunState.FAILED and run.error is not None:
            raise run.error
        if status is not Status.OK and run.state is not _RunState.CANCELLED:
            raise RuntimeError(f"espeak_Synth failed with status {status.name}")
        return run

    def synthesize_chunks(
        self, text: str, *, voice: str = "en-us", rate_wpm: int = 175, pitch: int = 50
    ) -> Generator[SynthesisChunk, None, None]:
        """Iterate over audio chunks while synthesis runs on a helper thread.

        Closing the iterator early (``break``, ``close()``) cancels the synthesis. Options are validated now,
        not on the first ``next()``.
        """
        validate_options(voice, rate_wpm, pitch)
        return self._iterate_chunks(text, voice, rate_wpm, pitch)

    def _iterate_chunks(
        self, text: str, voice: str, rate_wpm: int, pitch: int
    ) -> Generator[SynthesisChunk, None, None]:
        chunks: queue.SimpleQueue[object] = queue.SimpleQueue()
        stop = threading.Event()

        def sink(chunk: SynthesisChunk) -> bool:
            chunks.put(chunk)
            return not stop.is_set()

        def work() -> None:
            try:
                self._execute(text, sink, voice, rate_wpm, pitch)  # chunks only: no Synthesis to build
            except BaseException as error:  # handed to the consuming thread
                chunks.put(error)
            else:
                chunks.put(_CHUNKS_DONE)

        worker = threading.Thread(target=work, name="espeak-synthesis", daemon=True)
        worker.start()
        try:
            while True:
                item = chunks.get()
                if item is _CHUNKS_DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, SynthesisChunk)
                yield item
        finally:
            stop.set()
            worker.join()

    def _select_voice(self, voice: str) -> None:
        if voice == self._voice:
            return
        status = self._library.set_voice_by_name(self._resolve_voice(voice))
        if status is not Status.OK:
            raise RuntimeError(f"espeak_SetVoiceByName({voice!r}) failed with status {status.name}")
        self._voice = voice

    def _resolve_voice(self, voice: str) -> str:
        """Map a language code, voice name or identifier (optionally ``+variant``) to an espeak voice spec."""
        if self._voices is None:
            self._voices = self._library.list_voices()
        base, _, variant = voice.partition("+")
        match = find_voice(self._voices, base)
        if match is None:
            raise ValueError(
                f"unknown espeak-ng voice {voice!r}: use a language code such as 'en-us', 'en-gb' or 'fr', "
                "a voice name or identifier from EspeakEngine.voices(), optionally with a variant ('en-us+f3')"
            )
        if variant and not self._library.has_variant(variant):
            raise ValueError(f"unknown espeak-ng voice variant {variant!r} in voice {voice!r}")
        return f"{match.identifier}+{variant}" if variant else match.identifier

    def _on_synth(self, wav: Any, count: int, events: Any) -> int:
        run = self._run
        return 1 if run is None else run.on_callback(wav, count, events)
