"""The browser playground in headless Chromium: a fake microphone plays a generated caller WAV into the page,
the page calls the server's `/ws`, and we check what a person would see and hear — the caller's transcript, the
agent's reply and its tool call, and agent audio arriving at and played by the page's audio worklet.

Needs Debian's `chromium` (/usr/bin/chromium; `.ci/run` installs it) and Playwright's Python API pointed at that
browser (no browser download). Chromium is heavy on a 2-core machine: this is one call of about 10 s."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn

from pipeline.base.audio.wav import write_wav
from pipeline.server.options import ServeOptions
from pipeline.server.run import build_app
from tests.speech_audio import speak

CHROMIUM = Path("/usr/bin/chromium")
RATE = 16000
LOCAL_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "local.yaml"
TOKEN = "playground-test-token"

if not CHROMIUM.exists():
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium; .ci/run installs it when apt-get "
        "is available)",
        allow_module_level=True,
    )
playwright = pytest.importorskip("playwright.sync_api", reason="playwright (dev group) is not installed")


@pytest.fixture(scope="module")
def caller_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Half a second of silence, the question, then silence long enough for the whole answer (Chromium loops
    the file, so the caller asks again only after that)."""
    voice = speak("What is the weather like in Paris today?", RATE, rate_wpm=150)
    samples = np.concatenate([np.zeros(RATE // 2, np.int16), voice, np.zeros(8 * RATE, np.int16)])
    path = tmp_path_factory.mktemp("playground") / "caller.wav"
    write_wav(path, samples, RATE)
    return path


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The real server (offline local config, a token) on 127.0.0.1, in a thread; the page URL carries the token."""
    options = ServeOptions(config=str(LOCAL_CONFIG), host="127.0.0.1", port=0, token=TOKEN)
    server = uvicorn.Server(uvicorn.Config(build_app(options), log_level="warning", lifespan="on"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/?token={TOKEN}"
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


@pytest.fixture
def page(caller_wav: Path) -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",  # grant the microphone without a prompt
                f"--use-file-for-fake-audio-capture={caller_wav}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert errors == [], f"the page threw: {errors}"
        finally:
            browser.close()


def test_a_call_from_the_browser_shows_both_sides_and_plays_the_agent(page: Any, server_url: str) -> None:
    # the recording is clean speech: the browser's echo cancellation / gain control would only alter it
    page.goto(f"{server_url}&processing=off")
    page.click("#start")
    page.wait_for_function(
        "() => window.parley.events.some(e => e.type === 'agent_stopped_speaking')", timeout=90_000
    )

    user_lines = page.locator("#transcript .line.user:not(.interim) .text").all_inner_texts()
    agent_lines = page.locator("#transcript .line.agent .text").all_inner_texts()
    tool_lines = page.locator("#transcript .line.tool .text").all_inner_texts()
    assert any("weather" in line for line in user_lines), user_lines
    assert any("Let me check the weather" in line and "degrees" in line for line in agent_lines), agent_lines
    assert any("get_weather" in line and "ok" in line for line in tool_lines), tool_lines
    assert page.locator("#metrics-body tr").count() >= 1  # the turn's latency breakdown

    state = page.evaluate("() => ({marks: window.parley.marks, audio: window.parley.audio})")
    audio = state["audio"]
    assert audio["receivedMs"] >= 1000, audio  # seconds of the agent's voice reached the page ...
    assert audio["playedMs"] >= 500, audio  # ... and the playback worklet rendered it
    print("playground marks (ms since page load):", json.dumps(state["marks"]))

    page.click("#hangup")
    page.wait_for_function("() => window.parley.state === 'idle'", timeout=10_000)
