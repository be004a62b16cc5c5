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
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from pipeline.base.audio import AudioFrame, read_wav, resample_int16
from pipeline.base.channel import Channel, ChannelClosed, Overflow
from pipeline.floor.controller import InterruptionController
from pipeline.floor.idle import IdleMonitor
from pipeline.observe.bus import EventBus, EventSubscription, Handler
from pipeline.observe.events import (
    ErrorEvent,
    Event,
    FramesDropped,
    Handoff,
    ProviderAvailabilityChanged,
    SessionEnded,
    SessionStarted,
    SpeechSource,
    UsageSummary,
)
from pipeline.observe.metrics import UsageTracker, emit_turn_metrics
from pipeline.session.builtin_tools import BUILTIN_TOOLS
from pipeline.session.conversation import (
    apply_turn_settings,
    greet,
    line_is_quiet,
    remind_caller,
    replace_tools,
    summarize_into_context,
)
from pipeline.session.tool_context import SessionToolContext
from pipeline.settings import TurnSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.input import InputStage
from pipeline.stages.reply import ReplyEngine, ReplySettings
from pipeline.stages.speech import Speech
from pipeline.stages.stt import SttStage
from pipeline.stages.tool_runner import ToolRunner
from pipeline.stages.tools import Tool
from pipeline.stages.turn_setup import RecentAudio, barge_in_policy, delay_policy
from providers.errors import ProviderError, root_cause
from providers.fallback import AvailabilityChange, ReportsAvailability
from providers.llm import LLM
from providers.stt import Transcript
from turn.detector import TurnDetector

if TYPE_CHECKING:
    from pipeline.session.pipeline import Pipeline


class SessionState(Enum):
    CREATED = "created"
    RUNNING = "running"
    ENDING = "ending"
    ENDED = "ended"


class SessionClosedError(RuntimeError):
    pass


