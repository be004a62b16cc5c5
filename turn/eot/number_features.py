"""Features of a number at the end of the transcript: how many digits it has against what the context expects.

"my mobile's four one five" has 3 digits where a phone number has 10: unfinished. "it's four five six seven"
after "the last four digits of your card?" is finished. "we're at twenty seven forty five" is a house number
still waiting for its street.
"""

from __future__ import annotations

from turn.eot import lexicon as lx
from turn.eot.agent_context import AgentContext, number_context_of
from turn.eot.lexicon import NumberContext
from turn.eot.tokens import is_number_token

MAX_DIGITS = 17
UNIT_NUMBER_WORDS = frozenset({"apartment", "apt", "unit", "suite", "flat", "room", "floor", "number", "no"})


def trailing_number_run(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The maximal run of digit groups / number words at the end of the transcript."""
    start = len(tokens)
    while start > 0 and is_number_token(tokens[start - 1]):
        start -= 1
    return tokens[start:]


def count_digits(run: tuple[str, ...]) -> int:
    """How many digits a spoken or written number run stands for ("five fifty five" -> 3, "double 7" -> 2)."""
    count = 0
    repeat = 1
    after_tens = False
    for token in run:
        if token in lx.REPEAT_WORDS:
            repeat = lx.REPEAT_WORDS[token]
            continue
        if token.isdigit():
            count += len(token) * repeat
        elif token in lx.UNIT_WORDS:
            count += 0 if after_tens else repeat
        elif token in lx.TEEN_WORDS or token in lx.TENS_WORDS:
            count += 2
        else:
            count += lx.SCALE_DIGITS.get(token, 0)
        after_tens = token in lx.TENS_WORDS
        repeat = 1
    return count


def _status(context: NumberContext, digits: int) -> str:
    expected = lx.EXPECTED_DIGITS.get(context)
    if expected is None:
        return "free"
    if digits in expected:
        return "match"
    return "short" if digits < min(expected) else "long"


def _style(run: tuple[str, ...]) -> str:
    """How the number was read: "digits" (555 0192), "spelled" (five five five) or "paired" (fifty five)."""
    if run[-1].isdigit():
        return "digits"
    if any(t in lx.TEEN_WORDS or t in lx.TENS_WORDS or t in lx.SCALE_DIGITS for t in run):
        return "paired"
    return "spelled"


def _context(before_run: tuple[str, ...], agent: AgentContext) -> NumberContext:
    """What a number is, from the words before it, else from the agent's question, else a phone number."""
    context = number_context_of(before_run, most_recent_first=True)
    if context is None:
        has_agent_context = agent.number_context is not NumberContext.NONE
        return agent.number_context if has_agent_context else NumberContext.PHONE
    return agent.number_context if context is NumberContext.NONE else context


def number_tail_features(tokens: tuple[str, ...], agent: AgentContext, qt: str) -> list[str]:
    """A number followed by one to three closing words: "4410 oak street", "555 0192 thanks", "two people"."""
    words_after = 0
    while words_after < len(tokens) and not is_number_token(tokens[-1 - words_after]):
        words_after += 1
        if words_after > 3:
            return []
    if words_after == 0 or words_after == len(tokens):
        return []
    head = tokens[: len(tokens) - words_after]
    run = trailing_number_run(head)
    ctx = _context(head[: len(head) - len(run)], agent).value
    digits = min(count_digits(run), 6)
    street = "street" if tokens[-1] in lx.STREET_TYPES else "other"
    return [
        f"numtail|end={ctx}|{street}",
        f"numtail|qt|end={qt}|{street}",
        f"numtail={ctx}|{words_after}",
        f"numtail|qt={qt}|{ctx}|{words_after}",
        f"numtail|nd={ctx}|{digits}|{words_after}",
        f"numtail|w1={ctx}|{tokens[-1]}",
    ]


def number_features(tokens: tuple[str, ...], agent: AgentContext, qt: str) -> list[str]:
    run = trailing_number_run(tokens)
    if not run:
        return number_tail_features(tokens, agent, qt)
    context = _context(tokens[: len(tokens) - len(run)], agent)
    digits = min(count_digits(run), MAX_DIGITS)
    status = _status(context, digits)
    before = tokens[-len(run) - 1] if len(tokens) > len(run) else "<s>"
    ctx = context.value
    style = _style(run)
    feats = [
        f"nd={digits}",
        f"ctx={ctx}",
        f"ctx|nd={ctx}|{digits}",
        f"numstat={status}",
        f"ctx|numstat={ctx}|{status}",
        f"qt|numstat={qt}|{status}",
        f"prenum={before}",
        f"prenum|numstat={before}|{status}",
        f"numwords={'digits' if run[-1].isdigit() else 'words'}|{status}",
        f"ctx|style={ctx}|{style}",
        f"ctx|style|nd={ctx}|{style}|{min(digits, 6)}",
        f"ctx|prenum={ctx}|{before}",
        f"prenum|nd={before}|{min(digits, 6)}",
    ]
    if context is NumberContext.ADDRESS:
        feats.append(f"addr_end={'unit' if before in UNIT_NUMBER_WORDS else 'house'}")
    return feats
