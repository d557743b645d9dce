"""Shared fixtures (shared helpers live in helpers.py): a store per backend, for the contract suite, and a
fresh project."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BACKENDS, open_backend
from servers import OxigraphServer, VirtuosoServer, port_of, refused_port

from provgraph.project import Project
from provgraph.store import Store


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


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections for the whole test (bound, never listening, so nobody takes it)."""
    with refused_port() as sock:
        yield port_of(sock)


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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where ``provgraph demo`` recorded its pipeline (one per test module)."""
    folder = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, "-m", "provgraph", "demo", "--quiet"], cwd=folder, check=True,
                   capture_output=True, timeout=300)
    return folder
