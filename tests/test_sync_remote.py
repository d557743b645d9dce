"""A remote store that goes down: events wait in the journal and are replayed exactly once when it
is back, giving the same graph as the embedded store built from the same journal."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import RdfFormat
from servers import GateProxy, OxigraphServer

from provgraph import events as ev
from provgraph import project as project_module
from provgraph.cli import main
from provgraph.project import Project
from provgraph.store import open_store

FLAKY = "?retries=1&backoff=0.05"  # fail fast while the server is down


def run_events(i: int) -> list[ev.Event]:
    """A start and an end event of run ``i``, which turns ``data-i`` into ``data-(i+1)``."""
    def artifact(n: int) -> dict[str, object]:
        return {"location": f"data/part-{n}.csv", "sha256": hashlib.sha256(f"part {n}".encode()).hexdigest(),
                "kind": "dataset", "name": "parts"}

    run = {"id": f"run-{i:04d}", "step": f"step-{i % 3}", "kind": "cleaning"}
    start = ev.new_event("run.start", time=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z", run=run,
                         used=[artifact(i)], params={"threshold": i / 10, "label": f'v"{i}" }}'})
    end = ev.new_event("run.end", time=f"2026-01-01T01:{i // 60:02d}:{i % 60:02d}Z",
                       run={"id": run["id"], "status": "completed"}, generated=[artifact(i + 1)],
                       metrics={"rows": i * 100})
    return [start, end]


def quads(data: bytes) -> set[tuple[object, ...]]:
    """A dump read by rdflib: the graph as a set of quads (no blank nodes are involved)."""
    dataset = rdflib.Dataset()
    dataset.parse(data=data.decode(), format="nquads")
    return set(dataset.quads((None, None, None, None)))


def embedded_graph(root: Path) -> set[tuple[object, ...]]:
    """The graph the embedded store builds from the same journal."""
    with Project(root, store_uri="memory:") as local:
        return quads(local.synced_store().dump(RdfFormat.N_QUADS))


@pytest.fixture
def server(tmp_path: Path) -> OxigraphServer:
    started = OxigraphServer(location=tmp_path / "server-data").start()
    yield started
    started.stop()


def test_events_wait_while_the_endpoint_is_down_and_sync_replays_them(
        server: OxigraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project.init(tmp_path / "proj", store_uri=server.store_uri + FLAKY)
    assert len(project.synced_store()) == 0
    for i in range(5):
        project.record_many(run_events(i))
    assert project.pending() == 0
    online = len(open_store(server.store_uri))
    assert online > 0

    server.stop()  # mid-ingest: the pipeline goes on recording
    for i in range(5, 9):
        project.record_many(run_events(i))
    assert project.pending() == 8
    assert project.journal.verify().entries == 18

    assert main(["-C", str(project.root), "sync"]) == 1
    assert "8 event(s) wait in the journal" in capsys.readouterr().err

    server.start()  # same port, same data folder
    assert len(open_store(server.store_uri)) == online  # the server kept what it had, no more
    assert main(["-C", str(project.root), "sync"]) == 0
    assert "applied 8 event(s)" in capsys.readouterr().out
    assert main(["-C", str(project.root), "sync"]) == 0
    assert "applied 0 event(s)" in capsys.readouterr().out
    assert project.pending() == 0

    remote = open_store(server.store_uri).dump(RdfFormat.N_QUADS)
    assert quads(remote) == embedded_graph(project.root)
    assert len(quads(remote)) == len(open_store(server.store_uri))
    project.close()


def test_the_next_record_replays_what_waited(server: OxigraphServer, tmp_path: Path) -> None:
    project = Project.init(tmp_path / "proj", store_uri=server.store_uri + FLAKY)
    project.record_many(run_events(0))
    assert len(project.synced_store()) > 0
    server.stop()
    project.record_many(run_events(1))
    project.record_many(run_events(2))
    assert project.pending() == 4
    server.start()
    project.record_many(run_events(3))  # catches up everything that waited, then this run
    assert project.pending() == 0
    assert quads(open_store(server.store_uri).dump()) == embedded_graph(project.root)
    project.close()


def test_server_killed_during_a_sync_of_many_batches(server: OxigraphServer, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_module, "SYNC_BATCH", 30)  # ten transactions
    root = tmp_path / "proj"
    Project.init(root, store_uri=server.store_uri + FLAKY)
    with Project(root, store_uri="memory:") as writer:  # record without touching the remote store
        for i in range(150):
            writer.journal.append_many(run_events(i))
    project = Project(root)
    assert project.pending() == 300

    batches: list[int] = []

    def stop_after_three_batches(applied: int) -> None:
        batches.append(applied)
        if len(batches) == 3:
            server.stop()  # the server dies between two transactions of one sync

    with pytest.raises(project_module.StoreError, match="failed after 2 attempt"):
        project.sync(progress=stop_after_three_batches)
    assert batches == [30, 30, 30]
    waiting = project.pending()
    assert waiting == 300 - 90  # the three batches it acknowledged stay applied, the rest waits

    server.start()
    assert project.sync() == waiting
    assert project.pending() == 0
    assert quads(open_store(server.store_uri).dump()) == embedded_graph(root)
    project.close()


def test_sync_into_another_store(tmp_path: Path, oxigraph_server: OxigraphServer,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    open_store(oxigraph_server.store_uri).clear()
    project = Project.init(tmp_path / "proj", store_uri="memory:")
    project.record_many(run_events(0))
    assert main(["-C", str(project.root), "sync", "--store", oxigraph_server.store_uri]) == 0
    assert "applied 2 event(s)" in capsys.readouterr().out
    assert quads(open_store(oxigraph_server.store_uri).dump()) == embedded_graph(project.root)
    open_store(oxigraph_server.store_uri).clear()


def test_sync_to_an_endpoint_that_never_answers(tmp_path: Path, refusing_port: int,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"sparql+http://127.0.0.1:{refusing_port}?retries=0"
    project = Project.init(tmp_path / "proj", store_uri=uri)
    project.record_many(run_events(0))
    assert main(["-C", str(project.root), "sync"]) == 1
    err = capsys.readouterr().err
    assert "failed after 1 attempt(s)" in err and "2 event(s) wait in the journal" in err


def test_a_batch_whose_answer_was_lost_is_replayed_without_duplicates(
        oxigraph_server: OxigraphServer, tmp_path: Path) -> None:
    open_store(oxigraph_server.store_uri).clear()
    with GateProxy(oxigraph_server.url) as proxy:
        project = Project.init(tmp_path / "proj", store_uri=proxy.store_uri + "?retries=0")
        project.record_many(run_events(0))
        assert len(project.synced_store()) > 0 and project.pending() == 0
        proxy.lose_answers = 1  # the server stores the next batch, the client hears 503
        project.record_many(run_events(1))
        assert project.pending() == 2
        stored = len(open_store(oxigraph_server.store_uri))
        assert stored > 0 and stored == len(embedded_graph(project.root))  # it did arrive
        assert project.sync() == 2  # replayed once more ...
        assert project.pending() == 0
        assert len(open_store(oxigraph_server.store_uri)) == stored  # ... without a duplicate quad
        assert quads(open_store(oxigraph_server.store_uri).dump()) == embedded_graph(project.root)
        project.close()
    open_store(oxigraph_server.store_uri).clear()


def test_every_memory_store_catches_up_from_the_start(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "proj")
    project.record_many(run_events(0))
    first = embedded_graph(project.root)
    assert len(first) > 0
    assert embedded_graph(project.root) == first  # a second in-memory view is not taken as caught up
    project.close()


def test_a_rebuild_on_a_shared_endpoint_keeps_the_other_projects_runs(server: OxigraphServer, tmp_path: Path) -> None:
    ours = Project.init(tmp_path / "ours", store_uri=server.store_uri)
    theirs = Project.init(tmp_path / "theirs", store_uri=server.store_uri)
    ours.record_many([e for i in range(3) for e in run_events(i)])
    theirs.record_many([{**e, "id": f"theirs-{e['id']}", "run": {**e["run"], "id": "their-" + e["run"]["id"]}}
                        for i in range(3, 5) for e in run_events(i)])
    ours.sync(), theirs.sync()
    before = quads(open_store(server.store_uri).dump())
    assert before == embedded_graph(ours.root) | embedded_graph(theirs.root)
    assert ours.rebuild() == 6
    assert quads(open_store(server.store_uri).dump()) == before  # their runs stay; ours are as they were