class Session:
    def __init__(self, pipeline: Pipeline, session_id: str | None = None) -> None:
        settings = pipeline.settings
        self.id = session_id or f"sess_{uuid.uuid4().hex[:12]}"
        self.pipeline = pipeline
        self.settings = settings
        self.state = SessionState.CREATED
        self.bus = EventBus(self.id, muted=settings.events.mute, queue_size=settings.events.queue_size)
        self.context = ChatContext(settings.agent.instructions)
        self.tools = pipeline.tools.copy()
        self.usage = UsageTracker()
        audio = settings.audio
        input_frames = max(1, audio.input_buffer_ms // audio.frame_ms)
        self._audio_in: Channel[AudioFrame] = Channel(
            "caller-audio", input_frames, Overflow.DROP_OLDEST, on_drop=self._on_frames_dropped
        )
        self._audio_out: Channel[AudioFrame] = Channel("agent-audio", audio.output_buffer_frames)
        self._end_requested = anyio.Event()
        self._ended = anyio.Event()
        self._end_reason = "ended"
        self._end_error: str | None = None
        self._stack = AsyncExitStack()
        self._controller: InterruptionController | None = None
        self._builtin_tools = [BUILTIN_TOOLS[name] for name in settings.agent.builtin_tools]
        for builtin in self._builtin_tools:
            if builtin.name not in self.tools:
                self.tools.add(builtin)
        self._idle = IdleMonitor(
            settings.idle,
            self.bus,
            is_idle=lambda: line_is_quiet(self),
            remind=lambda count: remind_caller(self, count),
            say_goodbye=lambda goodbye: self._end_soon("idle", goodbye),
            caller_away=lambda: self.controller.mark_caller_away(),
        )
        self._detector: TurnDetector | None = None
        self._stt_stage: SttStage | None = None
        self.first_audio_processed_at: float | None = None  # clock time the first caller frame went through

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        if self.state is not SessionState.CREATED:
            raise RuntimeError("a session can only be started once")
        try:
            listeners = await self._stack.enter_async_context(anyio.create_task_group())
            self.bus.start(listeners)
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
        async with anyio.create_task_group() as stages:
            self._build(stages)
            self.state = SessionState.RUNNING
            self.bus.emit(
                SessionStarted,
                started_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                providers=self.pipeline.describe_providers(),
                sample_rate=self.settings.audio.sample_rate,
            )
            stages.start_soon(self._lifecycle, stages)
            task_status.started()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.state is SessionState.RUNNING:
            self._request_end("error" if exc is not None else "ended", repr(exc) if exc else None)
        await self._stack.aclose()

    def _build(self, stages: anyio.abc.TaskGroup) -> None:
        settings = self.settings
        pipeline = self.pipeline
        reply_settings = ReplySettings(
            sample_rate=settings.audio.sample_rate,
            frame_ms=settings.audio.frame_ms,
            max_tool_steps=settings.agent.max_tool_steps,
            temperature=settings.agent.temperature,
            max_tokens=settings.agent.max_tokens,
        )
        runner = ToolRunner(self.tools, self.bus, lambda speech: SessionToolContext(self, speech))
        self.engine = ReplyEngine(
            pipeline.llm, pipeline.tts, self.tools, runner, self.bus, self.usage, reply_settings
        )
        if isinstance(pipeline.llm, ReportsAvailability):  # a fallback list: report its LLMs going down/up
            self._stack.callback(pipeline.llm.subscribe_availability(self._on_llm_availability))
        controller = InterruptionController(
            bus=self.bus,
            context=self.context,
            out=self._audio_out,
            task_group=stages,
            barge_in=barge_in_policy(settings.turn),
            false_interruption_timeout=settings.turn.false_interruption_timeout,
            forget_caller_turn=lambda: self.turn_detector.reset(),
            reply_work=lambda speech, timer: self.engine.generate(speech, self.context.for_llm(), timer),
            on_turn_metrics=lambda speech, timer: emit_turn_metrics(self.bus, speech.turn_id, timer),
            on_fatal_error=self._on_fatal_error,
            on_end_call=lambda goodbye: self._end_soon("end_call", goodbye),
            on_activity=lambda caller_spoke: self._idle.touch(caller_spoke=caller_spoke),
        )
        recent_audio = RecentAudio(
            settings.audio.sample_rate, enabled=settings.turn.audio_model_path is not None
        )
        detector = TurnDetector(
            delay_policy(settings.turn, recent_audio.for_audio_model),
            controller.on_end_of_turn,
            stt_timeout=settings.turn.stt_timeout,
            agent_last_utterance=self.context.last_assistant_text,
        )
        stt = SttStage(
            pipeline.stt,
            sample_rate=settings.audio.sample_rate,
            bus=self.bus,
            usage=self.usage,
            on_transcript=self._on_transcript,
            turn_id=lambda: controller.turn_id,
        )
        vad_stream = pipeline.vad.create_stream(settings.audio.sample_rate)
        inputs = InputStage(
            self._audio_in,
            sample_rate=settings.audio.sample_rate,
            frame_ms=settings.audio.frame_ms,
            vad=vad_stream,
            stt=stt,
            controller=controller,
            detector=detector,
            bus=self.bus,
            recent_audio=recent_audio,
            on_first_frame=self._first_frame_processed,
        )
        self._controller, self._detector, self._stt_stage = controller, detector, stt
        self._recent_audio = recent_audio
        stages.start_soon(self._guard, "stt", stt.run)
        stages.start_soon(self._guard, "input", inputs.run)
        stages.start_soon(detector.run)
        stages.start_soon(controller.playout.run)
        stages.start_soon(self._idle.run)
        stages.start_soon(greet, self, controller.caller_spoke)

    async def _guard(self, name: str, stage: Any) -> None:
        """A stage that fails ends the session cleanly (after reporting why) instead of tearing it down."""
        try:
            await stage()
        except Exception as group:
            exc = root_cause(group)
            if isinstance(exc, ProviderError):
                self._on_fatal_error(exc)
                return
            self.bus.emit(
                ErrorEvent,
                source=name,
                code="internal_error",
                message=f"{type(exc).__name__}: {exc}",
                recoverable=False,
            )
            self._request_end("error", f"{name}: {type(exc).__name__}: {exc}")

    def _first_frame_processed(self) -> None:
        self.first_audio_processed_at = anyio.current_time()

    def _on_llm_availability(self, change: AvailabilityChange) -> None:
        self.bus.emit(
            ProviderAvailabilityChanged,
            provider=change.provider,
            model=change.model,
            available=change.available,
            reason=change.reason,
        )

    def _on_transcript(self, transcript: Transcript) -> None:
        self.turn_detector.on_transcript(transcript)
        self.controller.on_transcript(transcript)

    def _on_fatal_error(self, exc: ProviderError) -> None:
        self._request_end("error", str(exc))

    def _request_end(self, reason: str, error: str | None = None) -> None:
        if not self._end_requested.is_set():
            self._end_reason, self._end_error = reason, error
            self._end_requested.set()

    async def _lifecycle(self, stages: anyio.abc.TaskGroup) -> None:
        await self._end_requested.wait()
        self.state = SessionState.ENDING
        self._audio_in.close()
        await self.controller.finish(self.settings.drain_timeout if self._end_reason != "error" else 0)
        if self._stt_stage is not None:
            self._stt_stage.report_usage()
        self.bus.emit(UsageSummary, usage=self.usage.entries())
        self.bus.emit(SessionEnded, reason=self._end_reason, error=self._end_error)
        self.state = SessionState.ENDED
        self._audio_out.close()
        self.bus.close()
        self._ended.set()
        stages.cancel_scope.cancel()

    async def end(self, reason: str = "ended", goodbye: str | None = None) -> None:
        """End the session: an optional goodbye is spoken (not interruptible), speech in progress is allowed to
        finish (up to ``drain_timeout``), then everything is closed. Safe to call more than once."""
        self._end_soon(reason, goodbye)
        if self.state is not SessionState.CREATED:
            await self._ended.wait()

    def _end_soon(self, reason: str, goodbye: str | None) -> None:
        if self.state is SessionState.RUNNING and goodbye and not self._end_requested.is_set():
            self.say(goodbye, allow_interruption=False)
        self._request_end(reason)

    @property
    def running(self) -> bool:
        """Started and not ending: it takes caller audio and answers."""
        return self.state is SessionState.RUNNING

    @property
    def controller(self) -> InterruptionController:
        if self._controller is None:
            raise RuntimeError("the session has not started (use `async with pipeline.session() as session`)")
        return self._controller

    @property
    def turn_detector(self) -> TurnDetector:
        if self._detector is None:
            raise RuntimeError("the session has not started (use `async with pipeline.session() as session`)")
        return self._detector

    # --- audio ----------------------------------------------------------------------------------------------

    def push_audio(self, frame: AudioFrame) -> bool:
        """Caller audio (PCM16 mono, any rate). Never blocks: when the pipeline falls behind, the oldest
        buffered frame is dropped and a ``frames_dropped`` event reports it. Returns False once the session is
        ending (the audio is not used); raises SessionClosedError if it never started."""
        if self.state is SessionState.CREATED:
            raise SessionClosedError(f"session {self.id} has not started (use `async with session`)")
        try:
            self._audio_in.send_nowait(frame)
        except ChannelClosed:
            return False
        return True

    def end_of_input(self) -> None:
        """The caller's audio has ended (e.g. the end of a file)."""
        self._audio_in.close()

    def audio_out(self) -> AsyncIterator[AudioFrame]:
        """Agent audio frames at the pipeline rate, paced in real time. One consumer."""
        return self._audio_out.__aiter__()

    def _on_frames_dropped(self, channel: str, total: int) -> None:
        self.bus.emit(FramesDropped, channel=channel, total=total)

    # --- events ---------------------------------------------------------------------------------------------

    def on(self, handler: Handler) -> Handler:
        """Decorator: ``@session.on`` on ``async def handler(event: UserTranscript | ToolStarted)``."""
        return self.bus.on(handler)

    def events(self, *types: type[Event]) -> EventSubscription:
        """Async iterator over events (all, or the given types) from now until the session ends."""
        return self.bus.subscribe(types or (Event,))

    # --- speaking -------------------------------------------------------------------------------------------

    def say(self, text: str, *, allow_interruption: bool = True) -> Speech:
        """Speak fixed text (after anything already queued). ``await`` the result to wait until it is done."""
        speech = Speech(
            SpeechSource.SAY, turn_id=self.controller.turn_id, allow_interruption=allow_interruption
        )
        return self.controller.launch(speech, lambda s: self.engine.speak(s, text))

    def play(
        self, audio: AudioFrame | str | Path, *, text: str = "", allow_interruption: bool = True
    ) -> Speech:
        """Play prerecorded audio (a frame or a WAV path); ``text`` is what it says, for the context."""
        rate = self.settings.audio.sample_rate
        frame = audio if isinstance(audio, AudioFrame) else read_wav(audio, rate)[0]
        if frame.sample_rate != rate:
            frame = AudioFrame.from_int16(resample_int16(frame.to_int16(), frame.sample_rate, rate), rate)
        speech = Speech(
            SpeechSource.PLAY, turn_id=self.controller.turn_id, allow_interruption=allow_interruption
        )
        return self.controller.launch(speech, lambda s: self.engine.play(s, frame, text))

    def interrupt(self) -> bool:
        """Stop the agent now (as if the caller barged in)."""
        return self.controller.interrupt()

    def inject(self, text: str) -> None:
        """Add information for the model to the context (seen from the next reply on)."""
        self.context.add_note(text)

    def generate_reply(self) -> Speech:
        """Ask the LLM for a reply now, from the current context."""
        return self.controller.start_reply()

    def update(
        self,
        *,
        instructions: str | None = None,
        tools: Iterable[Tool | Callable[..., Any]] | None = None,
        turn: TurnSettings | None = None,
        llm: LLM | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        """Change the agent mid-session; what is given applies from the next reply or turn decision."""
        if instructions is not None:
            self.context.system_prompt = instructions
        if tools is not None:
            replace_tools(self, tools, self._builtin_tools)
        if turn is not None:
            apply_turn_settings(self, turn, self._recent_audio)
        if llm is not None:
            self.engine.llm = llm
        if temperature is not None:
            self.engine.settings.temperature = temperature
        if max_tokens is not None:
            self.engine.settings.max_tokens = max_tokens

    async def handoff(
        self,
        instructions: str,
        *,
        tools: Iterable[Tool | Callable[..., Any]] | None = None,
        llm: LLM | None = None,
        summarize_history: bool = False,
    ) -> None:
        """Hand the call to another agent persona: new instructions (and tools, model), same conversation —
        or, with ``summarize_history``, the conversation so far condensed into a note by the current LLM."""
        if summarize_history and self.context.messages:
            await summarize_into_context(self.context, self.engine.llm)
        self.update(instructions=instructions, tools=tools, llm=llm)
        self.bus.emit(Handoff, turn_id=self.controller.turn_id or None, summarized=summarize_history)

    # --- inactivity -----------------------------------------------------------------------------------------

    def extend_idle_wait(self, seconds: float) -> None:
        """The caller asked for a moment: no reminder for ``seconds``."""
        self._idle.extend(seconds)
