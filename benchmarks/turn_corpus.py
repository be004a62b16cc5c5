"""Turn-taking benchmark corpus: utterances spoken in chunks with internal pauses, and where the turn ends.

Each case is a sequence of spoken text chunks and pauses in seconds, e.g.
``("my cell's five five five", 0.6, "zero one nine two")``. The turn always ends after the last chunk; every
internal pause is the caller thinking or breathing mid-turn, so an agent that replies there cuts them off.
At each pause a turn detector sees the words spoken so far (``DecisionPoint.text_so_far``).

The wording here is written separately from the training templates in ``training/eot`` (other names, streets,
items and phrasings), so scoring the text model on this corpus is an honest out-of-template check.
Usage::

    from benchmarks.turn_corpus import build_corpus
    for case in build_corpus():
        for point in case.decision_points():
            ...  # point.text_so_far, point.pause_s, point.is_turn_end
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from training.eot.spoken_numbers import NumberStyle, integer_words, random_digits, speak_groups

DEFAULT_SEED = 7
DEFAULT_CASES = 100
FINAL_SILENCE_S = 2.0  # silence after the last chunk: the caller is waiting for the agent

Chunk = str | float


@dataclass(frozen=True, slots=True)
class DecisionPoint:
    text_so_far: str
    pause_s: float  # silence that follows; FINAL_SILENCE_S at the real end
    is_turn_end: bool


@dataclass(frozen=True, slots=True)
class TurnCase:
    case_id: str
    category: str
    agent_question: str | None
    chunks: tuple[Chunk, ...]  # text and pauses alternate; starts and ends with text

    def __post_init__(self) -> None:
        kinds = [isinstance(c, str) for c in self.chunks]
        if not kinds or not kinds[0] or not kinds[-1] or any(a == b for a, b in itertools.pairwise(kinds)):
            raise ValueError(f"{self.case_id}: chunks must alternate text/pause and start and end with text")

    @property
    def turn_end_index(self) -> int:
        """Index in ``chunks`` of the text chunk after which the turn really ends (always the last one)."""
        return len(self.chunks) - 1

    @property
    def full_text(self) -> str:
        return " ".join(c for c in self.chunks if isinstance(c, str))

    @property
    def has_internal_pause(self) -> bool:
        return len(self.chunks) > 1

    def decision_points(self) -> list[DecisionPoint]:
        points: list[DecisionPoint] = []
        spoken: list[str] = []
        for index, chunk in enumerate(self.chunks):
            if isinstance(chunk, str):
                spoken.append(chunk)
                if index == self.turn_end_index:
                    points.append(DecisionPoint(" ".join(spoken), FINAL_SILENCE_S, True))
            else:
                points.append(DecisionPoint(" ".join(spoken), float(chunk), False))
        return points


_NAMES = (
    "Beatrice",
    "Tobias",
    "Ingrid",
    "Rafael",
    "Yusuf",
    "Colette",
    "Desmond",
    "Harriet",
    "Lorenzo",
    "Svetlana",
)
_SURNAMES = ("Okafor", "Lindqvist", "Castellano", "Whitford", "Abernathy", "Haddad", "Kowalczyk", "Fairbanks")
_STREETS = (
    "Birchwood Terrace",
    "Quarry Hill Close",
    "Juniper Crescent",
    "Old Mill Parkway",
    "Harbor View Place",
)
_PARTY_ITEMS = ("paper plates", "plastic forks", "balloons", "a birthday candle", "ice", "sparkling water",
                "napkins", "a fruit platter", "streamers", "hot dog buns")  # fmt: skip
_ERRANDS = ("the dentist visit", "my car service", "the piano lesson", "my haircut", "the vet checkup",
            "the plumber visit")  # fmt: skip
_WEEKDAYS = ("the following thursday", "a week from friday", "the monday after next", "later this month")


def _pause(rng: random.Random) -> float:
    return round(rng.uniform(0.45, 1.4), 2)


def _digits_text(rng: random.Random, groups: list[str]) -> str:
    style = NumberStyle.WORDS if rng.random() < 0.7 else NumberStyle.DIGITS
    return speak_groups(groups, style, rng).replace(",", "")


def _phone(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    groups = [random_digits(rng, 3), random_digits(rng, 3, False), random_digits(rng, 4, False)]
    lead = rng.choice(("the best number for me is", "you can text me on", "my cell's", "ring me on",
                       "the number to use is"))  # fmt: skip
    spoken = [_digits_text(rng, [g]) for g in groups]
    if rng.random() < 0.5:
        return "What number can we text you at?", (spoken[0], _pause(rng), spoken[1], _pause(rng), spoken[2])
    return None, (f"{lead} {spoken[0]}", _pause(rng), f"{spoken[1]} {spoken[2]}")


def _card(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    groups = [random_digits(rng, 4, i == 0) for i in range(4)]
    chunks: list[Chunk] = []
    for i, group in enumerate(groups):
        chunks.extend(([_pause(rng)] if i else []) + [_digits_text(rng, [group])])
    if rng.random() < 0.5:
        chunks[0] = f"sure the long number on the front is {chunks[0]}"
    return "Go ahead with the sixteen digits on the card whenever you're ready.", tuple(chunks)


def _account(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    first, second = random_digits(rng, 4), random_digits(rng, 4, False)
    return "Could I have your membership ID?", (
        f"hang on it's {_digits_text(rng, [first])}",
        _pause(rng),
        f"{_digits_text(rng, [second])} I believe",
    )


def _address(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    house = integer_words(rng.randint(100, 9999)) if rng.random() < 0.7 else str(rng.randint(100, 9999))
    street = rng.choice(_STREETS)
    lead = rng.choice(("we're over at", "bring it round to", "the house is at"))
    if rng.random() < 0.5:
        return None, (f"{lead} {house}", _pause(rng), street.lower())
    return "Where are we dropping this off?", (f"{lead} {house} {street.lower()}", _pause(rng),
                                               f"unit {integer_words(rng.randint(2, 40))}")  # fmt: skip


def _list(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    items = rng.sample(_PARTY_ITEMS, 3)
    lead = rng.choice(("for the party we still need", "could you pack", "put down"))
    return "What else should go on the order?", (
        f"{lead} {items[0]}",
        _pause(rng),
        items[1],
        _pause(rng),
        f"and {items[2]}",
    )


def _preposition(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    errand = rng.choice(_ERRANDS)
    day = rng.choice(_WEEKDAYS)
    filler = rng.choice(("uh", "hmm", "um let me think"))
    return "Which booking are we changing today?", (
        f"can we push {errand} to",
        _pause(rng),
        filler,
        _pause(rng),
        day,
    )


def _conjunction(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    first, rest = rng.choice((
        ("the heater quit overnight and", "the landlord isn't picking up"),
        ("I returned the blender but", "the refund never showed"),
        ("my son has a fever so", "we can't make the recital"),
        ("the app froze because", "it needed some update I guess"),
        ("we'd love a booth or", "anywhere quiet honestly"),
    ))  # fmt: skip
    return rng.choice(("Alright, what's going on?", None)), (first, _pause(rng), rest)


def _unfinished(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    first, rest = rng.choice((
        ("what's bugging me is", "nobody ever emailed back"),
        ("I'm kind of curious whether", "the garden center sells mulch"),
        ("honestly the main reason is", "the price went up twice"),
        ("so my landlord said", "I'd have to pay for the lock"),
        ("do you happen to know when", "the pool reopens"),
    ))  # fmt: skip
    return None, (first, _pause(rng), rest)


def _name(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    first, last = rng.choice(_NAMES), rng.choice(_SURNAMES)
    return "Whose name should I put this under?", (f"put it under {first.lower()}", _pause(rng), last.lower())


def _complete_then_more(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    first, rest = rng.choice((
        ("yep that's me", "oh and could you also update my email"),
        ("no that covers it", "actually wait one more thing about the invoice"),
        ("sounds great", "though could it be a bit earlier"),
        ("the blue one", "no sorry the grey one"),
    ))  # fmt: skip
    return "Is there anything else?", (first, _pause(rng), rest)


_COMPLETE_TURNS: tuple[tuple[str | None, str], ...] = (
    ("Do you want the receipt emailed?", "yep email's fine"),
    ("Shall I lock that in for you?", "yes lock it in"),
    ("Shall I lock that in for you?", "hmm not just yet"),
    ("Did the technician show up?", "nobody came"),
    ("Did the technician show up?", "he came and went within five minutes"),
    ("What date suits you?", "the twenty third works"),
    ("What date suits you?", "any weekday after the fifth"),
    ("How many guests?", "six of us"),
    ("How many guests?", "just me and my sister"),
    ("Anything else today?", "nah I'm all good"),
    ("Anything else today?", "nope you've been a star"),
    ("Is the parcel still missing?", "still nowhere to be seen"),
    ("Would a refund or a replacement suit you better?", "a replacement would be ideal"),
    ("Would a refund or a replacement suit you better?", "refund"),
    ("What can I sort out for you?", "I need a copy of last month's invoice"),
    ("What can I sort out for you?", "is the pharmacy open on public holidays"),
    ("What can I sort out for you?", "my boiler's making a banging noise"),
    ("What can I sort out for you?", "I'd love to upgrade to the family bundle"),
    ("Alright, what's going on?", "the garage door opener died again"),
    ("Alright, what's going on?", "someone used my card in another country"),
    (None, "I'd like to dispute a charge on my statement"),
    (None, "do you validate parking"),
    (None, "my dishwasher is leaking all over the kitchen floor"),
    (None, "can somebody explain this fee to me"),
    (None, "thanks that's really helpful"),
    (None, "which platform does the airport train leave from"),
    (None, "I locked myself out of the online portal"),
    (None, "could you double check the spelling of the street"),
    (None, "cheers have a lovely evening"),
    (None, "how late does the kitchen take orders"),
    ("Whose name should I put this under?", "harriet fairbanks"),
    ("Whose name should I put this under?", "under tobias okafor please"),
)


def _complete(rng: random.Random) -> tuple[str | None, tuple[Chunk, ...]]:
    roll = rng.random()
    if roll < 0.15:
        first, second = integer_words(rng.randint(10, 99)), integer_words(rng.randint(10, 99))
        return "Could I have your membership ID?", (f"it's {first} {second}",)
    if roll < 0.3:
        groups = [random_digits(rng, 3), random_digits(rng, 3, False), random_digits(rng, 4, False)]
        return "What number can we text you at?", (_digits_text(rng, groups),)
    question, answer = rng.choice(_COMPLETE_TURNS)
    return question, (answer,)


CaseBuilder = Callable[[random.Random], tuple[str | None, tuple[Chunk, ...]]]
CATEGORIES: tuple[tuple[str, CaseBuilder, int], ...] = (
    ("phone_with_pauses", _phone, 12), ("card_with_pauses", _card, 6), ("id_with_pauses", _account, 5),
    ("address_with_pauses", _address, 7), ("list_with_pauses", _list, 8),
    ("preposition_pause", _preposition, 7), ("conjunction_pause", _conjunction, 8),
    ("unfinished_clause_pause", _unfinished, 7), ("name_with_pause", _name, 4),
    ("complete_then_more", _complete_then_more, 6), ("complete", _complete, 30),
)  # fmt: skip


def iter_cases(
    seed: int = DEFAULT_SEED,
    n_cases: int = DEFAULT_CASES,
    categories: Sequence[tuple[str, CaseBuilder, int]] = CATEGORIES,
    id_prefix: str = "",
) -> Iterator[TurnCase]:
    """Yield ``n_cases`` distinct cases drawn with ``seed`` (same seed, same cases) from the weighted
    ``categories`` (name, builder, weight)."""
    rng = random.Random(seed)
    names = [name for name, _, _ in categories]
    weights = [weight for _, _, weight in categories]
    builders = {name: builder for name, builder, _ in categories}
    seen: set[tuple[str | None, tuple[Chunk, ...]]] = set()
    attempts = 0
    while len(seen) < n_cases and attempts < n_cases * 50:
        attempts += 1
        category = rng.choices(names, weights=weights)[0]
        question, chunks = builders[category](rng)
        key = (question, tuple(c if isinstance(c, str) else "pause" for c in chunks))
        if key in seen:
            continue
        seen.add(key)
        yield TurnCase(f"{id_prefix}{category}-{len(seen):03d}", category, question, chunks)


def build_corpus(seed: int = DEFAULT_SEED, n_cases: int = DEFAULT_CASES) -> list[TurnCase]:
    return list(iter_cases(seed, n_cases))
