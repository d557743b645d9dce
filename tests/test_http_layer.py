"""The one HTTP layer (``provgraph.store.http``) as its callers meet it: the SPARQL endpoint store keeps its
connection alive and retries a dropped connection; a 5xx, a 401 (with and without a token) and a time-out
each end the CLI with one line and no traceback. Real servers on loopback: Oxigraph behind a proxy that
misbehaves on purpose, and the provgraph server for the server sink."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import urllib3
from servers import GateProxy, OxigraphServer
from test_server import SECRETS, LiveServer

from provgraph import events as ev
from provgraph.project import Project
from provgraph.server import ServerConfig
from provgraph.server.config import parse_tokens
from provgraph.store import open_store
from provgraph.store.http import TRANSPORT_FAILURES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[OxigraphServer]:
    """A server of this module's own, so that what a test finds there was put there by that test."""
    with OxigraphServer() as server:
        yield server


@pytest.fixture
def target(oxigraph: OxigraphServer) -> Iterator[OxigraphServer]:
    """The module's Oxigraph server, emptied before and after the test."""
    drop_all(oxigraph)
    yield oxigraph
    drop_all(oxigraph)


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A project with one run (two events) in its journal and its embedded store."""
    run = {"id": "run-1", "step": "clean", "kind": "cleaning"}
    data = {"location": "data/raw.csv", "sha256": "ab" * 32, "kind": "dataset"}
    with Project.init(tmp_path / "proj") as project:
        project.record_many([ev.new_event("run.start", time="2026-01-01T00:00:00Z", run=run, used=[data]),
                             ev.new_event("run.end", time="2026-01-01T00:01:00Z",
                                          run={"id": "run-1", "status": "completed"})])
    return tmp_path / "proj"


def drop_all(server: OxigraphServer) -> None:
    request = urllib.request.Request(f"{server.url}/update", data=b"DROP ALL", method="POST",
                                     headers={"Content-Type": "application/sparql-update"})
    urllib.request.urlopen(request, timeout=10).close()


def server_quads(server: OxigraphServer) -> set[ox.Quad]:
    """Every quad on the server, read with a plain GET of its Graph Store (not through provgraph)."""
    request = urllib.request.Request(f"{server.url}/store", headers={"Accept": "application/n-quads"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return set(ox.parse(answer.read(), format=ox.RdfFormat.N_QUADS))


def local_quads(root: Path) -> set[ox.Quad]:
    """Every quad of the project's embedded store, read with pyoxigraph itself."""
    store = ox.Store.read_only(str(root / ".provgraph" / "store"))
    return set(store)


def cli(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``provgraph -C root args...`` in a process of its own, without inherited provgraph settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    environment.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "provgraph", "-C", str(root), *args], capture_output=True,
                          text=True, env=environment, timeout=120)


def one_error_line(done: subprocess.CompletedProcess[str], pattern: str) -> None:
    """The command failed with exactly one line on stderr, matching ``pattern``."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and re.fullmatch(pattern, lines[0]), done.stderr


def test_no_transport_failure_is_shadowed_in_the_table() -> None:
    """An entry after one of its base classes would never be chosen; urllib3's root class comes last."""
    kinds = [kind for kind, _ in TRANSPORT_FAILURES]
    shadowed = [(later.__name__, earlier.__name__)
                for i, later in enumerate(kinds) for earlier in kinds[:i] if issubclass(later, earlier)]
    assert shadowed == [] and kinds[-1] is urllib3.exceptions.HTTPError


# -- keep-alive and retries -------------------------------------------------------------------------
def test_requests_share_one_kept_alive_connection(target: OxigraphServer) -> None:
    with GateProxy(target.url) as proxy, open_store(proxy.store_uri) as store:
        for _ in range(20):
            assert store.query("ASK { ?s ?p ?o }") is False
        assert len(proxy.peers) == 20 and len(set(proxy.peers)) == 1


def test_a_dropped_connection_is_retried(recorded: Path, target: OxigraphServer) -> None:
    with GateProxy(target.url, drop_first=1) as proxy:
        done = cli(recorded, "push", "--to", proxy.store_uri + "?backoff=0.01")
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert [(method, path) for method, path, _ in proxy.seen] == [("POST", "/update")] * 2
        assert proxy.peers[0] != proxy.peers[1]  # the dropped connection was not used again
    assert server_quads(target) == local_quads(recorded) and len(local_quads(recorded)) > 10


