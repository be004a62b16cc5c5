"""Render digit strings the way transcripts show them: as digit groups or as spoken words.

Streaming STT without formatting gives "five five five oh one nine two"; with formatting "555-0192".
Used by the dataset builder (and the benchmark corpus) so both renderings appear for the same content.
"""

from __future__ import annotations

import random
from enum import Enum

UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS = (
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


class NumberStyle(Enum):
    DIGITS = "digits"
    WORDS = "words"


def integer_words(value: int) -> str:
    """0..9999 as words: 42 -> "forty two", 305 -> "three oh five", 1200 -> "twelve hundred"."""
    if value < 10:
        return UNITS[value]
    if value < 20:
        return TEENS[value - 10]
    if value < 100:
        tens, unit = divmod(value, 10)
        return TENS[tens] if unit == 0 else f"{TENS[tens]} {UNITS[unit]}"
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        if rest == 0:
            return f"{UNITS[hundreds]} hundred"
        return (
            f"{UNITS[hundreds]} oh {UNITS[rest]}" if rest < 10 else f"{UNITS[hundreds]} {integer_words(rest)}"
        )
    high, low = divmod(value, 100)
    if low == 0:
        return f"{integer_words(high)} hundred"
    return f"{integer_words(high)} {integer_words(low) if low >= 10 else 'oh ' + UNITS[low]}"


def digit_words(digits: str, rng: random.Random) -> str:
    """Speak a digit string digit by digit, sometimes with "oh" for zero and "double" for repeats."""
    use_oh = rng.random() < 0.4
    use_double = rng.random() < 0.2
    words: list[str] = []
    i = 0
    while i < len(digits):
        d = int(digits[i])
        word = "oh" if d == 0 and use_oh else UNITS[d]
        if use_double and i + 1 < len(digits) and digits[i + 1] == digits[i]:
            words.append(f"double {word}")
            i += 2
            continue
        words.append(word)
        i += 1
    return " ".join(words)


def speak_groups(groups: list[str], style: NumberStyle, rng: random.Random, separator: str = " ") -> str:
    """Render digit groups ("555", "123", "4567") in one style; spoken 4-digit groups may be paired."""
    if style is NumberStyle.DIGITS:
        return separator.join(groups)
    spoken: list[str] = []
    for group in groups:
        if len(group) == 4 and group[0] != "0" and group[2] != "0" and rng.random() < 0.25:
            spoken.append(f"{integer_words(int(group[:2]))} {integer_words(int(group[2:]))}")
        else:
            spoken.append(digit_words(group, rng))
    joiner = ", " if rng.random() < 0.2 else " "
    return joiner.join(spoken)


def random_digits(rng: random.Random, n: int, first_nonzero: bool = True) -> str:
    first = str(rng.randint(1, 9)) if first_nonzero else str(rng.randint(0, 9))
    return first + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def speak_int(value: int, style: NumberStyle) -> str:
    return str(value) if style is NumberStyle.DIGITS else integer_words(value)
