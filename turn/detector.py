"""Decides when the user's turn has ended: after the speech stops, wait the policy's silence delay and for the
final transcript (bounded by ``stt_timeout``), unless the speech-to-text provider itself signals end of turn.

When the caller starts again within ``CUT_OFF_WINDOW`` of a decision, that decision was a cut-off: the policy is
told (``observe_cut_off``), and the continuation is scored together with the words before the cut-off and
against the question the caller was answering then (not the interrupted reply).

With an audio end-of-turn model (``audio_score``), each pause is also scored from the caller's audio. That takes
tens of milliseconds of CPU, so it runs as its own task (the scorer puts the model on a worker thread) while the
detector keeps serving: the delay is chosen from the words at once and re-chosen when the audio score arrives, and
no decision is taken before it has (bounded by ``stt_timeout``, like the final transcript)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

import anyio
from anyio.abc import TaskGroup

from pipeline.base.transcripts import Transcript, TurnSignal
from turn.decision import TurnDecision
from turn.delay_policy import DelayChoice, DelayPolicy


class TurnState(Enum):
    IDLE = "idle"  # nothing pending
    SPEAKING = "speaking"  # the user is talking
    WAITING = "waiting"  # speech stopped; waiting for the silence delay and the final transcript
    RESUMING = (
        "resuming"  # ... and speech-like audio came back that the VAD has not confirmed yet: no decision
    )


class AudioScoreState(Enum):
    """Where the current pause's audio end-of-turn score is. While SCORING no decision is taken (bounded by
    ``stt_timeout``); SCORED holds the score, or None when the model failed and the words alone decide."""

    UNUSED = "unused"  # no audio model, or no pause to score
    SCORING = "scoring"
    SCORED = "scored"


AudioScore = Callable[[], Awaitable[float | None]]
"""Scores the caller's audio so far, off the event loop: the probability that the turn is complete (None: no
audio to score)."""

logger = logging.getLogger(__name__)

CUT_OFF_WINDOW = 1.5  # the caller went on within this long after a decision: it cut them off


@dataclass(frozen=True, slots=True)
class _Decided:
    """The last decision, kept for ``CUT_OFF_WINDOW``: what the caller had said and was answering."""

    transcript: str
    agent_question: str | None
    user_stopped: float
    decided: float
    probability: float | None


class TurnDetector:
    def __init__(
        self,
        policy: DelayPolicy,
        on_end_of_turn: Callable[[TurnDecision], None],
        *,
        stt_timeout: float = 2.0,
        agent_last_utterance: Callable[[], str | None] = lambda: None,
        audio_score: AudioScore | None = None,
    ) -> None:
        self.policy = policy
        self._audio_score = audio_score
        self._audio_state = AudioScoreState.UNUSED
        self._audio_probability: float | None = None
        self._pauses = 0  # pauses so far: tells a late audio score from the current pause's
        self._scoring: TaskGroup | None = None  # while ``run`` runs
        self.stt_timeout = stt_timeout
        self._on_end_of_turn = on_end_of_turn
        self._agent_last_utterance = agent_last_utterance
        self.state = TurnState.IDLE
        self._finals: list[str] = []
        self._interim = ""
        self._user_stopped = 0.0
        self._choice: DelayChoice | None = None
        self._stop_confirmed = 0.0  # clock time the VAD confirmed the stop
        self._finalize_sent: float | None = None
        self._final_after_finalize = False
        self._wakeup: anyio.Event | None = None
        self._last: _Decided | None = None
        self._carried: _Decided | None = None  # the words before a cut-off, scored with the continuation

    @property
    def is_idle(self) -> bool:
        """No user turn in progress (nothing said that is still waiting for a decision)."""
        return self.state is TurnState.IDLE and not self._finals and not self._interim

    @property
    def transcript(self) -> str:
        """What the user has said in this turn so far (finals, then the newest interim)."""
        return " ".join(part for part in [*self._finals, self._interim] if part)

    # --- inputs ---------------------------------------------------------------------------------------------

    def on_speech_started(self, speech_began: float | None = None) -> None:
        """Speech confirmed; ``speech_began`` is the clock time it really began (the VAD confirms it later)."""
        began = anyio.current_time() if speech_began is None else speech_began
        if self.state in (TurnState.WAITING, TurnState.RESUMING):
            self.policy.observe_pause(max(0.0, began - self._user_stopped))
        elif self.state is TurnState.IDLE and self._last is not None:
            last, self._last = self._last, None
            if began - last.decided <= CUT_OFF_WINDOW:
                self.policy.observe_cut_off(max(0.0, began - last.user_stopped), last.probability)
                self._carried = last
        self.state = TurnState.SPEAKING
        self._choice = None
        self._forget_audio_score()
        self._finalize_sent = None
        self._final_after_finalize = False
        self._wake()

    def on_speech_onset(self) -> None:
        """The VAD hears speech-like audio it has not confirmed as speech yet (its start minimum is not met). While
        the caller is in a pause this holds the decision: a caller who has resumed must not be cut off in the time
        the VAD takes to confirm it. ``on_speech_started`` or ``on_speech_onset_dropped`` follows."""
        if self.state is TurnState.WAITING:
            self.state = TurnState.RESUMING
            self._wake()

    def on_speech_onset_dropped(self) -> None:
        """The unconfirmed speech-like audio was too short to be speech: the pause goes on, and a decision whose
        time has come is taken now."""
        if self.state is TurnState.RESUMING:
            self.state = TurnState.WAITING
            self._check()
            self._wake()

    def apply(self, policy: DelayPolicy, stt_timeout: float, audio_score: AudioScore | None = None) -> None:
        """New settings, effective from the next delay chosen (the audio model from the next pause)."""
        self.policy = policy
        self.stt_timeout = stt_timeout
        self._audio_score = audio_score
        self._wake()

    def on_speech_stopped(self, user_stopped: float) -> None:
        """The caller stopped speaking at clock time ``user_stopped``; the input stage asks speech-to-text for the
        final transcript right after this (so its answer, however quick, counts as "final after finalize")."""
        if self.state is not TurnState.SPEAKING:
            return
        self.state = TurnState.WAITING
        self._finalize_sent = anyio.current_time()
        self._final_after_finalize = False
        self._user_stopped = user_stopped
        self._stop_confirmed = anyio.current_time()
        self._start_audio_score()
        self._choose_delay()
        self._check()

    def on_transcript(self, transcript: Transcript) -> None:
        if transcript.is_final:
            if transcript.text:
                self._finals.append(transcript.text)
            self._interim = ""
            if transcript.from_finalize and self._finalize_sent is not None:
                self._final_after_finalize = True
        else:
            self._interim = transcript.text
        if transcript.turn_signal is TurnSignal.END_OF_TURN and self.state is not TurnState.IDLE:
            self._decide("stt", transcript.end_of_turn_probability, anyio.current_time())
            return
        if self.state in (TurnState.WAITING, TurnState.RESUMING):
            self._choose_delay()
            self._check()

    def reset(self) -> None:
        """Forget the current turn (e.g. its words were a backchannel the agent talked over)."""
        self.state = TurnState.IDLE
        self._finals.clear()
        self._interim = ""
        self._choice = None
        self._carried = None
        self._forget_audio_score()
        self._wake()

    # --- the audio score ------------------------------------------------------------------------------------

    def _start_audio_score(self) -> None:
        self._pauses += 1
        self._audio_probability = None
        if self._audio_score is None or self._scoring is None:
            self._audio_state = AudioScoreState.UNUSED
            return
        self._audio_state = AudioScoreState.SCORING
        self._scoring.start_soon(self._score_audio, self._audio_score, self._pauses)

    async def _score_audio(self, score: AudioScore, pause: int) -> None:
        probability: float | None
        try:
            probability = await score()
        except Exception:  # a failing model must not end the call: the words alone decide
            logger.warning("the audio end-of-turn model failed; deciding on the words alone", exc_info=True)
            probability = None
        if pause != self._pauses or self._audio_state is not AudioScoreState.SCORING:
            return  # the caller went on, or the turn ended, while it was being scored
        self._audio_state = AudioScoreState.SCORED
        self._audio_probability = probability
        self._choose_delay()
        self._check()
        self._wake()

    def _forget_audio_score(self) -> None:
        self._audio_state = AudioScoreState.UNUSED
        self._audio_probability = None

    # --- timing ---------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Fires the deadlines (silence delay, transcript timeout) and runs the audio scores. Runs for the life of
        the session."""
        async with anyio.create_task_group() as scoring:
            self._scoring = scoring
            try:
                while True:
                    self._wakeup = anyio.Event()
                    deadline = self._next_deadline()
                    if deadline is None:
                        await self._wakeup.wait()
                    else:
                        with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
                            await self._wakeup.wait()
                    self._check()
            finally:
                self._scoring = None

    def _silence_deadline(self) -> float:
        """When the required silence is over: the current choice's delay after the end of speech — never before
        the VAD confirmed the stop. Recomputed every time, so a later transcript can extend (or shorten) it."""
        assert self._choice is not None
        return max(self._user_stopped + self._choice.delay, self._stop_confirmed)

    def _next_deadline(self) -> float | None:
        if self.state is not TurnState.WAITING or self._choice is None:
            return None
        silence = self._silence_deadline()
        return silence if anyio.current_time() < silence else silence + self.stt_timeout

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _choose_delay(self) -> None:
        carried = self._carried
        if carried is None:
            choice = self.policy.choose(
                self.transcript, self._agent_last_utterance(), self._audio_probability
            )
        else:
            choice = self.policy.choose(
                f"{carried.transcript} {self.transcript}", carried.agent_question, self._audio_probability
            )
        if choice != self._choice:
            self._choice = choice
            self._wake()

    def _check(self) -> None:
        if self.state is not TurnState.WAITING or self._choice is None:
            return
        now = anyio.current_time()
        silence = self._silence_deadline()
        if now < silence:
            return
        scoring = self._audio_state is AudioScoreState.SCORING
        if self._final_after_finalize and not scoring:
            self._decide(self._choice.reason, self._choice.probability, now)
        elif now >= silence + self.stt_timeout:
            self._decide(
                "audio_timeout" if self._final_after_finalize else "stt_timeout",
                self._choice.probability,
                now,
            )

    def _decide(self, reason: str, probability: float | None, now: float) -> None:
        transcript = self.transcript
        delay = self._choice.delay if self._choice else 0.0
        silence_met = min(self._silence_deadline(), now) if self._choice else now
        user_stopped = self._user_stopped
        carried = self._carried
        self.reset()
        if not transcript:
            return  # noise, a cough: no words, no turn
        self._last = _Decided(
            f"{carried.transcript} {transcript}" if carried else transcript,
            carried.agent_question if carried else self._agent_last_utterance(),
            user_stopped,
            now,
            probability,
        )
        self._on_end_of_turn(
            TurnDecision(transcript, reason, probability, delay, user_stopped, silence_met, now)
        )
