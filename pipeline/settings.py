"""Runtime settings of a pipeline (the non-provider sections of the YAML config)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from turn.barge_in import DEFAULT_BACKCHANNELS
from turn.presets import Eagerness, TurnTiming, timing_for


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudioSettings(_Section):
    """Audio inside the pipeline: its sample rate and frame size, and the buffers on each side."""

    sample_rate: Literal[8000, 16000] = Field(
        16000, description="the pipeline's internal rate (VAD runs at it)"
    )
    frame_ms: Literal[10, 20, 30, 40] = 20
    input_buffer_ms: int = Field(
        1000, ge=40, description="caller audio buffered before the oldest is dropped"
    )
    output_buffer_frames: int = Field(
        1, ge=1, description="agent frames handed to the transport ahead of time (a barge-in clears them)"
    )


BuiltinTool = Literal[
    "end_call", "hold_on", "collect_email", "collect_phone", "collect_date", "collect_address"
]
BUILTIN_TOOL_NAMES: tuple[BuiltinTool, ...] = ("end_call", "hold_on")  # the default ones


class AgentSettings(_Section):
    """The agent: instructions, reply limits, sampling, who speaks first, greeting and built-in tools."""

    name: str = Field("main", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="named in events and hand-offs")
    instructions: str = Field(
        "You are a helpful voice assistant. Keep answers short.", description="system prompt"
    )
    max_tool_steps: int = Field(5, ge=0, le=20, description="LLM rounds with tool calls per reply")
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, ge=1)
    speaks_first: Literal["agent", "user"] = "user"
    greeting: str | None = Field(None, description="fixed greeting; none: the LLM writes it")
    greeting_interruptible: bool = True
    wait_for_user: float | None = Field(
        None, gt=0.0, description="speaks_first=user: greet after this much silence (none: never)"
    )
    builtin_tools: list[BuiltinTool] = Field(
        default_factory=lambda: list(BUILTIN_TOOL_NAMES), description="tools the runtime adds"
    )
    filler_after: float | None = Field(
        3.0, gt=0.0, description="tool calls still running after this: speak a filler (none: never)"
    )
    fillers: list[str] = Field(
        default_factory=lambda: ["One moment, I'm still working on it."],
        description="what the filler says (taken in turn)",
    )


class TurnSettings(_Section):
    """When the caller's turn ends and when the agent yields. ``eagerness`` picks a preset (see turn/presets.py);
    any field left unset comes from it."""

    eagerness: Eagerness = "medium"
    detector: Literal["semantic", "silence"] = Field(
        "semantic",
        description="semantic: the wait depends on how complete the words sound; silence: fixed wait",
    )
    complete_delay: float | None = Field(
        None, ge=0.0, le=5.0, description="semantic: wait after a finished thought"
    )
    uncertain_delay: float | None = Field(None, ge=0.0, le=5.0)
    incomplete_delay: float | None = Field(
        None, ge=0.0, le=10.0, description="semantic: wait after 'my number is'"
    )
    endpointing_delay: float | None = Field(
        None, ge=0.0, le=5.0, description="silence detector: the fixed wait"
    )
    audio_model_path: Path | None = Field(
        None, description="optional Smart Turn v3 ONNX file (audio end of turn)"
    )
    stt_timeout: float = Field(
        2.0, gt=0.0, description="longest wait for the final transcript after the silence"
    )
    min_interruption_duration: float | None = Field(None, ge=0.0, description="caller speech that barges in")
    min_interruption_words: int = Field(0, ge=0)
    backchannels: list[str] = Field(default_factory=lambda: list(DEFAULT_BACKCHANNELS))
    false_interruption_timeout: float | None = Field(
        1.0,
        gt=0.0,
        description="pause on caller speech; resume if no words came within this (None: never pause)",
    )

    @model_validator(mode="after")
    def _delays_fit_the_detector(self) -> TurnSettings:
        if self.detector == "semantic" and self.endpointing_delay is not None:
            raise ValueError(
                "endpointing_delay is the silence detector's wait: set detector: silence, or use "
                "complete_delay / incomplete_delay with the semantic detector"
            )
        return self

    def timing(self) -> TurnTiming:
        return timing_for(
            self.eagerness,
            complete_delay=self.complete_delay,
            uncertain_delay=self.uncertain_delay,
            incomplete_delay=self.incomplete_delay,
            silence_delay=self.endpointing_delay,
            barge_in_duration=self.min_interruption_duration,
        )


class IdleSettings(_Section):
    """Inactivity: when to remind a silent caller, how often, and when to say goodbye."""

    timeout: float | None = Field(
        15.0, gt=0.0, description="silence (both sides) before a reminder; none: off"
    )
    reminders: list[str] = Field(default_factory=lambda: ["Are you still there?"])
    llm_reminders: bool = Field(False, description="let the LLM write each reminder instead")
    max_reminders: int = Field(2, ge=0)
    goodbye: str = "It seems you have stepped away. Goodbye!"
    countdown: float = Field(3.0, ge=0.0, description="inactivity_countdown events during the last seconds")


class EventSettings(_Section):
    """Event delivery: event types to mute and each subscriber's queue size."""

    mute: list[str] = Field(default_factory=list, description="event types not to emit, e.g. vad_metrics")
    queue_size: int = Field(1024, ge=16)
    handler_drain_timeout: float = Field(
        2.0, ge=0, description="seconds event handlers get to finish after the session ends; then cancelled"
    )


