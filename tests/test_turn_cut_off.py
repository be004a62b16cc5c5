"""After a cut-off the detector tells the policy, and scores the continuation with the earlier words against the
original question; mid-turn pauses are measured from the real speech onset, not the VAD's confirmation."""

from __future__ import annotations

import anyio
import pytest

from pipeline.base.transcripts import Transcript
from turn.decision import TurnDecision
from turn.delay_policy import DelayChoice
from turn.detector import CUT_OFF_WINDOW, TurnDetector

pytestmark = pytest.mark.anyio


class RecordingPolicy:
    def __init__(self) -> None:
        self.scored: list[tuple[str, str | None]] = []
        self.pauses: list[float] = []
        self.cut_offs: list[float] = []

    def choose(
        self, transcript: str, agent_last_utterance: str | None, audio_probability: float | None = None
    ) -> DelayChoice:
        self.scored.append((transcript, agent_last_utterance))
        return DelayChoice(0.3, 0.9, "semantic")

    def observe_pause(self, seconds: float) -> None:
        self.pauses.append(seconds)

    def observe_cut_off(self, seconds: float, probability: float | None) -> None:
        self.cut_offs.append(seconds)


async def _say(detector: TurnDetector, text: str, *, speech_began: float | None = None) -> None:
    detector.on_speech_started(speech_began)
    await anyio.sleep(0.5)
    detector.on_speech_stopped(anyio.current_time())
    await anyio.sleep(0.1)
    detector.on_transcript(Transcript(text, is_final=True, from_finalize=True))


async def test_a_continuation_right_after_a_decision_is_a_cut_off_scored_with_the_earlier_words() -> None:
    policy = RecordingPolicy()
    decisions: list[TurnDecision] = []
    agent = ["What's your email?"]
    detector = TurnDetector(policy, decisions.append, agent_last_utterance=lambda: agent[0])
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        await _say(detector, "it's kim dot lee")
        await anyio.sleep(0.3)
        assert [d.transcript for d in decisions] == ["it's kim dot lee"]
        agent[0] = "Thanks, and"  # the caller heard the start of the reply
        await anyio.sleep(0.4)
        await _say(detector, "at example dot com")
        assert policy.cut_offs == [pytest.approx(0.8)]  # silence from the end of speech (0.5) to 1.3
        assert policy.scored[-1] == ("it's kim dot lee at example dot com", "What's your email?")
        await anyio.sleep(0.5)
        assert [d.transcript for d in decisions][-1] == "at example dot com"  # the context has the start
        group.cancel_scope.cancel()


async def test_a_new_turn_long_after_the_decision_is_not_a_cut_off() -> None:
    policy = RecordingPolicy()
    detector = TurnDetector(policy, lambda d: None, agent_last_utterance=lambda: "Anything else?")
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        await _say(detector, "no thanks")
        await anyio.sleep(CUT_OFF_WINDOW + 1.0)
        await _say(detector, "actually one more thing")
        assert policy.cut_offs == []
        assert policy.scored[-1] == ("actually one more thing", "Anything else?")
        group.cancel_scope.cancel()


async def test_a_mid_turn_pause_is_measured_to_where_speech_really_began() -> None:
    policy = RecordingPolicy()
    detector = TurnDetector(policy, lambda d: None, stt_timeout=5.0)
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        detector.on_speech_started()
        await anyio.sleep(0.5)
        stopped = anyio.current_time()
        detector.on_speech_stopped(stopped)  # no final yet: the detector keeps waiting
        await anyio.sleep(0.2)
        began = anyio.current_time()
        await anyio.sleep(0.13)  # the VAD confirms the new speech 130 ms after it began
        detector.on_speech_started(began)
        assert policy.pauses == [pytest.approx(0.2)]
        group.cancel_scope.cancel()


async def test_no_decision_while_the_vad_confirms_a_resumed_caller() -> None:
    """The caller resumes just before the silence delay ends; the VAD needs ~0.1 s to confirm speech. The detector
    must not take the turn in that window (it used to: a cut-off the text simulation never shows)."""
    policy = RecordingPolicy()  # delay 0.3 s
    decisions: list[TurnDecision] = []
    detector = TurnDetector(policy, decisions.append)
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        await _say(detector, "my number is five five five")  # stopped at 0.5, final at 0.6
        await anyio.sleep(0.15)  # 0.25 s of silence
        detector.on_speech_onset()  # speech-like audio at 0.75, not yet confirmed
        await anyio.sleep(0.1)  # the delay ended at 0.8
        assert decisions == []
        detector.on_speech_started(anyio.current_time() - 0.1)  # confirmed at 0.85: began at 0.75
        await anyio.sleep(1.0)
        assert decisions == []  # still speaking
        assert policy.pauses == [pytest.approx(0.25)]
        group.cancel_scope.cancel()


async def test_an_onset_that_is_not_speech_lets_the_pending_decision_through_at_once() -> None:
    policy = RecordingPolicy()
    decisions: list[TurnDecision] = []
    detector = TurnDetector(policy, decisions.append)
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        await _say(detector, "that's all thanks")  # stopped at 0.5 (clock), final at 0.6
        stopped = anyio.current_time() - 0.1
        await anyio.sleep(0.15)
        detector.on_speech_onset()  # a click at 0.75
        await anyio.sleep(0.2)
        assert decisions == []  # held past the 0.3 s delay
        detector.on_speech_onset_dropped()  # 0.95: it was not speech
        assert [d.transcript for d in decisions] == ["that's all thanks"]
        assert decisions[0].decided == pytest.approx(stopped + 0.45)
        group.cancel_scope.cancel()