def test_a_dropped_connection_without_retries_is_one_line(recorded: Path, target: OxigraphServer) -> None:
    with GateProxy(target.url, drop_first=1) as proxy:
        done = cli(recorded, "push", "--to", proxy.store_uri + "?retries=0")
    one_error_line(done, rf"provgraph: error: http://127\.0\.0\.1:{proxy.port}/update failed after 1 "
                         r"attempt\(s\): the connection was dropped")
    assert server_quads(target) == set()


def test_a_5xx_is_retried_then_one_line(recorded: Path, target: OxigraphServer) -> None:
    with GateProxy(target.url, fail_first=100, fail_status=503) as proxy:
        done = cli(recorded, "push", "--to", proxy.store_uri + "?retries=2&backoff=0.01")
        assert len(proxy.seen) == 3
    one_error_line(done, rf"provgraph: error: http://127\.0\.0\.1:{proxy.port}/update failed after 3 "
                         r"attempt\(s\): HTTP 503: try again later")
    assert server_quads(target) == set()


def test_a_time_out_is_one_line(recorded: Path, target: OxigraphServer) -> None:
    with GateProxy(target.url, hang_s=1.5) as proxy:
        done = cli(recorded, "push", "--to", proxy.store_uri + "?retries=0&timeout=0.3")
    one_error_line(done, rf"provgraph: error: http://127\.0\.0\.1:{proxy.port}/update failed after 1 "
                         r"attempt\(s\): no answer within the time-out")


# -- credentials ------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "wrong"], ids=["no-token", "wrong-token"])
def test_a_store_refusing_the_credentials_is_one_line(recorded: Path, target: OxigraphServer,
                                                      token: str | None) -> None:
    env = {"PROVGRAPH_STORE_TOKEN": token} if token else {}
    with GateProxy(target.url, expect_auth="Bearer t0ken") as proxy:
        done = cli(recorded, "push", "--to", proxy.store_uri, **env)
        assert [auth for _, _, auth in proxy.seen] == [f"Bearer {token}" if token else None]
    one_error_line(done, rf"provgraph: error: http://127\.0\.0\.1:{proxy.port}/update refused the credentials "
                         r"\(HTTP 401\): bad credentials; see auth= in the store URI and \$PROVGRAPH_STORE_TOKEN")
    assert server_quads(target) == set()


def test_the_store_token_is_sent(recorded: Path, target: OxigraphServer) -> None:
    with GateProxy(target.url, expect_auth="Bearer t0ken") as proxy:
        done = cli(recorded, "push", "--to", proxy.store_uri, PROVGRAPH_STORE_TOKEN="t0ken")
        assert done.returncode == 0, done.stderr
        assert [auth for _, _, auth in proxy.seen] == ["Bearer t0ken"]
    assert server_quads(target) == local_quads(recorded)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[LiveServer]:
    """A provgraph server that takes events only from a writer's token."""
    tokens = parse_tokens([{"agent": "bot", "kind": "software", "role": "writer", "token": SECRETS["writer"]}],
                          "test")
    with LiveServer(ServerConfig(project=tmp_path / "server", tokens=tokens)) as server:
        yield server


def server_entries(server: LiveServer) -> int:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {SECRETS['writer']}"}) as http:
        found: int = http.get("/api/journal").json()["entries"]
        return found


@pytest.mark.parametrize("token, said", [
    (None, "this server needs an API token: send 'Authorization: Bearer <token>'"),
    ("x" * 20, "the API token is not valid on this server"),
], ids=["no-token", "wrong-token"])
def test_a_server_refusing_the_credentials_is_one_line(recorded: Path, guarded: LiveServer, token: str | None,
                                                       said: str) -> None:
    env = {"PROVGRAPH_TOKEN": token} if token else {}
    done = cli(recorded, "sync", "--store", guarded.url, **env)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    error, advice = done.stderr.splitlines()  # the error, then sync's note on what waits in the journal
    assert error == (f"provgraph: error: {guarded.url}/api/events refused the credentials (HTTP 401): {said}; "
                     "set $PROVGRAPH_TOKEN to a writer's token")
    assert advice.startswith("2 event(s) wait in the journal")
    assert server_entries(guarded) == 0


def test_the_server_token_is_sent(recorded: Path, guarded: LiveServer) -> None:
    done = cli(recorded, "sync", "--store", guarded.url, PROVGRAPH_TOKEN=SECRETS["writer"])
    assert done.returncode == 0, done.stderr
    assert server_entries(guarded) == 2
