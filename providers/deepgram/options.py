"""Connection options shared by the Deepgram adapters (Nova ``/v1/listen`` and Flux ``/v2/listen``)."""

from __future__ import annotations

from deepgram import AsyncDeepgramClient, DeepgramClientEnvironment
from pydantic import Field, SecretStr, model_validator

from providers.deepgram.connection import RetryPolicy
from providers.deepgram.errors import API_KEY_ENV
from providers.deepgram.session import StreamSettings
from providers.options import ProviderOptions, env_field

DEFAULT_HTTP_URL = "https://api.deepgram.com"
DEFAULT_WS_URL = "wss://api.deepgram.com"


class DeepgramConnectionOptions(ProviderOptions):
    api_key: SecretStr = env_field(API_KEY_ENV, description="Deepgram API key")
    http_url: str | None = Field(
        None, description="REST base URL override (default https://api.deepgram.com)"
    )
    ws_url: str | None = Field(
        None,
        description="websocket base URL override, e.g. ws://127.0.0.1:8080 (default: derived from http_url, "
        "else wss://api.deepgram.com)",
    )
    connect_timeout: float = Field(5.0, gt=0.0, le=60.0, description="seconds for one websocket handshake")
    reconnect_attempts: int = Field(
        3, ge=0, le=20, description="retries after a failed handshake or a dropped socket"
    )
    reconnect_backoff: float = Field(0.25, ge=0.0, le=10.0, description="first retry delay; doubles")
    reconnect_backoff_max: float = Field(4.0, ge=0.0, le=60.0, description="cap on the retry delay")
    max_retry_after: float = Field(
        10.0, ge=0.0, description="a longer Retry-After on 429/503 fails at once instead of waiting"
    )
    keepalive_interval: float = Field(
        4.0, gt=0.0, le=9.0, description="seconds without audio before a KeepAlive (server closes at 10 s)"
    )
    replay_max_seconds: float = Field(
        30.0,
        ge=0.0,
        le=300.0,
        description="audio of the current turn kept (since the last final) to re-send after a reconnect",
    )

    @model_validator(mode="after")
    def _urls(self) -> DeepgramConnectionOptions:
        for url, schemes in ((self.http_url, ("http://", "https://")), (self.ws_url, ("ws://", "wss://"))):
            if url is not None and not url.startswith(schemes):
                raise ValueError(f"{url!r} must start with {' or '.join(schemes)}")
        return self

    def resolved_urls(self) -> tuple[str, str]:
        """(http base, websocket base) without a trailing slash."""
        http = (self.http_url or DEFAULT_HTTP_URL).rstrip("/")
        if self.ws_url is not None:
            ws = self.ws_url.rstrip("/")
        elif self.http_url is not None:
            ws = "ws" + http.removeprefix("http")
        else:
            ws = DEFAULT_WS_URL
        return http, ws

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.reconnect_attempts,
            backoff=self.reconnect_backoff,
            backoff_max=self.reconnect_backoff_max,
            connect_timeout=self.connect_timeout,
            max_retry_after=self.max_retry_after,
        )

    def client(self) -> AsyncDeepgramClient:
        """An SDK client for these options (the key is passed explicitly; the SDK's env lookup is not used)."""
        environment = DeepgramClientEnvironment.PRODUCTION
        if self.http_url is not None or self.ws_url is not None:
            http, ws = self.resolved_urls()
            environment = DeepgramClientEnvironment(base=http, production=ws, agent=ws, agent_rest=http)
        return AsyncDeepgramClient(api_key=self.api_key.get_secret_value(), environment=environment)

    def stream_settings(self, provider: str, sample_rate: int) -> StreamSettings:
        return StreamSettings(
            provider=provider,
            policy=self.retry_policy(),
            keepalive_interval=self.keepalive_interval,
            replay_max_seconds=self.replay_max_seconds,
            sample_rate=sample_rate,
        )
