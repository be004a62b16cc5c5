"""The deployment files, checked offline against the server they deploy: the probes hit real routes, the grace
period covers the drain, the autoscaler scales on the gauge /metrics exports, the pieces point at each other."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml
from starlette.routing import Route

from pipeline.cli.main import build_parser
from pipeline.server.app import ACTIVE_SESSIONS_METRIC, create_app
from pipeline.server.options import ServeOptions
from tests.server_harness import simple_pipeline

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def manifests() -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            documents[document["kind"]] = document
    return documents


def container() -> dict[str, Any]:
    spec = manifests()["Deployment"]["spec"]["template"]["spec"]
    (parley,) = spec["containers"]
    return dict(parley)


def server_paths(method: str = "GET") -> set[str]:
    app = create_app(simple_pipeline(), ServeOptions())
    return {
        route.path
        for route in app.routes
        if isinstance(route, Route) and route.methods is not None and method in route.methods
    }


def serve_args() -> Any:
    return build_parser().parse_args(["serve", *container()["args"]])


def test_the_probes_hit_routes_the_server_has() -> None:
    parley = container()
    paths = server_paths()
    assert parley["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
    assert parley["livenessProbe"]["httpGet"]["path"] in paths
    port_names = {port["name"]: port["containerPort"] for port in parley["ports"]}
    assert parley["readinessProbe"]["httpGet"]["port"] in port_names
    assert port_names["http"] == 8000


def test_the_grace_period_covers_the_drain_and_the_prestop_starts_it() -> None:
    spec = manifests()["Deployment"]["spec"]["template"]["spec"]
    args = serve_args()
    assert spec["terminationGracePeriodSeconds"] >= args.drain_deadline + 10
    command = container()["lifecycle"]["preStop"]["exec"]["command"]
    assert command[:3] == ["python", "-m", "pipeline.server.drain"]
    importlib.import_module("pipeline.server.drain")
    wait = float(command[command.index("--wait") + 1])
    assert args.drain_deadline <= wait <= spec["terminationGracePeriodSeconds"]
    assert "/drain" in server_paths("POST")


def test_the_autoscaler_uses_the_metric_the_server_exports() -> None:
    hpa = manifests()["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == manifests()["Deployment"]["metadata"]["name"]
    (metric,) = hpa["metrics"]
    assert metric["pods"]["metric"]["name"] == ACTIVE_SESSIONS_METRIC == "parley_active_sessions"
    assert int(metric["pods"]["target"]["averageValue"]) <= serve_args().max_sessions * serve_args().workers


def test_the_service_and_ingress_reach_the_pods_with_call_length_timeouts() -> None:
    documents = manifests()
    labels = documents["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = documents["Service"]
    assert service["spec"]["selector"].items() <= labels.items()
    ingress = documents["Ingress"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert int(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


def test_the_image_is_non_root_without_torch_and_serves() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "USER 10001" in dockerfile and container()["securityContext"]["allowPrivilegeEscalation"] is False
    assert 'import torch" 2>/dev/null' in dockerfile  # the build fails if torch got in
    assert '"serve"' in dockerfile
    syncs = [line for line in dockerfile.splitlines() if "uv sync" in line]
    assert len(syncs) == 2 and all(
        "--extra phone --extra postgres" in line for line in syncs
    )  # a server's extras
    secrets = {env["name"] for env in container()["env"]}
    assert {"PARLEY_TOKEN", "TWILIO_AUTH_TOKEN", "PLIVO_AUTH_TOKEN", "TELNYX_PUBLIC_KEY"} <= secrets
