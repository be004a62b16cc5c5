"""Plays a scenario's caller through one session in real time, turn by turn, and keeps a trace of each turn.

Per turn the caller waits — for the agent to finish its previous reply and then ``pause`` seconds, or, for a
barge-in, ``barge_in_after`` seconds after that reply started — then speaks, and the driver notes when the
pipeline decided the turn. The numbers are read from the session's events afterwards (see ``records``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import anyio

from benchmarks.latency.caller_audio import CallerVoice
from benchmarks.latency.caller_line import CallerLine, LineClosedError, Utterance
from benchmarks.latency.observer import SessionObserver
from benchmarks.latency.scenario import Scenario, TurnSpec
from benchmarks.latency.stacks import SessionStack
from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentState,
    AgentStateChanged,
    EndOfUserTurn,
    SpeechSource,
)
from pipeline.session.session import Session

DECISION_TIMEOUT = 10.0  # after the caller stops: no turn decision by then -> the turn is lost
REPLY_TIMEOUT = 60.0  # longest a reply may take to finish playing
TAIL_SILENCE = 0.3  # silence after the last reply before hanging up


class TraceStatus(Enum):
    DECIDED = "decided"  # the pipeline took the turn
    NO_TURN = "no_turn"  # the caller spoke but no end of turn came
    LINE_CLOSED = "line_closed"  # the session stopped taking audio (it ended early)


@dataclass
class TurnTrace:
    index: int  # position in this session's run
    scenario_turn: int  # index into the scenario's turns
    spec: TurnSpec
    status: TraceStatus = TraceStatus.NO_TURN
    utterance: Utterance | None = None
    decision: EndOfUserTurn | None = None
    interrupting: AgentStartedSpeaking | None = None  # the reply this turn barged in on

    @property
    def turn_id(self) -> int | None:
        return self.decision.turn_id if self.decision is not None else None


@dataclass
class SessionRun:
    session_index: int
    observer: SessionObserver
    traces: list[TurnTrace] = field(default_factory=list)


class SessionDriver:
    def __init__(
        self,
        stack: SessionStack,
        scenario: Scenario,
        turns: list[tuple[int, TurnSpec]],
        voice: CallerVoice,
        *,
        session_index: int = 0,
        on_turn_done: Callable[[], None] = lambda: None,
    ) -> None:
        self._stack = stack
        self._scenario = scenario
        self._turns = turns
        self._voice = voice
        self._session_index = session_index
        self._on_turn_done = on_turn_done

    async def run(self) -> SessionRun:
        session = self._stack.pipeline.session(f"bench-{self._session_index}")
        observer = SessionObserver(session)
        line = CallerLine(session, self._voice.sample_rate)
        run = SessionRun(self._session_index, observer)
        async with session, anyio.create_task_group() as group:
            group.start_soon(observer.collect_events)
            group.start_soon(observer.collect_audio)
            group.start_soon(line.run)
            previous: TurnTrace | None = None
            for index, (scenario_turn, spec) in enumerate(self._turns):
                trace = TurnTrace(index, scenario_turn, spec)
                run.traces.append(trace)
                await self._play_turn(session, observer, line, trace, previous)
                self._on_turn_done()
                if trace.status is TraceStatus.LINE_CLOSED:
                    break
                previous = trace
            await self._wait_until_listening(observer, previous)
            await anyio.sleep(TAIL_SILENCE)
            line.close()
            await session.end()
        return run

    async def _play_turn(
        self,
        session: Session,
        observer: SessionObserver,
        line: CallerLine,
        trace: TurnTrace,
        previous: TurnTrace | None,
    ) -> None:
        spec = trace.spec
        started = await self._reply_start(observer, previous) if spec.barges_in else None
        if started is not None and spec.barge_in_after is not None:
            trace.interrupting = started
            await anyio.sleep(max(0.0, started.timestamp + spec.barge_in_after - session.now()))
        else:
            await self._wait_until_listening(observer, previous)
            await anyio.sleep(spec.pause)
        self._stack.before_turn(spec)
        try:
            trace.utterance = await line.speak(self._voice.utterance(self._scenario, spec))
        except LineClosedError:
            trace.status = TraceStatus.LINE_CLOSED
            return
        trace.decision = await observer.wait_for(
            EndOfUserTurn, since=trace.utterance.start, timeout=DECISION_TIMEOUT
        )
        if trace.decision is not None:
            trace.status = TraceStatus.DECIDED

    async def _reply_start(
        self, observer: SessionObserver, previous: TurnTrace | None
    ) -> AgentStartedSpeaking | None:
        """The previous turn's reply starting to play (None if it never did)."""
        if previous is None or previous.decision is None:
            return None
        turn_id = previous.decision.turn_id
        return await observer.wait_for(
            AgentStartedSpeaking,
            lambda event: event.turn_id == turn_id and event.source is SpeechSource.REPLY,
            after=previous.decision,
            timeout=REPLY_TIMEOUT,
        )

    async def _wait_until_listening(self, observer: SessionObserver, previous: TurnTrace | None) -> None:
        """Until the agent is done with the previous turn (its reply played, failed or was interrupted)."""
        if previous is None or previous.decision is None:
            return
        # The decision launches the reply (-> THINKING), possibly after dropping a stale one (-> LISTENING).
        thinking = await observer.wait_for(
            AgentStateChanged,
            lambda event: event.new is AgentState.THINKING,
            after=previous.decision,
            timeout=REPLY_TIMEOUT,
        )
        if thinking is None:
            return
        await observer.wait_for(
            AgentStateChanged,
            lambda event: event.new is AgentState.LISTENING,
            after=thinking,
            timeout=REPLY_TIMEOUT,
        )
