"""Typed session events. Every event is a frozen pydantic model with ``type``, ``event_id``, ``timestamp``
(seconds since the session started, on the session's clock), ``session_id`` and ``turn_id`` where it belongs
to a turn. ``model_dump_json()`` gives one JSONL line; ``parse_event`` reads it back."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from pipeline.base.transcripts import WordTiming


def _new_id() -> str:
    return uuid4().hex[:16]


class Event(BaseModel):
    """Base of every session event: ``type``, ``event_id``, ``timestamp`` (seconds since the session started, on the session clock), ``session_id`` and ``turn_id`` where it belongs to a turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    event_id: str = Field(default_factory=_new_id)
    timestamp: float
    session_id: str
    turn_id: int | None = None


class AgentState(StrEnum):
    """What the agent is doing: initializing, listening, thinking (writing a reply), speaking, ended."""

    INITIALIZING = "initializing"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    ENDED = "ended"


class UserState(StrEnum):
    """What the caller is doing: listening, speaking, or away (silent past the idle timeout)."""

    LISTENING = "listening"
    SPEAKING = "speaking"
    AWAY = "away"


class SpeechSource(StrEnum):
    """Where a speech came from: an LLM reply, ``say`` or ``play``."""

    REPLY = "reply"  # written by the LLM
    SAY = "say"  # text given by the application
    PLAY = "play"  # audio given by the application


# --- session lifecycle -------------------------------------------------------------------------------------


class SessionStarted(Event):
    """The session is running; ``providers`` names each provider and model."""

    type: Literal["session_started"] = "session_started"
    started_at: str  # wall-clock ISO time, a label only (all timing uses the session clock)
    providers: dict[str, str]
    sample_rate: int


class SessionEnded(Event):
    """The session is over; ``reason`` says why (ended, end_call, idle, error, hangup...)."""

    type: Literal["session_ended"] = "session_ended"
    reason: str
    error: str | None = None


class ErrorEvent(Event):
    """Something failed: ``source`` (a provider, a stage, a handler), ``code``, and whether the call goes on."""

    type: Literal["error"] = "error"
    source: str
    code: str
    message: str
    recoverable: bool


# --- the user --------------------------------------------------------------------------------------------


class UserStartedSpeaking(Event):
    """The VAD heard the caller start speaking; ``media_time`` is where in the caller's audio."""

    type: Literal["user_started_speaking"] = "user_started_speaking"
    media_time: float


class UserStoppedSpeaking(Event):
    """The VAD heard the caller stop; ``speech_duration`` is how long they spoke."""

    type: Literal["user_stopped_speaking"] = "user_stopped_speaking"
    media_time: float
    speech_duration: float


class UserTranscript(Event):
    """Speech-to-text of the caller, interim or final, with word timings when the provider gives them."""

    type: Literal["user_transcript"] = "user_transcript"
    text: str
    is_final: bool
    words: tuple[WordTiming, ...] = ()
    confidence: float | None = None


class EndOfUserTurn(Event):
    """The caller's turn is over: what they said, what decided it, and the silence waited."""

    type: Literal["end_of_user_turn"] = "end_of_user_turn"
    transcript: str
    reason: str  # what decided it: "silence", "semantic", "stt", "forced", ...
    probability: float | None = None  # turn-completion probability when a model was used
    delay: float  # silence waited after the user stopped speaking


class UserStateChanged(Event):
    """The caller's state changed (see ``UserState``)."""

    type: Literal["user_state_changed"] = "user_state_changed"
    old: UserState
    new: UserState


# --- the agent -------------------------------------------------------------------------------------------


class AgentStateChanged(Event):
    """The agent's state changed (see ``AgentState``)."""

    type: Literal["agent_state_changed"] = "agent_state_changed"
    old: AgentState
    new: AgentState


class AgentStartedSpeaking(Event):
    """The first audio of a speech left the pipeline."""

    type: Literal["agent_started_speaking"] = "agent_started_speaking"
    speech_id: str
    source: SpeechSource
    agent: str | None = None  # the named agent speaking (multi-agent configs)


class AgentStoppedSpeaking(Event):
    """A speech ended: played out, or ``interrupted`` — then ``heard_text`` is what the caller heard."""

    type: Literal["agent_stopped_speaking"] = "agent_stopped_speaking"
    speech_id: str
    source: SpeechSource
    interrupted: bool
    heard_text: str  # what the caller actually heard
    text: str  # everything the agent meant to say
    played_seconds: float
    agent: str | None = None  # the named agent speaking (multi-agent configs)


