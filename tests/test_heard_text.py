"""Which words the caller heard: from character alignment (across chunk boundaries) or estimated per segment by
word length, and only words whose audio was completely played."""

from __future__ import annotations

import pytest

from pipeline.stages.heard_text import HeardTextTracker
from providers.tts import Alignment


def aligned(text: str, char_seconds: float = 0.1, offset: float = 0.0) -> Alignment:
    """Each character lasts ``char_seconds``, the first starting ``offset`` into the chunk."""
    starts = tuple(offset + i * char_seconds for i in range(len(text)))
    return Alignment(tuple(text), starts, tuple(start + char_seconds for start in starts))


def test_alignment_word_spanning_two_chunks() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(0.3, aligned("Hel"))  # H e l end at 0.1 0.2 0.3
    tracker.add_audio(0.8, aligned("lo world"))  # l o end at 0.4 0.5; "world" ends at 0.3 + 0.8 = 1.1
    tracker.end_segment("Hello world")
    assert tracker.audio_seconds == pytest.approx(1.1)
    assert tracker.heard(0.49) == ""
    assert tracker.heard(0.5) == "Hello"  # its last character ended at 0.3 + 0.2
    assert tracker.heard(1.09) == "Hello"
    assert tracker.heard(1.1) == "Hello world"
    assert tracker.heard(60.0) == "Hello world"
    assert tracker.full_text == "Hello world"


def test_alignment_with_repeated_whitespace_and_punctuation() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(1.2, aligned("Yes,  sure.\n"))
    tracker.end_segment("Yes,  sure.")
    assert tracker.heard(0.4) == "Yes,"
    assert tracker.heard(1.1) == "Yes, sure."  # no empty words from the double space


def test_alignment_with_silence_before_the_chars() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(0.5)  # leading silence chunk, no alignment
    tracker.add_audio(1.0, aligned("Hi you", offset=0.2))  # "Hi" ends at 0.5 + 0.2 + 0.2
    tracker.end_segment("Hi you")
    assert tracker.heard(0.89) == ""
    assert tracker.heard(0.9) == "Hi"
    assert tracker.heard(1.3) == "Hi you"


def test_without_alignment_words_are_spread_by_length_per_segment() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(0.4)
    tracker.add_audio(0.6)
    tracker.end_segment("Hi there.")  # "Hi " = 3 of 10 units over 1.0 s
    tracker.add_audio(2.0)
    tracker.end_segment("  Go on now  ")  # 3, 3, 4 of 10 units over the next 2.0 s
    assert tracker.full_text == "Hi there. Go on now"
    expected = [
        (0.29, ""),
        (0.3, "Hi"),
        (0.99, "Hi"),
        (1.0, "Hi there."),
        (1.59, "Hi there."),
        (1.6, "Hi there. Go"),
        (2.2, "Hi there. Go on"),
        (2.99, "Hi there. Go on"),
        (3.0, "Hi there. Go on now"),
    ]
    assert [(played, tracker.heard(played)) for played, _ in expected] == expected


def test_partial_playback_gives_only_fully_played_words() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(2.0, aligned("one two three four", char_seconds=0.1))
    tracker.end_segment("one two three four")
    # "one" ends 0.3, "two" 0.7, "three" 1.3, "four" 1.8
    assert tracker.heard(0.0) == ""
    assert tracker.heard(1.0) == "one two"  # half of "three" played: not heard
    assert tracker.heard(1.3) == "one two three"
    assert tracker.heard(1.79) == "one two three"


def test_mixed_aligned_and_unaligned_segments() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(1.0, aligned("Good day"))  # "Good" 0.4, "day" 0.8
    tracker.end_segment("Good day")
    tracker.add_audio(1.0)  # unaligned: "How are you?" spread over 1.0 .. 2.0
    tracker.end_segment("How are you?")  # 4, 4, 5 of 13 units
    tracker.add_audio(0.5, aligned("Bye"))  # ends at 2.0 + 0.3
    tracker.end_segment("Bye")
    assert tracker.full_text == "Good day How are you? Bye"
    assert tracker.heard(0.8) == "Good day"
    assert tracker.heard(1.0 + 4 / 13) == "Good day How"
    assert tracker.heard(1.99) == "Good day How are"
    assert tracker.heard(2.0) == "Good day How are you?"
    assert tracker.heard(2.29) == "Good day How are you?"
    assert tracker.heard(2.3) == "Good day How are you? Bye"
    assert tracker.audio_seconds == pytest.approx(2.5)


def test_nothing_heard_before_any_segment_ends_without_alignment() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(3.0)
    assert tracker.heard(3.0) == ""  # the word timing of an unfinished unaligned segment is unknown
    tracker.end_segment("finally done")
    assert tracker.heard(3.0) == "finally done"


def test_empty_segment_adds_no_words() -> None:
    tracker = HeardTextTracker()
    tracker.add_audio(1.0)
    tracker.end_segment("")
    tracker.add_audio(1.0)
    tracker.end_segment("word")
    assert tracker.full_text == "word"
    assert tracker.heard(1.99) == ""
    assert tracker.heard(2.0) == "word"
