"""YAML config: every kind of mistake is reported with its key path and a specific message, secrets come from the
config, ``${VAR}`` or the provider's env var, and they never print."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.session.config import ConfigError, LoadedConfig, load_config, parse_config
from pipeline.stages.tools import Tool, tool
from providers.options import ProviderOptions, env_field
from providers.registry import ProviderRegistry, ProviderSpec

SECRET = "sk-test-5up3r-s3cret"


class KeyedOptions(ProviderOptions):
    model: str = "m1"
    api_key: SecretStr = env_field("TEST_API_KEY")
    speed: float = 1.0


class PlainOptions(ProviderOptions):
    model: str = "small"


def build_keyed(options: KeyedOptions) -> tuple[str, str]:
    return ("keyed", options.model)


def make_registry() -> ProviderRegistry:
    providers = ProviderRegistry(builtins={})
    for kind in ("stt", "llm", "tts"):
        providers.register(ProviderSpec(kind, "keyed", KeyedOptions, build_keyed))
        providers.register(
            ProviderSpec(kind, "plain", PlainOptions, lambda options: ("plain", options.model))
        )
    return providers


@pytest.fixture(autouse=True)
def no_real_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_API_KEY", raising=False)


VALID = f"""
stt: {{provider: plain}}
llm: {{provider: plain, model: big}}
tts:
  provider: keyed
  api_key: {SECRET}
  speed: 1.5
