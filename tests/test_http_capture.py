"""The capture API sending to a provgraph server (``PROVGRAPH_STORE=http://...``): a real server on
loopback, real files hashed independently here, the local journal as the spool while the server is down,
and every event stored exactly once on the server."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from servers import port_of, refused_port
from test_server import SECRETS, LiveServer, journal_of

import provgraph
from provgraph.errors import StoreError
from provgraph.project import Project
from provgraph.server import ServerConfig
from provgraph.server.config import parse_tokens


@pytest.fixture
def client_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pipeline's working folder (its own project) with two data files."""
    folder = tmp_path / "pipeline"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "raw.csv").write_text("x,y\n1,2\n3,4\n")
    monkeypatch.chdir(folder)
    monkeypatch.delenv("PROVGRAPH_PROJECT", raising=False)
    monkeypatch.delenv("PROVGRAPH_TOKEN", raising=False)
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def clean_step(folder: Path, name: str) -> str:
    """One run of a cleaning step through the capture API; returns its id."""
    out = folder / "data" / f"{name}.csv"
    with provgraph.run("clean", kind="cleaning", project=folder, capture_environment=False) as run:
        run.use(folder / "data" / "raw.csv")
        out.write_text(f"x,y\n1,2\n# {name}\n")
        run.generate(out)
        run.param("name", name)
    return run.id


def server_ids(server: LiveServer) -> list[str]:
    return [entry.event["id"] for entry in journal_of(server).entries()]


def client_ids(folder: Path) -> list[str]:
    return [entry.event["id"] for entry in Project(folder).journal.entries()]


def test_runs_go_to_the_server(client_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LiveServer(ServerConfig(project=tmp_path / "server")) as server:
        monkeypatch.setenv("PROVGRAPH_STORE", server.url)
        run_id = clean_step(client_dir, "a")
        with server.client() as http:
            info = http.get(f"/api/runs/{run_id}").json()
        assert (info["step"], info["status"], info["params"]) == ("clean", "completed", {"name": "a"})
        raw, made = client_dir / "data/raw.csv", client_dir / "data/a.csv"
        assert [(a["location"], a["sha256"]) for a in info["used"]] == [("data/raw.csv", sha(raw))]
        assert [(a["location"], a["sha256"]) for a in info["generated"]] == [("data/a.csv", sha(made))]
        assert server_ids(server) == client_ids(client_dir) and len(client_ids(client_dir)) == 2
        project = Project(client_dir)
        assert project.pending() == 0
        # reading through the project goes to the server's SPARQL endpoint, read-only
        assert provgraph.query.runinfo.describe_run(project.synced_store(), run_id)["params"] == {"name": "a"}
        with pytest.raises(StoreError, match="403"):
            project.synced_store().update("DROP ALL")


def test_spooled_while_the_server_is_down_then_forwarded_exactly_once(
        client_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with refused_port() as sock:  # nothing answers on its port yet; then the server listens on it
        monkeypatch.setenv("PROVGRAPH_STORE", f"http://127.0.0.1:{port_of(sock)}")
        with caplog.at_level(logging.WARNING):
            first = [clean_step(client_dir, "a"), clean_step(client_dir, "b")]
        assert "unreachable" in caplog.text
        project = Project(client_dir)
        assert project.pending() == 4
        # PROVGRAPH_STORE names the server here, so the server is given its own store explicitly
        store = f"oxigraph:{tmp_path / 'server-store'}"
        with LiveServer(ServerConfig(project=tmp_path / "server", store=store), sock) as server:
            assert server_ids(server) == []
            third = clean_step(client_dir, "c")  # the next record sends the spool, then itself
            assert server_ids(server) == client_ids(client_dir) and len(server_ids(server)) == 6
            assert project.pending() == 0 and project.sync() == 0
            # a crash after the server acknowledged but before the watermark moved: everything is resent
            project._cursor().reset()
            assert project.sync() == 6
            assert server_ids(server) == client_ids(client_dir)
            with server.client() as http:
                runs = http.get("/api/runs").json()["runs"]
                assert sorted(r["run"] for r in runs) == sorted([*first, third])
                journal = http.get("/api/journal").json()
                assert (journal["ok"], journal["entries"]) == (True, 6)


def test_token_is_sent_and_a_refusal_keeps_events_spooled(
        client_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    tokens = parse_tokens([{"agent": "pipeline-bot", "kind": "software", "role": "writer",
                            "token": SECRETS["writer"]}, {"agent": "auditor", "role": "reader",
                                                          "token": SECRETS["reader"]}], "test")
    with LiveServer(ServerConfig(project=tmp_path / "server", tokens=tokens)) as server:
        monkeypatch.setenv("PROVGRAPH_STORE", server.url)
        monkeypatch.setenv("PROVGRAPH_TOKEN", SECRETS["reader"])
        with caplog.at_level(logging.WARNING):
            run_id = clean_step(client_dir, "a")
        assert "HTTP 403" in caplog.text and "reader" in caplog.text
        assert Project(client_dir).pending() == 2 and server_ids(server) == []
        monkeypatch.setenv("PROVGRAPH_TOKEN", SECRETS["writer"])
        assert Project(client_dir).sync() == 2
        stored = [entry.event for entry in journal_of(server).entries()]
        assert [e["annotations"]["provgraph.submitted_by"] for e in stored] == ["pipeline-bot"] * 2
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {SECRETS['reader']}"}) as http:
            agents = http.get(f"/api/runs/{run_id}").json()["agents"]
        assert {"agent": "pipeline-bot", "kind": "SoftwareAgent", "on_behalf_of": None} in agents


WRITER = textwrap.dedent("""
    import sys
    import provgraph
    folder, name = sys.argv[1], sys.argv[2]
    for i in range(int(sys.argv[3])):
        with provgraph.run("step", kind="other", project=folder, capture_environment=False) as run:
            run.use(folder + "/data/raw.csv")
            run.param("writer", name)
            run.param("i", i)
""")


def test_several_processes_capture_to_one_server(client_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    processes, runs_each = 4, 6
    with LiveServer(ServerConfig(project=tmp_path / "server")) as server:
        monkeypatch.setenv("PROVGRAPH_STORE", server.url)
        children = [subprocess.Popen([sys.executable, "-c", WRITER, str(client_dir), f"p{n}", str(runs_each)],
                                     stderr=subprocess.PIPE) for n in range(processes)]
        errors = [child.communicate(timeout=240)[1].decode() for child in children]
        assert [child.returncode for child in children] == [0] * processes, errors
        ids = server_ids(server)
        assert len(ids) == len(set(ids)) == 2 * processes * runs_each
        assert sorted(ids) == sorted(client_ids(client_dir))
        with server.client() as http:
            assert http.get("/api/journal").json()["ok"] is True
            rows = http.get("/sparql", params={"query": """
                PREFIX provml: <https://w3id.org/provgraph/provml#>
                SELECT (COUNT(DISTINCT ?run) AS ?runs) WHERE { ?run a provml:Run }"""}).json()
        assert int(rows["results"]["bindings"][0]["runs"]["value"]) == processes * runs_each
    assert Project(client_dir).pending() == 0
    assert Project(client_dir)._cursor().mark()["seq"] == 2 * processes * runs_each - 1
