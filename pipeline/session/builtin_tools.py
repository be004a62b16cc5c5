"""Tools the runtime offers the LLM itself (``agent.builtin_tools``)."""

from __future__ import annotations

from pipeline.stages.collector_tool import collector_tool
from pipeline.stages.collectors import AddressCollector, DateCollector, EmailCollector, PhoneCollector
from pipeline.stages.tools import Tool, ToolContext, tool


@tool(name="end_call")
def end_call(context: ToolContext) -> str:
    """End the phone call. Call it when the caller says goodbye or asks to hang up; then say a short goodbye.
    The call ends after that goodbye has been spoken in full (not if the caller interrupts it)."""
    context.end_call_after_reply()
    return "The call will end after your goodbye. Say a short goodbye now."


@tool(name="hold_on")
def hold_on(context: ToolContext, seconds: int = 60) -> str:
    """The caller needs a moment (to find a document, to think): wait quietly instead of checking on them.

    Args:
        seconds: How long to wait before checking on the caller again (10-300).
    """
    context.extend_wait(float(min(max(seconds, 10), 300)))
    return f"Waiting up to {seconds} seconds. Tell the caller to take their time."


BUILTIN_TOOLS: dict[str, Tool] = {
    "end_call": end_call,
    "hold_on": hold_on,
    "collect_email": collector_tool(EmailCollector, name="collect_email"),
    "collect_phone": collector_tool(PhoneCollector, name="collect_phone"),
    "collect_date": collector_tool(DateCollector, name="collect_date"),
    "collect_address": collector_tool(AddressCollector, name="collect_address"),
}
