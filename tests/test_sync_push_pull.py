"""``provgraph push --to URI`` and ``pull --from URI`` between a project and a real SPARQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat
from servers import OxigraphServer
from test_sync_remote import quads, run_events

from provgraph.cli import main
from provgraph.project import Project
from provgraph.store import Store, open_store
from provgraph.store.transfer import copy_store

JUNK = Quad(NamedNode("http://example.org/junk"), NamedNode("http://example.org/p"), Literal("j"),
            NamedNode("http://example.org/other-graph"))


@pytest.fixture
def remote(oxigraph_server: OxigraphServer) -> Iterator[Store]:
    store = open_store(oxigraph_server.store_uri)
    store.clear()
    yield store
    store.clear()


@pytest.fixture
def filled_project(tmp_path: Path) -> Iterator[Project]:
    project = Project.init(tmp_path / "local")
    for i in range(4):
        project.record_many(run_events(i))
    yield project
    project.close()


def test_push_copies_the_local_store(filled_project: Project, remote: Store,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    local = quads(filled_project.synced_store().dump(RdfFormat.N_QUADS))
    filled_project.close()  # the CLI opens the embedded store itself
    assert main(["-C", str(filled_project.root), "push", "--to", remote.uri]) == 0
    out = capsys.readouterr().out
    assert f"copied {len(local)} quad(s) in 5 named graph(s)" in out  # 4 runs and the shared descriptions
    assert quads(remote.dump()) == local
    assert main(["-C", str(filled_project.root), "push", "--to", remote.uri]) == 0  # again: no change
    assert quads(remote.dump()) == local and len(remote) == len(local)


def test_push_merges_unless_replace(filled_project: Project, remote: Store) -> None:
    remote.add([JUNK])
    local = quads(filled_project.synced_store().dump(RdfFormat.N_QUADS))
    filled_project.close()
    assert main(["-C", str(filled_project.root), "push", "--to", remote.uri]) == 0
    assert len(remote) == len(local) + 1
    assert main(["-C", str(filled_project.root), "push", "--to", remote.uri, "--replace"]) == 0
    assert quads(remote.dump()) == local


def test_pull_copies_the_remote_store(filled_project: Project, remote: Store, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    copy_store(filled_project.synced_store(), remote)
    remote.add([JUNK])
    expected = quads(remote.dump())
    other = Project.init(tmp_path / "other")
    other.close()
    assert main(["-C", str(other.root), "pull", "--from", remote.uri]) == 0
    assert "in 6 named graph(s)" in capsys.readouterr().out
    with Project(other.root) as reopened:
        assert quads(reopened.synced_store().dump(RdfFormat.N_QUADS)) == expected


def test_copy_keeps_each_run_in_one_transaction(filled_project: Project, remote: Store,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from provgraph.store import transfer

    monkeypatch.setattr(transfer, "BATCH_QUADS", 1)  # every named graph its own transaction
    copied = copy_store(filled_project.synced_store(), remote)
    assert (copied.graphs, copied.transactions) == (5, 5)  # 4 runs and the shared descriptions
    assert copied.quads == len(filled_project.synced_store()) == len(remote)


def test_push_to_an_unreachable_endpoint_fails_cleanly(filled_project: Project, refusing_port: int,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    filled_project.close()
    uri = f"sparql+http://127.0.0.1:{refusing_port}?retries=0"
    assert main(["-C", str(filled_project.root), "push", "--to", uri]) == 1
    assert "provgraph: error:" in capsys.readouterr().err


def test_pull_from_a_bad_uri_names_the_valid_schemes(filled_project: Project,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    filled_project.close()
    assert main(["-C", str(filled_project.root), "pull", "--from", "ftp://x/y"]) == 1
    assert "valid schemes" in capsys.readouterr().err


@pytest.mark.virtuoso
def test_push_to_virtuoso_and_pull_back(filled_project: Project, tmp_path: Path, request: pytest.FixtureRequest,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    server = request.getfixturevalue("virtuoso_server")
    uri = server.store_uri.replace("scope=http://example.org/", "scope=https://w3id.org/provgraph/id/")
    local = quads(filled_project.synced_store().dump(RdfFormat.N_QUADS))
    filled_project.close()
    assert main(["-C", str(filled_project.root), "push", "--to", uri, "--replace"]) == 0
    other = Project.init(tmp_path / "other")
    other.close()
    assert main(["-C", str(other.root), "pull", "--from", uri]) == 0
    assert f"copied {len(local)} quad(s) in 5 named graph(s)" in capsys.readouterr().out
    with Project(other.root) as reopened:
        assert quads(reopened.synced_store().dump(RdfFormat.N_QUADS)) == local
    open_store(uri).clear()
