"""Third-party providers register through the ``parley.providers`` entry-point group."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from providers import registry as registry_module
from providers.registry import ProviderRegistry, ProviderSpec, UnknownProviderError


class AcmeOptions(BaseModel):
    model: str = "acme-1"


ACME = ProviderSpec(
    kind="llm", name="acme", options=AcmeOptions, build=lambda options: ("acme", options.model)
)


@dataclass
class FakeEntryPoint:
    name: str
    target: object

    def load(self) -> object:
        return self.target


def test_entry_point_providers_resolve_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [FakeEntryPoint("acme", ACME)])
    providers = ProviderRegistry(builtins={})
    spec = providers.get("llm", "acme")
    assert spec.build(spec.options()) == ("acme", "acme-1")
    assert providers.names("llm") == ["acme"]


def test_unknown_provider_lists_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [FakeEntryPoint("acme", ACME)])
    with pytest.raises(UnknownProviderError, match=r"unknown llm provider 'acme2' \(known: acme\)"):
        ProviderRegistry(builtins={}).get("llm", "acme2")


def test_an_entry_point_that_is_not_a_spec_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [FakeEntryPoint("broken", object())])
    with pytest.raises(TypeError, match=r"'broken'.*not a ProviderSpec"):
        ProviderRegistry(builtins={}).get("llm", "anything")


def test_builtin_names_load_lazily() -> None:
    providers = ProviderRegistry()
    assert {"pocketsphinx", "deepgram", "deepgram-flux", "openai"} <= set(providers.names("stt"))
    assert providers.get("tts", "espeak").name == "espeak"
