"""DEV harness for the text end-of-turn model and the semantic delay policy (NOT the reported benchmark).

Tune on these, never on the reported corpus (``benchmarks.turn_corpus`` with its default seed 7):

- ``dev-seed``: ``build_corpus(seed=1001, n_cases=300)``: other random draws of the benchmark's generators.
  Caveat: those generators use a fixed set of phrasings, so this shares wording with the reported corpus.
- ``dev-var``: the same phenomena (numbers read in groups, addresses, lists, fillers, unfinished clauses,
  names, a complete thought followed by more) in wording written for this script only: other agent
  questions, leads, items, names and streets. The more honest of the two.

    uv run python -m benchmarks.turn_dev              # the turn-taking table on both dev corpora
    uv run python -m benchmarks.turn_dev --failures   # + the decision points the text model gets wrong
"""

from __future__ import annotations

import argparse
import random
from collections import Counter

import anyio
from trio.testing import MockClock

from benchmarks.turn_corpus import CaseBuilder, Chunk, TurnCase, build_corpus, iter_cases
from benchmarks.turn_taking import Timing, evaluate, settings_to_compare
from pipeline.stages.turn_setup import shared_text_model
from training.eot.spoken_numbers import NumberStyle, integer_words, random_digits, speak_groups

DEV_SEED = 1001
DEV_CASES = 300
VARIATION_SEED = 4242
VARIATION_CASES = 200

Built = tuple[str | None, tuple[Chunk, ...]]


def _pause(rng: random.Random) -> float:
    return round(rng.uniform(0.45, 1.4), 2)


def _say(rng: random.Random, groups: list[str]) -> str:
    style = NumberStyle.WORDS if rng.random() < 0.65 else NumberStyle.DIGITS
    return speak_groups(groups, style, rng).replace(",", "")


def _v_phone(rng: random.Random) -> Built:
    groups = [random_digits(rng, 3), random_digits(rng, 3, False), random_digits(rng, 4, False)]
    said = [_say(rng, [g]) for g in groups]
    question = rng.choice(("What's a good callback number?", "Which mobile should we send updates to?", None))
    lead = rng.choice(("try me at", "my mobile is", "the landline here is", "you can get me on", "it's"))
    if rng.random() < 0.5:
        return question, (f"{lead} {said[0]}", _pause(rng), f"{said[1]} {said[2]}")
    return question, (f"{lead} {said[0]}", _pause(rng), said[1], _pause(rng), said[2])


def _v_card(rng: random.Random) -> Built:
    groups = [random_digits(rng, 4, i == 0) for i in range(4)]
    chunks: list[Chunk] = []
    for i, group in enumerate(groups):
        chunks.extend(([_pause(rng)] if i else []) + [_say(rng, [group])])
    chunks[0] = f"{rng.choice(('okay it is', 'the visa is', 'right so'))} {chunks[0]}"
    return rng.choice(
        ("Whenever you're ready, read out the card number.", "What card will you pay with?")
    ), tuple(chunks)


def _v_zip(rng: random.Random) -> Built:
    digits = random_digits(rng, 5)
    cut = rng.randint(2, 3)
    return rng.choice(("And the zip code there?", "What's the postal code?")), (
        f"it's {_say(rng, [digits[:cut]])}",
        _pause(rng),
        _say(rng, [digits[cut:]]),
    )


def _v_address(rng: random.Random) -> Built:
    house = integer_words(rng.randint(100, 9999)) if rng.random() < 0.7 else str(rng.randint(100, 9999))
    street = rng.choice(
        ("maple grove road", "saint albans way", "kestrel drive", "foundry lane", "ashby court")
    )
    lead = rng.choice(("come to", "I'm at", "the pickup is at", "it'll be"))
    question = rng.choice(("What's the address for the pickup?", "Where should the driver go?"))
    if rng.random() < 0.5:
        return question, (f"{lead} {house}", _pause(rng), street)
    return question, (
        f"{lead} {house} {street}",
        _pause(rng),
        rng.choice(("in brookfield", "flat six", "suite 210")),
    )


def _v_list(rng: random.Random) -> Built:
    items = rng.sample(("charcoal", "lemonade", "sunscreen", "paper cups", "a cooler", "bug spray",
                        "tortilla chips", "two watermelons", "some ice packs"), 3)  # fmt: skip
    lead = rng.choice(("let me also get", "we'll want", "throw in", "I'd add"))
    question = rng.choice(("Anything else for the basket?", "What more do you need for the trip?"))
    return question, (f"{lead} {items[0]}", _pause(rng), items[1], _pause(rng), f"and {items[2]}")


def _v_filler(rng: random.Random) -> Built:
    first, rest = rng.choice((("could we move my eye exam to", "next tuesday"),
                              ("I'd like to switch the delivery to", "the afternoon slot"),
                              ("the problem started around", "the middle of march"),
                              ("what I really want is", "a window seat")))  # fmt: skip
    filler = rng.choice(("er", "um", "uh let me see", "hmm what was it"))
    return rng.choice(("Which appointment would you like to move?", None)), (
        first,
        _pause(rng),
        filler,
        _pause(rng),
        rest,
    )


