"""Offering a collector to the LLM: a tool that starts its dialog (see ``collect_dialog``)."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.stages.collect_dialog import Collector
from pipeline.stages.tools import Tool, ToolContext, make_tool


def started_message(collector: Collector) -> str:
    return (
        f"A collector is now asking the caller for their {collector.field}; its result will follow as another "
        "result of this tool. Say nothing until then."
    )


def collector_tool(factory: Callable[[], Collector], *, name: str, description: str | None = None) -> Tool:
    """A tool that runs a fresh ``factory()`` collector when the LLM calls it."""
    example = factory()

    def collect(context: ToolContext, reason: str = "") -> str:
        collector = factory()
        context.collect(collector)
        return started_message(collector)

    return make_tool(
        collect,
        name=name,
        description=description
        or f"Ask the caller for their {example.field}: it is read back and confirmed, and you get it as a result "
        "(status ok, refused, failed or timeout). Do not ask for it yourself.",
    )
