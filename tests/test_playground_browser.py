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
    """A second of silence (the page's audio starts meanwhile), the question, then silence long enough for the
    whole answer (Chromium loops the file, so the caller asks again only after that)."""
    voice = speak("What is the weather like in Paris today?", RATE, rate_wpm=150)
    samples = np.concatenate([np.zeros(RATE, np.int16), voice, np.zeros(8 * RATE, np.int16)])
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


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        yield driver


def launch(driver: Any, microphone: Path) -> Any:
    """Chromium whose microphone plays ``microphone`` (in a loop), granted without a prompt."""
    return driver.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


@pytest.fixture(scope="module")
def browser(driver: Any, caller_wav: Path) -> Iterator[Any]:
    browser = launch(driver, caller_wav)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
        assert errors == [], f"the page threw: {errors}"
    finally:
        page.close()


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

    # the page reports how much of the reply it really played (PROTOCOL.md `played`): all of it, here
    stopped = page.evaluate("() => window.parley.events.find(e => e.type === 'agent_stopped_speaking')")
    page.wait_for_function(
        "([id, seconds]) => (window.parley.played[id] ?? 0) >= seconds - 0.1",
        arg=[stopped["speech_id"], stopped["played_seconds"]],
        timeout=10_000,
    )
    played = page.evaluate("() => window.parley.played")
    assert abs(played[stopped["speech_id"]] - stopped["played_seconds"]) < 0.3, (played, stopped)

    assert page.evaluate("() => window.parley.closed") is None  # the server took every message the page sent

    page.click("#hangup")
    page.wait_for_function("() => window.parley.closed !== null", timeout=15_000)
    assert page.evaluate("() => window.parley.closed.code") == 1000  # `end`, then the server closes normally


STORY = (
    "Once upon a time there was a small robot who lived in a lighthouse by the sea. Every night it counted the "
    "ships that passed, and every morning it wrote their names in a big blue book."
)


