"""``parley init [folder]``: a starter project — a config, a tools module and a README — in an empty folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.errors import CliError

CONFIG_FILE = "agent.yaml"
TOOLS_MODULE = "agent_tools"

CONFIG = """\
# A Parley agent. Runs offline as it is (Silero VAD, pocketsphinx, scripted LLM, espeak-ng):
#   parley run --config agent.yaml            (the demo caller; --input call.wav for your own recording)
# For real calls, swap the providers: see the shipped configs (`parley check-config cloud`,
# `parley check-config openai-compatible`) and the Parley README.

audio:
  sample_rate: 16000
  frame_ms: 20

agent:
  instructions: You are a helpful phone agent. Answer in one or two short sentences.
  max_tool_steps: 3

turn:
  eagerness: medium             # high | medium | low | auto

vad:
  kind: silero
  batched: false                # true shares one model run across many concurrent calls

stt:
  provider: pocketsphinx        # deepgram, openai, ...

llm:
  provider: scripted            # openai (any OpenAI-compatible server), ...
  rules:
    - match: "weather|whether|rain|sunny"
      say: "Let me check the weather."
      tool: get_weather
      arguments: {{city: "Paris"}}
      then: "It is {{result[temperature]}} degrees in {{result[city]}}."
    - match: "\\\\bstop\\\\b"
      reply: "Okay, I will stop."
    - match: "bye|that is all|thank"
      reply: "Goodbye, and thank you for calling."
    - match: "hello|\\\\bhi\\\\b|hear|morning"
      reply: "Hello! How can I help you today?"
  fallback: "Sorry, I did not catch that. Could you say it again?"

tts:
  provider: espeak              # elevenlabs, openai, ...
  voice: en-gb

tools:
  - {tools_module}:TOOLS        # 'module:attribute', imported from the folder you run `parley` in
"""

TOOLS = '''\
"""The agent's tools: typed Python functions; the docstring and the type hints become the LLM's tool schema."""

from pipeline import tool


@tool(timeout=2.0)
def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: City name, e.g. Paris.
    """
    return {"city": city.title(), "temperature": 18, "sky": "sunny"}


TOOLS = [get_weather]
'''

README = """\
# My Parley agent

Files:

- `{config}`: the agent — providers (speech-to-text, LLM, text-to-speech), turn-taking, tools.
- `{tools_module}.py`: the tools the LLM can call.

Run from this folder:

```bash
parley check-config {config}             # validate the config, see what it builds
parley run --config {config}             # an offline demo call in real time (--fast: simulated time)
parley run --config {config} --input call.wav
```

In your own server: `Pipeline.from_config("{config}")` (`from pipeline import Pipeline`), then one
`pipeline.session()` per call. See the Parley README for the session API, events and metrics.
"""


def starter_files() -> dict[str, str]:
    """File name -> content of the starter project."""
    names = {"config": CONFIG_FILE, "tools_module": TOOLS_MODULE}
    return {
        CONFIG_FILE: CONFIG.format(**names),
        f"{TOOLS_MODULE}.py": TOOLS,
        "README.md": README.format(**names),
    }


def write_starter_project(folder: Path) -> list[Path]:
    """Write the starter files into ``folder`` (created if missing); refuse a folder that has anything in it."""
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise CliError(f"{folder}: not empty; `parley init` only writes into an empty or new folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in starter_files().items():
        path = folder / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def add_init_command(commands: Any) -> None:
    init = commands.add_parser(
        "init", help="write a starter project (config, tools, README) into an empty folder"
    )
    init.add_argument("folder", nargs="?", default=".", help="an empty or new folder (default: here)")
    init.set_defaults(handler=command_init)


def command_init(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    for path in write_starter_project(folder):
        print(f"wrote {path}")
    where = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder} && "
    print(f"next: {where}parley run --config {CONFIG_FILE}")
    return 0
