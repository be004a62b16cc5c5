"""What the package declares: every third-party module the runtime imports is a declared dependency, and nothing
Parley declares (base or extras) resolves torch in the lockfile."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_PACKAGES = ("pipeline", "providers", "vad", "turn")
FIRST_PARTY = {*RUNTIME_PACKAGES, "benchmarks", "training", "tests"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match is not None, requirement
    return normalized(match.group(0))


def project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]  # type: ignore[no-any-return]


def imported_top_level_modules() -> dict[str, set[str]]:
    """Top-level module -> the runtime files importing it (anywhere in the file, lazy imports included)."""
    found: dict[str, set[str]] = {}
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_of_the_runtime_is_a_declared_dependency() -> None:
    metadata = project()
    declared = {requirement_name(r) for r in metadata["dependencies"]}  # type: ignore[attr-defined]
    for requirements in metadata["optional-dependencies"].values():  # type: ignore[attr-defined]
        declared |= {requirement_name(r) for r in requirements}
    distributions = packages_distributions()
    undeclared = {}
    for module, files in imported_top_level_modules().items():
        if module in FIRST_PARTY or module in sys.stdlib_module_names:
            continue
        providers = {normalized(d) for d in distributions.get(module, [])}
        if not providers & declared:
            undeclared[module] = (sorted(providers) or ["<not installed>"], sorted(files))
    assert not undeclared, f"imported but not declared in [project] dependencies or extras: {undeclared}"


def test_the_import_scan_sees_third_party_imports() -> None:
    modules = imported_top_level_modules()
    assert {"httpx", "sniffio", "soxr", "onnxruntime", "sounddevice"} <= set(modules)


def locked_packages() -> dict[str, dict[str, object]]:
    with (ROOT / "uv.lock").open("rb") as file:
        return {normalized(p["name"]): p for p in tomllib.load(file)["package"]}


def reachable_from_parley() -> set[str]:
    """Every locked package Parley's base dependencies and extras can pull in (the dev group left out)."""
    packages = locked_packages()
    parley = packages["parley"]
    edges = list(parley.get("dependencies", []))  # type: ignore[call-overload]
    for extra in parley.get("optional-dependencies", {}).values():  # type: ignore[attr-defined]
        edges += extra
    seen: set[str] = set()
    while edges:
        edge = edges.pop()
        name = normalized(edge["name"])
        package = packages[name]
        if name not in seen:
            seen.add(name)
            edges += list(package.get("dependencies", []))  # type: ignore[call-overload]
        for extra in edge.get("extra", []):
            edges += list(package.get("optional-dependencies", {}).get(extra, []))  # type: ignore[attr-defined]
    return seen


def test_nothing_parley_declares_reaches_torch_in_the_lockfile() -> None:
    reachable = reachable_from_parley()
    assert {"onnxruntime", "numpy", "sounddevice", "matplotlib"} <= reachable  # the walk follows extras too
    assert not reachable & {"torch", "torchaudio", "silero-vad", "triton"}
    assert not [name for name in reachable if name.startswith("nvidia-")]


def test_the_lockfile_has_no_torch_at_all() -> None:
    # The dev group's silero-vad has its metadata restated without torch ([[tool.uv.dependency-metadata]]).
    assert not set(locked_packages()) & {"torch", "torchaudio", "triton"}


def test_the_phone_and_postgres_sdks_are_extras_not_base_dependencies() -> None:
    from pipeline.base.extras import EXTRA_MODULES

    metadata = project()
    base = {requirement_name(r) for r in metadata["dependencies"]}  # type: ignore[attr-defined]
    extras = metadata["optional-dependencies"]
    distributions = packages_distributions()
    for extra, modules in EXTRA_MODULES.items():  # what MissingExtraError checks is what the extra installs
        declared = {requirement_name(r) for r in extras[extra]}  # type: ignore[index]
        for module in modules:
            providers = {normalized(d) for d in distributions.get(module, [])}
            assert providers & declared, (extra, module, providers)
            assert not providers & base, f"{module} is a base dependency, not only the {extra!r} extra's"
    assert {"twilio", "plivo", "telnyx", "pynacl"} <= {requirement_name(r) for r in extras["phone"]}  # type: ignore[index]
