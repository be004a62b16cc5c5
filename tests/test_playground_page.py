"""The playground's page and assets as the server serves them (no browser: see test_playground_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.server.options import ServeOptions
from pipeline.server.run import build_app

LOCAL_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "local.yaml"
TOKEN = "page-test-token"


def client_for(token: str | None) -> TestClient:
    return TestClient(build_app(ServeOptions(config=str(LOCAL_CONFIG), token=token)))


@pytest.fixture(scope="module")
def guarded() -> Iterator[TestClient]:
    with client_for(TOKEN) as client:
        yield client


def test_without_a_token_the_page_asks_for_it_and_does_not_load(guarded: TestClient) -> None:
    for url in ("/", "/?token=wrong"):
        response = guarded.get(url)
        assert response.status_code == 401
        assert 'name="token"' in response.text  # a form that reloads the page with the token
        assert "playground.js" not in response.text


def test_with_the_token_the_page_loads_uncached_and_without_referrer(guarded: TestClient) -> None:
    for response in (
        guarded.get(f"/?token={TOKEN}"),
        guarded.get("/", headers={"Authorization": f"Bearer {TOKEN}"}),
    ):
        assert response.status_code == 200
        assert '<script type="module" src="playground.js">' in response.text
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    "asset",
    [
        "playground.js",
        "connection.js",
        "audio.js",
        "transcript.js",
        "resampler.js",
        "capture-worklet.js",
        "playback-worklet.js",
    ],
)
def test_every_module_the_page_loads_is_served_as_javascript(guarded: TestClient, asset: str) -> None:
    response = guarded.get(f"/{asset}")
    assert response.status_code == 200
    # browsers refuse ES modules and worklets served with any other type
    assert response.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}


def test_the_stylesheet_is_served_and_unknown_paths_are_not_found(guarded: TestClient) -> None:
    assert guarded.get("/playground.css").headers["content-type"].startswith("text/css")
    assert guarded.get("/no-such-file.js").status_code == 404
    assert guarded.get("/../pyproject.toml").status_code == 404


def test_the_server_routes_still_win_over_the_playground_mount(guarded: TestClient) -> None:
    assert guarded.get("/healthz").text == "ok"
    assert guarded.get("/readyz").status_code == 200


def test_without_a_server_token_the_page_is_open() -> None:
    with client_for(None) as client:
        assert client.get("/").status_code == 200
