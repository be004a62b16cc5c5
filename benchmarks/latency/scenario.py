"""Benchmark scenarios: YAML files describing a call, turn by turn, from the caller's side.

    name: customer_support
    instructions: You are the support agent of an online shop. Keep answers short.
    tools:
      - name: lookup_order
        description: Look up an order by its number.
        parameters: {order_number: {type: string, description: The order number}}
        result: {status: shipped, arrives: Friday}
    turns:
      - caller: I would like to check on my order please.       # spoken with espeak-ng
        agent: Sure. What is the order number?                   # the scripted LLM reply
      - caller: It is four five six seven.
        tool_calls: [{name: lookup_order, arguments: {order_number: "4567"}}]
        agent: Your order has shipped. It arrives on Friday.
      - wav: recordings/question.wav                             # or a recording (relative to this file)
        caller: What time do you close today?                    # ... and what it says (for the STT fake)
        pause: 1.0                                               # silence after the agent finished
      - caller: Sorry but that is not what I asked.
        barge_in_after: 1.2                                      # speak 1.2 s after the agent started

Each caller turn should be one sentence: a sentence pause is long enough for the voice activity detector to
end the turn. ``agent`` and ``tool_calls`` script the simulated LLM; with real providers (``--config``) the
expected tool calls are only checked."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_PAUSE = 0.6


class ScenarioError(ValueError):
    """A scenario that cannot be found or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolParameter(_Strict):
    type: Literal["string", "integer", "number", "boolean"] = "string"
    description: str | None = None
    required: bool = True


class ToolSpec(_Strict):
    """A tool the agent offers, answering every call with a fixed ``result`` after ``latency`` seconds."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str
    parameters: dict[str, ToolParameter] = Field(default_factory=dict)
    result: Any = None
    latency: float = Field(0.0, ge=0.0, le=10.0)


class ExpectedToolCall(_Strict):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class TurnSpec(_Strict):
    caller: str = Field(min_length=1, description="what the caller says (spoken with espeak-ng unless wav)")
    wav: Path | None = Field(None, description="a recording of the caller instead of espeak-ng")
    agent: str = Field("Okay.", min_length=1, description="the simulated LLM's reply")
    tool_calls: tuple[ExpectedToolCall, ...] = ()
    pause: float = Field(DEFAULT_PAUSE, ge=0.0, le=30.0, description="silence after the agent finished")
    barge_in_after: float | None = Field(
        None, ge=0.0, le=30.0, description="start talking this long after the agent's previous reply started"
    )

    @property
    def barges_in(self) -> bool:
        return self.barge_in_after is not None


class Scenario(_Strict):
    name: str
    description: str = ""
    instructions: str = "You are a helpful voice assistant. Keep answers short."
    tools: tuple[ToolSpec, ...] = ()
    turns: tuple[TurnSpec, ...] = Field(min_length=1)
    source: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.turns[0].barges_in:
            raise ValueError("turns[0]: the first turn cannot barge in (the agent has not spoken yet)")
        known = {tool.name for tool in self.tools}
        for index, turn in enumerate(self.turns):
            for call in turn.tool_calls:
                if call.name not in known:
                    raise ValueError(
                        f"turns[{index}]: tool call {call.name!r} is not among the scenario's tools"
                    )
        return self

    def expanded(self, count: int | None) -> list[tuple[int, TurnSpec]]:
        """(index in ``turns``, turn) repeated (or cut) to ``count`` turns; all turns once when None."""
        indexed = list(enumerate(self.turns))
        if count is None:
            return indexed
        return list(itertools.islice(itertools.cycle(indexed), count))

    def wav_path(self, turn: TurnSpec) -> Path | None:
        if turn.wav is None:
            return None
        if turn.wav.is_absolute() or self.source is None:
            return turn.wav
        return self.source.parent / turn.wav


def available_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


def resolve_scenario_path(name_or_file: str) -> Path:
    """A shipped scenario by name (``customer_support``) or a YAML file path."""
    candidate = Path(name_or_file)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise ScenarioError(f"{name_or_file}: no such scenario file")
        return candidate
    shipped = SCENARIO_DIR / f"{name_or_file}.yaml"
    if not shipped.is_file():
        known = ", ".join(available_scenarios()) or "none"
        raise ScenarioError(f"unknown scenario {name_or_file!r} (shipped: {known}; or give a YAML file)")
    return shipped


def load_scenario(name_or_file: str) -> Scenario:
    path = resolve_scenario_path(name_or_file)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: invalid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping with name, turns, ...")
    raw.setdefault("name", path.stem)
    try:
        scenario = Scenario.model_validate({**raw, "source": path})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise ScenarioError(f"{path}: {problems}") from None
    for turn in scenario.turns:
        wav = scenario.wav_path(turn)
        if wav is not None and not wav.is_file():
            raise ScenarioError(f"{path}: caller recording {wav} does not exist")
    return scenario
