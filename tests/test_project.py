"""The project: the store follows the journal, rebuilds identically, and bad input changes nothing."""

from __future__ import annotations

import pytest
import rdflib
from pyoxigraph import RdfFormat

import provgraph
from provgraph import InvalidEvent, JournalError
from provgraph import events as ev
from provgraph.project import Project


def canonical(project: Project) -> set:
    """The store's quads as an rdflib set (an independent reading of the dump)."""
    data = rdflib.Dataset()
    data.parse(data=project.synced_store().dump(RdfFormat.N_QUADS).decode(), format="nquads")
    return set(data.quads((None, None, None, None)))


def record_pipeline(project: Project) -> None:
    data = project.root / "data.csv"
    data.write_text("x\n1\n")
    with provgraph.run("pipeline", kind="pipeline", project=project):
        with provgraph.run("ingest", kind="ingestion", project=project) as r:
            r.use(data)
            (project.root / "clean.csv").write_text("x\n")
            r.generate(project.root / "clean.csv")
        with pytest.raises(RuntimeError), provgraph.run("train", kind="training", project=project):
            raise RuntimeError("out of memory")


def test_rebuild_yields_the_same_graph(project: Project) -> None:
    record_pipeline(project)
    before = canonical(project)
    assert len(before) > 50
    assert project.rebuild() == 6
    assert canonical(project) == before


def test_a_second_process_view_catches_up_from_the_journal(project: Project) -> None:
    other = Project(project.root, store_uri="memory:")
    record_pipeline(project)
    assert canonical(other) == canonical(project)


def test_invalid_events_are_rejected_and_change_nothing(project: Project) -> None:
    record_pipeline(project)
    before, journal_bytes = canonical(project), project.journal.path.read_bytes()
    good = ev.new_event("run.start", run={"id": "ok", "step": "s", "kind": "other"})
    with pytest.raises(InvalidEvent, match=r"run\.kind"):
        project.record_many([good, ev.new_event("run.start", run={"id": "bad", "step": "s", "kind": "nap"})])
    assert project.journal.path.read_bytes() == journal_bytes
    assert canonical(project) == before


def test_a_rewritten_journal_is_refused_until_rebuilt(project: Project) -> None:
    record_pipeline(project)
    assert len(project.synced_store()) > 0  # the store has caught up with all six events
    project.close()
    lines = project.journal.path.read_text().splitlines(keepends=True)
    project.journal.path.write_text("".join(lines[:2]))  # history cut behind the store's back
    late = ev.new_event("run.start", run={"id": "late", "step": "s", "kind": "other"})
    with pytest.raises(JournalError, match="truncated"):  # acknowledged entries are gone: no append on top
        project.record(late)
    project.journal.reset_head()  # the user accepts the cut journal (see 'Repairing a journal')
    project.record(late)
    reopened = Project(project.root)
    with pytest.raises(JournalError, match="rebuild"):
        reopened.sync()
    assert reopened.rebuild() == 3
    reopened.close()


def test_find_searches_parents_and_init_is_idempotent(project: Project) -> None:
    nested = project.root / "a" / "b"
    nested.mkdir(parents=True)
    assert Project.find(nested).root == project.root
    assert Project.init(project.root).store_uri == project.store_uri