@pytest.fixture(scope="module")
def barge_in_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Silence while the agent starts a long story (the page's `say`), then the caller talks over it."""
    stop = speak("Stop stop, wait a moment please.", RATE, rate_wpm=150)
    silence = lambda seconds: np.zeros(int(seconds * RATE), np.int16)  # noqa: E731
    samples = np.concatenate([silence(4), stop, silence(30)])
    path = tmp_path_factory.mktemp("playground") / "barge_in.wav"
    write_wav(path, samples, RATE)
    return path


def test_a_barge_in_flushes_the_agent_audio_in_the_page(
    driver: Any, barge_in_wav: Path, server_url: str
) -> None:
    browser = launch(driver, barge_in_wav)
    try:
        page = browser.new_page()
        page.goto(f"{server_url}&processing=off")
        page.click("#start")
        page.wait_for_function("() => window.parley.state === 'in call'", timeout=30_000)
        page.fill("#say-text", STORY)  # the page's `say` control: the agent starts the story at once
        page.click("#say-form button[type=submit]")
        page.wait_for_function(
            "() => window.parley.events.some(e => e.type === 'agent_stopped_speaking')", timeout=60_000
        )
        page.wait_for_timeout(500)  # anything of that speech still to come would arrive now
        state = page.evaluate(
            """() => ({
                stopped: window.parley.events.find(e => e.type === 'agent_stopped_speaking'),
                clearAt: window.parley.marks.firstClear ?? null,
                audio: window.parley.audio,
                played: window.parley.played,
            })"""
        )
        print("barge-in:", json.dumps(state))
        stopped, audio = state["stopped"], state["audio"]
        assert stopped["interrupted"] and stopped["text"] == STORY, stopped  # the caller cut the story short
        assert state["clearAt"] is not None and audio["clears"] >= 1, state  # the server said `clear` ...
        assert audio["bufferedMs"] == 0, audio  # ... and the page dropped what it held
        assert (
            page.locator("#transcript .line.agent.interrupted").count() == 1
        )  # heard part shown, rest struck
        # the page stopped playing that speech at the clear, and the server's account of it is what the page played
        played = state["played"][stopped["speech_id"]]
        assert abs(played - stopped["played_seconds"]) < 0.3, state
        assert played < 9, state  # well short of the whole story (about 11 s)
    finally:
        browser.close()


RESAMPLE_TONES = """async () => {
  const { Resampler } = await import("./resampler.js");
  const tone = (frequency) => {
    const resampler = new Resampler(48000, 16000);
    const out = [];
    for (let block = 0; block < 375; block++) {  // 1 s in render quanta of 128 samples
      const input = new Float32Array(128);
      for (let i = 0; i < 128; i++) input[i] = 0.5 * Math.sin((2 * Math.PI * frequency * (block * 128 + i)) / 48000);
      out.push(...resampler.process(input));
    }
    const steady = out.slice(1600, 14400);  // skip the filter's start
    let s = 0, c = 0, energy = 0;
    steady.forEach((x, n) => {
      s += x * Math.sin((2 * Math.PI * frequency * n) / 16000);
      c += x * Math.cos((2 * Math.PI * frequency * n) / 16000);
      energy += x * x;
    });
    return { samples: out.length, amplitude: (2 * Math.hypot(s, c)) / steady.length, rms: Math.sqrt(energy / steady.length) };
  };
  return { speech: tone(1000), aliased: tone(12000) };
}"""


def test_the_capture_worklet_resamples_48k_to_16k_without_aliasing(page: Any, server_url: str) -> None:
    page.goto(server_url)
    result = page.evaluate(RESAMPLE_TONES)
    speech, aliased = result["speech"], result["aliased"]
    assert abs(speech["samples"] - 16000) <= 32, speech  # 1 s in, 1 s out
    assert 0.49 <= speech["amplitude"] <= 0.51, speech  # a tone in the speech band passes unchanged
    assert aliased["rms"] < 0.005, aliased  # 12 kHz (above 8 kHz) would fold to 4 kHz: filtered out instead


CLEAR_WHILE_PLAYING = """async () => {
  const context = new AudioContext();
  await context.audioWorklet.addModule("./playback-worklet.js");
  const node = new AudioWorkletNode(context, "parley-playback", {
    numberOfInputs: 0, outputChannelCount: [1],
    processorOptions: { sourceRate: 16000, prerollMs: 60, maxBufferMs: 60000 },
  });
  node.connect(context.destination);
  await context.resume();
  let latest = null, cleared = null;
  node.port.onmessage = ({ data }) => { latest = data.stats; if (data.type === "cleared") cleared = data; };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let chunk = 0; chunk < 150; chunk++) {  // 3 s of a tone, in 20 ms frames, all at once
    const pcm = new Int16Array(320);
    for (let i = 0; i < 320; i++) pcm[i] = 8000 * Math.sin((2 * Math.PI * 440 * (chunk * 320 + i)) / 16000);
    node.port.postMessage({ type: "audio", pcm: pcm.buffer }, [pcm.buffer]);
  }
  await sleep(400);
  const beforeClear = latest;
  node.port.postMessage({ type: "clear" });
  while (!cleared) await sleep(5);
  await sleep(400);
  const afterClear = latest;
  await context.close();
  return { beforeClear, cleared, afterClear };
}"""


def test_clear_drops_all_queued_agent_audio_at_once(page: Any, server_url: str) -> None:
    page.goto(server_url)
    result = page.evaluate(CLEAR_WHILE_PLAYING)
    before, cleared, after = result["beforeClear"], result["cleared"], result["afterClear"]
    assert before["state"] == "playing" and before["playedMs"] > 100, before
    assert cleared["droppedMs"] > 2000, cleared  # the rest of the 3 s never plays
    assert after["bufferedMs"] == 0 and after["state"] == "idle", after
    # nothing more is played after the clear (at most the render quantum in flight)
    assert after["playedMs"] - cleared["stats"]["playedMs"] <= 3, (cleared, after)
