"""Review of the watermark's name (the project's own embedded store named by its path inside
``.provgraph/``, so a copied or moved project keeps it): no other store may take that name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from servers import OxigraphServer

from provgraph import events as ev
from provgraph.project import Project
from provgraph.store import open_store

RUNS = "SELECT ?r WHERE { ?r a <https://w3id.org/provgraph/provml#Run> }"


def _start(run_id: str) -> ev.Event:
    return ev.new_event("run.start", run={"id": run_id, "step": "s", "kind": "training"})


def test_a_store_named_relative_to_the_working_folder_is_not_the_projects_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``oxigraph:store`` from the folder above the project is another store than ``.provgraph/store``
    (also named ``store`` inside ``.provgraph/``): it has its own watermark and gets every event.
    Before, it took the project's store's watermark, said nothing was pending and stayed empty."""
    root = tmp_path / "project"
    with Project.init(root) as own:
        own.record_many([_start("r1"), _start("r2")])
        assert len(own.synced_store().query(RUNS)) == 2
    monkeypatch.chdir(tmp_path)
    with Project(root, store_uri="oxigraph:store") as other:
        assert other.pending() == 2
        assert len(other.synced_store().query(RUNS)) == 2
    assert (tmp_path / "store").is_dir()
    with Project(root) as own:  # the project's own store and its watermark are as they were
        assert own.pending() == 0 and len(own.synced_store().query(RUNS)) == 2


def test_the_project_store_named_relative_to_the_working_folder_is_the_projects_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same folder reached by a relative path is the same store: its watermark, no replay."""
    with Project.init(tmp_path / "project") as own:
        own.record_many([_start("r1")])
        own.synced_store()
    monkeypatch.chdir(tmp_path / "project")
    with Project(tmp_path / "project", store_uri="oxigraph:.provgraph/store") as same:
        assert same.pending() == 0


def test_a_moved_project_on_a_remote_store_keeps_its_watermark(tmp_path: Path, oxigraph_server: OxigraphServer) -> None:
    """A remote store is named by its URI without credentials: the project moves, the name stays."""
    open_store(oxigraph_server.store_uri).clear()
    with Project.init(tmp_path / "a", store_uri=oxigraph_server.store_uri) as project:
        project.record_many([_start("r1"), _start("r2")])
        assert len(project.synced_store().query(RUNS)) == 2
    shutil.move(tmp_path / "a", tmp_path / "b")
    with Project(tmp_path / "b") as moved:
        assert moved.store_uri == oxigraph_server.store_uri and moved.pending() == 0
        moved.record_many([_start("r3")])
        assert len(moved.synced_store().query(RUNS)) == 3
