"""Server security: tokens and roles, loopback-only without tokens, token configuration, and clear 4xx
answers (never a 500) for user mistakes."""

from __future__ import annotations

import base64
import gzip
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers import GateProxy, OxigraphServer, ProvgraphServer
from test_server import SECRETS, LiveServer, fresh_server, journal_of, pipeline

from provgraph import events as ev
from provgraph.errors import ProvgraphError
from provgraph.limits import QueryLimits
from provgraph.redaction import redact
from provgraph.server import ServerConfig, load_tokens
from provgraph.server.app import ROUTES
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
    port = loaded.port
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




# -- issue 14: cross-site writes, admin tokens, writers acting for others, gzip, secrets, query limits ----------

def test_cross_site_writes_are_refused_before_anything_is_recorded(loaded: LiveServer) -> None:
    event = ev.new_event("run.start", run={"id": "csrf", "step": "s", "kind": "other"})
    before = journal_of(loaded).path.read_bytes()
    with loaded.client() as http:
        body = json.dumps(event)
        for headers in ({"Origin": "http://evil.example", "Content-Type": "application/json"},
                        {"Origin": "null", "Content-Type": "application/json"},
                        {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
                        {"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}):
            refused = http.post("/api/events", content=body, headers=headers)
            assert refused.status_code == 403 and "cross-site" in refused.json()["error"], headers
        for media in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"):
            for route in ("/api/events", "/api/v1/lineage", "/api/admin/rebuild"):
                refused = http.post(route, content=body, headers={"Content-Type": media})
                assert refused.status_code == 415, (route, media, refused.text)
        assert journal_of(loaded).path.read_bytes() == before
        same = http.post("/api/events", content=body, headers={
            "Origin": loaded.url, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"})
        assert same.status_code == 201
        assert http.post("/sparql", data={"query": "ASK {}"}).status_code == 200  # a read stays a form POST


def test_admin_routes_need_a_token_even_on_loopback(loaded: LiveServer) -> None:
    with loaded.client() as http:
        refused = http.post("/api/admin/rebuild")
        assert refused.status_code == 403 and "token" in refused.json()["error"]


WRITERS = {"alice": "a" * 24, "bob": "b" * 24, "root": "c" * 24}


@pytest.fixture
def writers(tmp_path: Path) -> Iterator[dict[str, httpx.Client]]:
    tokens = parse_tokens({"tokens": [{"agent": name, "role": "admin" if name == "root" else "writer",
                                       "token": secret, "kind": "software"} for name, secret in WRITERS.items()]}, "t")
    with LiveServer(ServerConfig(project=tmp_path / "p", tokens=tokens)) as live:
        clients = {name: httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {secret}"})
                   for name, secret in WRITERS.items()}
        yield clients
        for client in clients.values():
            client.close()


def test_a_run_belongs_to_the_writer_who_started_it(writers: dict[str, httpx.Client], tmp_path: Path) -> None:
    run = {"id": "alices-run", "step": "train", "kind": "training"}
    assert writers["alice"].post("/api/events", json=ev.new_event("run.start", run=run)).status_code == 201
    journal = tmp_path / "p" / ".provgraph" / "journal.jsonl"
    before = journal.read_bytes()
    failed = {**run, "status": "failed", "error": {"type": "Sabotage", "message": "bob says so"}}
    refused = writers["bob"].post("/api/events", json=ev.new_event("run.end", run=failed))
    assert refused.status_code == 403 and "belongs to agent 'alice'" in refused.json()["error"]
    assert journal.read_bytes() == before
    done = {**run, "status": "completed"}
    end = ev.new_event("run.end", run=done)
    assert writers["alice"].post("/api/events", json=end).status_code == 201
    assert writers["root"].post("/api/events", json={**end, "id": "roots-copy"}).status_code == 201  # an admin may


def test_event_ids_are_scoped_to_their_submitter(writers: dict[str, httpx.Client], tmp_path: Path) -> None:
    bobs = ev.new_event("run.start", run={"id": "bobs-run", "step": "s", "kind": "other"})
    alices = {**ev.new_event("run.start", run={"id": "alices-run", "step": "s", "kind": "other"}), "id": bobs["id"]}
    assert writers["bob"].post("/api/events", json=bobs).json()["recorded"] == 1
    answer = writers["alice"].post("/api/events", json=alices).json()
    assert (answer["recorded"], answer["duplicates"]) == (1, 0)
    assert writers["bob"].post("/api/events", json=bobs).json()["duplicate_ids"] == [bobs["id"]]
    runs = [json.loads(row)["event"]["run"]["id"] for row in
            (tmp_path / "p" / ".provgraph" / "journal.jsonl").read_text().splitlines()]
    assert runs == ["bobs-run", "alices-run"]


def test_a_claimed_agent_is_recorded_as_claimed_next_to_the_submitter(writers: dict[str, httpx.Client],
                                                                      tmp_path: Path) -> None:
    claim = ev.new_event("run.start", run={"id": "bobs-claim", "step": "s", "kind": "other"},
                         agents=[{"id": "alice", "kind": "person", "role": "trainer"}])
    assert writers["bob"].post("/api/events", json=claim).status_code == 201
    stored = json.loads((tmp_path / "p" / ".provgraph" / "journal.jsonl").read_text().splitlines()[-1])["event"]
    assert stored["annotations"]["provgraph.claimed_agents"] == "alice"
    assert stored["annotations"]["provgraph.submitted_by"] == "bob"
    assert [a["id"] for a in stored["agents"]] == ["alice", "bob"]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    with fresh_server(tmp_path, monkeypatch) as live:
        yield live


def test_gzip_bodies_from_the_openlineage_client_and_zip_bombs(server: LiveServer) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.transport.http import HttpCompression, HttpConfig, HttpTransport

    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, compression=HttpCompression.GZIP,
                                                                  retry={"total": 0})))
    client.emit(RunEvent(eventType=RunState.START, eventTime="2026-01-01T00:00:00Z", producer="https://example.org/p",
                         run=Run(runId="0190c1a0-0000-7000-8000-00000000000a"), job=Job(namespace="ns", name="gz")))
    assert len(list(journal_of(server).entries())) == 1
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]")
    assert len(bomb) < server.config.max_body_bytes
    with server.client() as http:
        for route in ("/api/v1/lineage", "/api/events"):
            refused = http.post(route, content=bomb, headers={"Content-Encoding": "gzip",
                                                             "Content-Type": "application/json"})
            assert refused.status_code == 413 and "inflates" in refused.json()["error"]
        assert http.post("/api/events", content=b"not gzip", headers={
            "Content-Encoding": "gzip", "Content-Type": "application/json"}).status_code == 400
        assert http.post("/api/v1/lineage", json={}).status_code == 422
    assert len(list(journal_of(server).entries())) == 1


def test_sparql_limits_are_set_by_the_operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = ServerConfig(project=tmp_path, query_limits=QueryLimits(max_length=200, max_depth=4),
                          max_results=3, query_timeout_s=0.05, query_slots=1)
    with LiveServer(config) as live, live.client() as http:
        assert http.post("/api/events", json=pipeline()).status_code == 201
        long = http.get("/sparql", params={"query": "ASK {}" + " " * 200})
        assert long.status_code == 400 and "limit is 200" in long.json()["error"]
        deep = http.get("/sparql", params={"query": "ASK {{{{{ }}}}}"})
        assert deep.status_code == 400 and "4 levels" in deep.json()["error"]
        many = http.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }"})
        assert many.status_code == 400 and "limit is 3" in many.json()["error"]
        slow = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        timed_out = http.get("/sparql", params={"query": slow})
        assert timed_out.status_code == 503 and "0.05 s" in timed_out.json()["error"]
        busy = http.get("/sparql", params={"query": "ASK {}"})  # the abandoned query still holds the one slot
        assert busy.status_code == 503 and "slots are busy" in busy.json()["error"]
        deadline = time.monotonic() + 120
        while http.get("/sparql", params={"query": "ASK {}"}).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert http.get("/sparql", params={"query": "ASK {}"}).json() == {"head": {}, "boolean": True}


