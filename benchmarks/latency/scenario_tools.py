"""The scenario's tools as pipeline ``Tool``s: typed arguments from the YAML parameters, a canned result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from pydantic import ConfigDict, create_model
from pydantic import Field as PydanticField

from benchmarks.latency.scenario import Scenario, ToolSpec
from pipeline.stages.tools import Tool

_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}


def build_tool(spec: ToolSpec) -> Tool:
    fields: dict[str, Any] = {
        name: (
            _TYPES[parameter.type] if parameter.required else _TYPES[parameter.type] | None,
            PydanticField(... if parameter.required else None, description=parameter.description),
        )
        for name, parameter in spec.parameters.items()
    }
    arguments = create_model(  # type: ignore[call-overload]
        f"{spec.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
    )
    return Tool(name=spec.name, description=spec.description, function=_answer(spec), arguments=arguments)


def _answer(spec: ToolSpec) -> Callable[..., Awaitable[Any]]:
    async def answer(**_: Any) -> Any:
        if spec.latency > 0:
            await anyio.sleep(spec.latency)
        return spec.result if spec.result is not None else {"ok": True}

    return answer


def scenario_tools(scenario: Scenario) -> list[Tool]:
    return [build_tool(spec) for spec in scenario.tools]
