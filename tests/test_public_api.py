"""What a user imports: one place (``pipeline``), every name documented, and the README uses nothing else."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pipeline
from tests.test_readme_example import readme_example


def test_every_public_name_resolves_and_every_public_class_has_a_docstring() -> None:
    undocumented = []
    for name in pipeline.__all__:
        value = getattr(pipeline, name)
        if inspect.isclass(value) and not (value.__dict__.get("__doc__") or "").strip():
            undocumented.append(name)
    assert undocumented == []


def test_importing_a_lower_layer_does_not_load_the_session() -> None:
    code = "import sys, providers.stt, vad; print('pipeline.session.session' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_readme_example_imports_only_the_public_api() -> None:
    tree = ast.parse(readme_example())
    modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert modules and all(module == "pipeline" for module in modules if module != "__future__"), modules


def test_unknown_names_fail_like_a_module_attribute() -> None:
    try:
        pipeline.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:
        raise AssertionError("expected AttributeError")
    assert importlib.import_module("pipeline").Pipeline is pipeline.Pipeline


def test_the_agent_features_are_public() -> None:
    for name in (
        "AgentListener",
        "LiveItem",
        "PreemptiveSettings",
        "PreemptiveStarted",
        "PreemptiveCommitted",
        "PreemptiveDiscarded",
        "ToolProgress",
        "ToolResultDelivered",
        "AgentProfile",
        "AgentProviders",
        "Collector",
        "CollectResult",
        "CollectStatus",
        "collector_tool",
        "CollectorStarted",
        "CollectorFinished",
        "McpServerSettings",
        "McpServerStatus",
    ):
        assert name in pipeline.__all__
        assert getattr(pipeline, name).__doc__