def test_no_answer_or_log_line_contains_a_configured_secret(tmp_path: Path, oxigraph_server: OxigraphServer) -> None:
    """Every route, for every role, with the store up and then down: no body, header or log line carries the
    store password or a token."""
    password = "Pw-" + secrets.token_hex(8)
    tokens = {role: f"{role}-{secrets.token_hex(10)}" for role in ("reader", "writer", "admin")}
    (tmp_path / "tokens.json").write_text(json.dumps({"tokens": [
        {"agent": f"{role}-agent", "role": role, "token": secret} for role, secret in tokens.items()]}))
    expected = "Basic " + base64.b64encode(f"ann:{password}".encode()).decode()
    with GateProxy(oxigraph_server.url, expect_auth=expected) as proxy:
        store = f"sparql+http://ann:{password}@127.0.0.1:{proxy.port}?retries=0"
        server = ProvgraphServer(tmp_path / "p", "--store", store, "--tokens", str(tmp_path / "tokens.json")).start()
        bodies = every_route(server.url, tokens, "secret-run")
    try:
        bodies += every_route(server.url, tokens, "secret-run-2")  # the store is down now
    finally:
        server.stop()
    health = [b for b in bodies if b'"status":"degraded"' in b]
    assert health and b"sparql+http://***@127.0.0.1" in health[0]
    assert b"GET /api/health" in server.output  # the log was read
    for text in [*bodies, server.output]:
        for secret in (password, *tokens.values()):
            assert secret.encode() not in text


def every_route(base: str, tokens: dict[str, str], run_id: str) -> list[bytes]:
    """The answer (headers and body) of every route of the app, for every role and no token at all; the
    posts start run ``run_id`` (a run starts once, so each call names a new one)."""
    event = ev.new_event("run.start", run={"id": run_id, "step": "s", "kind": "other"})
    answers = []
    for who in (None, *tokens):
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for route in ROUTES:
                path = route.path.replace("{run_id}", run_id)
                for method in route.methods or ():
                    if method == "HEAD":
                        continue
                    if method == "POST":
                        answer = http.post(path, json=event if "lineage" not in path else {})
                    else:
                        answer = http.get(path, params={"query": "ASK {}", "ref": run_id})
                    answers.append(str(answer.headers).encode() + answer.content)
    return answers


@pytest.mark.parametrize(("text", "masked"), [
    ("sparql+http://ann:pw1@host:7878/q", "sparql+http://***@host:7878/q"),
    ("cannot reach https://tok@h/x?token=abc&y=1", "cannot reach https://***@h/x?token=***&y=1"),
    ("http://h/?api_key=k1;password=p2&PROVGRAPH_TOKEN_env=x", "http://h/?api_key=***;password=***&PROVGRAPH_TOKEN_env=x"),
    ("http://h/?token_env=PROVGRAPH_TOKEN", "http://h/?token_env=PROVGRAPH_TOKEN"),
])
def test_redact_masks_userinfo_and_credential_parameters(text: str, masked: str) -> None:
    assert redact(text) == masked