class AgentProfile(_Section):
    """A named agent the call can be handed to (``agents:`` in the config). What it leaves unset is the main
    agent's: its tools are all the pipeline's tools unless ``tools`` names some."""

    description: str = Field("", description="what it does: shown to the LLM choosing whom to hand off to")
    instructions: str
    tools: list[str] | None = Field(None, description="names of the pipeline's tools it may use (none: all)")
    builtin_tools: list[BuiltinTool] | None = None
    llm: dict[str, Any] | None = Field(None, description="its own LLM (a provider section)")
    tts: dict[str, Any] | None = Field(None, description="its own voice (a TTS provider section)")
    turn: TurnSettings | None = None
    greeting: str | None = Field(None, description="said on arrival (none: it answers the caller at once)")
    summarize_history: bool = Field(False, description="hand it a summary instead of the whole history")


class McpServerSettings(_Section):
    """An MCP server whose tools the agent offers beside its Python tools (``mcp_servers:`` in the config):
    started as a subprocess over stdio (``command``), or reached over streamable HTTP (``url``)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="names the server in events and errors")
    transport: Literal["stdio", "http"] = "stdio"
    command: str | None = Field(None, description="stdio: the executable")
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict, description="stdio: extra environment variables")
    cwd: Path | None = None
    url: str | None = Field(None, description="http: the server's MCP endpoint")
    tools: list[str] | None = Field(None, description="offer only these of its tools (none: all)")
    prefix: str = Field("", description="put before each tool name (to keep names apart)")
    timeout: float = Field(10.0, gt=0.0, description="longest one tool call may take")
    connect_timeout: float = Field(
        10.0, gt=0.0, description="longest the connection and tool listing may take"
    )
    cancellable: bool = Field(True, description="a barge-in cancels its calls in flight")
    speak_progress: bool = Field(False, description="say its tools' progress messages (else: events only)")
    max_restarts: int = Field(3, ge=0, description="reconnections in a row before giving the server up")
    retry_delay: float = Field(1.0, ge=0.0, description="wait before reconnecting")
    ping_interval: float | None = Field(
        15.0, gt=0.0, description="check the connection this often (none: only when a call fails)"
    )

    @model_validator(mode="after")
    def _endpoint(self) -> McpServerSettings:
        if self.transport == "stdio" and not self.command:
            raise ValueError("a stdio MCP server needs `command`")
        if self.transport == "http" and not self.url:
            raise ValueError("an http MCP server needs `url`")
        return self


PreemptiveMode = Literal["off", "on", "budget"]


class PreemptiveSettings(_Section):
    """Preemptive generation: start the LLM on a final transcript before the end of turn is decided, hold its
    output, and play it if the turn ends with the same words (else discard it). ``budget`` stops preempting once
    the session's discarded replies have cost ``max_wasted_tokens`` completion tokens (and a held reply never
    streams past what is left of it)."""

    mode: PreemptiveMode = Field("off", description="off | on | budget (on, with a cap on wasted tokens)")
    max_wasted_tokens: int = Field(
        200, ge=0, description="budget: completion tokens the session may throw away in discarded replies"
    )
    speculative_tts: bool = Field(
        False, description="also synthesize the first sentence while the turn is undecided"
    )


class SessionSettings(_Section):
    """Everything about a session that is not a provider: audio, agent, turn-taking, idle and events."""

    audio: AudioSettings = Field(default_factory=AudioSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    turn: TurnSettings = Field(default_factory=TurnSettings)
    idle: IdleSettings = Field(default_factory=IdleSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    preemptive: PreemptiveSettings = Field(default_factory=PreemptiveSettings)
    mcp_servers: list[McpServerSettings] = Field(
        default_factory=list, description="MCP servers whose tools the agent offers"
    )
    agents: dict[str, AgentProfile] = Field(
        default_factory=dict, description="named agents the main agent (and each other) may hand the call to"
    )
    drain_timeout: float = Field(
        30.0, ge=0.0, description="longest an ending session waits for speech to finish"
    )

    @model_validator(mode="after")
    def _agent_names(self) -> SessionSettings:
        for name in self.agents:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
                raise ValueError(f"agents: {name!r} must be 1-64 letters, digits, _ or -")
        if self.agent.name in self.agents:
            raise ValueError(f"agents: {self.agent.name!r} is the main agent's name (agent.name)")
        return self