def _v_clause(rng: random.Random) -> Built:
    first, rest = rng.choice((("the fridge stopped cooling and", "all the food went bad"),
                              ("I tried the reset button but", "nothing happened"),
                              ("the thing I don't get is", "why the bill doubled"),
                              ("my daughter said", "you had a sale on"),
                              ("I would cancel if", "the fee is waived"),
                              ("we were hoping that", "someone could come today")))  # fmt: skip
    return rng.choice(("What seems to be the trouble?", None)), (first, _pause(rng), rest)


def _v_name(rng: random.Random) -> Built:
    first = rng.choice(("marguerite", "oscar", "imogen", "felix", "rosalind"))
    last = rng.choice(("vance", "delacroix", "pemberton", "oyelaran"))
    lead = rng.choice(("it's for", "book it under", "the name is"))
    return rng.choice(("And the name for the booking?", "Who's the reservation for?")), (
        f"{lead} {first}",
        _pause(rng),
        last,
    )


def _v_complete_then_more(rng: random.Random) -> Built:
    first, rest = rng.choice((("nope all good", "oh wait actually can I ask about parking"),
                              ("perfect", "and could you text me the confirmation"),
                              ("that's everything", "hmm no hang on one more question")))  # fmt: skip
    return "Anything else I can do?", (first, _pause(rng), rest)


_V_COMPLETE = (
    ("Would you like the early slot?", "yes the early one please"),
    ("Would you like the early slot?", "no the later one suits me"),
    ("Is that your current address?", "that's right"),
    ("How many tickets?", "four adults and a child"),
    ("When should we come by?", "friday morning would be best"),
    (None, "I want to report a power cut on my road"),
    (None, "do you sell gift cards"),
    (None, "my order arrived damaged"),
    ("What can I help with?", "I need to change my delivery day"),
    ("What can I help with?", "is the clinic open on saturdays"),
    ("Anything else I can do?", "no that's all thank you"),
    ("And the name for the booking?", "oscar pemberton"),
)


def _v_complete(rng: random.Random) -> Built:
    roll = rng.random()
    if roll < 0.15:
        groups = [random_digits(rng, 3), random_digits(rng, 3, False), random_digits(rng, 4, False)]
        return "What's a good callback number?", (_say(rng, groups),)
    if roll < 0.25:
        return "And the zip code there?", (_say(rng, [random_digits(rng, 5)]),)
    question, answer = rng.choice(_V_COMPLETE)
    return question, (answer,)


VARIATIONS: tuple[tuple[str, CaseBuilder, int], ...] = (
    ("phone", _v_phone, 12), ("card", _v_card, 5), ("zip", _v_zip, 4), ("address", _v_address, 7),
    ("list", _v_list, 8), ("filler", _v_filler, 8), ("clause", _v_clause, 10), ("name", _v_name, 5),
    ("complete_then_more", _v_complete_then_more, 5), ("complete", _v_complete, 30),
)  # fmt: skip


def variation_corpus(seed: int = VARIATION_SEED, n_cases: int = VARIATION_CASES) -> list[TurnCase]:
    return list(iter_cases(seed, n_cases, VARIATIONS, id_prefix="var-"))


def dev_corpora() -> dict[str, list[TurnCase]]:
    return {"dev-seed": build_corpus(seed=DEV_SEED, n_cases=DEV_CASES), "dev-var": variation_corpus()}


def print_failures(cases: list[TurnCase], pause_above: float, end_below: float) -> None:
    """Mid-turn pauses the model scores above ``pause_above`` and turn ends below ``end_below``."""
    model = shared_text_model()
    missed: Counter[str] = Counter()
    for case in cases:
        for point in case.decision_points():
            p = model.predict(point.text_so_far, case.agent_question)
            bad = p < end_below if point.is_turn_end else p > pause_above
            if bad:
                missed[case.category] += 1
                where = "END  " if point.is_turn_end else "PAUSE"
                print(f"  {where} p={p:.2f} [{case.category}] {case.agent_question!r} :: {point.text_so_far}")
    print(f"  by category: {dict(missed.most_common())}")


async def _table(cases: list[TurnCase]) -> list[dict[str, float | str | int]]:
    return [await evaluate(cases, setting, Timing()) for setting in settings_to_compare([0.4, 0.6, 1.0, 1.6])]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--pause-above", type=float, default=0.2)
    parser.add_argument("--end-below", type=float, default=0.8)
    args = parser.parse_args()
    for name, cases in dev_corpora().items():
        rows = anyio.run(
            _table, cases, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)}
        )
        print(f"{name}: {len(cases)} cases")
        for row in rows:
            print(
                f"  {row['setting']:16} pauses={row['pauses']:>4} cut={row['false_cut_offs']:>4}"
                f" rate={100 * float(row['false_cut_off_rate']):5.1f}%"
                f" mean={float(row['mean_wait_ms']):5.0f}ms"
                f" p90={float(row['p90_wait_ms']):5.0f}ms"
            )
        if args.failures:
            print_failures(cases, args.pause_above, args.end_below)


if __name__ == "__main__":
    main()
