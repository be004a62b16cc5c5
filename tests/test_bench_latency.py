"""The latency-per-turn harness (``python -m pipeline bench``) end to end on the ``zero`` profile: loopback
fakes, the real Deepgram/OpenAI/ElevenLabs adapters, Silero VAD and an espeak-ng caller, in real time (a ~10 s
call)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from benchmarks.latency.expected import words_to_first_sentence
from benchmarks.latency.records import PARTS
from benchmarks.latency.scenario import ScenarioError, load_scenario
from pipeline.cli.main import main

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # the Deepgram SDK imports websockets.legacy
    pytest.mark.timeout(60),
]

SCENARIO = """
name: short_call
instructions: You are a shop assistant.
tools:
  - name: lookup_order
    description: Look up an order.
    parameters: {order_number: {type: string}}
    result: {status: shipped}
turns:
  - caller: Hello there.
    agent: Hi. How can I help?
  - caller: Please check order four two.
    tool_calls: [{name: lookup_order, arguments: {order_number: "42"}}]
    agent: >-
      Your order has shipped. It left the warehouse this morning and the courier will bring it to your door
      on Friday between nine and five.
    pause: 0.3
  - caller: Thank you very much.
    barge_in_after: 0.4
    agent: Bye!
"""


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    scenario = root / "short_call.yaml"
    scenario.write_text(SCENARIO)
    out = root / "out"
    argv = ["bench", "--profile", "zero", "--scenario", str(scenario), "--out", str(out)]
    assert main([*argv, "--no-progress", "--no-warmup"]) == 0
    return out


def rows(out: Path) -> list[dict[str, str]]:
    with (out / "turns.csv").open() as handle:
        return list(csv.DictReader(handle))


def number(row: dict[str, str], column: str) -> float:
    value = float(row[column])
    assert math.isfinite(value), f"{column} is not finite: {row[column]}"
    return value


def test_writes_the_result_files_with_one_row_per_turn(bench_run: Path) -> None:
    assert (bench_run / "latency.png").stat().st_size > 10_000
    assert (bench_run / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((bench_run / "results.json").read_text())
    assert len(rows(bench_run)) == 3
    assert len(report["turns"]) == 3
    assert report["checks"]["turns_with_metrics"] == 3
    assert report["run"]["providers"]["profile"] == "zero"
    for metric in ("voice_to_voice_ms", "turn_decision_ms", "llm_ttft_ms", "tts_ttfb_ms", "overhead_ms"):
        summary = report["summary_ms"][metric]
        assert summary["n"] == 3
        assert summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"]


def test_the_parts_of_each_turn_add_up_to_voice_to_voice(bench_run: Path) -> None:
    for row in rows(bench_run):
        assert row["status"] == "ok"
        parts = sum(number(row, f"{part}_ms") for part in PARTS)
        assert parts == pytest.approx(number(row, "voice_to_voice_ms"), abs=0.01)
        assert number(row, "turn_decision_ms") == pytest.approx(
            number(row, "endpointing_ms") + number(row, "stt_wait_ms"), abs=0.01
        )


def test_latencies_are_positive_or_zero_where_nothing_happens(bench_run: Path) -> None:
    for row in rows(bench_run):
        for part in PARTS:
            assert number(row, f"{part}_ms") >= 0.0, part
        # Silero needs 256 ms of silence; with zero-latency providers little else is on the path.
        assert 250.0 <= number(row, "endpointing_ms") <= 300.0
        assert 250.0 <= number(row, "voice_to_voice_ms") < 500.0
        assert number(row, "llm_ttft_ms") > 0.0
        assert number(row, "tts_ttfb_ms") > 0.0
        assert number(row, "stt_final_delay_ms") >= 0.0
        assert number(row, "observed_v2v_ms") > 0.0
    first, with_tool, _ = rows(bench_run)
    assert number(first, "tool_time_ms") == 0.0 and first["tools_called"] == ""
    assert with_tool["tools_called"] == "lookup_order" and with_tool["tools_ok"] == "True"
    assert number(with_tool, "tool_time_ms") > 0.0


def test_a_barge_in_stops_the_agent_right_after_the_interruption_decision(bench_run: Path) -> None:
    barge_in = rows(bench_run)[2]
    assert barge_in["barge_in"] == "True" and barge_in["interrupted"] == "True"
    decision = number(barge_in, "interruption_decision_ms")
    # The configured minimum interruption duration (500 ms of speech, counted from the VAD window where the
    # speech starts, which may begin up to one 32 ms window before the first sample) comes first.
    assert decision >= 500.0 - 32.0
    after = number(barge_in, "stop_after_decision_ms")
    # the last agent frame may have gone out just before the decision (one frame is handed ahead, and the clear
    # at the decision drops it): then the audio stopped "before" the decision, by less than a frame
    assert -20.0 <= after <= 60.0
    assert number(barge_in, "barge_in_stop_ms") == pytest.approx(decision + after, abs=0.01)


def test_first_sentence_counts_the_word_chunks_the_splitter_needs() -> None:
    assert words_to_first_sentence("Sure. What is the order number?") == 1
    assert words_to_first_sentence("It is with UPS. The link is in your email.") == 4
    assert words_to_first_sentence("No sentence break") == 3


def test_scenarios_that_cannot_run_are_rejected_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("turns:\n  - caller: Hi.\n    barge_in_after: 1.0\n")
    with pytest.raises(ScenarioError, match="first turn cannot barge in"):
        load_scenario(str(bad))
    unknown_tool = tmp_path / "tool.yaml"
    unknown_tool.write_text("turns:\n  - caller: Hi.\n    tool_calls: [{name: missing}]\n")
    with pytest.raises(ScenarioError, match="missing"):
        load_scenario(str(unknown_tool))
    with pytest.raises(ScenarioError, match="unknown scenario"):
        load_scenario("no_such_scenario")


@pytest.mark.parametrize("name", ["customer_support", "appointment_booking", "interrupting_caller"])
def test_the_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(name)
    assert len(scenario.turns) >= 3
    if name == "interrupting_caller":
        assert any(turn.barges_in for turn in scenario.turns)
    else:
        assert any(turn.tool_calls for turn in scenario.turns)
