"""Playground: time from page load to the first agent audio, measured in headless Chromium (Debian's
/usr/bin/chromium through Playwright) against the real server on 127.0.0.1 with the offline local config.

Two scenarios: `greeting` (the agent speaks first: a fixed greeting, the caller silent) and `answer` (the caller
asks "What is the weather like in Paris today?" after 0.5 s; first audio is the answer). Times come from the
page's own marks (performance.now(), ms since navigation start), so they include loading the page, opening the
microphone and the AudioWorklets, the WebSocket handshake and the jitter buffer's pre-roll.

    uv run python -m benchmarks.playground_first_audio [--runs 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import soxr
import uvicorn
import yaml
from playwright.sync_api import sync_playwright

from pipeline.base.audio.wav import write_wav
from pipeline.server.options import ServeOptions
from pipeline.server.run import build_app
from providers.local.espeak_engine import EspeakEngine

ROOT = Path(__file__).resolve().parents[1]
RATE = 16000
TOKEN = "bench-token"
GREETING = "Hello! This is Parley. How can I help you today?"
MARKS = ("pageReady", "callStarted", "microphoneOpen", "socketOpen", "ready", "firstAgentAudioReceived")


def caller_wav(path: Path, question: str | None) -> float:
    """Writes the fake microphone's file; returns where the caller's speech ends in it (s)."""
    pieces = [np.zeros(RATE // 2, np.int16)]
    if question:
        speech = EspeakEngine.shared().synthesize(question, voice="en-us", rate_wpm=150, pitch=50)
        pieces.append(soxr.resample(speech.samples, speech.sample_rate, RATE).astype(np.int16))
    speech_end = sum(piece.size for piece in pieces) / RATE
    pieces.append(np.zeros(10 * RATE, np.int16))
    write_wav(path, np.concatenate(pieces), RATE)
    return speech_end


def config_file(directory: Path, greets: bool) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "local.yaml").read_text())
    if greets:
        config["agent"].update(speaks_first="agent", greeting=GREETING)
    path = directory / ("greeting.yaml" if greets else "local.yaml")
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def running_server(config: Path) -> Iterator[str]:
    options = ServeOptions(config=str(config), host="127.0.0.1", port=0, token=TOKEN)
    server = uvicorn.Server(uvicorn.Config(build_app(options), log_level="warning", lifespan="on"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/?token={TOKEN}&processing=off"
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


def one_call(url: str, wav: Path) -> dict[str, Any]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            page = browser.new_page()
            page.goto(url)
            page.click("#start")
            page.wait_for_function("() => 'firstAgentAudioPlayed' in window.parley.marks", timeout=60_000)
            marks: dict[str, Any] = page.evaluate("() => window.parley.marks")
            marks["turnMetrics"] = page.evaluate(
                "() => window.parley.events.filter(e => e.type === 'turn_metrics').map(e => e.voice_to_voice)"
            )
            page.click("#hangup")
            return marks
        finally:
            browser.close()


def summarize(name: str, runs: list[dict[str, Any]], speech_end: float) -> None:
    def stat(values: list[float]) -> str:
        return f"median {statistics.median(values):7.0f} ms   min {min(values):7.0f}   max {max(values):7.0f}"

    print(f"\n{name} ({len(runs)} runs)")
    print(f"  page load -> first agent audio played   {stat([r['firstAgentAudioPlayed'] for r in runs])}")
    print(
        f"  'Start call' -> first agent audio played {stat([r['firstAgentAudioPlayed'] - r['callStarted'] for r in runs])}"
    )
    for mark in MARKS:
        print(f"    page load -> {mark:<24} {stat([r[mark] for r in runs if mark in r])}")
    if speech_end > 0.5:
        # the fake microphone starts its file when the capture opens: the caller stops at open + speech_end
        heard = [r["firstAgentAudioPlayed"] - (r["microphoneOpen"] + 1000 * speech_end) for r in runs]
        print(f"  caller stops -> first agent audio played  {stat(heard)}   (in the page, approximate)")
        served = [1000 * r["turnMetrics"][0] for r in runs if r["turnMetrics"]]
        if served:
            print(f"  voice-to-voice of the server's turn_metrics {stat(served)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        for name, greets, question in (
            ("greeting", True, None),
            ("answer", False, "What is the weather like in Paris today?"),
        ):
            wav = directory / f"{name}.wav"
            speech_end = caller_wav(wav, question)
            with running_server(config_file(directory, greets)) as url:
                summarize(name, [one_call(url, wav) for _ in range(args.runs)], speech_end)


if __name__ == "__main__":
    main()