class AgentTranscriptDelta(Event):
    """A piece of the agent's text as the LLM writes it (or a sentence of ``say``)."""

    type: Literal["agent_transcript_delta"] = "agent_transcript_delta"
    speech_id: str
    text: str
    agent: str | None = None  # the named agent speaking (multi-agent configs)


class Interruption(Event):
    """The agent yielded to the caller; ``speech_duration`` is how long the caller had been talking."""

    type: Literal["interruption"] = "interruption"
    speech_id: str
    speech_duration: float  # how long the caller had been talking when the agent yielded


class ToolStarted(Event):
    """A tool call started, with its arguments (JSON, cut to 500 characters)."""

    type: Literal["tool_started"] = "tool_started"
    call_id: str
    name: str
    arguments: str


class ToolStatus(StrEnum):
    """How a tool call ended: ok, error, timeout or cancelled."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    BACKGROUND = "background"  # still running when its reply went on; the real result is delivered later


class ToolFinished(Event):
    """A tool call ended, with its status, result (cut to 2,000 characters) and duration."""

    type: Literal["tool_finished"] = "tool_finished"
    call_id: str
    name: str
    status: ToolStatus
    result: str
    duration: float


class ToolProgress(Event):
    """A running tool reported progress (``ctx.progress``); ``spoken`` when it was said to the caller, ``filler``
    when it was the runtime's own filler for a slow tool."""

    type: Literal["tool_progress"] = "tool_progress"
    call_id: str | None
    name: str
    message: str
    spoken: bool
    filler: bool = False


class CollectorStarted(Event):
    """A collector sub-agent took over the dialog to get one ``field`` (the parent's tool call ``call_id``)."""

    type: Literal["collector_started"] = "collector_started"
    call_id: str
    field: str


class CollectorFinished(Event):
    """A collector is done: ``status`` ok / refused / failed / timeout (the value goes only to the LLM)."""

    type: Literal["collector_finished"] = "collector_finished"
    call_id: str
    field: str
    status: str
    attempts: int


class McpServerStatus(Event):
    """An MCP tool server connected (``tools`` it offers), lost its connection (it is being reconnected), or was
    given up after too many failures (its tools are withdrawn)."""

    type: Literal["mcp_server_status"] = "mcp_server_status"
    server: str
    status: Literal["connected", "disconnected", "gave_up"]
    tools: tuple[str, ...] = ()
    error: str | None = None


class ToolResultDelivered(Event):
    """A tool that finished after its reply went on: its result was added to the context for a later turn."""

    type: Literal["tool_result_delivered"] = "tool_result_delivered"
    call_id: str
    name: str
    reply_started: bool  # the agent was quiet, so a reply was started to deliver it


class Backchannel(Event):
    """The caller acknowledged ("uh-huh", "right") while the agent spoke: not an interruption, not a turn."""

    type: Literal["backchannel"] = "backchannel"
    text: str
    speech_id: str | None = None


class AgentPaused(Event):
    """Output paused because the caller started speaking (it may resume if that was not an interruption)."""

    type: Literal["agent_paused"] = "agent_paused"
    speech_id: str


class AgentResumed(Event):
    """Paused output plays on: the caller's sound was not an interruption (no words, or a backchannel)."""

    type: Literal["agent_resumed"] = "agent_resumed"
    speech_id: str
    reason: Literal["false_interruption", "backchannel"]
    paused_seconds: float


class Handoff(Event):
    """The agent's instructions (and maybe tools, model) changed mid-call."""

    type: Literal["handoff"] = "handoff"
    summarized: bool
    agent: str | None = None  # the named agent that now speaks (None: an unnamed persona)


class PreemptiveStarted(Event):
    """A reply started on a final transcript before the end of turn was decided; its output is held."""

    type: Literal["preemptive_started"] = "preemptive_started"
    speech_id: str
    transcript: str


class PreemptiveCommitted(Event):
    """The turn ended with the words the held reply was written for: it plays. ``head_start`` is how long it
    had been generating when the turn was decided."""

    type: Literal["preemptive_committed"] = "preemptive_committed"
    speech_id: str
    head_start: float


class PreemptiveDiscarded(Event):
    """A held reply was thrown away (the caller went on, the words changed...): nothing of it was heard or
    kept. ``wasted_tokens`` is what its LLM had written."""

    type: Literal["preemptive_discarded"] = "preemptive_discarded"
    speech_id: str
    reason: Literal["caller_continued", "transcript_changed", "context_changed", "failed", "session_ended"]
    wasted_tokens: int


class ProviderAvailabilityChanged(Event):
    """A provider of a fallback list went down (the next one takes over) or came back."""

    type: Literal["provider_availability_changed"] = "provider_availability_changed"
    provider: str
    model: str
    available: bool
    reason: str


