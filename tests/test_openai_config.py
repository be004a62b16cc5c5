"""configs/openai-compatible.yaml and the OpenAI options: defaults to a local Ollama without a key, follows the
environment, talks to whatever server OPENAI_BASE_URL names; a missing key for api.openai.com is reported."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

import anyio
import pytest

from pipeline.session.config import ConfigError, parse_config
from pipeline.session.pipeline import Pipeline
from providers.llm import ChatMessage, LlmRequest, Role, TextDelta
from providers.openai.llm import OpenAILlm
from tests.fakes.openai import FakeOpenAI

pytestmark = pytest.mark.vendor_sdk

CONFIG = Path(__file__).parent.parent / "pipeline" / "configs" / "openai-compatible.yaml"


def test_defaults_to_a_local_ollama_without_a_key() -> None:
    loaded = parse_config(CONFIG.read_text(), source=str(CONFIG), environ={})
    (llm,) = loaded.llm
    assert llm.spec.name == "openai"
    options = llm.options
    assert (options.base_url, options.model) == ("http://localhost:11434/v1", "llama3.2")  # type: ignore[attr-defined]
    assert options.resolved_api_key() == "EMPTY"  # type: ignore[attr-defined]
    assert (loaded.stt.spec.name, loaded.tts.spec.name) == ("pocketsphinx", "espeak")


def test_the_environment_picks_server_model_and_key_and_the_key_never_prints() -> None:
    environ = {
        "OPENAI_BASE_URL": "http://gpu-box:8000/v1",
        "LLM_MODEL": "Qwen/Qwen2.5-7B",
        "OPENAI_API_KEY": "sk-x1",
    }
    loaded = parse_config(CONFIG.read_text(), source=str(CONFIG), environ=environ)
    options = loaded.llm[0].options
    assert (options.base_url, options.model) == ("http://gpu-box:8000/v1", "Qwen/Qwen2.5-7B")  # type: ignore[attr-defined]
    assert options.resolved_api_key() == "sk-x1"  # type: ignore[attr-defined]
    assert "sk-x1" not in repr(loaded.config) and "sk-x1" not in str(loaded.config.model_dump())


def test_api_openai_com_without_a_key_is_a_config_error_naming_the_variable() -> None:
    text = "stt: {provider: pocketsphinx}\nllm: {provider: openai, model: gpt-4o-mini}\ntts: {provider: espeak}\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, environ={})
    assert any(p.startswith("llm:") and "OPENAI_API_KEY" in p for p in info.value.problems)
    loaded = parse_config(text, environ={"OPENAI_API_KEY": "sk-from-env"})
    assert loaded.llm[0].options.resolved_api_key() == "sk-from-env"  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_the_config_talks_to_the_server_it_names() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        fake.replies.push("Hello from the local model.")
        loaded = parse_config(CONFIG.read_text(), environ={"OPENAI_BASE_URL": fake.base_url})
        llm = Pipeline.from_config(loaded).llm
        assert isinstance(llm, OpenAILlm)
        try:
            with anyio.fail_after(5):
                request = LlmRequest(messages=(ChatMessage(Role.USER, "hi"),))
                async with aclosing(llm.stream(request)) as chunks:
                    text = "".join([c.text async for c in chunks if isinstance(c, TextDelta)])
        finally:
            await llm.aclose()
    assert text == "Hello from the local model."
    assert fake.requests[0].body["model"] == "llama3.2"
