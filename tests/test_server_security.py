"""Server security: tokens and roles, loopback-only without tokens, token configuration, and clear 4xx
answers (never a 500) for user mistakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_server import SECRETS, LiveServer, fresh_server, journal_of, pipeline

from provgraph.errors import ProvgraphError
from provgraph.server import ServerConfig, load_tokens
from provgraph.server.config import parse_tokens


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """A server holding the test pipeline."""
    with fresh_server(tmp_path, monkeypatch, load=True) as live:
        yield live


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[LiveServer]:
    tokens_file = tmp_path / "tokens.toml"
    tokens_file.write_text("\n".join(f'[[tokens]]\nagent = "{role}-agent"\nrole = "{role}"\ntoken = "{secret}"\n'
                                     for role, secret in SECRETS.items()))
    with LiveServer(ServerConfig(project=tmp_path / "p", tokens=load_tokens(tokens_file), host="0.0.0.0")) as live:
        yield live


def test_tokens_and_roles(secured: LiveServer) -> None:
    events = pipeline()[:2]
    with secured.client() as anonymous:
        missing = anonymous.get("/api/runs")
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        assert anonymous.get("/api/runs", headers={"Authorization": "Bearer " + "x" * 20}).status_code == 401
        assert anonymous.get("/sparql", params={"query": "ASK {}"}).status_code == 401
        assert anonymous.get("/api/health").status_code == 200
        assert anonymous.get("/openapi.json").status_code == 200
    with secured.client("reader") as reader:
        assert reader.get("/api/runs").json()["count"] == 0
        denied = reader.post("/api/events", json=events)
        assert denied.status_code == 403 and "reader" in denied.json()["error"]
    with secured.client("writer") as writer:
        assert writer.post("/api/events", json=events).json()["submitted_by"] == "writer-agent"
        assert writer.post("/api/admin/rebuild").status_code == 403
    with secured.client("admin") as admin:
        assert admin.post("/api/admin/rebuild").json() == {"replayed": 2}
        assert admin.get("/api/runs").json()["runs"][0]["run"] == "clean-1"


def test_without_tokens_only_loopback_names_are_answered(loaded: LiveServer) -> None:
    """A page served from another name that was re-pointed at 127.0.0.1 (DNS rebinding) gets nothing."""
    port = loaded.config.port
    with loaded.client() as http:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert http.get("/api/runs", headers={"Host": host}).status_code == 200, host
        for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1.attacker.example:{port}"):
            refused = http.post("/api/events", json=pipeline()[:1], headers={"Host": host})
            assert refused.status_code == 403 and "loopback" in refused.json()["error"], host
            assert http.get("/sparql", params={"query": "ASK {}"}, headers={"Host": host}).status_code == 403
    assert len(list(journal_of(loaded).entries())) == 6


def test_tokens_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ProvgraphError, match=r"refusing to listen on 0\.0\.0\.0 without API tokens"):
        ServerConfig(project=tmp_path, host="0.0.0.0").check()
    ServerConfig(project=tmp_path, host="::1").check()
    cases = [
        ({"tokens": [{"agent": "a", "role": "root", "token": "x" * 16}]}, r"tokens\[0\]\.role"),
        ({"tokens": [{"agent": "a", "role": "reader", "token": "short"}]}, r"tokens\[0\]\.token"),
        ({"tokens": [{"agent": "a b", "role": "reader", "token": "x" * 16}]}, r"tokens\[0\]\.agent"),
        ({"tokens": [{"agent": "a", "role": "reader", "token": "x" * 16, "extra": 1}]}, "unknown field"),
        ({"tokens": [{"agent": "a", "role": "reader", "token": "x" * 16},
                     {"agent": "b", "role": "admin", "token": "x" * 16}]}, "configured twice"),
        ({"tokens": "nope"}, "expected a list"),
    ]
    for data, message in cases:
        with pytest.raises(ProvgraphError, match=message):
            parse_tokens(data, "cfg")
    hashed = tmp_path / "tokens.json"
    digest = "5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5"  # sha256("12345")
    hashed.write_text(json.dumps({"tokens": [{"agent": "ops", "role": "admin", "token_sha256": digest}]}))
    config = ServerConfig(tokens=load_tokens(hashed))
    assert config.authenticate("12345") is not None and config.authenticate("12345").agent == "ops"  # type: ignore[union-attr]
    assert config.authenticate("123456") is None
    monkeypatch.setenv("PROVGRAPH_TOKENS", json.dumps([{"agent": "env", "role": "reader", "token": "y" * 16}]))
    assert [t.principal.agent for t in load_tokens()] == ["env"]
    (tmp_path / "broken.toml").write_text("[[tokens]\n")
    with pytest.raises(ProvgraphError, match="not valid TOML"):
        load_tokens(tmp_path / "broken.toml")


def test_user_mistakes_are_never_500(loaded: LiveServer) -> None:
    probes = [
        ("GET", "/api/impact", {"ref": ""}), ("GET", "/api/impact", {"ref": "x", "as_of": "yesterday"}),
        ("GET", "/api/lineage", {"ref": "ab"}), ("GET", "/api/runs", {"kind": "magic"}),
        ("GET", "/api/runs", {"since": "soon"}), ("GET", "/api/runs", {"param": "n_estimators~5"}),
        ("GET", "/api/runs", {"limit": "lots"}), ("GET", "/api/runs/%00", {}), ("GET", "/api/who", {}),
        ("GET", "/api/export", {"format": "xlsx"}), ("POST", "/api/runs", {}), ("GET", "/api/events", {}),
        ("GET", "/api/diagram", {"ref": "nothing-like-this"}), ("GET", "/nowhere", {}),
        ("GET", "/api/runs", {"agent": "nobody"}), ("GET", "/api/impact", {"ref": ["a", "b"]}),
    ]
    with loaded.client() as http:
        for method, path, params in probes:
            response = http.request(method, path, params=params)
            assert 400 <= response.status_code < 500, (path, params, response.status_code, response.text)
            assert response.json()["error"], (path, params)


