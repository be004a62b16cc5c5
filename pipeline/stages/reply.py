"""Produces a speech's audio: context -> LLM stream (with tool steps) -> sentence splitter -> streaming TTS ->
frames at the pipeline rate in the speech's output queue. TTS starts on the first complete sentence."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import aclosing

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pipeline.base.audio import AudioFrame, Rechunker, StreamResampler, split_frames
from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    AgentTranscriptDelta,
    CollectorFinished,
    CollectorStarted,
    ErrorEvent,
    LlmMetrics,
    ToolStatus,
    TtsMetrics,
)
from pipeline.observe.metrics import TurnTimer, UsageTracker
from pipeline.settings import AgentSettings
from pipeline.stages.collect_dialog import CollectorDialog
from pipeline.stages.commit import step_messages
from pipeline.stages.sentences import SentenceSplitter
from pipeline.stages.speech import AfterDone, ReplyStep, Speech
from pipeline.stages.tool_runner import FillerPolicy, ToolRunner
from pipeline.stages.tools import ToolRegistry, ToolResult
from pipeline.stages.tts_input import MeteredTtsInput, TtsMeter
from providers.llm import LLM, ChatMessage, LlmRequest, LlmUsage, Role, TextDelta, ToolCall
from providers.tts import TextToSpeech, TtsAudio, TtsSegmentEnd

TOOL_STEPS_EXHAUSTED = "tool_steps_exhausted"
EMPTY_REPLY = "empty_reply"


class ReplyEngine:
    def __init__(
        self,
        llm: LLM,
        tts: TextToSpeech,
        tools: ToolRegistry,
        runner: ToolRunner,
        bus: EventBus,
        usage: UsageTracker,
        *,
        sample_rate: int,
        frame_ms: int,
        agent: AgentSettings,
    ) -> None:
        self.llm = llm
        self.tts = tts
        self._tools = tools
        self._runner = runner
        self._bus = bus
        self._usage = usage
        self._sample_rate = sample_rate
        self._frame_ms = frame_ms
        self._agent = agent
        self._dialog: CollectorDialog | None = None

    def apply(self, agent: AgentSettings, llm: LLM | None = None, tts: TextToSpeech | None = None) -> None:
        """New agent settings (and LLM, voice), effective from the next LLM request or speech."""
        self._agent = agent
        if llm is not None:
            self.llm = llm
        if tts is not None:
            self.tts = tts

    async def generate(
        self, speech: Speech, messages: tuple[ChatMessage, ...], timer: TurnTimer | None
    ) -> None:
        """An LLM reply; tool steps are recorded in ``speech.steps``."""
        async with self.tts.stream() as tts_stream, anyio.create_task_group() as group:
            tts_input = MeteredTtsInput(tts_stream, timer, speech.gate)
            group.start_soon(self._write_reply, speech, messages, tts_input)
            await self._read_audio(speech, tts_input)

    async def speak(self, speech: Speech, text: str) -> None:
        """Fixed text (``say``, greetings, reminders)."""
        async with self.tts.stream() as tts_stream, anyio.create_task_group() as group:
            tts_input = MeteredTtsInput(tts_stream, None)
            group.start_soon(self._write_text, speech, text, tts_input)
            await self._read_audio(speech, tts_input)

    async def play(self, speech: Speech, audio: AudioFrame, text: str = "") -> None:
        """Prerecorded audio (``play``), already at the pipeline rate."""
        for frame in split_frames(audio, self._frame_ms):
            await speech.queue_audio(frame)
        speech.tracker.add_audio(audio.duration)
        speech.tracker.end_segment(text)
        speech.audio.close()

    async def _write_text(self, speech: Speech, text: str, tts_input: MeteredTtsInput) -> None:
        splitter = SentenceSplitter()
        sentences = splitter.push(text + " ")
        rest = splitter.flush()
        for sentence in [*sentences, rest] if rest else sentences:
            self._bus.emit(
                AgentTranscriptDelta,
                turn_id=speech.turn_id,
                speech_id=speech.id,
                text=sentence,
                agent=speech.agent,
            )
            await tts_input.push(sentence)
        await tts_input.end()

    async def _write_reply(
        self, speech: Speech, messages: tuple[ChatMessage, ...], tts_input: MeteredTtsInput
    ) -> None:
        history = list(messages)
        send, receive = anyio.create_memory_object_stream[str](16)
        with send, receive:  # closed also when the reply is cancelled
            await self._write_steps(speech, history, tts_input, send, receive)
        await tts_input.end()

    async def _write_steps(
        self,
        speech: Speech,
        history: list[ChatMessage],
        tts_input: MeteredTtsInput,
        send: MemoryObjectSendStream[str],
        receive: MemoryObjectReceiveStream[str],
    ) -> None:
        timer = tts_input.timer
        filler = FillerPolicy(self._agent.filler_after, tuple(self._agent.fillers))
        reported = False
        async with anyio.create_task_group() as voice:
            voice.start_soon(_speak_fillers, receive, tts_input)
            ask_llm = True
            if self._dialog is not None:
                await speech.gate.tools()  # a held (preemptive) reply never moves the dialog on
                ask_llm = await self._dialog_turn(speech, history, tts_input)
            for step_index in range(self._agent.max_tool_steps + 1 if ask_llm else 0):
                last_step = step_index == self._agent.max_tool_steps
                step = ReplyStep()
                speech.steps.append(step)
                calls = await self._llm_step(speech, history, step, tts_input, with_tools=not last_step)
                if not calls:
                    break
                if last_step:  # no tools were offered: none are run, and the turn says why it stopped short
                    self._bus.emit(
                        ErrorEvent,
                        turn_id=speech.turn_id,
                        source="llm",
                        code=TOOL_STEPS_EXHAUSTED,
                        message=f"the model asked for {len(calls)} tool call(s) after max_tool_steps "
                        f"({self._agent.max_tool_steps}); they were not run",
                        recoverable=True,
                    )
                    reported = True
                    break
                await speech.gate.tools()
                tools_started = anyio.current_time()
                speak = self._filler_voice(speech, step, send)
                await self._runner.run(calls, step, speech, speak=speak, filler=filler)
                if timer is not None and timer.first_token is None:
                    timer.tool_time += anyio.current_time() - tools_started
                history.extend(step_messages(step))
                if speech.pending_dialog is not None:
                    await self._ask_collector_question(speech, speech.pending_dialog, tts_input)
                    break
            send.close()  # fillers already queued are still spoken, then the synthesis input ends
        if not reported and not any(step.text.strip() for step in speech.steps):
            # the model answered with nothing to say: the caller would hear silence, so the turn says why
            self._bus.emit(
                ErrorEvent,
                turn_id=speech.turn_id,
                source="llm",
                code=EMPTY_REPLY,
                message="the model's answer had no text to speak",
                recoverable=True,
            )

    # --- collector sub-agents ---------------------------------------------------------------------------------

    @property
    def dialog(self) -> CollectorDialog | None:
        """The collector holding the dialog, if any: it answers the caller's turns until it is done."""
        return self._dialog

    async def _ask_collector_question(
        self, speech: Speech, dialog: CollectorDialog, tts_input: MeteredTtsInput
    ) -> None:
        """The reply ends with the collector's question; the collector takes the dialog once it was heard."""
        await self._say(speech, dialog.collector.question, tts_input)

        def activate() -> None:
            self._dialog = dialog
            dialog.start(anyio.current_time())
            self._bus.emit(
                CollectorStarted, turn_id=speech.turn_id, call_id=dialog.call.id, field=dialog.collector.field
            )

        speech.after_done.append(AfterDone(f"ask for the {dialog.collector.field}", activate))

    async def _dialog_turn(
        self, speech: Speech, history: list[ChatMessage], tts_input: MeteredTtsInput
    ) -> bool:
        """The collector answers this turn; True when it is done (its result is then in ``history`` as a tool
        result, and the parent LLM goes on in the same reply)."""
        dialog = self._dialog
        assert dialog is not None
        last = history[-1] if history else None
        heard = last.content if last is not None and last.role is Role.USER else None
        turn = dialog.step(heard, anyio.current_time())
        step = await self._say(speech, turn.say, tts_input)
        if turn.result is None:
            return False
        self._dialog = None
        call = ToolCall(f"{dialog.call.id}_result", dialog.call.name, dialog.call.arguments)
        step.calls.append(call)
        step.results.append(ToolResult(call, ToolStatus.OK, turn.result.to_json()))
        self._bus.emit(
            CollectorFinished,
            turn_id=speech.turn_id,
            call_id=dialog.call.id,
            field=turn.result.field,
            status=turn.result.status.value,
            attempts=turn.result.attempts,
        )
        history.extend(step_messages(step))
        return True

    async def _say(self, speech: Speech, text: str, tts_input: MeteredTtsInput) -> ReplyStep:
        """Fixed words inside a reply, as a step of their own (so the context keeps them in order)."""
        step = ReplyStep(text=text)
        speech.steps.append(step)
        self._publish_delta(speech, text)
        splitter = SentenceSplitter()
        sentences = splitter.push(text + " ")
        rest = splitter.flush()
        for sentence in [*sentences, rest] if rest else sentences:
            await tts_input.push(sentence)
        return step

    def _filler_voice(
        self, speech: Speech, step: ReplyStep, fillers: MemoryObjectSendStream[str]
    ) -> Callable[[str], bool]:
        """How the tools of ``step`` speak while they run: the text joins the step (so the context keeps what
        was said) and goes to synthesis after what is already there."""

        def speak(text: str) -> bool:
            try:
                fillers.send_nowait(text)
            except (anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
                return False  # the reply is done writing (or too many fillers at once)
            delta = f" {text}" if step.text else text
            step.text += delta
            self._publish_delta(speech, delta)
            return True

        return speak

    async def _llm_step(
        self,
        speech: Speech,
        history: list[ChatMessage],
        step: ReplyStep,
        tts_input: MeteredTtsInput,
        *,
        with_tools: bool,
    ) -> list[ToolCall]:
        timer = tts_input.timer
        request = LlmRequest(
            messages=tuple(history),
            tools=self._tools.schemas if with_tools else (),
            temperature=self._agent.temperature,
            max_tokens=self._agent.max_tokens,
        )
        splitter = SentenceSplitter()
        calls: list[ToolCall] = []
        usage: LlmUsage | None = None
        sent = anyio.current_time()
        first_token: float | None = None
        chunks_out = 0
        try:
            async with aclosing(self.llm.stream(request)) as chunks:
                async for chunk in chunks:
                    match chunk:
                        case TextDelta(text=text):
                            if not text:
                                continue
                            now = anyio.current_time()
                            if first_token is None:
                                first_token = now
                            if timer is not None:
                                timer.mark_first("first_token", now)
                            chunks_out += 1
                            step.text += text
                            self._publish_delta(speech, text)
                            await speech.gate.token()  # a held reply past its token budget waits here
                            for sentence in splitter.push(text):
                                await tts_input.push(sentence)
                        case ToolCall():
                            if first_token is None:
                                first_token = anyio.current_time()
                            calls.append(chunk)
                        case LlmUsage():
                            usage = chunk
        except anyio.get_cancelled_exc_class():
            if (
                usage is None
            ):  # closed early (barge-in, a discarded preemptive reply): what it wrote is billed
                self._usage.add_llm(self.llm.provider, self.llm.model, 0, chunks_out)
            raise
        rest = splitter.flush()
        if rest:
            await tts_input.push(rest)
        self._report_llm(speech, sent, first_token, chunks_out, usage)
        return calls

    def _publish_delta(self, speech: Speech, text: str) -> None:
        if speech.gate.held:
            speech.gate.held_deltas.append(text)  # published if the preemptive reply is committed
        else:
            self._bus.emit(
                AgentTranscriptDelta,
                turn_id=speech.turn_id,
                speech_id=speech.id,
                text=text,
                agent=speech.agent,
            )

    def _report_llm(
        self, speech: Speech, sent: float, first_token: float | None, chunks: int, usage: LlmUsage | None
    ) -> None:
        done = anyio.current_time()
        completion = usage.completion_tokens if usage else None
        generating = done - first_token if first_token is not None else 0.0
        tokens = completion if completion is not None else chunks
        self._bus.emit(
            LlmMetrics,
            turn_id=speech.turn_id,
            provider=self.llm.provider,
            model=self.llm.model,
            ttft=(first_token if first_token is not None else done) - sent,
            duration=done - sent,
            tokens_per_second=tokens / generating if generating > 0 and tokens else None,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=completion,
        )
        self._usage.add_llm(
            self.llm.provider, self.llm.model, usage.prompt_tokens if usage else 0, completion or 0
        )

    async def _read_audio(self, speech: Speech, tts_input: MeteredTtsInput) -> None:
        rate = self._sample_rate
        resampler = StreamResampler(self.tts.sample_rate, rate)
        chunker = Rechunker.for_duration(rate, self._frame_ms)
        timer = tts_input.timer
        meter = tts_input.meter
        idle = 0.0
        async for output in tts_input.stream.outputs():
            now = anyio.current_time()
            match output:
                case TtsAudio(pcm=pcm, alignment=alignment):
                    audio = AudioFrame(pcm, self.tts.sample_rate)
                    meter.audio(audio.duration, now)
                    if timer is not None:
                        timer.mark_first("first_tts_audio", now)
                    speech.tracker.add_audio(audio.duration, alignment)
                    idle += await _timed_queue(speech, chunker.push(resampler.process(audio).pcm))
                case TtsSegmentEnd(text=text):
                    speech.tracker.end_segment(text)
                    meter.segment_done(now, idle)
                    idle = 0.0
        tail = resampler.flush()
        for frame in [*chunker.push(tail.pcm), *chunker.flush()]:
            await speech.queue_audio(frame)
        speech.audio.close()
        self._report_tts(speech, meter)

    def _report_tts(self, speech: Speech, meter: TtsMeter) -> None:
        if meter.first_push is None:
            return
        self._bus.emit(
            TtsMetrics,
            turn_id=speech.turn_id,
            provider=self.tts.provider,
            model=self.tts.model,
            ttfb=(meter.first_audio or anyio.current_time()) - meter.first_push,
            characters=meter.characters,
            audio_seconds=meter.audio_seconds,
            real_time_factor=meter.busy_seconds / meter.audio_seconds if meter.audio_seconds else None,
        )
        self._usage.add_tts(self.tts.provider, self.tts.model, meter.characters, meter.audio_seconds)


async def _speak_fillers(fillers: MemoryObjectReceiveStream[str], tts_input: MeteredTtsInput) -> None:
    async with fillers:
        async for text in fillers:
            await tts_input.push(text)


async def _timed_queue(speech: Speech, frames: Iterable[AudioFrame]) -> float:
    """Queue one chunk's frames; returns how long we waited for room (not synthesis time)."""
    started = anyio.current_time()
    for frame in frames:
        await speech.queue_audio(frame)
    return anyio.current_time() - started
