"""The audio end-of-turn score: computed off the event loop, waited for before a decision, applied only to the pause
it was computed for, and a failing model leaves the words to decide."""

from __future__ import annotations

import logging
import threading

import anyio
import numpy as np
import pytest

from pipeline.base.compute import inline_compute
from pipeline.base.transcripts import Transcript
from pipeline.stages.turn_setup import RecentAudio, SmartTurnScore
from turn.decision import TurnDecision
from turn.delay_policy import DelayChoice
from turn.detector import TurnDetector
from turn.eot import TextTurnModel
from turn.presets import PRESETS
from turn.semantic import SemanticPolicy

pytestmark = pytest.mark.anyio

COMPLETE = "i would like to book a table for four people tonight"


class SlowScore:
    """An audio score that takes ``seconds`` (of the session's clock) and says ``probability``."""

    def __init__(self, probability: float | None, seconds: float) -> None:
        self.probability = probability
        self.seconds = seconds
        self.calls = 0

    async def __call__(self) -> float | None:
        self.calls += 1
        await anyio.sleep(self.seconds)
        return self.probability


class BrokenScore:
    async def __call__(self) -> float | None:
        raise RuntimeError("model exploded")


async def _turn_ends_at(score: SlowScore | BrokenScore | None, text: str = COMPLETE) -> list[TurnDecision]:
    """Say ``text`` (0.5 s of speech, its final 0.1 s after the stop) and return the decisions within 3 s."""
    decisions: list[TurnDecision] = []
    policy = SemanticPolicy(TextTurnModel.load(), PRESETS["medium"])
    detector = TurnDetector(policy, decisions.append, stt_timeout=2.0, audio_score=score)
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        await anyio.sleep(0)
        detector.on_speech_started()
        await anyio.sleep(0.5)
        detector.on_speech_stopped(anyio.current_time())
        await anyio.sleep(0.1)
        detector.on_transcript(Transcript(text, is_final=True, from_finalize=True))
        await anyio.sleep(3.0)
        group.cancel_scope.cancel()
    return decisions


def _wait(decision: TurnDecision) -> float:
    return decision.decided - decision.user_stopped


async def test_a_doubtful_sound_makes_the_detector_wait_longer_than_the_words_alone() -> None:
    (words_only,) = await _turn_ends_at(None)
    (doubtful,) = await _turn_ends_at(SlowScore(0.0, 0.05))
    (sure,) = await _turn_ends_at(SlowScore(1.0, 0.05))
    assert _wait(doubtful) > _wait(words_only) + 0.1
    assert _wait(sure) <= _wait(words_only)
    assert doubtful.probability is not None and words_only.probability is not None
    assert doubtful.probability == pytest.approx(words_only.probability / 2, abs=1e-6)


async def test_no_decision_before_the_audio_score_arrives() -> None:
    (words_only,) = await _turn_ends_at(None)
    slow = SlowScore(1.0, 0.9)  # the words alone would have decided long before this
    (decision,) = await _turn_ends_at(slow)
    assert _wait(words_only) < 0.9
    assert _wait(decision) == pytest.approx(0.9)
    assert decision.reason == "semantic"


async def test_an_audio_score_that_never_comes_is_bounded_by_the_stt_timeout() -> None:
    (decision,) = await _turn_ends_at(SlowScore(1.0, 60.0))
    assert decision.reason == "audio_timeout"
    assert decision.decided == pytest.approx(decision.silence_met + 2.0)


async def test_a_failing_audio_model_leaves_the_words_to_decide(caplog: pytest.LogCaptureFixture) -> None:
    (words_only,) = await _turn_ends_at(None)
    with caplog.at_level(logging.WARNING, logger="turn.detector"):
        (decision,) = await _turn_ends_at(BrokenScore())
    assert decision.transcript == COMPLETE
    assert _wait(decision) == pytest.approx(_wait(words_only))
    assert "audio end-of-turn model failed" in caplog.text


async def test_a_score_for_a_pause_the_caller_ended_is_not_applied_to_the_next_pause() -> None:
    scores = iter([SlowScore(0.0, 0.4), SlowScore(1.0, 0.0)])
    seen: list[float | None] = []

    class RecordingPolicy(SemanticPolicy):
        def choose(
            self, transcript: str, agent_last_utterance: str | None, audio_probability: float | None = None
        ) -> DelayChoice:
            seen.append(audio_probability)
            return super().choose(transcript, agent_last_utterance, audio_probability)

    policy = RecordingPolicy(TextTurnModel.load(), PRESETS["medium"])

    async def next_score() -> float | None:
        return await next(scores)()

    decisions: list[TurnDecision] = []
    detector = TurnDetector(policy, decisions.append, audio_score=next_score)
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        await anyio.sleep(0)
        detector.on_speech_started()
        await anyio.sleep(0.5)
        detector.on_speech_stopped(anyio.current_time())  # pause 1: scored 0.0, but only after 0.4 s
        detector.on_transcript(Transcript("my name is", is_final=True, from_finalize=True))
        await anyio.sleep(0.2)
        detector.on_speech_started()  # the caller goes on before pause 1's score is in
        await anyio.sleep(0.5)
        detector.on_speech_stopped(anyio.current_time())  # pause 2: scored 1.0 at once
        detector.on_transcript(Transcript("ana garcia", is_final=True, from_finalize=True))
        await anyio.sleep(3.0)
        group.cancel_scope.cancel()
    assert [d.transcript for d in decisions] == ["my name is ana garcia"]
    assert 0.0 not in seen  # pause 1's late score was dropped, never used for pause 2
    assert seen[-1] == 1.0  # pause 2 was decided with its own score
    assert decisions[0].probability is not None and decisions[0].probability > 0.5


async def test_smart_turn_scoring_runs_on_a_worker_thread_not_the_event_loop() -> None:
    """The model blocks until the event loop sets a gate: inline on the loop it could never see it set."""
    gate = threading.Event()

    class GatedModel:
        def predict(self, samples_16k: np.ndarray) -> float:
            if not gate.wait(timeout=5.0):
                raise AssertionError("the model ran on the event loop: the loop could not open the gate")
            return 0.25

    recent = RecentAudio(16000)
    recent.add(np.ones(1600, dtype=np.int16))
    score = SmartTurnScore(GatedModel(), recent)
    results: list[float | None] = []

    async def scoring() -> None:
        results.append(await score())

    with inline_compute(False):
        async with anyio.create_task_group() as group:
            group.start_soon(scoring)
            await anyio.sleep(0)
            gate.set()
    assert results == [0.25]
