"""What the OpenAI adapters share: the connection options (key, base URL, timeouts, retries, headers) and one
lazily created ``AsyncOpenAI`` client per adapter.

The key comes from the options or ``OPENAI_API_KEY``; the URL from the options or ``OPENAI_BASE_URL``. A server
other than api.openai.com given no key gets the placeholder "EMPTY" (compatible servers accept any key, and the
SDK refuses to start without one).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx2
from openai import AsyncOpenAI
from pydantic import Field, SecretStr, model_validator

from providers.options import ProviderOptions, env_field
from providers.redact import guard_vendor_loggers, safe_netloc

guard_vendor_loggers()  # DEBUG logging of the vendor library never prints the key

OPENAI_HOST = "api.openai.com"
API_KEY_ENV = "OPENAI_API_KEY"
PLACEHOLDER_KEY = "EMPTY"


class OpenAIConnectionOptions(ProviderOptions):
    api_key: SecretStr | None = env_field(
        API_KEY_ENV, None, description="API key; optional for a compatible server at another base_url"
    )
    base_url: str | None = env_field(
        "OPENAI_BASE_URL",
        None,
        description="e.g. http://localhost:11434/v1 (Ollama); paths are appended, so include /v1",
    )
    timeout: float = Field(
        30.0, gt=0, description="seconds to wait for each read (e.g. the next streamed chunk) before failing"
    )
    connect_timeout: float = Field(5.0, gt=0, description="seconds to open a connection")
    max_retries: int = Field(
        2,
        ge=0,
        le=10,
        description="SDK retries before a response starts (connection errors, 408/409/429/5xx)",
    )
    extra_headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="sent with every request (e.g. a proxy's auth header)"
    )

    @model_validator(mode="after")
    def _key_for_openai(self) -> OpenAIConnectionOptions:
        if self.api_key is None and self.targets_openai:
            raise ValueError(
                f"api_key is required for {OPENAI_HOST}: set the {API_KEY_ENV} environment variable "
                "(a compatible server at another base_url needs none)"
            )
        return self

    @property
    def targets_openai(self) -> bool:
        return self.base_url is None or urlsplit(self.base_url).hostname == OPENAI_HOST

    @property
    def server(self) -> str:
        """Who answers, for messages: "OpenAI" or the compatible server's host:port."""
        if self.targets_openai or self.base_url is None:
            return "OpenAI"
        return f"the server at {safe_netloc(self.base_url)}"

    def resolved_api_key(self) -> str:
        return self.api_key.get_secret_value() if self.api_key is not None else PLACEHOLDER_KEY


class ClientHandle:
    """Creates the adapter's client on first use (inside the event loop that uses it) and closes it."""

    def __init__(self, options: OpenAIConnectionOptions) -> None:
        self._options = options
        self._client: AsyncOpenAI | None = None

    def get(self) -> AsyncOpenAI:
        if self._client is None:
            options = self._options
            headers = {name: value.get_secret_value() for name, value in options.extra_headers.items()}
            self._client = AsyncOpenAI(
                api_key=options.resolved_api_key(),
                base_url=options.base_url,
                max_retries=options.max_retries,
                timeout=httpx2.Timeout(options.timeout, connect=options.connect_timeout),
                default_headers=headers or None,
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()
