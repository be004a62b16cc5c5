"""Multi-agent calls: named agents (``agents:`` in the config) and the built-in hand-off tool the LLM calls to
move the caller to one of them. The session does the switch (``Session.transfer``); this module holds the pieces
it needs: each agent's own providers and the tool."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.session.builtin_tools import BUILTIN_TOOLS
from pipeline.settings import AgentProfile, AgentSettings, TurnSettings
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


@dataclass(frozen=True)
class MainAgent:
    """The agent a session starts with (to hand back to)."""

    agent: AgentSettings
    turn: TurnSettings
    llm: LLM
    tts: TextToSpeech


@dataclass(frozen=True)
class AgentPlan:
    """Everything that changes when ``name`` takes the call."""

    name: str
    instructions: str
    tools: list[Tool]
    builtins: list[Tool]
    llm: LLM
    tts: TextToSpeech
    turn: TurnSettings
    greeting: str | None
    summarize_history: bool


class AgentRoster:
    """The named agents of a session (``settings.agents`` plus the main agent) and which one has the call."""

    def __init__(
        self, agents: Mapping[str, AgentProfile], main: MainAgent, providers: Mapping[str, AgentProviders]
    ) -> None:
        self._agents = dict(agents)
        self._main = main
        self._providers = dict(providers)
        self.current = main.agent.name

    @property
    def names(self) -> list[str]:
        return [self._main.agent.name, *self._agents]

    def builtins_for(self, agent: str) -> list[Tool]:
        """The runtime's tools for ``agent``: its built-in ones, and the hand-off tool when there are others."""
        profile = self._agents.get(agent)
        names = self._main.agent.builtin_tools
        if profile is not None and profile.builtin_tools is not None:
            names = profile.builtin_tools
        builtins = [BUILTIN_TOOLS[name] for name in names]
        targets = {
            self._main.agent.name: "the main agent",
            **{n: p.description for n, p in self._agents.items()},
        }
        targets.pop(agent, None)
        if self._agents and targets:
            builtins.append(transfer_tool(targets))
        return builtins

    def plan(self, agent: str, application_tools: Callable[[list[str] | None], list[Tool]]) -> AgentPlan:
        """What ``agent`` brings; ``application_tools`` picks the application's tools by name (None: all)."""
        main = self._main
        profile = self._agents.get(agent)
        if profile is None and agent != main.agent.name:
            raise ValueError(f"no agent named {agent!r} (agents: {', '.join(self.names)})")
        providers = self._providers.get(agent, AgentProviders())
        return AgentPlan(
            name=agent,
            instructions=profile.instructions if profile is not None else main.agent.instructions,
            tools=application_tools(profile.tools if profile is not None else None),
            builtins=self.builtins_for(agent),
            llm=providers.llm or main.llm,
            tts=providers.tts or main.tts,
            turn=(profile.turn if profile is not None else None) or main.turn,
            greeting=profile.greeting if profile is not None else None,
            summarize_history=profile.summarize_history if profile is not None else False,
        )
