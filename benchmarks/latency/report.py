"""What a run leaves behind: the files in ``--out`` and the summary printed on the terminal."""

from __future__ import annotations

from pathlib import Path

from benchmarks.latency.plot import plot_results
from benchmarks.latency.results import (
    BARGE_IN_METRICS,
    TURN_METRICS,
    checks,
    format_table,
    summarize,
    write_csv,
    write_json,
)
from benchmarks.latency.runner import BenchmarkResult


def write_outputs(out: Path, result: BenchmarkResult) -> None:
    write_json(out / "results.json", result.run, result.records)
    write_csv(out / "turns.csv", result.records)
    events = out / "events"
    events.mkdir(exist_ok=True)
    for session, session_events in result.events.items():
        lines = "".join(event.model_dump_json() + "\n" for event in session_events)
        (events / f"session-{session}.jsonl").write_text(lines, encoding="utf-8")
    label = result.run["providers"].get("profile") or result.run["providers"].get("config")
    run = result.run
    title = f"{run['scenario']} — {label} — {len(result.records)} turns, concurrency {run['concurrency']}"
    plot_results(out / "latency.png", result.records, title)


def print_report(result: BenchmarkResult, out: Path) -> None:
    run = result.run
    providers = run["providers"]
    source = f"profile {providers['profile']}" if "profile" in providers else f"config {providers['config']}"
    print(f"\n{run['scenario']}: {source}, {run['turns_per_session']} turns x {run['concurrency']} sessions")
    taking = run["turn_taking"]
    if providers["mode"] == "simulated":
        print(
            f"turn detection: silence detector, endpointing {1000 * taking['endpointing_delay_s']:.0f} ms "
            f"(Silero min silence {1000 * taking['vad_min_silence_s']:.0f} ms); barge-in after "
            f"{1000 * taking['min_interruption_duration_s']:.0f} ms of caller speech"
            f"{', pause on onset' if taking['pause_on_onset'] else ''}"
            f"{', preemptive ' + taking['preemptive'] if taking.get('preemptive', 'off') != 'off' else ''}"
        )
    else:
        print(
            f"turn detection (from the config): {taking['detector']} detector, "
            f"eagerness {taking['eagerness']}"
        )
    print()
    print(format_table("latency per turn", summarize(result.records), TURN_METRICS))
    barge_in = summarize(result.records, BARGE_IN_METRICS)
    if barge_in:
        print()
        print(format_table("barge-in", barge_in, BARGE_IN_METRICS))
    found = checks(result.records)
    early = found["turns_decided_before_the_caller_finished"]
    if early:
        print(
            f"\nwarning: {early} turn(s) decided before the caller finished (the VAD heard a pause inside "
            "the utterance): see early_decision in turns.csv"
        )
    print(
        f"\n{found['turns_with_metrics']}/{found['turns']} turns measured; tool calls as expected in "
        f"{found['tool_calls_as_expected']}/{found['turns']}; barge-ins interrupted the agent in "
        f"{found['barge_ins_interrupted']}/{found['barge_ins']}"
    )
    print(f"results: {out / 'results.json'}, {out / 'turns.csv'}, {out / 'latency.png'}, {out / 'events'}/")
