"""Telephony settings of a server: secrets and REST credentials from the environment, the public URL."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr


class TelephonySettings(BaseModel):
    """Webhook secrets (``TWILIO_AUTH_TOKEN``, ``PLIVO_AUTH_TOKEN``, ``TELNYX_PUBLIC_KEY``), REST credentials for
    call control (``TWILIO_ACCOUNT_SID``, ``PLIVO_AUTH_ID``, ``TELNYX_API_KEY``) and optional REST base URLs.
    ``public_url`` (``--public-url``) is the address the platforms reach us at behind a proxy."""

    model_config = ConfigDict(frozen=True)

    public_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_api_base: str | None = None
    plivo_auth_id: str | None = None
    plivo_auth_token: SecretStr | None = None
    telnyx_api_key: SecretStr | None = None
    telnyx_public_key: str | None = None
    telnyx_api_base: str | None = None
    allow_unsigned: bool = False  # local development only: accept webhooks without a signature check
    # the phone agent's options (``PARLEY_TRANSFER_TO``="+1...,+1...", ``PARLEY_TRANSFER_HUNT``,
    # ``PARLEY_IVR_TOOL``=1, ``PARLEY_COLLECT_DIGITS``=1)
    transfer_to: tuple[str, ...] = ()
    transfer_hunt: Literal["sequential", "parallel"] = "sequential"
    ivr_tool: bool = False
    collect_digits: bool = False

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, public_url: str | None = None
    ) -> TelephonySettings:
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            return source.get(name) or None

        def secret(name: str) -> SecretStr | None:
            value = get(name)
            return SecretStr(value) if value else None

        return cls(
            public_url=public_url or get("PARLEY_PUBLIC_URL"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=secret("TWILIO_AUTH_TOKEN"),
            twilio_api_base=get("TWILIO_API_BASE"),
            plivo_auth_id=get("PLIVO_AUTH_ID"),
            plivo_auth_token=secret("PLIVO_AUTH_TOKEN"),
            telnyx_api_key=secret("TELNYX_API_KEY"),
            telnyx_public_key=get("TELNYX_PUBLIC_KEY"),
            telnyx_api_base=get("TELNYX_BASE_URL"),
            transfer_to=tuple(n.strip() for n in (get("PARLEY_TRANSFER_TO") or "").split(",") if n.strip()),
            transfer_hunt="parallel" if get("PARLEY_TRANSFER_HUNT") == "parallel" else "sequential",
            ivr_tool=get("PARLEY_IVR_TOOL") in ("1", "true", "yes"),
            collect_digits=get("PARLEY_COLLECT_DIGITS") in ("1", "true", "yes"),
        )


def reveal(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""
