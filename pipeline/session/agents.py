"""Multi-agent calls: named agents (``agents:`` in the config) and the built-in hand-off tool the LLM calls to
move the caller to one of them. The session does the switch (``Session.transfer``); this module holds the pieces
it needs: each agent's own providers and the tool."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.stages.tools import Tool, ToolContext, make_tool
from providers.llm import LLM
from providers.tts import TextToSpeech

TRANSFER_TOOL = "transfer_to_agent"


@dataclass(frozen=True)
class AgentProviders:
    """A named agent's own LLM and voice; None: the main agent's."""

    llm: LLM | None = None
    tts: TextToSpeech | None = None


def transfer_tool(targets: Mapping[str, str]) -> Tool:
    """The hand-off tool offering ``targets`` (agent name -> what it does)."""
    listing = "; ".join(f"{name}: {what}" if what else name for name, what in targets.items())

    def transfer_to_agent(context: ToolContext, agent: str) -> str:
        if agent not in targets:
            return f"there is no agent named {agent!r}; choose one of: {', '.join(targets)}"
        context.hand_off(agent)
        return (
            f"The caller will be transferred to {agent} once your next words have been spoken. Tell them in one "
            "short sentence."
        )

    return make_tool(
        transfer_to_agent,
        name=TRANSFER_TOOL,
        description=f"Transfer the caller to another agent when they need it. Agents: {listing}.",
    )
