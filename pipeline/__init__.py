"""Parley: a real-time voice agent runtime. This module is the public API — everything a user imports.

    from pipeline import Pipeline, AudioFrame, tool, UserTranscript

    pipeline = Pipeline.from_config("local", tools=[my_tool])
    async with pipeline.session() as session:
        session.push_audio(AudioFrame(pcm, sample_rate=8000))
        async for frame in session.audio_out(): ...

Names load on first use, so importing a lower layer (``pipeline.base``, ``providers``, ``vad``) does not pull in the
session and its providers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # the session
    "Pipeline": "pipeline.session.pipeline",
    "Session": "pipeline.session.session",
    "SessionState": "pipeline.session.session",
    "SessionClosedError": "pipeline.session.session",
    "Speech": "pipeline.stages.speech",
    "SpeechState": "pipeline.stages.speech",
    # configuration
    "load_config": "pipeline.session.config",
    "ConfigError": "pipeline.session.config",
    "SessionSettings": "pipeline.settings",
    "AudioSettings": "pipeline.settings",
    "AgentSettings": "pipeline.settings",
    "TurnSettings": "pipeline.settings",
    "IdleSettings": "pipeline.settings",
    "EventSettings": "pipeline.settings",
    # tools
    "tool": "pipeline.stages.tools",
    "Tool": "pipeline.stages.tools",
    "ToolContext": "pipeline.stages.tools",
    # audio
    "AudioFrame": "pipeline.base.audio",
    # transports
    "Transport": "pipeline.transports.transport",
    "CallLine": "pipeline.transports.transport",
    "CallEnd": "pipeline.transports.transport",
    "connect": "pipeline.transports.link",
    # events
    "Event": "pipeline.observe.events",
    "parse_event": "pipeline.observe.events",
    "AgentState": "pipeline.observe.events",
    "UserState": "pipeline.observe.events",
    "SpeechSource": "pipeline.observe.events",
    "SessionStarted": "pipeline.observe.events",
    "SessionEnded": "pipeline.observe.events",
    "ErrorEvent": "pipeline.observe.events",
    "UserStartedSpeaking": "pipeline.observe.events",
    "UserStoppedSpeaking": "pipeline.observe.events",
    "UserTranscript": "pipeline.observe.events",
    "EndOfUserTurn": "pipeline.observe.events",
    "UserStateChanged": "pipeline.observe.events",
    "AgentStateChanged": "pipeline.observe.events",
    "AgentStartedSpeaking": "pipeline.observe.events",
    "AgentStoppedSpeaking": "pipeline.observe.events",
    "AgentTranscriptDelta": "pipeline.observe.events",
    "Interruption": "pipeline.observe.events",
    "ToolStarted": "pipeline.observe.events",
    "ToolFinished": "pipeline.observe.events",
    "ToolStatus": "pipeline.observe.events",
    "Backchannel": "pipeline.observe.events",
    "AgentPaused": "pipeline.observe.events",
    "AgentResumed": "pipeline.observe.events",
    "Handoff": "pipeline.observe.events",
    "ProviderAvailabilityChanged": "pipeline.observe.events",
    "InactivityCountdown": "pipeline.observe.events",
    "UserIdle": "pipeline.observe.events",
    "SttMetrics": "pipeline.observe.events",
    "LlmMetrics": "pipeline.observe.events",
    "TtsMetrics": "pipeline.observe.events",
    "VadMetrics": "pipeline.observe.events",
    "EndpointingMetrics": "pipeline.observe.events",
    "FramesDropped": "pipeline.observe.events",
    "TurnMetrics": "pipeline.observe.events",
    "UsageSummary": "pipeline.observe.events",
    # phone calls (telephony transports, issue 14 features)
    "PhoneFeatures": "pipeline.session.phone",
    "CallControl": "pipeline.session.phone",
    "DigitPolicy": "pipeline.session.phone",
    "TransferMode": "pipeline.session.phone",
    "HuntMode": "pipeline.session.phone",
    "VoicemailPolicy": "pipeline.session.voicemail",
    "PhoneCall": "pipeline.transports.telephony.call",
    "TelephonyRoutes": "pipeline.transports.telephony.routes",
    "TelephonySettings": "pipeline.transports.telephony.settings",
    "DtmfReceived": "pipeline.observe.phone_events",
    "DtmfSent": "pipeline.observe.phone_events",
    "DigitsCollected": "pipeline.observe.phone_events",
    "VoicemailDetected": "pipeline.observe.phone_events",
    "VoicemailBeep": "pipeline.observe.phone_events",
    "TransferStarted": "pipeline.observe.phone_events",
    "TransferFailed": "pipeline.observe.phone_events",
    # observability: logs, metrics, traces, call records
    "CallRecords": "pipeline.records.observer",
    "CallRecord": "pipeline.records.model",
    "RecordingMode": "pipeline.records.recording",
    "open_store": "pipeline.records.connect",
    "recent_calls_app": "pipeline.records.web",
    "PrometheusMetrics": "pipeline.observe.prometheus",
    "default_metrics": "pipeline.observe.prometheus",
    "CallTracer": "pipeline.observe.tracing",
    "configure_logging": "pipeline.observe.logs",
    # agents that do more
    "PreemptiveSettings": "pipeline.settings",
    "AgentListener": "pipeline.session.listener",
    "LiveItem": "pipeline.session.live",
    "ToolProgress": "pipeline.observe.events",
    "ToolResultDelivered": "pipeline.observe.events",
    "PreemptiveStarted": "pipeline.observe.events",
    "PreemptiveCommitted": "pipeline.observe.events",
    "PreemptiveDiscarded": "pipeline.observe.events",
    "AgentProfile": "pipeline.settings",
    "AgentProviders": "pipeline.session.agents",
    "Collector": "pipeline.stages.collect_dialog",
    "CollectResult": "pipeline.stages.collect_dialog",
    "CollectStatus": "pipeline.stages.collect_dialog",
    "collector_tool": "pipeline.stages.collector_tool",
    "CollectorStarted": "pipeline.observe.events",
    "CollectorFinished": "pipeline.observe.events",
    "McpServerSettings": "pipeline.settings",
    "McpServerStatus": "pipeline.observe.events",
}

__all__ = [
    "AgentListener",
    "AgentPaused",
    "AgentProfile",
    "AgentProviders",
    "AgentResumed",
    "AgentSettings",
    "AgentStartedSpeaking",
    "AgentState",
    "AgentStateChanged",
    "AgentStoppedSpeaking",
    "AgentTranscriptDelta",
    "AudioFrame",
    "AudioSettings",
    "Backchannel",
    "CallControl",
    "CallEnd",
    "CallLine",
    "CallRecord",
    "CallRecords",
    "CallTracer",
    "CollectResult",
    "CollectStatus",
    "Collector",
    "CollectorFinished",
    "CollectorStarted",
    "ConfigError",
    "DigitPolicy",
    "DigitsCollected",
    "DtmfReceived",
    "DtmfSent",
    "EndOfUserTurn",
    "EndpointingMetrics",
    "ErrorEvent",
    "Event",
    "EventSettings",
    "FramesDropped",
    "Handoff",
    "HuntMode",
    "IdleSettings",
    "InactivityCountdown",
    "Interruption",
    "LiveItem",
    "LlmMetrics",
    "McpServerSettings",
    "McpServerStatus",
    "PhoneCall",
    "PhoneFeatures",
    "Pipeline",
    "PreemptiveCommitted",
    "PreemptiveDiscarded",
    "PreemptiveSettings",
    "PreemptiveStarted",
    "PrometheusMetrics",
    "ProviderAvailabilityChanged",
    "RecordingMode",
    "Session",
    "SessionClosedError",
    "SessionEnded",
    "SessionSettings",
    "SessionStarted",
    "SessionState",
    "Speech",
    "SpeechSource",
    "SpeechState",
    "SttMetrics",
    "TelephonyRoutes",
    "TelephonySettings",
    "Tool",
    "ToolContext",
    "ToolFinished",
    "ToolProgress",
    "ToolResultDelivered",
    "ToolStarted",
    "ToolStatus",
    "TransferFailed",
    "TransferMode",
    "TransferStarted",
    "Transport",
    "TtsMetrics",
    "TurnMetrics",
    "TurnSettings",
    "UsageSummary",
    "UserIdle",
    "UserStartedSpeaking",
    "UserState",
    "UserStateChanged",
    "UserStoppedSpeaking",
    "UserTranscript",
    "VadMetrics",
    "VoicemailBeep",
    "VoicemailDetected",
    "VoicemailPolicy",
    "collector_tool",
    "configure_logging",
    "connect",
    "default_metrics",
    "load_config",
    "open_store",
    "parse_event",
    "recent_calls_app",
    "tool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # what type checkers and IDEs see
    from pipeline.base.audio import AudioFrame
    from pipeline.observe.events import (
        AgentPaused,
        AgentResumed,
        AgentStartedSpeaking,
        AgentState,
        AgentStateChanged,
        AgentStoppedSpeaking,
        AgentTranscriptDelta,
        Backchannel,
        EndOfUserTurn,
        EndpointingMetrics,
        ErrorEvent,
        Event,
        FramesDropped,
        Handoff,
        InactivityCountdown,
        Interruption,
        LlmMetrics,
        PreemptiveCommitted,
        PreemptiveDiscarded,
        PreemptiveStarted,
        ProviderAvailabilityChanged,
        SessionEnded,
        SessionStarted,
        SpeechSource,
        SttMetrics,
        ToolFinished,
        ToolProgress,
        ToolResultDelivered,
        ToolStarted,
        ToolStatus,
        TtsMetrics,
        TurnMetrics,
        UsageSummary,
        UserIdle,
        UserStartedSpeaking,
        UserState,
        UserStateChanged,
        UserStoppedSpeaking,
        UserTranscript,
        VadMetrics,
        parse_event,
    )
    from pipeline.observe.logs import configure_logging
    from pipeline.observe.phone_events import (
        DigitsCollected,
        DtmfReceived,
        DtmfSent,
        TransferFailed,
        TransferStarted,
        VoicemailBeep,
        VoicemailDetected,
    )
    from pipeline.observe.prometheus import PrometheusMetrics, default_metrics
    from pipeline.observe.tracing import CallTracer
    from pipeline.records.connect import open_store
    from pipeline.records.model import CallRecord
    from pipeline.records.observer import CallRecords
    from pipeline.records.recording import RecordingMode
    from pipeline.records.web import recent_calls_app
    from pipeline.session.config import ConfigError, load_config
    from pipeline.session.listener import AgentListener
    from pipeline.session.live import LiveItem

    # phone calls
    from pipeline.session.phone import CallControl, DigitPolicy, HuntMode, PhoneFeatures, TransferMode
    from pipeline.session.pipeline import Pipeline
    from pipeline.session.session import Session, SessionClosedError, SessionState
    from pipeline.session.voicemail import VoicemailPolicy
    from pipeline.settings import (
        AgentSettings,
        AudioSettings,
        EventSettings,
        IdleSettings,
        PreemptiveSettings,
        SessionSettings,
        TurnSettings,
    )
    from pipeline.stages.speech import Speech, SpeechState
    from pipeline.stages.tools import Tool, ToolContext, tool
    from pipeline.transports.link import connect
    from pipeline.transports.telephony.call import PhoneCall
    from pipeline.transports.telephony.routes import TelephonyRoutes
    from pipeline.transports.telephony.settings import TelephonySettings
    from pipeline.transports.transport import CallEnd, CallLine, Transport
