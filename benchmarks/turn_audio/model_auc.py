"""How well an audio end-of-turn model (Smart Turn v3) tells a caller's pause from the true end of their turn, on
the turn-taking cases rendered as audio: the area under the ROC curve at every decision point (the end of each
spoken piece, with 0.2 s of the following silence, as the model hears it at a VAD stop), next to the shipped text
model's, and of the two averaged (what ``turn.audio_model_path`` does).

Two renderings:
- ``pieces``: the audio benchmark's own (``render.py``): each piece synthesized on its own, so every piece ends
  with the falling pitch of a finished utterance, even where the caller goes on;
- ``whole``: the whole turn synthesized at once and cut where each piece ends, so a pause falls mid-contour as
  when a person stops mid-sentence. The cut is at the length of the words so far synthesized alone, moved to the
  quietest 10 ms within 0.1 s of it.

    uv run python -m benchmarks.turn_audio.model_auc --audio-model smart-turn-v3.2-cpu.onnx
        [--corpora dev] [--every 2] [--rendering pieces whole] [--engine espeak piper]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.turn_audio.jobs import corpus
from benchmarks.turn_audio.render import RATE, Voice, audible, choose_voice, render, spoken_text, synthesize
from benchmarks.turn_corpus import TurnCase
from pipeline.stages.turn_setup import shared_text_model
from turn.eot import SmartTurnModel

HEARD_SILENCE_S = 0.2  # of the pause, before the model is asked (about when the VAD reports the stop)
PIPER = Voice("piper", "en_US-joe-medium", 1.0)


@dataclass(frozen=True)
class Point:
    finished: bool  # the true end of the turn (else a pause the caller goes on after)
    audio: float
    text: float


def auc(finished: list[bool], scores: list[float]) -> float:
    """P(a finished turn scores above a pause), ties counted half."""
    labels = np.array(finished)
    values = np.array(scores)
    pos, neg = values[labels], values[~labels]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    above = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(above + 0.5 * ties)


def _as_heard(samples: np.ndarray) -> np.ndarray:
    heard = np.concatenate([audible(samples), np.zeros(int(HEARD_SILENCE_S * RATE), np.int16)])
    return heard[-8 * RATE :]


def _pieces(case: TurnCase) -> list[str]:
    return [chunk for chunk in case.chunks if isinstance(chunk, str)]


def heard_at_pieces(case: TurnCase, engine: str) -> Iterator[np.ndarray]:
    """``pieces`` rendering: the benchmark's track up to the end of each piece."""
    track = render(
        case, tail_s=0.0, voice=PIPER if engine == "piper" else choose_voice(case, use_piper=False)
    )
    for _, end, _ in track.segments:
        yield _as_heard(track.samples[: round(end * RATE) + 1])


def heard_whole(case: TurnCase, engine: str) -> Iterator[np.ndarray]:
    """``whole`` rendering: one synthesis of the turn, cut where each piece ends."""
    pieces = [spoken_text(piece) for piece in _pieces(case)]
    voice = choose_voice(case, use_piper=False) if engine == "espeak" else PIPER
    full = synthesize(" ".join(pieces), voice)
    for index in range(len(pieces) - 1):
        said = synthesize(" ".join(pieces[: index + 1]), voice)  # its length: where the piece ends in `full`
        low, high = max(0, len(said) - RATE // 10), min(len(full), len(said) + RATE // 10)
        energy = np.convolve(full[low:high].astype(np.float64) ** 2, np.ones(RATE // 100), "same")
        yield _as_heard(full[: low + int(np.argmin(energy))])
    yield _as_heard(full)


def points(cases: list[TurnCase], rendering: str, engine: str, model: SmartTurnModel) -> list[Point]:
    text_model = shared_text_model()
    heard = heard_at_pieces if rendering == "pieces" else heard_whole
    found: list[Point] = []
    for case in cases:
        pieces = _pieces(case)
        for index, samples in enumerate(heard(case, engine)):
            words = " ".join(pieces[: index + 1])
            found.append(
                Point(
                    finished=index == len(pieces) - 1,
                    audio=model.predict(samples),
                    text=text_model.predict(words, case.agent_question),
                )
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--audio-model", type=Path, required=True, help="a Smart Turn v3 ONNX file")
    parser.add_argument("--corpora", nargs="+", choices=["old", "dev", "test"], default=["dev"])
    parser.add_argument("--every", type=int, default=2, help="a deterministic subset: every N-th case")
    parser.add_argument("--rendering", nargs="+", choices=["pieces", "whole"], default=["pieces", "whole"])
    parser.add_argument("--engine", nargs="+", choices=["espeak", "piper"], default=["espeak", "piper"])
    args = parser.parse_args()
    model = SmartTurnModel.load(args.audio_model)
    print(f"{'corpus':7} {'rendering':9} {'engine':7} {'points':>6} {'ends':>5}  AUC audio  text  average")
    for name in args.corpora:
        cases = corpus(name, 100)[:: args.every]
        for rendering in args.rendering:
            for engine in args.engine:
                found = points(cases, rendering, engine, model)
                finished = [p.finished for p in found]
                print(
                    f"{name:7} {rendering:9} {engine:7} {len(found):>6} {sum(finished):>5}"
                    f"  {auc(finished, [p.audio for p in found]):9.3f}"
                    f" {auc(finished, [p.text for p in found]):5.3f}"
                    f" {auc(finished, [(p.audio + p.text) / 2 for p in found]):8.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
