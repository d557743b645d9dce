"""Shared fixtures: a store per backend (the contract suite runs on each) and a fresh project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import OxigraphServer

from provgraph.project import Project
from provgraph.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"

#: Store backends every contract test runs against; "remote" opens a real SPARQL server on loopback.
BACKENDS = ["memory", "oxigraph", "remote"]


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[OxigraphServer]:
    """One real Oxigraph SPARQL server (in memory, union default graph) on loopback for the session."""
    with OxigraphServer() as server:
        yield server


def _open_backend(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if name == "memory":
        return open_store("memory:")
    if name == "oxigraph":
        return open_store(f"oxigraph:{tmp_path / 'store'}")
    if name == "remote":
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        remote = open_store(server.store_uri)
        remote.clear()
        return remote
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend."""
    opened = _open_backend(request.param, tmp_path, request)
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
