"""Generate the labelled end-of-turn corpus: ``uv run python -m training.eot.build_dataset``.

Every base example is drawn from its own ``random.Random(f"{SEED}-{i}")``, so the corpus is reproducible and
stable under edits elsewhere. Each base is emitted as a cased/punctuated row and a lowercase unpunctuated row
(what streaming STT without formatting gives), plus - when it holds numbers - the other number rendering
(digits vs. spoken words). Utterances of the ``AMBIGUOUS_KINDS`` (a single item after "what else?", a first
name alone, a street without the town, a four-digit ID) are written with both labels on purpose; any other
(text, agent question) pair that ends up with both labels is dropped. Rows are deduplicated. The generators
for the phenomena the turn-taking benchmark exposed live in ``dataset_phenomena``.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from training.eot import dataset_words as words
from training.eot.dataset import AMBIGUOUS_KINDS, DATASET_PATH, Row, group_key, write_rows
from training.eot.dataset_phenomena import (
    dictation_example,
    items_example,
    name_example,
    street_address_example,
)
from training.eot.dataset_pieces import (
    date_example,
    email_example,
    open_answer_example,
    place_example,
    self_correction_example,
    spelled_code_example,
    spelled_name_example,
    verb_object_example,
    which_answer_example,
)
from training.eot.dataset_templates import (
    ADDRESS_TEMPLATES,
    LIST_TEMPLATES,
    NUMBER_TEMPLATES,
    QUESTIONS,
    STATEMENTS,
    Example,
    Template,
)
from training.eot.spoken_numbers import NumberStyle, integer_words, random_digits, speak_groups, speak_int
from turn.eot.text_features import tokenize, word_class

SEED = 20240611
N_BASES = 14_000
CUT = "|"
_SLOT_RE = re.compile(r"\{(\w+\*?)\}")
_NOT_WORD_RE = re.compile(r"[^a-z0-9' ]+")
_ORDINALS = (("1st", "first"), ("2nd", "second"), ("3rd", "third"), ("5th", "fifth"), ("10th", "tenth"),
             ("14th", "fourteenth"), ("21st", "twenty first"), ("30th", "thirtieth"))  # fmt: skip
_PREP_TAILS = ("for", "for the", "from", "with", "on", "at the", "in the", "to", "to the", "about the", "by",
              "with my", "of the", "for my", "at", "on the", "into the", "with a", "for a")  # fmt: skip
_WHEN = ("{relative}", "next| {day}", "on| {day}", "{day} {daypart}", "{relative} at| {hour}",
         "at| {hour} pm", "{day} at| {hour}", "this| {day}", "in| {n} days", "around| {hour}",
         "{day} the| {ordinal}")  # fmt: skip


_ANSWERS = {"yesno": words.YES_NO_ANSWERS, "time": words.TIME_ANSWERS, "quantity": words.QUANTITY_ANSWERS,
            "name": words.NAME_ANSWERS}  # fmt: skip
_PARTIAL_ANSWERS = {"yesno": words.SHORT_PARTIALS, "time": words.TIME_PARTIALS,
                    "quantity": ("{n} and", "Maybe", "About", "Um, {n} or"),
                    "name": words.NAME_PARTIALS}  # fmt: skip


class SlotFiller:
    """Fills ``{slot}`` placeholders.

    Number rendering draws from a sub-generator, so both number styles consume ``rng`` identically and the
    digits and the words variants of one example say the same thing.
    """

    def __init__(self, rng: random.Random, style: NumberStyle, complete: bool) -> None:
        self.rng = rng
        self.style = style
        self.complete = complete
        self.kinds: list[str] = []  # kinds of the starred slots used, e.g. "number"

    def fill(self, pattern: str) -> str:
        for _ in range(4):  # slot values may contain slots
            if "{" not in pattern:
                break
            pattern = _SLOT_RE.sub(lambda m: self._value(m.group(1)), pattern)
        return pattern

    def _sub_rng(self) -> random.Random:
        return random.Random(self.rng.getrandbits(32))

    def _value(self, slot: str) -> str:
        rng = self.rng
        simple: dict[str, tuple[str, ...]] = {
            "action": words.ACTIONS, "thing": words.THINGS, "problem": words.PROBLEMS,
            "menu": words.MENU_ITEMS,
            "grocery": words.GROCERIES, "city": words.CITIES, "first": words.FIRST_NAMES,
            "last": words.LAST_NAMES,
            "day": words.DAYS, "daypart": words.DAY_PARTS, "relative": words.RELATIVE_DAYS,
            "past": words.PAST_TIMES,
            "card_kind": ("credit card", "debit card", "wallet", "phone", "visa"), "when": _WHEN,
        }  # fmt: skip
        if slot in simple:
            return rng.choice(simple[slot])
        if slot == "n":
            return speak_int(rng.randint(2, 12), self.style)
        if slot == "hour":
            return speak_int(rng.randint(1, 12), self.style)
        if slot == "ordinal":
            digits, spoken = rng.choice(_ORDINALS)
            return digits if self.style is NumberStyle.DIGITS else spoken
        if slot.endswith("*"):
            return self._starred(slot[:-1])
        raise KeyError(f"unknown slot {slot!r}")

    def _groups(self, groups: list[str], separator: str) -> str:
        return speak_groups(groups, self.style, self._sub_rng(), separator)

    def _starred(self, slot: str) -> str:
        if slot in ("address", "list", "menulist"):
            self.kinds.append("address" if slot == "address" else "list")
            return self._address() if slot == "address" else self._list(slot == "menulist")
        self.kinds.append("number")
        rng = self.rng
        separator = rng.choice((" ", " ", "-", ""))
        layouts = {"phone": [3, 3, 4], "card": [4, 4, 4, 4], "last4": [4], "zip": [5], "pin": [4]}
        sizes = layouts[slot] if slot != "code" else rng.choice(([3, 3], [4, 4], [3, 4], [4, 3, 3], [7], [8]))
        if slot == "card" and rng.random() < 0.1:
            sizes = [4, 6, 5]
        if slot == "phone" and rng.random() < 0.1:
            sizes = [1, 3, 3, 4]
        groups = [random_digits(rng, n, first_nonzero=i == 0) for i, n in enumerate(sizes)]
        if len(sizes) == 4 and slot == "phone":
            groups[0] = "1"
        if not self.complete:
            groups = self._cut_groups(slot, groups)
        return self._groups(groups, separator)

    def _cut_groups(self, slot: str, groups: list[str]) -> list[str]:
        rng = self.rng
        if len(groups) > 1 and rng.random() < 0.8:
            if slot == "phone" and rng.random() < 0.15:
                return groups[-1:]  # "it's 4 5 6 7" when a phone number was asked for
            return groups[: rng.randint(1, len(groups) - 1)]
        digits = "".join(groups)
        return [digits[: rng.randint(1, min(len(digits) - 1, 3))]]

    def _address(self) -> str:
        rng = self.rng
        number = rng.choice((rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 9999)))
        house = str(number) if self.style is NumberStyle.DIGITS else integer_words(number)
        street = f"{house} {rng.choice(words.STREETS)} {rng.choice(words.STREET_SUFFIXES)}"
        apartment = speak_int(rng.randint(1, 30), self.style)
        if self.complete:
            endings = (  # without the town, a street is ambiguous (see dataset_phenomena)
                f" {rng.choice(words.CITIES)} {self._groups([random_digits(rng, 5)], ' ')}",
                f", apartment {apartment}",
                f" in {rng.choice(words.CITIES)}",
                f", {rng.choice(words.CITIES)}",
            )
            return street + rng.choice(endings)
        cuts = (
            house,
            f"{house} {rng.choice(words.STREETS)}",
            f"{street}, apartment",
            f"{street} in",
            f"{street} and",
        )
        return rng.choice(cuts)

    def _list(self, menu: bool) -> str:
        rng = self.rng
        items = rng.sample(words.MENU_ITEMS if menu else words.GROCERIES, rng.randint(3, 4))
        if self.complete:
            if rng.random() < 0.3:
                return f"{items[0]} and {items[1]}"
            comma = "," if rng.random() < 0.5 else ""
            return ", ".join(items[:-1]) + f"{comma} and {items[-1]}"
        cuts = (f"{items[0]}, {items[1]},", f"{items[0]}, {items[1]} and",
                f"{items[0]}, {items[1]}, {items[2]},", f"{items[0]} and", f"{items[0]}, {items[1]}, uh",
                f"{items[0]}, {items[1]}, and", f"{items[0]} {items[1]}",
                f"{items[0]} {items[1]} {items[2]}")  # fmt: skip
        return rng.choice(cuts)


def _agent(rng: random.Random, contexts: tuple[str, ...]) -> str | None:
    pool = rng.choice(contexts)
    return None if pool == "none" else rng.choice(words.AGENT_QUESTIONS[pool])


def _cut_kind(text: str) -> str:
    tokens = tokenize(text)
    cls = word_class(tokens[-1]) if tokens else "w"
    return {"prep": "trailing_preposition", "det": "trailing_article", "conj": "trailing_conjunction"}.get(
        cls, "unfinished_clause"
    )


def _after_opener(opener: str, text: str) -> str:
    """Lowercase the first letter of what follows an opener ("Well, the ..."), but keep "I"."""
    if not opener or text.startswith(("I ", "I'")):
        return text
    return text[:1].lower() + text[1:]


def _join(*parts: str) -> str:
    text = " ".join(p.strip() for p in parts if p.strip())
    return text.replace(" ,", ",")


def sentence_example(rng: random.Random, style: NumberStyle) -> Example:
    template = rng.choice(STATEMENTS + QUESTIONS)
    agent = _agent(rng, template.contexts)
    opener = rng.choice(words.OPENERS) if rng.random() < 0.15 else ""
    if rng.random() < 0.1:
        agent = rng.choice(words.AGENT_QUESTIONS["yesno"])
        opener = rng.choice(("Yes, ", "No, ", "Yeah, ", "No, actually "))
    filled = SlotFiller(rng, style, complete=True).fill(template.pattern)
    segments = _after_opener(opener, filled).split(CUT)
    full = opener + "".join(segments)
    kind = "question" if template.is_question else "statement"
    modes = ("complete", "cut", "conj", "filler", "tail", "prep", "hes_cut", "hes_inner", "compound")
    mode = rng.choices(modes, weights=(42, 22, 13, 7, 12, 8, 9, 5, 7))[0]
    cut_at = rng.randint(1, len(segments) - 1) if len(segments) > 1 else 0
    prefix = opener + "".join(segments[:cut_at])
    if mode == "cut" and cut_at:
        return Example(prefix.strip(), agent, False, _cut_kind(prefix))
    if mode == "hes_cut" and cut_at:  # "I'd like to, um, let me see": still unfinished
        return Example(_join(prefix, rng.choice(words.HESITATIONS)), agent, False, "hesitation")
    if mode == "hes_inner" and cut_at:  # a hesitation inside a finished sentence
        rest = "".join(segments[cut_at:])
        return Example(
            _join(prefix, rng.choice(words.HESITATIONS), rest), agent, True, kind, template.is_question
        )
    if mode == "compound" and not template.is_question:
        conj = rng.choice(("and", "but", "so", "because", "and now", "but"))
        return Example(_join(full, conj, rng.choice(words.SECOND_CLAUSES)), agent, True, "compound")
    if mode == "prep":
        text = _join(full, rng.choice(_PREP_TAILS))
        return Example(text, agent, False, _cut_kind(text))
    if mode in ("cut", "conj"):
        return Example(_join(full, rng.choice(words.CONJ_TAILS)), agent, False, "trailing_conjunction")
    if mode == "filler":
        return Example(_join(full, rng.choice(words.FILLER_TAILS)), agent, False, "filler")
    if mode == "tail" and not template.is_question:
        return Example(_join(full, rng.choice(words.COMPLETE_TAILS)), agent, True, "complete_tail")
    return Example(full, agent, True, kind, template.is_question)


def _starred_example(rng: random.Random, style: NumberStyle, templates: tuple[Template, ...]) -> Example:
    template = rng.choice(templates)
    complete = rng.random() < 0.5 or "*}" not in template.pattern  # unstarred slots are never cut
    agent = _agent(rng, template.contexts)
    filler = SlotFiller(rng, style, complete)
    text = filler.fill(template.pattern)
    kind = filler.kinds[0] if filler.kinds else "number"
    if complete and rng.random() < 0.15:
        return Example(_join(text, rng.choice(("um", "and", "uh", "but"))), agent, False, "filler")
    return Example(text, agent, complete, kind if complete else f"partial_{kind}", template.is_question)


def number_example(rng: random.Random, style: NumberStyle) -> Example:
    return _starred_example(rng, style, NUMBER_TEMPLATES)


def address_example(rng: random.Random, style: NumberStyle) -> Example:
    return _starred_example(rng, style, ADDRESS_TEMPLATES)


def list_example(rng: random.Random, style: NumberStyle) -> Example:
    return _starred_example(rng, style, LIST_TEMPLATES)


def short_answer_example(rng: random.Random, style: NumberStyle) -> Example:
    kind = rng.choices(("yesno", "time", "quantity", "name", "choice"), weights=(40, 20, 10, 15, 15))[0]
    complete = rng.random() < 0.6
    with_tail = not complete and rng.random() < 0.3  # a complete answer that goes on: "yes, but"
    filler = SlotFiller(rng, style, complete)
    if kind == "choice":
        question, answers, partials = rng.choice(words.CHOICE_QUESTIONS)
        text = rng.choice(answers if complete or with_tail else partials)
    else:
        question = rng.choice(words.AGENT_QUESTIONS[kind])
        text = filler.fill(rng.choice(_ANSWERS[kind] if complete or with_tail else _PARTIAL_ANSWERS[kind]))
    if with_tail:
        text = _join(text + ",", rng.choice(words.CONJ_TAILS + words.FILLER_TAILS))
    agent: str | None = question
    if complete and rng.random() < 0.15:
        agent = None
    return Example(text, agent, complete, "short_answer" if complete else "short_incomplete")


def unfinished_example(rng: random.Random, style: NumberStyle) -> Example:
    opener = rng.choice(words.OPENERS) if rng.random() < 0.3 else ""
    clause = rng.choice(words.UNFINISHED)
    subject = rng.choice(words.UNFINISHED_SUBJECTS)
    if clause.endswith((" if", " that", " when", " is", " was")):
        clause += subject
    text = opener + _after_opener(opener, clause)
    agent = _agent(rng, ("open", "open", "statement", "none", "yesno"))
    return Example(text, agent, False, "unfinished_clause")


def filler_example(rng: random.Random, style: NumberStyle) -> Example:
    agent = _agent(rng, ("open", "statement", "none", "yesno", "time", "phone", "name"))
    return Example(rng.choice(words.FILLERS_ALONE), agent, False, "filler")


def short_partial_example(rng: random.Random, style: NumberStyle) -> Example:
    agent = _agent(rng, ("open", "yesno", "yesno", "time", "name", "statement"))
    return Example(rng.choice(words.SHORT_PARTIALS), agent, False, "short_incomplete")


Generator = Callable[[random.Random, NumberStyle], Example]
GENERATORS: tuple[tuple[Generator, int], ...] = (
    (sentence_example, 38), (number_example, 14), (address_example, 5), (list_example, 10),
    (short_answer_example, 22), (unfinished_example, 9), (filler_example, 3), (short_partial_example, 3),
    (items_example, 20), (name_example, 8), (street_address_example, 14), (dictation_example, 14),
    (email_example, 8), (verb_object_example, 10), (place_example, 7), (date_example, 7),
    (spelled_code_example, 5),
)  # fmt: skip


def punctuate(example: Example, rng: random.Random) -> str:
    text = example.text[:1].upper() + example.text[1:]
    if text.endswith(","):
        return text
    if example.kind in AMBIGUOUS_KINDS:
        return text + rng.choice(("", "."))
    if example.complete:
        if example.is_question:
            end = rng.choices(("?", ""), weights=(90, 10))[0]
        else:
            end = rng.choices((".", "!", ""), weights=(80, 8, 12))[0]
    else:
        end = rng.choices(("", ".", "...", ",", "-"), weights=(50, 20, 12, 10, 8))[0]
    return text + end


def plain(text: str) -> str:
    """What an unformatted streaming transcript looks like: lowercase, no punctuation."""
    return " ".join(_NOT_WORD_RE.sub(" ", text.lower()).split())


# Added after the main mix was settled: drawn as extra bases with their own seeds, so the main bases stay as
# they were (changing GENERATORS reshuffles every base and makes before/after comparisons noise).
EXTRA_GENERATORS: tuple[tuple[Generator, int], ...] = ((spelled_name_example, 1), (which_answer_example, 1))
N_EXTRA_BASES = 800
# Added for issue 16 part 2 (open answers ending in a verb's object, questions back waiting for one).
OPEN_ANSWER_GENERATORS: tuple[tuple[Generator, int], ...] = ((open_answer_example, 1),)
SELF_CORRECTION_GENERATORS: tuple[tuple[Generator, int], ...] = ((self_correction_example, 1),)
N_SELF_CORRECTION_BASES = 200
N_OPEN_ANSWER_BASES = 300


def base_rows(
    index: int, generators: tuple[tuple[Generator, int], ...] = GENERATORS, seed: str = ""
) -> list[Row]:
    prefix = f"{SEED}{seed}"
    choose = random.Random(f"{prefix}-{index}-choice")
    generator = choose.choices([g for g, _ in generators], weights=[w for _, w in generators])[0]
    first_style, other_style = choose.sample([NumberStyle.DIGITS, NumberStyle.WORDS], 2)
    example = generator(random.Random(f"{prefix}-{index}"), first_style)
    alternate = generator(random.Random(f"{prefix}-{index}"), other_style)
    texts = [punctuate(example, choose), plain(example.text)]
    if plain(alternate.text) != texts[1]:
        texts.append(plain(alternate.text))
    # a genuinely ambiguous utterance is written with both labels: the best the model can say is 0.5
    labels = (True, False) if example.kind in AMBIGUOUS_KINDS else (example.complete,)
    return [Row(t, example.agent_question, label, example.kind) for t in texts for label in labels]


def build(n_bases: int = N_BASES) -> tuple[list[Row], int]:
    """All rows, deduplicated; returns (rows, number of conflicting text/agent pairs dropped).

    A pair with both labels is a conflict (dropped) unless every row of it is of an ambiguous kind."""
    labels: dict[tuple[str, str | None], set[bool]] = {}
    clear: dict[tuple[str, str | None], bool] = {}  # some row of the pair is not of an ambiguous kind
    first_rows: dict[tuple[str, str | None, bool], Row] = {}
    bases = [base_rows(i) for i in range(n_bases)]
    bases += [base_rows(i, EXTRA_GENERATORS, "-extra") for i in range(N_EXTRA_BASES)]
    bases += [base_rows(i, OPEN_ANSWER_GENERATORS, "-open") for i in range(N_OPEN_ANSWER_BASES)]
    bases += [base_rows(i, SELF_CORRECTION_GENERATORS, "-correct") for i in range(N_SELF_CORRECTION_BASES)]
    for rows in bases:
        for row in rows:
            key = (row.text, row.agent_question)
            labels.setdefault(key, set()).add(row.complete)
            clear[key] = clear.get(key, False) or row.kind not in AMBIGUOUS_KINDS
            first_rows.setdefault((*key, row.complete), row)
    dropped = {key for key, v in labels.items() if len(v) > 1 and clear[key]}
    blind = blind_texts()
    return [
        row
        for (text, agent, _), row in first_rows.items()
        if (text, agent) not in dropped and group_key(text) not in blind
    ], len(dropped)


def blind_texts() -> frozenset[str]:
    """Every text a detector sees in the blind turn-taking sets (each growing prefix at a pause, and each whole
    turn) of three words or more, and every decision point of the old benchmark corpus: kept out of training,
    so those sets stay unseen."""
    from benchmarks.turn_blind import BlindSplit, all_blind_sentences, build_blind
    from benchmarks.turn_corpus import build_corpus

    texts = {" ".join(tokenize(s)) for s in all_blind_sentences()}
    for split in BlindSplit:
        for case in build_blind(split):
            words: list[str] = []
            for chunk in case.chunks:
                if isinstance(chunk, str):
                    words.extend(tokenize(chunk))
                    texts.add(" ".join(words))
    old = {group_key(p.text_so_far) for case in build_corpus() for p in case.decision_points()}
    return frozenset({group_key(t) for t in texts if len(t.split()) > 2} | old)


def main(path: Path = DATASET_PATH) -> None:
    rows, conflicts = build()
    write_rows(rows, path)
    kinds = Counter(r.kind for r in rows)
    complete = sum(r.complete for r in rows)
    print(f"wrote {len(rows)} rows to {path} ({complete} complete, {len(rows) - complete} incomplete, "
          f"{conflicts} conflicting pairs dropped)")  # fmt: skip
    for kind, count in kinds.most_common():
        print(f"  {kind:22s} {count}")


if __name__ == "__main__":
    main()
