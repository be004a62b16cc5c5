"""One conversation: the stages of a session as tasks in one task group, with a small public API.

async with pipeline.session() as session:
    session.push_audio(frame)            # caller audio in (any rate; never blocks)
    async for frame in session.audio_out(): ...   # agent audio out, paced in real time
    async for event in session.events(): ...
    await session.say("Hello!")
    await session.end()
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup

from pipeline.base.audio import AudioFrame
from pipeline.base.clock import SessionClock
from pipeline.floor.controller import InterruptionController
from pipeline.floor.idle import IdleMonitor
from pipeline.observe.bus import EventBus, EventSubscription, Handler
from pipeline.observe.event_log import EventLog
from pipeline.observe.events import (
    AgentState,
    Event,
    Handoff,
    SessionEnded,
    SessionStarted,
    UsageSummary,
    UserState,
)
from pipeline.observe.logs import session_scope
from pipeline.observe.metrics import UsageTracker
from pipeline.observe.observer import CallInfo, SessionObserver
from pipeline.session.agents import AgentProviders, AgentRoster, MainAgent
from pipeline.session.audio_io import AudioTaps, SessionAudio, check_caller_frame, prerecorded_frame
from pipeline.session.conversation import deliver_late_result, summarize_into_context
from pipeline.session.ending import EndRequest
from pipeline.session.listener import AgentListener, dispatch
from pipeline.session.live import LIVE_EVENTS, LiveItem, live_items
from pipeline.session.mcp_servers import McpServerLink
from pipeline.session.phone import (
    DEFAULT_DIGIT_POLICY,
    CallControl,
    DigitPolicy,
    HuntMode,
    PhoneFeatures,
    TransferMode,
)
from pipeline.session.settings_update import updated_settings
from pipeline.session.tool_set import SessionTools
from pipeline.session.wiring import (
    RunningStages,
    build_stages,
    describe_providers,
    report_availability,
)
from pipeline.settings import IdleSettings, PreemptiveSettings, SessionSettings, TurnSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.speech import Speech
from pipeline.stages.tools import Tool, ToolRegistry, ToolResult
from providers.errors import ProviderError
from providers.llm import LLM
from providers.stt import SpeechToText
from providers.tts import TextToSpeech
from vad import Vad


class SessionState(Enum):
    """created -> running -> ending -> ended."""

    CREATED = "created"
    RUNNING = "running"
    ENDING = "ending"
    ENDED = "ended"


class SessionClosedError(RuntimeError):
    """The session has not started yet, or has ended: the call cannot be used for that."""


class Session:
    """One call: push caller audio in, read agent audio and events out (or ``add_listener`` / ``run_live``), and
    steer the agent (``say``, ``play``, ``interrupt``, ``inject``, ``update``, ``handoff``, ``switch_agent``,
    ``end``; on a phone call also ``transfer`` to a human, ``send_dtmf``). Open it with ``async with``; build it
    with ``Pipeline.session()``. ``settings`` is always the session's current configuration."""

    def __init__(
        self,
        *,
        stt: SpeechToText,
        llm: LLM,
        tts: TextToSpeech,
        vad: Vad,
        tools: ToolRegistry,
        settings: SessionSettings,
        session_id: str | None = None,
        observers: Sequence[SessionObserver] = (),
        metadata: Mapping[str, str] | None = None,
        config_name: str | None = None,
        agent_providers: Mapping[str, AgentProviders] | None = None,
    ) -> None:
        self.id = session_id or f"sess_{uuid.uuid4().hex[:12]}"
        self.state = SessionState.CREATED
        self.context = ChatContext(settings.agent.instructions)
        self._settings = settings
        self._stt, self._llm, self._tts, self._vad = stt, llm, tts, vad
        self._clock = SessionClock()
        self._bus = EventBus(
            self.id, clock=self._clock, muted=settings.events.mute, queue_size=settings.events.queue_size
        )
        self._usage = UsageTracker()
        main = MainAgent(settings.agent, settings.turn, llm, tts)
        self._roster = AgentRoster(settings.agents, main, agent_providers or {})
        self._tool_set = SessionTools(tools, self._roster.builtins_for(main.agent.name), self._bus)
        self._tools = self._tool_set.registry
        self._mcp_links = [
            McpServerLink(server, self._bus, self._tool_set.mcp_changed) for server in settings.mcp_servers
        ]
        self._idle = IdleMonitor(settings.idle, self._bus)
        self._running: RunningStages | None = None
        self._ending = EndRequest()
        self._stack = AsyncExitStack()
        self.phone = PhoneFeatures(self._bus, self, sample_rate=settings.audio.sample_rate)
        call = CallInfo(self.id, config_name, dict(metadata or {}))
        self._audio = SessionAudio(
            settings.audio, self._bus, AudioTaps((EventLog(), *observers), call, self._bus)
        )

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        if self.state is not SessionState.CREATED:
            raise RuntimeError("a session can only be started once")
        self._stack.callback(self._audio.taps.close)
        try:
            with session_scope(self.id):  # tasks started here copy it: their log records carry the id
                listeners = await self._stack.enter_async_context(anyio.create_task_group())
                self._bus.start(listeners)
                self._stack.push_async_callback(self._finish_handlers)
                host = await self._stack.enter_async_context(anyio.create_task_group())
                await host.start(self._run_stages)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def _run_stages(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """The stages live in their own task group, so ending the session cancels them and never the
        application code running inside ``async with session``."""
        try:
            async with anyio.create_task_group() as stages:
                for link in self._mcp_links:  # their tools are there before the first reply (or it is down)
                    await stages.start(link.run)
                self._start_stages(stages, task_status)
        finally:
            self._mark_ended("cancelled")  # when cancelled from outside, the orderly end never ran

    def _start_stages(self, stages: TaskGroup, task_status: anyio.abc.TaskStatus[None]) -> None:
        running = self._build(stages)
        self._running = running
        unsubscribe = report_availability(self._llm, self._bus)  # a fallback list reports its LLMs down/up
        if unsubscribe is not None:
            self._stack.callback(unsubscribe)
        self.state = SessionState.RUNNING
        self._bus.emit(
            SessionStarted,
            started_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
            providers=describe_providers(self._stt, self._llm, self._tts),
            sample_rate=self._settings.audio.sample_rate,
        )
        running.start(
            stages,
            self._settings.agent,
            bus=self._bus,
            fatal_error=self.fatal_error,
            end_with_error=lambda error: self._ending.request("error", error),
        )
        stages.start_soon(self.phone.run)
        stages.start_soon(self._lifecycle, stages, running)
        task_status.started()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.state is SessionState.RUNNING:
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                self._ending.request("cancelled")
            else:
                self._ending.request("error" if exc is not None else "ended", repr(exc) if exc else None)
        try:
            await self._stack.aclose()
        finally:
            self._mark_ended("cancelled")

    async def _finish_handlers(self) -> None:
        """Runs after the stages have stopped: handlers get a deadline to finish, then are cancelled."""
        self._bus.close()
        await self._bus.finish_handlers(self._settings.events.handler_drain_timeout)

    def _mark_ended(self, reason: str) -> None:
        """Make the state true after a teardown that skipped the orderly end (the host task was cancelled):
        no more audio is taken, readers of audio and events finish, ``end()`` returns."""
        if self.state is SessionState.ENDED or (self.state is SessionState.CREATED and self._running is None):
            return
        self._audio.caller_in.close()
        self._ending.request(reason)
        self._bus.emit(SessionEnded, reason=self._ending.reason, error=self._ending.error)
        self.state = SessionState.ENDED
        self._audio.agent_out.close()
        self._bus.close()
        self._ending.done.set()

    def _build(self, stages: TaskGroup) -> RunningStages:
        return build_stages(
            self._settings,
            bus=self._bus,
            clock=self._clock,
            usage=self._usage,
            idle=self._idle,
            context=self.context,
            tools=self._tools,
            audio_in=self._audio.caller_in,
            audio_out=self._audio.agent_out,
            stt=self._stt,
            llm=self._llm,
            tts=self._tts,
            vad=self._vad,
            stages=stages,
            host=self,
            speaking_agent=self._roster.current,
            late_result=self._deliver_late_result,
            switch_agent=self.switch_agent if self._settings.agents else None,
        )

    async def _deliver_late_result(self, result: ToolResult) -> None:
        if self._running is not None and self.running:
            await deliver_late_result(self._running.controller, self.context, self._bus, result)

    # --- FloorHost: what the interruption controller asks of the session ----------------------------------

    def end_call(self, reason: str, goodbye: str | None) -> None:
        self._end_soon(reason, goodbye)

    def fatal_error(self, error: ProviderError) -> None:
        self._ending.request("error", str(error))

    def clear_output(self, speech_id: str) -> None:
        self._audio.clear_output(speech_id)

    async def _lifecycle(self, stages: TaskGroup, running: RunningStages) -> None:
        await self._ending.requested.wait()
        self.state = SessionState.ENDING
        self._audio.caller_in.close()
        drains = self._ending.may_drain(heard=self._audio.agent_out_read)
        await running.finish(self._settings.drain_timeout if drains else 0)
        self._bus.emit(UsageSummary, usage=self._usage.entries())
        self._bus.emit(SessionEnded, reason=self._ending.reason, error=self._ending.error)
        self.state = SessionState.ENDED
        self._audio.taps.close()
        self._audio.agent_out.close()
        self._bus.close()
        self._ending.done.set()
        stages.cancel_scope.cancel()

    async def end(self, reason: str = "ended", goodbye: str | None = None) -> None:
        """End the session: an optional goodbye is spoken (not interruptible), speech in progress is allowed to
        finish (up to ``drain_timeout``), then everything is closed. Safe to call more than once."""
        self._end_soon(reason, goodbye)
        if self.state is not SessionState.CREATED:
            await self._ending.done.wait()

    async def hang_up(self, reason: str = "caller_hung_up", error: str | None = None) -> None:
        """The caller is gone (the line dropped, a ``stop`` message): end now, without waiting for speech in
        progress to play (nobody would hear it). ``session_ended`` carries ``reason``. Safe to call more than
        once, and after ``end``."""
        self._ending.request_at_once(reason, error)
        if self.state is not SessionState.CREATED:
            await self._ending.done.wait()

    def _end_soon(self, reason: str, goodbye: str | None) -> None:
        if self.state is SessionState.RUNNING and goodbye and not self._ending.is_requested:
            self.say(goodbye, allow_interruption=False)
        self._ending.request(reason)

    @property
    def running(self) -> bool:
        """Started and not ending: it takes caller audio and answers."""
        return self.state is SessionState.RUNNING

    @property
    def settings(self) -> SessionSettings:
        """The session's current settings (``update`` changes them)."""
        return self._settings

    @property
    def agent_state(self) -> AgentState:
        return self._running.controller.agent_state if self._running else AgentState.INITIALIZING

    @property
    def user_state(self) -> UserState:
        return self._running.controller.user_state if self._running else UserState.LISTENING

    @property
    def first_audio_processed_at(self) -> float | None:
        """Clock time (``anyio.current_time()``) the first caller frame went through the input stage."""
        return self._running.inputs.first_frame_at if self._running else None

    def is_quiet(self) -> bool:
        """Running, nobody talking and nothing pending (no reply being written, no turn being decided)."""
        return self.running and self._running is not None and self._running.controller.is_quiet()

    def now(self) -> float:
        """Seconds since the session started, on the session's clock (what event timestamps use)."""
        return self._clock.now()

    def _floor(self) -> InterruptionController:
        if self._running is None:
            raise SessionClosedError(
                f"session {self.id} has not started (use `async with pipeline.session() as session`)"
            )
        if self.state is SessionState.ENDED:
            raise SessionClosedError(f"session {self.id} has ended")
        return self._running.controller

    # --- audio ----------------------------------------------------------------------------------------------

    def push_audio(self, frame: AudioFrame) -> bool:
        """Caller audio (PCM16 mono, any rate). Never blocks: when the pipeline falls behind, the oldest
        buffered frame is dropped and a ``frames_dropped`` event reports it. Returns False once the session is
        ending (the audio is not used); raises SessionClosedError if it never started."""
        if self.state is SessionState.CREATED:
            raise SessionClosedError(f"session {self.id} has not started (use `async with session`)")
        check_caller_frame(frame)
        self.phone.hear(frame)
        return self._audio.take_caller(frame)

    def on_output_cleared(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(speech_id)`` at the moment the agent is interrupted, so a transport drops that
        speech's audio it holds but has not played. Returns a function that removes the callback."""
        return self._audio.on_output_cleared(callback)

    def playback_mark(self, speech_id: str, played_seconds: float) -> None:
        """The transport has played the first ``played_seconds`` of speech ``speech_id`` to the caller
        (what the caller heard then follows the marks, not what was sent). Ignored once the session ended."""
        if self._running is not None and self.state is not SessionState.ENDED:
            self._running.controller.playback_mark(speech_id, played_seconds)

    def end_of_input(self) -> None:
        """The caller's audio has ended (e.g. the end of a file)."""
        self._audio.caller_in.close()

    def audio_out(self) -> AsyncIterator[AudioFrame]:
        """Agent audio frames at the pipeline rate, paced in real time. One consumer."""
        return self._audio.agent_frames()

    # --- events ---------------------------------------------------------------------------------------------

    def on(self, handler: Handler) -> Handler:
        """Decorator: ``@session.on`` on ``async def handler(event: UserTranscript | ToolStarted)``."""
        return self._bus.on(handler)

    def events(self, *types: type[Event]) -> EventSubscription:
        """Async iterator over events (all, or the given types) from now until the session ends."""
        return self._bus.subscribe(types or (Event,))

    def add_listener(self, listener: AgentListener) -> None:
        """Call ``listener``'s methods from the event stream (see ``AgentListener``); add it before the start to
        see ``on_agent_starting``."""

        async def handler(event: Event) -> None:
            await dispatch(listener, event)

        self._bus.on(handler)

    def run_live(self) -> AsyncIterator[LiveItem]:
        """Turn-level items with ``partial`` / ``turn_complete`` / ``interrupted`` / ``error_code`` flags, from now
        until the session ends (see ``LiveItem`` for when to continue and when to stop)."""
        return live_items(self._bus.subscribe(LIVE_EVENTS))

    # --- speaking -------------------------------------------------------------------------------------------

    def say(self, text: str, *, allow_interruption: bool = True) -> Speech:
        """Speak fixed text (after anything already queued). ``await`` the result to wait until it is done."""
        return self._floor().say(text, allow_interruption=allow_interruption)

    def play(
        self, audio: AudioFrame | str | Path, *, text: str = "", allow_interruption: bool = True
    ) -> Speech:
        """Play prerecorded audio (a frame or a WAV path); ``text`` is what it says, for the context."""
        floor = self._floor()
        frame = prerecorded_frame(audio, self._settings.audio.sample_rate)
        return floor.play(frame, text, allow_interruption=allow_interruption)

    def interrupt(self) -> bool:
        """Stop the agent now (as if the caller barged in)."""
        return self._floor().interrupt()

    def inject(self, text: str) -> None:
        """Add information for the model to the context (seen from the next reply on)."""
        self.context.add_note(text)

    def generate_reply(self) -> Speech:
        """Ask the LLM for a reply now, from the current context."""
        return self._floor().start_reply()

    # --- live settings --------------------------------------------------------------------------------------

    def update(
        self,
        *,
        instructions: str | None = None,
        tools: Iterable[Tool | Callable[..., Any]] | None = None,
        turn: TurnSettings | None = None,
        idle: IdleSettings | None = None,
        llm: LLM | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        preemptive: PreemptiveSettings | None = None,
    ) -> None:
        """Change the agent: what is given applies from the next reply or turn decision. ``settings`` is
        updated once and each part of the session applies its share. Before the start it shapes the session
        to come; after the end it raises SessionClosedError. A bad value raises ValueError and changes nothing."""
        if self.state is SessionState.ENDED:
            raise SessionClosedError(f"session {self.id} has ended")
        settings = updated_settings(
            self._settings,
            instructions=instructions,
            temperature=temperature,
            max_tokens=max_tokens,
            turn=turn,
            idle=idle,
            preemptive=preemptive,
        )
        if tools is not None:
            self._tool_set.offer(tools)
        self._settings = settings
        agent = settings.agent
        self.context.system_prompt = agent.instructions
        if llm is not None:
            self._llm = llm
        if self._running is not None:
            self._running.apply(settings, llm)
            self._idle.apply(self._settings.idle)
        elif idle is not None:
            self._idle.apply(idle)

    async def handoff(
        self,
        instructions: str,
        *,
        tools: Iterable[Tool | Callable[..., Any]] | None = None,
        llm: LLM | None = None,
        summarize_history: bool = False,
        agent: str | None = None,
    ) -> None:
        """Hand the call to another agent persona: new instructions (and tools, model), same conversation —
        or, with ``summarize_history``, the conversation so far condensed into a note by the current LLM.
        ``agent`` names the persona in events (``switch_agent`` hands off to a configured named agent)."""
        if summarize_history and self.context.messages:
            await summarize_into_context(self.context, self._llm)
        self.update(instructions=instructions, tools=tools, llm=llm)
        floor = self._floor()
        if agent is not None:
            self._roster.current = floor.speaking_agent = agent
        self._bus.emit(Handoff, turn_id=floor.turn_id or None, summarized=summarize_history, agent=agent)

    @property
    def agent_name(self) -> str:
        """The named agent talking to the caller now (``agent.name`` until a hand-off)."""
        return self._roster.current

    async def switch_agent(self, agent: str) -> None:
        """Hand the call to a named agent of ``settings.agents`` (or back to the main agent): its instructions,
        tools, LLM, voice and turn settings apply from now on, with the history kept (or summarised); then it
        greets the caller, or answers the conversation so far. The LLM does this through ``transfer_to_agent``."""
        floor = self._floor()
        if agent == self._roster.current:
            return
        plan = self._roster.plan(agent, self._tool_set.pick)
        self._tool_set.set_builtins(plan.builtins)
        await self.handoff(
            plan.instructions,
            tools=plan.tools,
            llm=plan.llm,
            summarize_history=plan.summarize_history,
            agent=agent,
        )
        self.update(turn=plan.turn)
        if self._running is not None:
            self._running.engine.apply(self._settings.agent, tts=plan.tts)
        if plan.greeting:
            floor.say(plan.greeting)
        else:
            floor.start_reply()

    # --- inactivity -----------------------------------------------------------------------------------------

    def extend_idle_wait(self, seconds: float) -> None:
        """The caller asked for a moment: no reminder for ``seconds``."""
        self._idle.extend(seconds)

    # --- phone calls (see pipeline.session.phone) -------------------------------------------------------------

    def attach_phone(
        self, control: CallControl, *, stream_dtmf: Callable[[str], Awaitable[bool]] | None = None
    ) -> PhoneFeatures:
        """Make this session a platform phone call: ``transfer``, REST hang-up and DTMF through ``control``."""
        self.phone.attach(control, stream_dtmf=stream_dtmf)
        return self.phone

    def add_tools(self, tools: Iterable[Tool]) -> None:
        """Offer more tools to the LLM from the next reply on (e.g. ``session.phone.tools(...)``)."""
        self._tool_set.add_call_tools(tools)

    def dtmf(self, digit: str, source: str = "platform") -> None:
        """A keypress from the caller (the transport reports it): a ``dtmf`` event, and collected if asked."""
        self.phone.digit(digit, source)

    def collect_digits(self, policy: DigitPolicy | None = DEFAULT_DIGIT_POLICY) -> None:
        """Collect keypresses into a user turn (terminator / timeout / length); None turns it off."""
        self.phone.collect_digits(policy)

    def user_keypad_turn(self, text: str) -> None:
        self.context.add_user(text)
        self._floor().start_reply()

    async def send_dtmf(self, digits: str) -> str:
        """Send keypresses to the far end (``dtmf_sent`` event); returns how: stream, rest or tones."""
        self._floor()
        return await self.phone.send_dtmf(digits)

    async def transfer(
        self,
        to: str | Iterable[str],
        *,
        mode: TransferMode | str = TransferMode.COLD,
        announce: str | None = None,
        whisper: str | None = None,
        hunt: HuntMode | str = HuntMode.SEQUENTIAL,
    ) -> bool:
        """Hand the caller to a human: speak ``announce``, then the platform connects them (a list of numbers is
        a hunt list). ``transfer_started`` / ``transfer_failed``; returns whether the platform accepted."""
        self._floor()
        targets = to if isinstance(to, str) else list(to)
        return await self.phone.transfer(targets, mode=mode, announce=announce, whisper=whisper, hunt=hunt)
