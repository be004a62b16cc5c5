"""Hardening (issue 18, items 10 and 11 and the minor config items): every bad config is one clear error, and no
config costs unbounded time or memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.session.config import ConfigError, load_config
from tests.test_config import VALID, parse, problems


def test_a_yaml_alias_bomb_is_refused_quickly() -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    found = problems(VALID + "\n".join(levels) + "\n")
    assert len(found) == 1 and "expands to more than" in found[0]


def test_deep_nesting_is_one_error() -> None:
    found = problems(VALID + "deep: " + "[" * 5000 + "]" * 5000 + "\n")
    assert len(found) == 1 and "nested deeper" in found[0]


def test_duplicate_keys_are_refused() -> None:
    found = problems(VALID + "turn: {detector: silence}\nturn: {detector: semantic}\n")
    assert len(found) == 1 and "duplicate key 'turn'" in found[0]


def test_a_non_utf8_config_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_bytes(VALID.encode() + b"# caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_a_huge_config_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(VALID + "#" + "x" * 2_000_000 + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_config(path)


def test_a_lone_reference_with_a_number_default_types_as_a_number() -> None:
    loaded = parse(VALID + "audio: {sample_rate: '${RATE:-8000}'}\n", {})
    assert loaded.settings.audio.sample_rate == 8000


def test_a_double_dollar_is_a_literal_reference() -> None:
    loaded = parse(VALID + "agent: {instructions: 'Say $${NAME} literally.'}\n", {})
    assert loaded.settings.agent.instructions == "Say ${NAME} literally."


def test_a_tool_module_that_raises_at_import_is_one_error() -> None:
    found = problems(VALID + "tools: ['tests.hardening_tools.raises_at_import:lookup']\n")
    assert found == [
        "tools[0]: importing 'tests.hardening_tools.raises_at_import' raised RuntimeError: database not configured"
    ]


def test_a_tool_target_that_is_not_callable_is_one_error() -> None:
    found = problems(VALID + "tools: ['tests.hardening_tools.not_callable:LOOKUP']\n")
    assert found == ["tools[0]: 'tests.hardening_tools.not_callable:LOOKUP' is not a function or a Tool"]


def test_a_missing_audio_turn_model_is_caught_by_the_check() -> None:
    found = problems(VALID + "turn: {detector: semantic, audio_model_path: /no/such/model.onnx}\n")
    assert found == ["turn.audio_model_path: no such file: /no/such/model.onnx"]
