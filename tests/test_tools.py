"""Tools: JSON schema from signature and docstring, argument validation and every failure mode as a ToolResult
(never an exception), and the ToolRunner's parallel execution with its events and interruption rules."""

from __future__ import annotations

import json
from enum import Enum
from typing import Literal

import anyio
import pytest
from pydantic import BaseModel, Field

from pipeline.base.compute import inline_compute
from pipeline.observe.bus import EventBus
from pipeline.observe.events import SpeechSource, ToolFinished, ToolStarted, ToolStatus
from pipeline.stages.speech import ReplyStep, Speech
from pipeline.stages.tool_runner import CANCELLED_MESSAGE, ToolRunner
from pipeline.stages.tools import (
    Tool,
    ToolContext,
    ToolRegistry,
    arguments_preview,
    make_tool,
    parse_docstring,
    tool,
)
from providers.llm import ToolCall


def call(name: str, arguments: object = None, call_id: str = "call_1") -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return ToolCall(call_id, name, text)


class Address(BaseModel):
    street: str
    zip_code: str = Field(description="postal code")


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class RecordingContext(ToolContext):
    def __init__(self) -> None:
        self.waits: list[float] = []

    def extend_wait(self, seconds: float) -> None:
        self.waits.append(seconds)


@tool
def book_hotel(
    city: str,
    nights: int,
    ctx: ToolContext,
    unit: Literal["c", "f"] = "c",
    color: Color = Color.RED,
    address: Address | None = None,
) -> dict[str, object]:
    """Book a hotel room.

    Picks the best one.

    Args:
        city: The city to
            stay in.
        nights (int): How many nights.
        unit: Temperature unit.
        address: Where to send the invoice.

    Returns:
        A confirmation.
    """
    ctx.extend_wait(float(nights))
    return {
        "city": city,
        "nights": nights,
        "unit": unit,
        "color": color.value,
        "zip": address and address.zip_code,
    }


# --- schema --------------------------------------------------------------------------------------------------


def test_schema_from_signature_and_google_docstring() -> None:
    schema = book_hotel.schema
    assert schema.name == "book_hotel"
    assert schema.description == "Book a hotel room. Picks the best one."
    parameters = schema.parameters
    assert "title" not in parameters
    assert parameters["type"] == "object"
    assert parameters["additionalProperties"] is False
    assert parameters["required"] == ["city", "nights"]
    properties = parameters["properties"]
    assert set(properties) == {"city", "nights", "unit", "color", "address"}  # no ctx
    assert properties["city"] == {"description": "The city to stay in.", "title": "City", "type": "string"}
    assert properties["nights"]["type"] == "integer"
    assert properties["nights"]["description"] == "How many nights."
    assert properties["unit"]["enum"] == ["c", "f"]
    assert properties["unit"]["default"] == "c"
    assert properties["unit"]["description"] == "Temperature unit."
    assert properties["color"]["default"] == "red"
    assert parameters["$defs"]["Color"]["enum"] == ["red", "blue"]
    address = parameters["$defs"]["Address"]
    assert address["required"] == ["street", "zip_code"]
    assert address["properties"]["zip_code"]["description"] == "postal code"
    assert properties["address"]["description"] == "Where to send the invoice."
    assert book_hotel.context_parameter == "ctx"


def test_schema_from_sphinx_docstring() -> None:
    def convert(amount: float, currency: str = "EUR") -> str:
        """Convert money.

        :param amount: how much
        :param str currency: target currency code
        :returns: the converted amount
        """
        return ""

    made = make_tool(convert, name="convert-money", description="Override.", timeout=3)
    assert made.name == "convert-money"
    assert made.schema.description == "Override."
    assert made.timeout == 3
    properties = made.schema.parameters["properties"]
    assert properties["amount"]["description"] == "how much"
    assert properties["amount"]["type"] == "number"
    assert properties["currency"]["description"] == "target currency code"
    assert properties["currency"]["default"] == "EUR"
    assert made.schema.parameters["required"] == ["amount"]


