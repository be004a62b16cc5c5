"""Generators for the phenomena where a caller pauses mid-turn after something that can look finished.

- a list answering "what else do you need?": items strung together without "and" are unfinished; one item
  alone is genuinely ambiguous (``dataset.AMBIGUOUS_KINDS``: written with both labels, so the model learns
  "maybe");
- a name: a first name alone after "what's the name?" is ambiguous, after "your full name?" unfinished;
- an address: a house number alone is unfinished; "12 Oak Street" without the town is ambiguous when the
  agent asked for the address;
- a phone number or reference read in groups: complete only with the digits the context expects.

Each generator takes ``(rng, style)`` and draws the same values from ``rng`` in both number styles.
"""

from __future__ import annotations

import random

from training.eot import dataset_words as words
from training.eot.dataset_templates import Example
from training.eot.spoken_numbers import NumberStyle, integer_words, random_digits, speak_groups, speak_int

FIRSTS = words.FIRST_NAMES + words.MORE_FIRST_NAMES
LASTS = words.LAST_NAMES + words.MORE_LAST_NAMES
STREETS = words.STREETS + words.MORE_STREETS
SUFFIXES = words.STREET_SUFFIXES + words.MORE_STREET_SUFFIXES
_CUED = frozenset({"reach", "ring", "call", "mobile", "number's", "number", "line", "cell", "contact",
                   "account", "reference"})  # fmt: skip
_NAME_QUESTIONS = words.NAME_QUESTIONS + tuple(q for q in words.AGENT_QUESTIONS["name"] if "last" not in q)


_ONSETS = ("b", "br", "d", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "r", "s", "st", "t", "tr", "v",
           "w", "z", "sh", "ch", "cl", "pl")  # fmt: skip
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "oo", "ou", "y")
_CODAS = ("", "", "n", "r", "l", "s", "m", "t", "nd", "rk", "ll", "x")
SYNTHETIC_SHARE = 0.4  # names, items and streets that are made-up words: the model must not learn the words


def pseudo_word(rng: random.Random) -> str:
    """A pronounceable made-up word ("brelton"), standing for a name or thing the model has never seen."""
    syllables = rng.randint(1, 3)
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))
    return word if len(word) >= 4 else word + "ton"  # never a short real word such as "so" or "me"


def _name(rng: random.Random, names: tuple[str, ...]) -> str:
    return pseudo_word(rng).capitalize() if rng.random() < SYNTHETIC_SHARE else rng.choice(names)


def _item(rng: random.Random, pool: tuple[str, ...]) -> str:
    if rng.random() >= SYNTHETIC_SHARE:
        return rng.choice(pool)
    return rng.choice(("{}s", "a {}", "some {}", "two {}s", "the {}")).format(pseudo_word(rng))


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p.strip()).replace(" ,", ",")


def _sometimes(rng: random.Random, share: float, question: str) -> str | None:
    return question if rng.random() < share else None


def items_example(rng: random.Random, style: NumberStyle) -> Example:
    asked = rng.random() < 0.8
    agent = rng.choice(words.ITEMS_QUESTIONS) if asked else _sometimes(rng, 0.5, "How can I help you today?")
    pool = rng.choice((words.HOUSEHOLD, words.GROCERIES, words.MENU_ITEMS))
    items = list(dict.fromkeys(_item(rng, pool) for _ in range(6)))[:4]
    if len(items) < 4:
        items = rng.sample(pool, 4)
    lead = rng.choice(words.ITEMS_LEADS)
    sep = ", " if rng.random() < 0.4 else " "
    n = rng.randint(2, 4)
    shape = rng.choices(
        ("single", "run", "open", "and", "closer"), weights=(30 if asked else 0, 30, 14, 24, 10)
    )[0]
    if shape == "single":  # "we're out of dish soap" after "what else?": as likely to go on as not
        return Example(_join(lead, items[0]), agent, True, "list_single")
    if shape == "run":
        body = sep.join(items[: min(n, 3)]) + ("," if sep == ", " and rng.random() < 0.5 else "")
        return Example(_join(lead, body), agent, False, "partial_list")
    if shape == "open":
        body = _join(sep.join(items[: n - 1]), rng.choice(words.ITEMS_OPEN_ENDS))
        return Example(_join(lead, body), agent, False, "partial_list")
    oxford = "," if sep == ", " and n > 2 else ""
    body = f"{sep.join(items[: n - 1])}{oxford} and {items[n - 1]}"
    if shape == "closer":
        body = f"{body}, {rng.choice(words.ITEMS_CLOSERS)}"
    return Example(_join(lead, body), agent, True, "list")


