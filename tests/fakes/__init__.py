"""Loopback fake servers speaking the Deepgram, OpenAI and ElevenLabs wire protocols, for tests and benchmarks.

Each fake is an async context manager serving on 127.0.0.1 at an ephemeral port; see the module docstrings of
`deepgram`, `openai` and `elevenlabs` for the scripting model, and `faults` for fault injection.
"""

from tests.fakes.audio import silence, tone, tone_seconds
from tests.fakes.deepgram import DeepgramConfig, FakeDeepgram
from tests.fakes.elevenlabs import ElevenLabsConfig, FakeElevenLabs
from tests.fakes.faults import (
    DropAfter,
    ErrorFrame,
    Fault,
    FaultQueue,
    Malformed,
    MalformedKind,
    Reject,
    SlowFirstByte,
)
from tests.fakes.openai import FakeOpenAI, OpenAIConfig
from tests.fakes.openai_chat import ChatQuirks, ChatReply, Text, ToolCall, Usage
from tests.fakes.recording import RecordedRequest

__all__ = [
    "ChatQuirks",
    "ChatReply",
    "DeepgramConfig",
    "DropAfter",
    "ElevenLabsConfig",
    "ErrorFrame",
    "FakeDeepgram",
    "FakeElevenLabs",
    "FakeOpenAI",
    "Fault",
    "FaultQueue",
    "Malformed",
    "MalformedKind",
    "OpenAIConfig",
    "RecordedRequest",
    "Reject",
    "SlowFirstByte",
    "Text",
    "ToolCall",
    "Usage",
    "silence",
    "tone",
    "tone_seconds",
]
