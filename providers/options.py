"""Base for provider option models: unknown keys are errors, and fields declared with ``env_field`` fall back to
an environment variable (API keys), so a missing key is reported with both its config path and the variable."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator


def env_field(env: str, default: Any = ..., **kwargs: Any) -> Any:
    """A field read from ``env`` when the config does not give it."""
    return Field(default, json_schema_extra={"env": env}, **kwargs)


def env_var_of(model: type[BaseModel], field_name: str) -> str | None:
    info = model.model_fields.get(field_name)
    extra = info.json_schema_extra if info is not None else None
    return extra.get("env") if isinstance(extra, dict) else None  # type: ignore[return-value]


class ProviderOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill env-backed fields the config leaves out (or blank) from the environment — the one given in the
        validation context as ``environ``, else the process's. Still blank means missing."""
        if not isinstance(data, dict):
            return data
        context = info.context if isinstance(info.context, dict) else {}
        environ = context.get("environ", os.environ)
        filled = dict(data)
        for name in cls.model_fields:
            env = env_var_of(cls, name)
            if env and filled.get(name) in (None, ""):
                if environ.get(env):
                    filled[name] = environ[env]
                else:
                    filled.pop(name, None)
        return filled