def test_parse_docstring_sections() -> None:
    summary, params = parse_docstring(
        "Summary line\ncontinued.\n\nArguments:\n    a: first\n    b (str, optional): second\n"
        "        more about b\n\nRaises:\n    ValueError: never\n"
    )
    assert summary == "Summary line continued."
    assert params == {"a": "first", "b": "second more about b"}


def test_parse_docstring_sphinx_continuation_lines() -> None:
    _, params = parse_docstring("Do it.\n\n:param when: the day,\n    in ISO format\n")
    assert params == {"when": "the day, in ISO format"}


def test_description_falls_back_to_the_name() -> None:
    async def ping() -> str:
        return "pong"

    assert make_tool(ping).schema.description == "ping"
    assert make_tool(ping).schema.parameters["properties"] == {}


@pytest.mark.parametrize("name", ["has space", "x" * 65, "dotted.name", "ümlaut"])
def test_bad_tool_name_is_rejected(name: str) -> None:
    def fn() -> str:
        return ""

    with pytest.raises(ValueError, match="must be 1-64 letters, digits, _ or -"):
        make_tool(fn, name=name)


def test_missing_annotation_is_rejected() -> None:
    def lookup(query, limit: int = 3) -> str:  # type: ignore[no-untyped-def]
        return ""

    with pytest.raises(TypeError, match="tool lookup: parameter 'query' needs a type annotation"):
        tool(lookup)


def test_var_args_are_rejected() -> None:
    def spread(*names: str) -> str:
        return ""

    with pytest.raises(TypeError, match=r"\*args/\*\*kwargs are not supported"):
        make_tool(spread)


def test_optional_tool_context_parameter() -> None:
    def greet(name: str, ctx: ToolContext | None = None) -> str:
        return name

    made = make_tool(greet)
    assert made.context_parameter == "ctx"
    assert set(made.schema.parameters["properties"]) == {"name"}


# --- invocation ----------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_context_is_injected_and_dict_result_is_json() -> None:
    context = RecordingContext()
    with inline_compute():  # a sync tool; a worker thread would let the virtual clock run to the timeout
        result = await book_hotel.invoke(
            call(
                "book_hotel", {"city": "Oslo", "nights": 2, "address": {"street": "Main", "zip_code": "0150"}}
            ),
            context,
        )
    assert result.status is ToolStatus.OK
    assert json.loads(result.content) == {
        "city": "Oslo",
        "nights": 2,
        "unit": "c",
        "color": "red",
        "zip": "0150",
    }
    assert " " not in result.content  # compact JSON
    assert context.waits == [2.0]
    assert result.call.id == "call_1"


@pytest.mark.anyio
async def test_enum_and_literal_values_are_validated() -> None:
    with inline_compute():
        ok = await book_hotel.invoke(
            call("book_hotel", {"city": "A", "nights": 1, "unit": "f", "color": "blue"}), RecordingContext()
        )
    assert json.loads(ok.content)["color"] == "blue"
    bad = await book_hotel.invoke(
        call("book_hotel", {"city": "A", "nights": 1, "unit": "k"}), RecordingContext()
    )
    assert bad.status is ToolStatus.ERROR
    assert bad.content.startswith("invalid arguments for book_hotel: unit: Input should be 'c' or 'f'")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"city": "Oslo", "nights": "two"}, "nights: Input should be a valid integer"),
        ({"nights": 2}, "city: Field required"),
        ({"city": "Oslo", "nights": 2, "pets": True}, "pets: Extra inputs are not permitted"),
        ({"city": "Oslo", "nights": 2, "address": {"street": "x"}}, "address.zip_code: Field required"),
        ('{"city": "Oslo", ', "arguments: Invalid JSON"),
    ],
    ids=["wrong-type", "missing", "extra", "nested", "bad-json"],
)
async def test_bad_arguments_become_error_results(arguments: object, expected: str) -> None:
    result = await book_hotel.invoke(call("book_hotel", arguments), RecordingContext())
    assert result.status is ToolStatus.ERROR
    assert result.content.startswith("invalid arguments for book_hotel: ")
    assert expected in result.content


@pytest.mark.anyio
async def test_empty_arguments_mean_no_arguments() -> None:
    @tool
    async def now() -> str:
        return "noon"

    result = await now.invoke(ToolCall("c", "now", ""))
    assert (result.status, result.content) == (ToolStatus.OK, "noon")


