"""The architecture's layers (pyproject's import-linter contracts) hold, and the check catches a violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from importlinter import configuration
from importlinter.application import use_cases

configuration.configure()
use_cases._register_built_in_contract_types()

ROOT = Path(__file__).resolve().parents[1]


def broken_contracts(monkeypatch: pytest.MonkeyPatch, *extra_imports: tuple[str, str]) -> list[str]:
    build = use_cases._build_graph

    def with_extra_imports(**kwargs: Any) -> Any:
        graph = build(**kwargs)
        for importer, imported in extra_imports:
            graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="(test)")
        return graph

    monkeypatch.setattr(use_cases, "_build_graph", with_extra_imports)
    monkeypatch.chdir(ROOT)
    options = use_cases.read_user_options(config_filename=str(ROOT / "pyproject.toml"))
    report = use_cases.create_report(options, cache_dir=None)
    return [contract.name for contract, check in report.get_contracts_and_checks() if not check.kept]


def test_every_layer_contract_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert broken_contracts(monkeypatch) == []


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        ("pipeline.base.channel", "pipeline.session.session", "Layers"),
        ("providers.openai.llm", "pipeline.floor.controller", "Layers"),
        ("turn.detector", "providers.stt", "Providers, VAD and turn-taking"),
        ("pipeline.stages.reply", "benchmarks.timing", "The runtime never imports"),
    ],
)
def test_an_import_against_the_layers_is_caught(
    monkeypatch: pytest.MonkeyPatch, importer: str, imported: str, contract: str
) -> None:
    broken = broken_contracts(monkeypatch, (importer, imported))
    assert any(name.startswith(contract) for name in broken), broken
