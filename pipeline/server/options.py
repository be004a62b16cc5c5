"""The server's options: from the command line, with secrets from the environment only."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace

TOKEN_ENV = "PARLEY_TOKEN"
OPTIONS_ENV = "PARLEY_SERVE_OPTIONS"  # how a pre-forked worker receives its options (never the token)


@dataclass(frozen=True)
class ServeOptions:
    config: str = "local"  # a YAML path, or a shipped config by name
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str | None = None  # e.g. https://voice.example.com behind a proxy
    max_sessions: int = 50  # concurrent calls per worker process
    max_message_bytes: int = 65536
    control_rate: float = 20.0  # control messages per second, sustained
    control_burst: int = 40
    idle_timeout: float = 30.0  # seconds without any message from the client
    start_timeout: float = 10.0  # seconds to send `start` after connecting
    drain_deadline: float = 60.0  # SIGTERM: calls in progress may go on this long
    gc: str = "tuned"  # the garbage collector once started (pipeline/server/gc_tuning.py): tuned | default
    token: str | None = field(default=None, repr=False)  # PARLEY_TOKEN; never logged

    def with_env_secrets(self) -> ServeOptions:
        return replace(self, token=os.environ.get(TOKEN_ENV) or None)

    def to_env(self) -> str:
        """The options for a worker process, without the token (the worker reads it from its environment)."""
        data = asdict(self)
        data.pop("token")
        return json.dumps(data)

    @classmethod
    def from_env(cls) -> ServeOptions:
        raw = os.environ.get(OPTIONS_ENV)
        options = cls(**json.loads(raw)) if raw else cls()
        return options.with_env_secrets()