@pytest.mark.anyio
async def test_exception_in_tool_becomes_error_result() -> None:
    @tool
    async def explode(reason: str) -> str:
        raise KeyError(reason)

    result = await explode.invoke(call("explode", {"reason": "missing"}))
    assert result.status is ToolStatus.ERROR
    assert result.content == "explode failed: KeyError: 'missing'"


@pytest.mark.anyio
async def test_timeout_becomes_timeout_result_on_virtual_time() -> None:
    finished = []

    @tool(timeout=1)
    async def slow() -> str:
        await anyio.sleep(5)
        finished.append(True)
        return "late"

    started = anyio.current_time()
    result = await slow.invoke(call("slow"))
    assert result.status is ToolStatus.TIMEOUT
    assert result.content == "slow timed out after 1 s"
    assert result.duration == pytest.approx(1.0)
    assert anyio.current_time() - started == pytest.approx(1.0)
    assert finished == []


@pytest.mark.anyio
async def test_tools_own_timeout_error_is_not_the_runtime_timeout() -> None:
    @tool
    async def fetch() -> str:
        await anyio.sleep(0.1)
        raise TimeoutError("upstream API did not answer")

    result = await fetch.invoke(call("fetch"))
    assert "upstream API did not answer" in result.content
    assert "after 10 s" not in result.content


@pytest.mark.anyio
async def test_sync_tool_inline_and_string_passthrough() -> None:
    @tool
    def shout(text: str) -> str:
        return text.upper() + "!"

    with inline_compute():
        result = await shout.invoke(call("shout", {"text": "hi"}))
    assert (result.status, result.content) == (ToolStatus.OK, "HI!")  # a str is not JSON-quoted
    assert shout("x") == "X!"  # the decorated function stays callable


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_sync_tool_in_a_worker_thread() -> None:
    import threading

    main = threading.get_ident()

    @tool
    def where() -> list[int]:
        return [threading.get_ident() != main]

    result = await where.invoke(call("where"))
    assert (result.status, result.content) == (ToolStatus.OK, "[true]")


@pytest.mark.anyio
async def test_other_results_serialise_to_json() -> None:
    @tool
    async def nothing() -> None:
        return None

    @tool
    async def model() -> Address:
        return Address(street="Main", zip_code="1")

    assert (await nothing.invoke(call("nothing"))).content == "null"
    assert json.loads((await model.invoke(call("model"))).content) == {"street": "Main", "zip_code": "1"}


def test_registry_and_arguments_preview() -> None:
    def plain(x: int) -> str:
        return str(x)

    registry = ToolRegistry([book_hotel, plain])
    assert "plain" in registry
    assert len(registry) == 2
    assert isinstance(registry.get("plain"), Tool)
    assert [schema.name for schema in registry.schemas] == ["book_hotel", "plain"]
    copy = registry.copy()
    copy.remove("plain")
    assert "plain" in registry
    assert "plain" not in copy
    assert arguments_preview(call("x", '{ "a" :  1 }')) == '{"a":1}'
    assert arguments_preview(call("x", "not json" * 100), limit=10) == "not jsonno"


# --- the runner ----------------------------------------------------------------------------------------------


@tool
async def slow_weather(city: str) -> str:
    await anyio.sleep(1)
    return f"sunny in {city}"


@tool
async def slow_time() -> str:
    await anyio.sleep(1)
    return "noon"


@tool(cancellable=True)
async def slow_search(query: str) -> str:
    await anyio.sleep(1)
    return "found"


