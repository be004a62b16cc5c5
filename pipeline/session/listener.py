"""The listener interface style: subclass ``AgentListener``, override the async methods you care about (every one
is a no-op), and pass it to ``session.add_listener``. Each method is called from the session's event stream, in
event order, one at a time; a method that raises is reported as an ``error`` event (``handler_failed``) and the
call goes on.

    class Printer(AgentListener):
        async def on_user_transcript(self, text: str, is_final: bool) -> None:
            if is_final:
                print("caller:", text)

    session.add_listener(Printer())

Which event calls which method is the table in ``dispatch``; ``on_event`` sees every event first.
"""

from __future__ import annotations

from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentState,
    AgentStateChanged,
    AgentStoppedSpeaking,
    AgentTranscriptDelta,
    EndOfUserTurn,
    ErrorEvent,
    Event,
    Handoff,
    InactivityCountdown,
    Interruption,
    LlmMetrics,
    SessionEnded,
    SessionStarted,
    ToolFinished,
    ToolProgress,
    ToolStarted,
    ToolStatus,
    TtsMetrics,
    TurnMetrics,
    UserIdle,
    UserStartedSpeaking,
    UserState,
    UserStateChanged,
    UserStoppedSpeaking,
    UserTranscript,
)


class AgentListener:
    """Async no-op callbacks for what happens in a call. Override any subset."""

    async def on_event(self, event: Event) -> None:
        """Every event, before the specific method below."""

    # the session
    async def on_agent_starting(self) -> None:
        """The session started (the agent state is ``initializing`` until the pipeline is up)."""

    async def on_agent_stopped(self, reason: str, error: str | None) -> None:
        """The session ended: ``reason`` (ended, end_call, idle, error...)."""

    async def on_agent_state_changed(self, old: AgentState, new: AgentState) -> None:
        """initializing -> listening -> thinking -> speaking ... -> ended."""

    async def on_user_state_changed(self, old: UserState, new: UserState) -> None:
        """listening / speaking / away."""

    # the caller
    async def on_user_started_speaking(self) -> None:
        """The caller started speaking."""

    async def on_user_stopped_speaking(self, speech_duration: float) -> None:
        """The caller stopped speaking (the turn may not be over)."""

    async def on_user_transcript(self, text: str, is_final: bool) -> None:
        """Speech-to-text of the caller: interim (``is_final`` False) or final."""

    async def on_user_turn_completed(self, transcript: str) -> None:
        """The caller's turn is over; the agent answers ``transcript``."""

    async def on_user_inactivity_countdown(self, seconds_left: int) -> None:
        """The caller is silent: whole seconds left (… 3, 2, 1) before a reminder or the goodbye."""

    async def on_user_idle(self, action: str) -> None:
        """The idle timeout passed: ``reminder`` or ``goodbye``."""

    # the agent
    async def on_agent_started_speaking(self, speech_id: str) -> None:
        """The agent's first audio of a speech went out."""

    async def on_agent_transcript_delta(self, text: str) -> None:
        """A piece of what the agent is saying, as it is written."""

    async def on_agent_stopped_speaking(self, heard_text: str, interrupted: bool) -> None:
        """A speech ended; ``heard_text`` is what the caller heard."""

    async def on_agent_interrupted(self, speech_id: str) -> None:
        """The caller barged in: the agent stopped."""

    async def on_agent_error(self, code: str, message: str, recoverable: bool) -> None:
        """Something failed; with ``recoverable`` False the session is ending."""

    async def on_agent_handoff(self, agent: str | None) -> None:
        """Another agent persona took over the call."""

    # tools and metrics
    async def on_tool_started(self, name: str, arguments: str) -> None:
        """A tool call started."""

    async def on_tool_progress(self, name: str, message: str, spoken: bool) -> None:
        """A tool reported progress (or the runtime spoke a filler: ``name`` empty)."""

    async def on_tool_finished(self, name: str, status: ToolStatus, result: str) -> None:
        """A tool call ended."""

    async def on_metrics(self, event: TurnMetrics | LlmMetrics | TtsMetrics) -> None:
        """Per-turn latency and per-request LLM / TTS metrics."""


async def dispatch(listener: AgentListener, event: Event) -> None:
    """Call ``listener``'s method(s) for ``event``."""
    await listener.on_event(event)
    match event:
        case SessionStarted():
            await listener.on_agent_starting()
        case SessionEnded(reason=reason, error=error):
            await listener.on_agent_stopped(reason, error)
        case AgentStateChanged(old=old, new=new):
            await listener.on_agent_state_changed(old, new)
        case UserStateChanged(old=old_user, new=new_user):
            await listener.on_user_state_changed(old_user, new_user)
        case UserStartedSpeaking():
            await listener.on_user_started_speaking()
        case UserStoppedSpeaking(speech_duration=duration):
            await listener.on_user_stopped_speaking(duration)
        case UserTranscript(text=text, is_final=is_final):
            await listener.on_user_transcript(text, is_final)
        case EndOfUserTurn(transcript=transcript):
            await listener.on_user_turn_completed(transcript)
        case InactivityCountdown(seconds_left=seconds_left):
            await listener.on_user_inactivity_countdown(max(1, round(seconds_left)))
        case UserIdle(action=action):
            await listener.on_user_idle(action)
        case AgentStartedSpeaking(speech_id=speech_id):
            await listener.on_agent_started_speaking(speech_id)
        case AgentTranscriptDelta(text=text):
            await listener.on_agent_transcript_delta(text)
        case AgentStoppedSpeaking(heard_text=heard, interrupted=interrupted):
            await listener.on_agent_stopped_speaking(heard, interrupted)
        case Interruption(speech_id=speech_id):
            await listener.on_agent_interrupted(speech_id)
        case ErrorEvent(code=code, message=message, recoverable=recoverable):
            await listener.on_agent_error(code, message, recoverable)
        case Handoff(agent=agent):
            await listener.on_agent_handoff(agent)
        case ToolStarted(name=name, arguments=arguments):
            await listener.on_tool_started(name, arguments)
        case ToolProgress(name=name, message=message, spoken=spoken):
            await listener.on_tool_progress(name, message, spoken)
        case ToolFinished(name=name, status=status, result=result):
            await listener.on_tool_finished(name, status, result)
        case TurnMetrics() | LlmMetrics() | TtsMetrics():
            await listener.on_metrics(event)