def name_example(rng: random.Random, style: NumberStyle) -> Example:
    full_asked = rng.random() < 0.25
    agent = rng.choice(words.FULL_NAME_QUESTIONS if full_asked else _NAME_QUESTIONS)
    first, last = _name(rng, FIRSTS), _name(rng, LASTS)
    lead = rng.choice(words.NAME_LEADS)
    shape = rng.choices(("first", "full", "polite", "hesitant", "and"), weights=(38, 38, 8, 9, 7))[0]
    if shape == "first":
        if full_asked:
            return Example(_join(lead, first), agent, False, "partial_name")
        if not lead:  # "Priya" after "What's your name?": the answer (issue 16); with a lead it may go on
            return Example(first, agent, True, "name_first_alone")
        return Example(_join(lead, first), agent, True, "name_first")
    if shape == "full":
        return Example(_join(lead, first, last), agent, True, "name")
    if shape == "polite":
        return Example(
            _join(lead, first, last, rng.choice(("please", ", thanks", ", thank you"))), agent, True, "name"
        )
    if shape == "hesitant":
        return Example(_join(lead, first, rng.choice(("uh", ", um", "er"))), agent, False, "partial_name")
    return Example(_join(lead, first, "and"), agent, False, "partial_name")


def street_address_example(rng: random.Random, style: NumberStyle) -> Example:
    agent = _sometimes(rng, 0.75, rng.choice(words.ADDRESS_QUESTIONS + words.AGENT_QUESTIONS["address"]))
    lead = rng.choice(words.ADDRESS_LEADS[1:] if agent is None else words.ADDRESS_LEADS)
    number = rng.choice((rng.randint(10, 99), rng.randint(100, 999), rng.randint(1000, 9999)))
    house = str(number) if style is NumberStyle.DIGITS else integer_words(number)
    street = f"{_name(rng, STREETS)} {rng.choice(SUFFIXES)}"
    unit = speak_int(rng.randint(1, 40), style)
    shape = rng.choices(("house", "street", "more", "open", "hesitant"), weights=(30, 28, 25, 10, 7))[0]
    if shape == "house":
        return Example(_join(lead, house), agent, False, "partial_address")
    if shape == "street":
        # Dictating an address the agent asked for, callers often go on with the unit or town: ambiguous.
        # Volunteered in a sentence ("send it to 12 Oak Street"), the street is usually the point.
        return Example(
            _join(lead, house, street), agent, True, "address" if agent is None else "address_street"
        )
    if shape == "more":
        rest = rng.choice((f", apartment {unit}", f" unit {unit}", f" in {rng.choice(words.CITIES)}",
                           f", {rng.choice(words.CITIES)}", f" suite {unit}", f", flat {unit}"))  # fmt: skip
        return Example(_join(lead, house, street) + rest, agent, True, "address")
    if shape == "open":
        rest = rng.choice((" in", " and", ", apartment", " unit", ", um", " in, uh"))
        return Example(_join(lead, house, street) + rest, agent, False, "partial_address")
    return Example(_join(lead, house, rng.choice(("uh", ", um", "er"))), agent, False, "partial_address")


def _speak(groups: list[str], style: NumberStyle, rng: random.Random) -> str:
    sub = random.Random(rng.getrandbits(32))
    if style is NumberStyle.WORDS and len(groups[0]) == 3 and groups[0][1] != "0" and sub.random() < 0.2:
        return _join(integer_words(int(groups[0])), speak_groups(groups[1:], style, sub))  # "two ninety ..."
    return speak_groups(groups, style, sub, sub.choice((" ", " ", "-")))


def dictation_example(rng: random.Random, style: NumberStyle) -> Example:
    """A phone number or a reference read out in groups; cut after a group it is unfinished."""
    phone = rng.random() < 0.65
    questions = words.PHONE_QUESTIONS + words.AGENT_QUESTIONS["phone"] if phone else words.CODE_QUESTIONS
    agent = _sometimes(rng, 0.65, rng.choice(questions))
    leads = words.PHONE_LEADS if phone else words.CODE_LEADS
    lead = rng.choice(leads if agent else [lead for lead in leads if _CUED.intersection(lead.split())])
    if phone:
        sizes = [1, 3, 3, 4] if rng.random() < 0.1 else [3, 3, 4]
    else:
        length = rng.randint(4, 5) if rng.random() < 0.3 else rng.randint(6, 10)
        sizes = [length] if length < 6 else [length // 2, length - length // 2]
    groups = [random_digits(rng, size, i == 0) for i, size in enumerate(sizes)]
    if sizes[0] == 1:
        groups[0] = "1"
    complete = rng.random() < 0.45 or len(groups) == 1
    if not complete:
        groups = groups[: rng.randint(1, len(groups) - 1)]
    kind = ("number" if complete else "partial_number") if phone else ("code" if complete else "partial_code")
    if not phone and len(sizes) == 1:
        kind = "code_short"  # "it's 4 8 2 1" for an ID: may be all of it or its first part
    return Example(_join(lead, _speak(groups, style, rng)), agent, complete, kind)