class RecordingIdle:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def extend(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_runner(*tools: Tool) -> tuple[ToolRunner, EventBus, RecordingIdle]:
    bus = EventBus("sess_tools")
    idle = RecordingIdle()
    return ToolRunner(ToolRegistry(tools), bus, idle), bus, idle


@tool
def wrap_up(ctx: ToolContext) -> str:
    """Ask for time, then end the call after the reply."""
    ctx.extend_wait(30.0)
    ctx.end_call_after_reply("Bye now.")
    return "ok"


@pytest.mark.anyio
async def test_tools_of_a_reply_reach_its_speech_and_the_idle_monitor() -> None:
    runner, _, idle = make_runner(wrap_up)
    speech = Speech(SpeechSource.REPLY, turn_id=1)
    with inline_compute():
        await runner.run([call("wrap_up", {}, "c1")], ReplyStep(), speech)
    assert idle.waits == [30.0]
    assert speech.end_call_requested and speech.end_call_goodbye == "Bye now."


@pytest.mark.anyio
async def test_runner_runs_calls_in_parallel_and_records_events() -> None:
    runner, bus, _ = make_runner(slow_weather, slow_time)
    subscription = bus.subscribe((ToolStarted, ToolFinished))
    speech = Speech(SpeechSource.REPLY, turn_id=4)
    step = ReplyStep()
    calls = [
        call("slow_weather", {"city": "Rome"}, "c1"),
        call("slow_time", {}, "c2"),
        call("no_such_tool", {}, "c3"),
    ]
    started = anyio.current_time()
    await runner.run(calls, step, speech)
    assert anyio.current_time() - started == pytest.approx(1.0)  # concurrent, not 2 s
    assert sorted(step.calls, key=lambda c: c.id) == calls
    results = {result.call.id: result for result in step.results}
    assert (results["c1"].status, results["c1"].content) == (ToolStatus.OK, "sunny in Rome")
    assert results["c1"].duration == pytest.approx(1.0)
    assert (results["c2"].status, results["c2"].content) == (ToolStatus.OK, "noon")
    assert results["c3"].status is ToolStatus.ERROR
    assert results["c3"].content == "there is no tool named 'no_such_tool'"
    assert step.results[0].call.id == "c3"  # recorded as they finish: the unknown tool at once

    bus.close()
    events = [event async for event in subscription]
    started_events = [e for e in events if isinstance(e, ToolStarted)]
    finished_events = [e for e in events if isinstance(e, ToolFinished)]
    assert sorted((e.call_id, e.name, e.arguments) for e in started_events) == [
        ("c1", "slow_weather", '{"city":"Rome"}'),
        ("c2", "slow_time", "{}"),
        ("c3", "no_such_tool", "{}"),
    ]
    finished = {e.call_id: e for e in finished_events}
    assert finished["c1"].status is ToolStatus.OK
    assert finished["c1"].result == "sunny in Rome"
    assert finished["c1"].duration == pytest.approx(1.0)
    assert finished["c3"].status is ToolStatus.ERROR
    assert {e.turn_id for e in events} == {4}
    assert all(e.timestamp == 0.0 for e in started_events)  # the bus was not started: clock at 0


@pytest.mark.anyio
async def test_runner_interrupted_in_flight() -> None:
    runner, bus, _ = make_runner(slow_weather, slow_search)
    subscription = bus.subscribe((ToolFinished,))
    speech = Speech(SpeechSource.REPLY, turn_id=1)
    step = ReplyStep()
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(
                runner.run,
                [call("slow_weather", {"city": "Oslo"}, "w"), call("slow_search", {"query": "q"}, "s")],
                step,
                speech,
            )
            await anyio.sleep(0.5)
            scope.cancel()
    bus.close()
    results = {result.call.id: result for result in step.results}
    # the ordinary tool is shielded and finishes; the cancellable one is recorded as cancelled
    assert (results["w"].status, results["w"].content) == (ToolStatus.OK, "sunny in Oslo")
    assert results["s"].status is ToolStatus.CANCELLED
    assert results["s"].content == CANCELLED_MESSAGE
    assert results["s"].duration == pytest.approx(0.5)
    assert sorted([e.call_id async for e in subscription]) == ["s", "w"]  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_runner_cancelled_before_start_runs_nothing() -> None:
    runner, bus, _ = make_runner(slow_weather)
    subscription = bus.subscribe()
    step = ReplyStep()
    with anyio.CancelScope() as scope:
        scope.cancel()
        await runner.run(
            [call("slow_weather", {"city": "Oslo"})], step, Speech(SpeechSource.REPLY, turn_id=1)
        )
    bus.close()
    assert step.calls == []
    assert step.results == []
    assert [event async for event in subscription] == []
