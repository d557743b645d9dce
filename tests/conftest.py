"""Shared fixtures: a store per backend (the contract suite runs on each) and a fresh project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import OxigraphServer, VirtuosoServer

from provgraph.project import Project
from provgraph.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"

#: Store backends every contract test runs against; "remote" opens a real SPARQL server on loopback.
BACKENDS = ["memory", "oxigraph", "remote"]
#: The contract suite also runs on Virtuoso, behind the ``virtuoso`` marker.
CONTRACT_BACKENDS = [*BACKENDS, pytest.param("virtuoso", marks=pytest.mark.virtuoso)]
SERVER_FIXTURES = {"remote": "oxigraph_server", "virtuoso": "virtuoso_server"}


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[OxigraphServer]:
    """One real Oxigraph SPARQL server (in memory, union default graph) on loopback for the session."""
    with OxigraphServer() as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """Debian's Virtuoso on loopback for the session (the ``virtuoso`` marker); skipped if not installed."""
    if not VirtuosoServer.available():
        pytest.skip("virtuoso-opensource is not installed (apt-get install virtuoso-opensource)")
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    yield server
    server.stop()


def open_backend(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    """An empty store of backend ``name``."""
    if name == "memory":
        return open_store("memory:")
    if name == "oxigraph":
        return open_store(f"oxigraph:{tmp_path / 'store'}")
    if name in SERVER_FIXTURES:
        server: OxigraphServer | VirtuosoServer = request.getfixturevalue(SERVER_FIXTURES[name])
        remote = open_store(server.store_uri)
        remote.clear()
        return remote
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend."""
    opened = open_backend(request.param, tmp_path, request)
    yield opened
    opened.close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A fresh project in a temporary folder, which is also the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROVGRAPH_STORE", raising=False)
    monkeypatch.delenv("PROVGRAPH_PROJECT", raising=False)
    proj = Project.init(tmp_path)
    yield proj
    proj.close()