class InactivityCountdown(Event):
    """The caller has been silent; ``seconds_left`` until the next reminder, or the goodbye."""

    type: Literal["inactivity_countdown"] = "inactivity_countdown"
    seconds_left: float
    next_action: Literal["reminder", "goodbye"]
    reminders_sent: int


class UserIdle(Event):
    """The idle timeout passed: the agent sends a reminder, or says goodbye and ends the call."""

    type: Literal["user_idle"] = "user_idle"
    idle_seconds: float
    action: Literal["reminder", "goodbye"]
    reminders_sent: int


# --- metrics ---------------------------------------------------------------------------------------------


class SttMetrics(Event):
    """Speech-to-text: time from the end of speech (finalize) to the final transcript."""

    type: Literal["stt_metrics"] = "stt_metrics"
    provider: str
    model: str
    final_delay: float  # user stopped speaking (finalize sent) -> final transcript
    queue_delay: float | None = None  # a local engine's decode waited this long for a free worker


class LlmMetrics(Event):
    """LLM: time to first token, duration, tokens per second and token counts of one request."""

    type: Literal["llm_metrics"] = "llm_metrics"
    provider: str
    model: str
    ttft: float  # request sent -> first token
    duration: float
    tokens_per_second: float | None
    prompt_tokens: int | None
    completion_tokens: int | None


class TtsMetrics(Event):
    """Text-to-speech: time to first byte, characters, audio seconds and real-time factor of one speech."""

    type: Literal["tts_metrics"] = "tts_metrics"
    provider: str
    model: str
    ttfb: float  # text sent -> first audio
    characters: int
    audio_seconds: float
    real_time_factor: float | None  # synthesis time / audio duration


class VadMetrics(Event):
    """VAD inference time over the last windows (about every 5 s of audio)."""

    type: Literal["vad_metrics"] = "vad_metrics"
    windows: int
    inference_mean_ms: float
    inference_max_ms: float


class EndpointingMetrics(Event):
    """The end-of-turn wait of one turn: the silence waited, then the wait for the final transcript."""

    type: Literal["endpointing_metrics"] = "endpointing_metrics"
    silence_delay: float  # end of speech -> silence criterion met
    stt_wait: float  # extra wait for the final transcript after that


class FramesDropped(Event):
    """Audio frames were dropped because the pipeline fell behind; ``total`` counts them on ``channel``."""

    type: Literal["frames_dropped"] = "frames_dropped"
    channel: str
    total: int


class TurnMetrics(Event):
    """Voice-to-voice latency of one turn and its critical-path parts, which add up to the total."""

    type: Literal["turn_metrics"] = "turn_metrics"
    voice_to_voice: float  # user stopped speaking -> first agent audio out
    endpointing: float  # user stopped speaking -> silence criterion met
    stt_wait: float  # -> final transcript in hand (0 when it came earlier)
    llm_ttft: float  # turn decision -> first LLM token
    llm_first_sentence: float  # first token -> first sentence complete
    tts_ttfb: float  # first sentence sent -> first audio
    overhead: float  # the residual: the pipeline's own time
    tool_time: float = 0.0  # tool calls on the critical path (when the reply starts with one)
    preemptive_started: int = 0  # preemptive replies started during this turn
    preemptive_committed: bool = False  # the reply heard was written before the turn was decided
    preemptive_discarded: int = 0  # preemptive replies thrown away during this turn
    preemptive_wasted_tokens: int = 0  # completion tokens those discarded replies had written


class UsageEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["stt", "llm", "tts"]
    provider: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    characters: int = 0
    audio_seconds: float = 0.0
    requests: int = 0


class UsageSummary(Event):
    """At the end: tokens, characters and audio seconds per provider and model."""

    type: Literal["usage_summary"] = "usage_summary"
    usage: tuple[UsageEntry, ...]


_EVENT_CLASSES: dict[str, type[Event]] = {}


def register_event_type(cls: type[Event]) -> type[Event]:
    """Make an event class parseable by ``parse_event`` (the built-in ones are registered below)."""
    _EVENT_CLASSES[cls.model_fields["type"].default] = cls
    return cls


for _cls in Event.__subclasses__():  # every event class above
    register_event_type(_cls)


def parse_event(data: str | bytes) -> Event:
    """Read back one JSONL line written by ``model_dump_json()``."""
    fields = json.loads(data)
    cls = _EVENT_CLASSES.get(fields.get("type"))
    if cls is None:
        raise ValueError(f"unknown event type {fields.get('type')!r}")
    return cls.model_validate(fields)
