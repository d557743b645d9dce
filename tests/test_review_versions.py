"""Review of the mapper's memory of the latest version per logical artifact: a digest-less use is the
latest version known at its time, whatever the writer remembers - after a restart, with times in
other offsets or precisions, and in a store another project writes to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import CONTRACT_BACKENDS, open_backend
from servers import OxigraphServer

from provgraph import events as ev
from provgraph.project import SYNC_BATCH, Project
from provgraph.store import Store, open_store

OLD, NEW = "1" * 64, "2" * 64
DATA = {"location": "s3://bucket/data.csv", "kind": "dataset"}  # a global name: every project's
USED = """PREFIX prov: <http://www.w3.org/ns/prov#>
    SELECT ?v WHERE {{ <https://w3id.org/provgraph/id/run/{}> prov:used ?v }}"""


def _run(run_id: str, start: str, end: str, **fields: Any) -> list[ev.Event]:
    return [ev.new_event("run.start", time=start, run={"id": run_id, "step": run_id, "kind": "training"}),
            ev.new_event("run.end", time=end, run={"id": run_id, "status": "completed"}, **fields)]


def _used(store: Store, run_id: str) -> str:
    [row] = store.query(USED.format(run_id))
    return str(row["v"].value.rsplit("/", 1)[-1])


@pytest.mark.parametrize("backend", [b for b in CONTRACT_BACKENDS if getattr(b, "values", [b])[0] != "memory"])
def test_a_restarted_writer_uses_the_version_stored_before_it_started(tmp_path: Path, backend: str,
                                                                      request: pytest.FixtureRequest) -> None:
    """The store holds a version made at noon before the writer starts; a late event (09:00) makes the
    writer meet the morning version first: a use at 17:00 is still the noon version (on every durable
    backend: each writes the times the writer compares back in its own form)."""
    uri = None if backend == "oxigraph" else open_backend(backend, tmp_path, request).uri
    Project.init(tmp_path, store_uri=uri).close()
    with Project(tmp_path) as before:
        before.synced_store()
        before.record_many(_run("morning", "2026-01-01T08:00:00Z", "2026-01-01T08:30:00Z",
                                generated=[{**DATA, "sha256": OLD}]))
        before.record_many(_run("noon", "2026-01-01T12:00:00Z", "2026-01-01T12:30:00Z",
                                generated=[{**DATA, "sha256": NEW}]))
    with Project(tmp_path) as restarted:
        restarted.synced_store()
        restarted.record_many(_run("late", "2026-01-01T09:00:00Z", "2026-01-01T09:30:00Z", used=[DATA]))
        restarted.record_many(_run("evening", "2026-01-01T17:00:00Z", "2026-01-01T17:30:00Z", used=[DATA]))
        store = restarted.synced_store()
        assert _used(store, "late") == f"sha256-{OLD}"
        assert _used(store, "evening") == f"sha256-{NEW}"


def test_times_are_compared_as_times_not_as_text(tmp_path: Path) -> None:
    """11:00+02:00 is 09:00 UTC, before the 10:00Z version; 10:00:00.5Z is after 10:00:00Z (as text, both
    compare the other way)."""
    with Project.init(tmp_path, store_uri="memory:") as project:
        project.synced_store()
        project.record_many(_run("first", "2026-01-01T08:00:00Z", "2026-01-01T08:00:00Z",
                                 generated=[{**DATA, "sha256": OLD}]))
        project.record_many(_run("second", "2026-01-01T10:00:00Z", "2026-01-01T10:00:00.2Z",
                                 generated=[{**DATA, "sha256": NEW, "time": "2026-01-01T10:00:00.2Z"}]))
        project.record_many(_run("offset", "2026-01-01T11:00:00+02:00", "2026-01-01T11:00:01+02:00", used=[DATA]))
        project.record_many(_run("precise", "2026-01-01T10:00:00.5Z", "2026-01-01T10:00:00.6Z", used=[DATA]))
        store = project.synced_store()
        assert _used(store, "offset") == f"sha256-{OLD}"
        assert _used(store, "precise") == f"sha256-{NEW}"


def test_a_writer_sees_versions_another_project_stored_in_a_shared_store(
        tmp_path: Path, oxigraph_server: OxigraphServer) -> None:
    """Two projects (two journals) feed one Oxigraph server: what project B stored is what project A's
    long-lived writer uses next, though A's own journal did not move."""
    open_store(oxigraph_server.store_uri).clear()
    a = Project.init(tmp_path / "a", store_uri=oxigraph_server.store_uri)
    b = Project.init(tmp_path / "b", store_uri=oxigraph_server.store_uri)
    a.synced_store(), b.synced_store()
    a.record_many(_run("a-make", "2026-01-01T08:00:00Z", "2026-01-01T08:10:00Z", generated=[{**DATA, "sha256": OLD}]))
    a.record_many(_run("a-use-1", "2026-01-01T09:00:00Z", "2026-01-01T09:10:00Z", used=[DATA]))
    b.record_many(_run("b-make", "2026-01-01T10:00:00Z", "2026-01-01T10:10:00Z", generated=[{**DATA, "sha256": NEW}]))
    a.record_many(_run("a-use-2", "2026-01-01T11:00:00Z", "2026-01-01T11:10:00Z", used=[DATA]))
    store = a.synced_store()
    assert _used(store, "a-use-1") == f"sha256-{OLD}"
    assert _used(store, "a-use-2") == f"sha256-{NEW}"
    a.close()
    b.close()


def test_a_rebuild_maps_uses_as_the_live_writer_did(tmp_path: Path) -> None:
    """Events out of time order (a late run after a newer version was made): one catch-up of the whole
    journal (a rebuild, a fresh process) gives the graph the writer built event by event. Before, a batch
    asked the store for a use dated before the newest version it had met, and the store did not hold
    the batch yet: the late run used an unverified version of its own."""
    with Project.init(tmp_path, store_uri="memory:") as live:
        live.synced_store()
        for events in (_run("made-0", "2026-01-01T08:00:00Z", "2026-01-01T08:10:00Z",
                            generated=[{**DATA, "sha256": OLD}]),
                       _run("made-1", "2026-01-01T11:00:00Z", "2026-01-01T11:10:00Z",
                            generated=[{**DATA, "sha256": NEW}]),
                       _run("late", "2026-01-01T10:00:00Z", "2026-01-01T10:10:00Z", used=[DATA]),
                       _run("later", "2026-01-01T12:00:00Z", "2026-01-01T12:10:00Z", used=[DATA])):
            live.record_many(events)
        store = live.synced_store()
        assert (_used(store, "late"), _used(store, "later")) == (f"sha256-{OLD}", f"sha256-{NEW}")
        before = set(store.dump().splitlines())
        live.rebuild()
        assert set(live.synced_store().dump().splitlines()) == before


def test_a_writer_refills_what_an_interrupted_rebuild_emptied(tmp_path: Path,
                                                              oxigraph_server: OxigraphServer) -> None:
    """Another process rebuilds the shared store and is interrupted after its first batch: the store has
    lost what the long-lived writer wrote after that point. The writer's next sync writes it all again,
    the run's own statements and shared descriptions included (it used to omit what it remembered
    writing), so the store is what a full replay of the journal gives."""
    open_store(oxigraph_server.store_uri).clear()
    with Project.init(tmp_path, store_uri=oxigraph_server.store_uri) as writer:
        writer.synced_store()
        writer.record_many([ev.new_event("run.start", time="2026-01-01T08:00:00Z",
                                         run={"id": f"filler-{n}", "step": "f", "kind": "other"})
                            for n in range(SYNC_BATCH)])
        start, end = _run("late", "2026-01-01T09:00:00Z", "2026-01-01T09:10:00Z",
                          agents=[{"id": "ana", "kind": "person", "name": "Ana"}],
                          environment={"python": "3.11.7", "packages": {"numpy": "2.1.0"}})
        start["agents"], start["environment"] = end.pop("agents"), end.pop("environment")
        writer.record_many([start])

        def interrupt(_: int) -> None:
            raise RuntimeError("rebuild interrupted")

        with Project(tmp_path) as rebuilding, pytest.raises(RuntimeError, match="interrupted"):
            rebuilding.rebuild(progress=interrupt)  # cleared, then the first batch replayed
        writer.record_many([end])
        stored = set(writer.synced_store().dump().splitlines())
    with Project.init(tmp_path / "replay", store_uri="memory:") as replay:
        replay.record_many([entry.event for entry in Project(tmp_path).journal.entries()])
        assert stored == set(replay.synced_store().dump().splitlines())
