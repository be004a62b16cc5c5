"""What complete-sounding pauses cost a text-only end-of-turn model on the blind DEV split (issue 16).

Some pauses come right after words that are themselves a complete answer ("Is that everything?" "yes | oh wait,
also..."; "What time?" "at two | no sorry, three"). No model that reads only the words can tell those from the
same words said as a whole turn. This replays the benchmark with an oracle that knows the truth everywhere
except at those pauses, where it says "finished" (what it says for the same words at a true end), and reports
the cut-offs/wait the real detector and policy then give. It is not a strict bound: a calibrated model can say
"maybe" for such words and buy those pauses the uncertain wait, at the price of the same wait after every
genuinely complete answer of that form. The list is hand-made from the dev split only.

    uv run python -m benchmarks.turn_text_ceiling
"""

from __future__ import annotations

from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_lm_eot import decision_points, normalise, policy_tables

# dev pauses whose words so far are a complete, plausible answer to the agent's question
COMPLETE_SOUNDING_PAUSES = frozenset(
    {"yes", "at two", "it was fine", "headaches", "seven three zero zero nine one",
     "seven three zero zero nine one four", "the kitchen", "the kitchen both bathrooms", "it did", "how early",
     "two lattes"}
)  # fmt: skip


class TextOracle:
    """The truth at every decision point, except that complete-sounding pauses read as finished."""

    def __init__(self, truth: dict[str, bool], ambiguous: frozenset[str]) -> None:
        self._truth = truth
        self._ambiguous = ambiguous

    def predict(self, transcript: str, agent_last_utterance: str | None = None) -> float:
        key = normalise(transcript)
        if key in self._ambiguous:
            return 0.99
        return 0.99 if self._truth.get(key, False) else 0.01


def main() -> None:
    cases = build_blind(BlindSplit.DEV)
    points = decision_points(cases)
    truth = {normalise(p.text): p.finished for p in points}
    ambiguous_pauses = sum(
        1 for p in points if not p.finished and normalise(p.text) in COMPLETE_SOUNDING_PAUSES
    )
    pauses = sum(1 for p in points if not p.finished)
    print(f"dev: {pauses} pauses, {ambiguous_pauses} after complete-sounding words")
    for label, ambiguous in (("perfect text", frozenset[str]()), ("sure of them", COMPLETE_SOUNDING_PAUSES)):
        for row in policy_tables(TextOracle(truth, ambiguous), {"blind dev": cases})["blind dev"]:
            print(
                f"{label:13} {row['setting']:16} cut {100 * row['false_cut_off_rate']:5.1f}%"
                f" wait {row['mean_wait_ms']:5.0f} ms  1-word max {row['one_word_max_wait_ms']:5.0f} ms"
            )


if __name__ == "__main__":
    main()
