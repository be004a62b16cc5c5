"""``Session.update``'s new settings: the given parts replace the current ones, validated as a whole."""

from __future__ import annotations

from pipeline.settings import IdleSettings, PreemptiveSettings, SessionSettings, TurnSettings


def updated_settings(
    settings: SessionSettings,
    *,
    instructions: str | None,
    temperature: float | None,
    max_tokens: int | None,
    turn: TurnSettings | None,
    idle: IdleSettings | None,
    preemptive: PreemptiveSettings | None,
) -> SessionSettings:
    """``settings`` with what is given (not None) changed; a bad value raises ValueError (pydantic's)."""
    changes = {"instructions": instructions, "temperature": temperature, "max_tokens": max_tokens}
    agent = settings.agent
    if any(value is not None for value in changes.values()):
        agent = type(agent).model_validate(
            {**agent.model_dump(), **{key: value for key, value in changes.items() if value is not None}}
        )
    return settings.model_copy(
        update={
            "agent": agent,
            "turn": turn or settings.turn,
            "idle": idle or settings.idle,
            "preemptive": preemptive or settings.preemptive,
        }
    )
