"""Shared test helpers (conftest.py holds fixtures only): where the test corpora are, and the store
backends every contract test runs against."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode
from servers import OxigraphServer, VirtuosoServer

from provgraph.store import Solutions, Store, open_store
from provgraph.vocab import ID_BASE

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"

#: Store backends every contract test runs against; "remote" opens a real SPARQL server on loopback.
BACKENDS = ["memory", "oxigraph", "remote"]
#: The contract suite also runs on Virtuoso, behind the ``virtuoso`` marker.
CONTRACT_BACKENDS = [*BACKENDS, pytest.param("virtuoso", marks=pytest.mark.virtuoso)]
#: The session fixture serving each server-backed store.
SERVER_FIXTURES = {"remote": "oxigraph_server", "virtuoso": "virtuoso_server"}


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
        if name == "virtuoso":  # one server for the session, scoped away from its system graphs: what earlier
            # tests recorded into it (graphs under our id namespace, outside that scope) goes too
            found = remote.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                 f"FILTER(STRSTARTS(STR(?g), {Literal(ID_BASE)})) }}")
            for graph in found.column("g") if isinstance(found, Solutions) else ():
                if isinstance(graph, NamedNode):
                    remote.drop_graph(graph)
        return remote
    raise ValueError(name)