"""


def parse(text: str, environ: dict[str, str] | None = None) -> LoadedConfig:
    return parse_config(text, source="agent.yaml", providers=make_registry(), environ=environ or {})


def problems(text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(text, environ)
    error = caught.value
    assert error.source == "agent.yaml"
    assert str(error) == "agent.yaml: " + "; ".join(error.problems)
    return error.problems


# --- valid configs -------------------------------------------------------------------------------------------


def test_valid_config_loads_providers_and_settings() -> None:
    loaded = parse(VALID + "turn: {detector: silence, endpointing_delay: 0.8}\naudio: {sample_rate: 8000}\n")
    assert loaded.source == "agent.yaml"
    assert loaded.stt.spec.name == "plain"
    assert loaded.stt.options == PlainOptions(model="small")
    assert len(loaded.llm) == 1
    assert loaded.llm[0].build() == ("plain", "big")
    options = loaded.tts.options
    assert isinstance(options, KeyedOptions)
    assert options.api_key.get_secret_value() == SECRET
    assert options.speed == 1.5
    assert loaded.tts.build() == ("keyed", "m1")
    assert loaded.settings.turn.endpointing_delay == 0.8
    assert loaded.settings.audio.sample_rate == 8000
    assert loaded.settings.agent.max_tool_steps == 5  # defaults fill the rest
    assert loaded.tools == ()


def test_llm_fallback_list() -> None:
    loaded = parse(
        VALID.replace(
            "llm: {provider: plain, model: big}", "llm: [{provider: plain}, {provider: keyed, api_key: k}]"
        )
    )
    assert [choice.spec.name for choice in loaded.llm] == ["plain", "keyed"]


def test_api_key_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_API_KEY", "sk-from-env")
    text = "stt: {provider: plain}\nllm: {provider: plain}\ntts: {provider: keyed}\n"
    loaded = parse_config(text, source="agent.yaml", providers=make_registry())  # environ: the process's
    assert loaded.tts.options.api_key.get_secret_value() == "sk-from-env"  # type: ignore[attr-defined]


def test_api_key_from_the_given_environ() -> None:
    loaded = parse(
        "stt: {provider: plain}\nllm: {provider: plain}\ntts: {provider: keyed}\n", {"TEST_API_KEY": "sk-env"}
    )
    assert loaded.tts.options.api_key.get_secret_value() == "sk-env"  # type: ignore[attr-defined]


def test_env_interpolation_and_defaults() -> None:
    loaded = parse(
        "stt: {provider: plain, model: '${STT_MODEL:-nova}'}\n"
        "llm: {provider: plain, model: 'gpt-${SIZE}-x'}\n"
        "tts: {provider: keyed, api_key: '${KEY}', model: '${EMPTY:-fallback}'}\n"
        "agent: {instructions: 'Be ${MOOD:-kind}.'}\n",
        {"KEY": SECRET, "SIZE": "4o", "EMPTY": "", "MOOD": "brief"},
    )
    assert loaded.stt.options.model == "nova"  # type: ignore[attr-defined]
    assert loaded.llm[0].options.model == "gpt-4o-x"  # type: ignore[attr-defined]
    assert loaded.tts.options.model == "fallback"  # type: ignore[attr-defined]  # an empty var counts as unset
    assert loaded.tts.options.api_key.get_secret_value() == SECRET  # type: ignore[attr-defined]
    assert loaded.settings.agent.instructions == "Be brief."


# --- mistakes, each with its path and message -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("foo: 1\n", "foo: unknown key"),
        ("turn: {endpointing_dela: 1}\n", "turn.endpointing_dela: unknown key"),
        ("audio: {sample_rate: fast}\n", "audio.sample_rate: Input should be 8000 or 16000"),
        (
            "turn: {detector: silence, endpointing_delay: 9}\n",
            "turn.endpointing_delay: Input should be less than or equal to 5",
        ),
        ("turn: {endpointing_delay: 0.4}\n", "turn: Value error, endpointing_delay is the silence detector"),
        ("agent: {max_tool_steps: -1}\n", "agent.max_tool_steps: Input should be greater than or equal to 0"),
        ("turn: {stt_timeout: soon}\n", "turn.stt_timeout: Input should be a valid number"),
    ],
    ids=[
        "top-level-key",
        "nested-key",
        "wrong-type",
        "out-of-range",
        "wrong-detector",
        "negative",
        "not-a-number",
    ],
)
def test_settings_mistakes(extra: str, expected: str) -> None:
    found = problems(VALID + extra)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_missing_section() -> None:
    assert problems("stt: {provider: plain}\nllm: {provider: plain}\n") == ["tts: required"]


def test_missing_provider_name_lists_the_choices() -> None:
    assert problems(VALID.replace("stt: {provider: plain}", "stt: {model: x}")) == [
        "stt.provider: required (one of: keyed, plain)"
    ]


def test_unknown_provider_name_lists_the_known() -> None:
    assert problems(VALID.replace("stt: {provider: plain}", "stt: {provider: deepgrm}")) == [
        "stt.provider: unknown stt provider 'deepgrm' (known: keyed, plain)"
    ]


def test_unknown_provider_option() -> None:
    assert problems(VALID.replace("stt: {provider: plain}", "stt: {provider: plain, modle: x}")) == [
        "stt.modle: unknown key"
    ]


def test_wrong_provider_option_type() -> None:
    (found,) = problems(VALID.replace("speed: 1.5", "speed: quick"))
    assert found.startswith("tts.speed: Input should be a valid number")


def test_missing_api_key_names_the_env_var_and_path() -> None:
    assert problems("stt: {provider: plain}\nllm: {provider: plain}\ntts: {provider: keyed}\n") == [
        "tts.api_key: required; set the TEST_API_KEY environment variable"
    ]


@pytest.mark.parametrize("value", ["''", ""], ids=["empty", "null"])
def test_blank_api_key_is_a_missing_secret(value: str) -> None:
    assert problems(
        f"stt: {{provider: plain}}\nllm: {{provider: plain}}\ntts: {{provider: keyed, api_key: {value}}}\n"
    ) == ["tts.api_key: required; set the TEST_API_KEY environment variable"]


def test_missing_env_var_in_interpolation() -> None:
    found = problems(
        "stt: {provider: plain}\nllm: [{provider: plain}, {provider: keyed, api_key: '${LLM_KEY}'}]\n"
        "tts: {provider: plain}\n"
    )
    assert found == ["llm[1].api_key: environment variable LLM_KEY is not set"]


def test_invalid_yaml_names_the_line() -> None:
    (found,) = problems("stt: {provider: plain}\nllm: {provider: plain\ntts: x\n")
    assert found.startswith("line 3, column 4: invalid YAML")


@pytest.mark.parametrize("text", ["- stt\n- llm\n", "just text\n", ""], ids=["list", "scalar", "empty"])
def test_config_must_be_a_mapping(text: str) -> None:
    assert problems(text) == ["the config must be a mapping of sections (stt, llm, tts, ...)"]


def test_llm_fallback_list_errors_carry_the_index() -> None:
    found = problems(
        "stt: {provider: plain}\nllm: [{provider: plain}, {model: x}, {provider: gpt}, {provider: plain, tmp: 1}]\n"
        "tts: {provider: plain}\n"
    )
    assert found == [
        "llm[1].provider: required (one of: keyed, plain)",
        "llm[2].provider: unknown llm provider 'gpt' (known: keyed, plain)",
        "llm[3].tmp: unknown key",
    ]


def test_empty_llm_fallback_list() -> None:
    assert problems("stt: {provider: plain}\nllm: []\ntts: {provider: plain}\n") == [
        "llm: the fallback list is empty"
    ]


def test_all_problems_are_reported_together() -> None:
    found = problems("stt: {provider: nope}\nllm: {provider: plain, x: 1}\ntts: {provider: keyed}\n")
    assert found == [
        "stt.provider: unknown stt provider 'nope' (known: keyed, plain)",
        "llm.x: unknown key",
        "tts.api_key: required; set the TEST_API_KEY environment variable",
    ]


# --- tools ---------------------------------------------------------------------------------------------------


def lookup_order(order_id: str) -> str:
    """Look up an order."""
    return order_id


@tool
async def cancel_order(order_id: str) -> str:
    return order_id


TOOL_LIST = [lookup_order, cancel_order]


def unannotated(order_id):  # type: ignore[no-untyped-def]
    return order_id


BASE = "stt: {provider: plain}\nllm: {provider: plain}\ntts: {provider: plain}\n"


def test_tools_are_imported() -> None:
    loaded = parse(BASE + f"tools: ['{__name__}:lookup_order', '{__name__}:TOOL_LIST']\n")
    assert all(isinstance(item, Tool) for item in loaded.tools)
    assert [item.name for item in loaded.tools] == ["lookup_order", "lookup_order", "cancel_order"]
    assert loaded.tools[0].schema.description == "Look up an order."


def test_tool_import_errors_carry_the_index() -> None:
    found = problems(
        BASE + f"tools: [no_colon, 'no_such_module_xyz:f', 'os:no_such_attr', '{__name__}:unannotated']\n"
    )
    assert found[0] == "tools[0]: expected 'module:function', got 'no_colon'"
    assert found[1] == "tools[1]: cannot import 'no_such_module_xyz:f' (No module named 'no_such_module_xyz')"
    assert found[2].startswith("tools[2]: cannot import 'os:no_such_attr' (")
    assert found[3].startswith(f"tools[3]: '{__name__}:unannotated' is not a usable tool (")
    assert "parameter 'order_id' needs a type annotation" in found[3]
    assert len(found) == 4


# --- files ---------------------------------------------------------------------------------------------------


def test_load_config_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, providers=make_registry())
    assert str(caught.value) == (
        f"{path}: no such file (shipped configs, loadable by name: cloud, local, openai-compatible, smollm2)"
    )


def test_load_config_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(VALID, encoding="utf-8")
    loaded = load_config(path, providers=make_registry())
    assert loaded.source == str(path)
    assert loaded.tts.options.api_key.get_secret_value() == SECRET  # type: ignore[attr-defined]


def test_load_config_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(VALID + "foo: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: foo: unknown key"):
        load_config(path, providers=make_registry())


# --- secrets never print -------------------------------------------------------------------------------------


def test_config_errors_never_contain_the_secret() -> None:
    texts = [
        VALID.replace("speed: 1.5", f"speed: {SECRET}"),  # a secret where a number belongs
        VALID.replace("api_key:", "api_kye:"),  # misspelt key holding the secret
        VALID + "foo: 1\n",
        VALID.replace("stt: {provider: plain}", "stt: {provider: nope}"),
    ]
    for text in texts:
        with pytest.raises(ConfigError) as caught:
            parse(text)
        assert SECRET not in str(caught.value)
        assert SECRET not in repr(caught.value)


def test_loaded_options_repr_hides_the_secret() -> None:
    loaded = parse(VALID)
    assert SECRET not in repr(loaded.tts.options)
    assert SECRET not in str(loaded.tts.options)
    assert SECRET not in repr(loaded.tts)
    assert SECRET not in loaded.tts.options.model_dump_json()


def test_interpolated_secret_is_hidden_in_options() -> None:
    loaded = parse(VALID.replace(SECRET, "${KEY}"), {"KEY": SECRET})
    assert loaded.tts.options.api_key.get_secret_value() == SECRET  # type: ignore[attr-defined]
    assert SECRET not in repr(loaded.tts)


def test_loaded_config_repr_hides_the_secret() -> None:
    loaded = parse(VALID)
    assert SECRET not in repr(loaded)
    assert SECRET not in loaded.config.model_dump_json()
