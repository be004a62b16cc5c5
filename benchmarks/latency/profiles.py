"""Simulated provider profiles: fixed latencies for the loopback fake servers, and the deterministic
turn-taking settings every benchmark session uses.

Turn detection is the silence detector with ``endpointing_delay`` equal to the VAD's ``min_silence_duration``:
the turn is decided the moment Silero reports the end of speech, which is also when the pipeline sends
``Finalize`` to the speech-to-text, so the parts of voice-to-voice follow one another (endpointing, then the
STT final, then the LLM, then TTS) and the configured latencies add up. The delay is 256 ms, eight Silero
windows of 32 ms: a value the VAD can realize exactly (it counts silence in whole windows). What remains is
frame timing: the VAD can only see a window's end once the 20 ms frame holding it has arrived (0-16 ms later).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.settings import (
    AgentSettings,
    IdleSettings,
    PreemptiveMode,
    PreemptiveSettings,
    SessionSettings,
    TurnSettings,
)
from vad import VadConfig, VadParams

CALLER_VOICE = "en-us+klatt4"  # espeak-ng: a clear voice that Silero hears as speech
CALLER_RATE_WPM = 170
ENDPOINTING_DELAY = 0.256  # silence detector wait == Silero min_silence_duration (8 windows of 32 ms)
MIN_INTERRUPTION_DURATION = 0.5  # caller speech over the agent that makes it yield (the "medium" preset)
PAUSE_ON_ONSET_TIMEOUT = 1.0  # --pause-on-onset: false_interruption_timeout


@dataclass(frozen=True)
class ProviderLatencies:
    stt_final: float  # Deepgram fake: Finalize -> final transcript
    llm_ttft: float  # OpenAI fake: request -> first content token
    llm_tokens_per_second: float  # then one word chunk per 1/rate (0: all at once)
    tts_first_byte: float  # ElevenLabs fake: text -> first audio
    tts_ms_per_char: int = 60  # length of the fake's audio (about a normal speaking rate)

    @property
    def token_interval(self) -> float:
        return 1.0 / self.llm_tokens_per_second if self.llm_tokens_per_second > 0 else 0.0

    @property
    def llm_first_chunk_delay(self) -> float:
        """The fake's delay before its first chunk. Its first chunk of a text reply only carries the assistant
        role; the first word follows one token interval later, at ``llm_ttft``."""
        return max(0.0, self.llm_ttft - self.token_interval)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    latencies: ProviderLatencies


PROFILES: dict[str, Profile] = {
    "zero": Profile(
        "zero",
        "no added latency: what remains is the pipeline, the adapters, the SDKs and loopback sockets",
        ProviderLatencies(stt_final=0.0, llm_ttft=0.0, llm_tokens_per_second=0.0, tts_first_byte=0.0),
    ),
    "typical": Profile(
        "typical",
        "STT final 150 ms after Finalize, LLM first token 350 ms then 40 tokens/s, TTS first byte 120 ms",
        ProviderLatencies(stt_final=0.150, llm_ttft=0.350, llm_tokens_per_second=40.0, tts_first_byte=0.120),
    ),
}


@dataclass(frozen=True)
class TurnTaking:
    """What decides turns and barge-ins in every benchmark session (reported with the results)."""

    endpointing_delay: float = ENDPOINTING_DELAY
    vad_min_silence: float = ENDPOINTING_DELAY
    min_interruption_duration: float = MIN_INTERRUPTION_DURATION
    pause_on_onset: bool = False  # True: pause the agent at the caller's onset (false-interruption handling)
    preemptive: PreemptiveMode = "off"  # start the LLM on the final transcript before the end of turn

    def describe(self) -> dict[str, object]:
        return {
            "detector": "silence",
            "endpointing_delay_s": self.endpointing_delay,
            "vad": "silero",
            "vad_min_silence_s": self.vad_min_silence,
            "min_interruption_duration_s": self.min_interruption_duration,
            "pause_on_onset": self.pause_on_onset,
            "preemptive": self.preemptive,
        }

    def turn_settings(self) -> TurnSettings:
        return TurnSettings(
            detector="silence",
            endpointing_delay=self.endpointing_delay,
            min_interruption_duration=self.min_interruption_duration,
            false_interruption_timeout=PAUSE_ON_ONSET_TIMEOUT if self.pause_on_onset else None,
        )

    def vad_config(self) -> VadConfig:
        return VadConfig(batched=True, params=VadParams(min_silence_duration=self.vad_min_silence))

    def session_settings(self, instructions: str) -> SessionSettings:
        """Settings for a simulated run: no idle reminders, no built-in tools (only the scenario's)."""
        return SessionSettings(
            agent=AgentSettings(instructions=instructions, builtin_tools=[]),
            turn=self.turn_settings(),
            idle=IdleSettings(timeout=None),
            preemptive=PreemptiveSettings(mode=self.preemptive),
        )


def for_benchmark(settings: SessionSettings, instructions: str) -> SessionSettings:
    """A config's settings made fit for a benchmark run: the scenario's instructions, the caller speaks first
    (no greeting), no idle reminders and no built-in tools (``end_call`` would end the call mid-scenario)."""
    agent = settings.agent.model_copy(
        update={"instructions": instructions, "builtin_tools": [], "speaks_first": "user", "greeting": None}
    )
    idle = settings.idle.model_copy(update={"timeout": None})
    return settings.model_copy(update={"agent": agent, "idle": idle})
