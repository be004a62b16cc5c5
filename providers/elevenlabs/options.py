"""Options of the ElevenLabs adapters (YAML ``tts:`` section). The API key comes from ``api_key`` or
``ELEVENLABS_API_KEY``; it is a ``SecretStr`` so it never shows in a repr, a log line or a validation message."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from providers.options import ProviderOptions, env_field

API_KEY_ENV = "ELEVENLABS_API_KEY"
DEFAULT_BASE_URL = "https://api.elevenlabs.io"
DEFAULT_VOICE_ID = "JBFqnCBsd6RMkjVDRZzb"  # "George", a premade voice every account has
MAX_CONTEXTS_PER_SOCKET = 5  # the service's limit on simultaneous contexts of one multi-stream socket

OutputFormat = Literal["pcm_16000", "pcm_22050", "pcm_24000"]


def sample_rate_of(output_format: OutputFormat) -> int:
    return int(output_format.removeprefix("pcm_"))


class VoiceSettings(BaseModel):
    """Voice settings sent with each context (websocket) or request (HTTP); unset fields keep the voice's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stability: float | None = Field(None, ge=0.0, le=1.0)
    similarity_boost: float | None = Field(None, ge=0.0, le=1.0)
    style: float | None = Field(None, ge=0.0, le=1.0)
    use_speaker_boost: bool | None = None
    speed: float | None = Field(None, ge=0.7, le=1.2)

    def to_wire(self) -> dict[str, float | bool]:
        return self.model_dump(exclude_none=True)


class ElevenLabsOptions(ProviderOptions):
    api_key: SecretStr = env_field(API_KEY_ENV, description="ElevenLabs API key (or ELEVENLABS_API_KEY)")
    voice_id: str = Field(DEFAULT_VOICE_ID, min_length=1, description="voice to speak with")
    model_id: str = Field("eleven_flash_v2_5", min_length=1, description="eleven_flash_v2_5 is the fastest")
    output_format: OutputFormat = Field("pcm_16000", description="raw 16-bit PCM at 16, 22.05 or 24 kHz")
    voice_settings: VoiceSettings = Field(default_factory=VoiceSettings)
    base_url: str = Field(DEFAULT_BASE_URL, description="HTTP API root (no /v1)")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def sample_rate(self) -> int:
        return sample_rate_of(self.output_format)


class ElevenLabsWebsocketOptions(ElevenLabsOptions):
    ws_url: str | None = Field(None, description="websocket root; default: base_url with https -> wss")
    auto_mode: bool = Field(
        True, description="generate each sentence as soon as it arrives (the pipeline sends whole sentences)"
    )
    chunk_length_schedule: list[int] | None = Field(
        None,
        description="characters buffered before each generation (50-500 each); used when auto_mode is off",
    )
    inactivity_timeout: int = Field(20, ge=5, le=180, description="seconds the service waits for text")
    open_timeout: float = Field(5.0, gt=0.0, description="seconds to open the websocket")
    response_timeout: float = Field(10.0, gt=0.0, description="longest wait for audio once text is due")
    keepalive_interval: float | None = Field(
        None, gt=0.0, description="keep a waiting context alive this often (default: inactivity_timeout / 2)"
    )
    idle_close: float | None = Field(
        None, gt=0.0, description="close an unused socket after this long (default: inactivity_timeout - 2)"
    )
    close_grace: float = Field(
        1.0, gt=0.0, description="a context closed before any audio counts toward the limit this long"
    )
    final_timeout: float = Field(10.0, gt=0.0, description="longest wait for isFinal after close_context")
    settle_timeout: float = Field(
        1.0, gt=0.0, description="after the flush, quiet this long with audio received: the reply is done"
    )

    @field_validator("ws_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value.rstrip("/") if value is not None else None

    @field_validator("chunk_length_schedule")
    @classmethod
    def _schedule(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (not value or any(not 50 <= item <= 500 for item in value)):
            raise ValueError("needs one or more values, each 50-500")
        return value

    @property
    def resolved_ws_url(self) -> str:
        if self.ws_url is not None:
            return self.ws_url
        if self.base_url.startswith("https://"):
            return "wss://" + self.base_url.removeprefix("https://")
        return "ws://" + self.base_url.removeprefix("http://")

    @property
    def resolved_keepalive_interval(self) -> float:
        return self.keepalive_interval if self.keepalive_interval is not None else self.inactivity_timeout / 2

    @property
    def resolved_idle_close(self) -> float:
        return self.idle_close if self.idle_close is not None else max(1.0, self.inactivity_timeout - 2.0)


class ElevenLabsHttpOptions(ElevenLabsOptions):
    alignment: bool = Field(
        False, description="use /stream/with-timestamps so the pipeline knows which words were heard"
    )
    timeout: float = Field(10.0, gt=0.0, description="seconds to connect, and between received bytes")
