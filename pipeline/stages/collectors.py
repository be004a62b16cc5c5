"""The built-in collectors: email, phone number, date and postal address, each understanding the spoken form
("john dot smith at example dot com", "five five five one two three four", "the twenty-fourth of December")."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from pipeline.stages.collect_dialog import Collector

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")


def _spoken_digits(text: str) -> str:
    """Digits from digits and digit words; "double five" is 55."""
    out: list[str] = []
    repeat = 1
    for token in re.findall(r"[a-z]+|\d", text.lower()):
        if token in ("double", "triple"):
            repeat = 2 if token == "double" else 3
            continue
        digit = token if token.isdigit() else _DIGIT_WORDS.get(token)
        if digit is not None:
            out.append(digit * repeat)
        repeat = 1
    return "".join(out)


class EmailCollector(Collector):
    field = "email"
    question = "What is your email address?"
    retry = "Sorry, that did not sound like an email address."

    def extract(self, text: str) -> str | None:
        written = _EMAIL.search(text.lower())
        if written:
            return written.group(0)
        tokens = re.findall(r"[a-z0-9+]+|@|\.|_|-", text.lower())
        tokens = [_CONNECTORS.get(token, token) for token in tokens]
        if "@" not in tokens:
            return None
        at = tokens.index("@")
        local = _joined(tokens[:at][::-1])[::-1]
        domain = _joined(tokens[at + 1 :])
        found = _EMAIL.fullmatch("".join(local) + "@" + "".join(domain))
        return found.group(0) if found else None

    def read_back(self, value: str) -> str:
        local, _, domain = value.partition("@")
        return f"{_spell(local)} at {_spell(domain)}"


_CONNECTORS = {"at": "@", "dot": ".", "underscore": "_", "dash": "-", "hyphen": "-", "point": "."}


def _joined(tokens: list[str]) -> list[str]:
    """The address part next to the "at": a word, then more words only across a connector (dot, dash...);
    ``tokens`` run away from the "at"."""
    part: list[str] = []
    for token in tokens:
        if not part:
            if token in "._-":
                return []
            part.append(token)
        elif part[-1] in "._-":
            if token in "._-":
                break
            part.append(token)
        elif token in "._-":
            part.append(token)
        else:
            break
    if part and part[-1] in "._-":
        part.pop()
    return part


def _spell(part: str) -> str:
    return part.replace(".", " dot ").replace("_", " underscore ").replace("-", " dash ")


class PhoneCollector(Collector):
    field = "phone"
    question = "What is your phone number?"
    retry = "Sorry, I need the whole number, digit by digit."

    def extract(self, text: str) -> str | None:
        digits = _spoken_digits(text)
        if not digits:
            return None
        plus = "+" if re.search(r"\bplus\b|\+", text.lower()) else ""
        return plus + digits

    def validate(self, value: str) -> str | None:
        count = len(value.lstrip("+"))
        if count < 7:
            return "That number seems too short."
        if count > 15:
            return "That number seems too long."
        return None

    def read_back(self, value: str) -> str:
        digits = value.lstrip("+")
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        if len(groups) > 1 and len(groups[-1]) == 1:
            groups[-2:] = [groups[-2] + groups[-1]]  # 555 123 4567, not 555 123 456 7
        said = ", ".join(" ".join(group) for group in groups)
        return f"plus {said}" if value.startswith("+") else said


_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))


def _day_number(text: str) -> int | None:
    """'24', '24th', 'twenty-fourth', 'twenty fourth', 'thirty first'."""
    found = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", text)
    if found:
        return int(found.group(1))
    words = re.findall(r"[a-z]+", text.lower())
    for index, word in enumerate(words):
        if word in _ORDINALS:
            tens = {"twenty": 20, "thirty": 30}.get(words[index - 1], 0) if index else 0
            return tens + _ORDINALS[word]
    return None


class DateCollector(Collector):
    field = "date"
    question = "What date would that be?"
    retry = "Sorry, I did not catch the date."

    def __init__(self, today: Callable[[], datetime.date] = datetime.date.today) -> None:
        self._today = today

    def extract(self, text: str) -> str | None:
        lower = text.lower()
        today = self._today()
        iso = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", lower)
        if iso:
            return self._date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if re.search(r"\btoday\b", lower):
            return today.isoformat()
        if re.search(r"\btomorrow\b", lower):
            return (today + datetime.timedelta(days=1)).isoformat()
        month = re.search(rf"\b({_MONTH_WORD})\b", lower)
        if month is None:
            return None
        rest = lower[: month.start()] + " " + lower[month.end() :]
        year_match = re.search(r"\b(\d{4})\b", rest)
        day = _day_number(re.sub(r"\b\d{4}\b", " ", rest))
        if day is None:
            return None
        number = _MONTHS[month.group(1)]
        year = int(year_match.group(1)) if year_match else today.year
        found = self._date(year, number, day)
        if found is not None and year_match is None and found < today.isoformat():
            found = self._date(year + 1, number, day)  # "March 3rd" in December: next year's
        return found

    @staticmethod
    def _date(year: int, month: int, day: int) -> str | None:
        try:
            return datetime.date(year, month, day).isoformat()
        except ValueError:
            return None

    def read_back(self, value: str) -> str:
        date = datetime.date.fromisoformat(value)
        return f"{date:%A}, {date:%B} {date.day}, {date.year}"


_STREET = re.compile(
    r"\b(street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|place|pl|court|ct|square|terrace"
    r"|highway|parkway|close|crescent)\b",
    re.I,
)


class AddressCollector(Collector):
    field = "address"
    question = "What is the address, with the house number, street and city?"
    retry = "Sorry, I need the house number and the street."

    def extract(self, text: str) -> str | None:
        cleaned = re.sub(
            r"^(it'?s|it is|my address is|the address is|i live at)\s+", "", text.strip(), flags=re.I
        )
        cleaned = cleaned.strip(" .")
        return cleaned or None

    def validate(self, value: str) -> str | None:
        if not re.search(r"\d", value) and not re.search(
            r"\b(one|two|three|four|five|six|seven|eight|nine|ten)\b", value, re.I
        ):
            return "I need the house number too."
        if not _STREET.search(value):
            return "I did not hear a street name."
        return None
