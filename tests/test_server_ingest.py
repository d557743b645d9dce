"""The server's write path: concurrent writes committed as a group, each caller judged alone, and the
duplicate and ownership index kept on disk (derived from the journal) rather than in memory."""

from __future__ import annotations

import json
import threading
import tracemalloc
from pathlib import Path

import pytest
from hostile import BAD_IRIS, invalidation

from provgraph import events as ev
from provgraph import journal_index
from provgraph.errors import Forbidden, InvalidEvent
from provgraph.journal_index import JournalIndex
from provgraph.project import Project
from provgraph.query import runs
from provgraph.runclock import Clock
from provgraph.server.backend import Backend, _Request
from provgraph.server.config import Principal

ALICE = Principal(agent="alice", role="writer")
BOB = Principal(agent="bob", role="writer")


def run(run_id: str, output: str) -> list[ev.Event]:
    described = {"id": run_id, "step": "train", "kind": "training"}
    start = ev.new_event("run.start", "2026-05-01T10:00:00Z", run=described)
    end = ev.new_event("run.end", "2026-05-01T10:05:00Z", run={**described, "status": "completed"},
                       generated=[{"location": output, "kind": "model", "time": "2026-05-01T10:05:00Z"}])
    return [start, end]


def journal_ids(root: Path) -> list[str]:
    lines = (root / ".provgraph" / "journal.jsonl").read_text().splitlines()
    return [json.loads(line)["event"]["id"] for line in lines]


def test_a_group_judges_each_caller_alone(tmp_path: Path) -> None:
    backend = Backend(tmp_path)
    owned = run("r-alice", "m/a.pkl")
    backend.record(owned[:1], ALICE)  # alice started r-alice
    mine, takeover = run("r-bob", "m/b.pkl"), owned[1:]
    unmappable = [invalidation({"target": BAD_IRIS[0]})]  # valid by the schema, refused by the mapping
    group = [_Request(mine, BOB), _Request(takeover, BOB), _Request(unmappable, BOB)]
    backend._commit(group)  # what record() does with everything queued at one moment
    assert group[0].receipt is not None and group[0].receipt.recorded == [e["id"] for e in mine]
    assert isinstance(group[1].error, Forbidden) and group[1].receipt is None
    assert isinstance(group[2].error, InvalidEvent)
    assert journal_ids(tmp_path) == [owned[0]["id"], *(e["id"] for e in mine)]
    assert {row["run"] for row in runs(backend.store).rows} == {"r-alice", "r-bob"}
    backend.close()


def test_one_event_sent_twice_in_one_group_is_recorded_once(tmp_path: Path) -> None:
    backend = Backend(tmp_path)
    events = run("r1", "m/1.pkl")
    group = [_Request(events, ALICE), _Request(events, ALICE), _Request(events, BOB)]
    backend._commit(group)  # a client's retry arriving while its first try waits in the same group
    ids = [e["id"] for e in events]
    assert group[0].receipt is not None and group[0].receipt.recorded == ids
    assert group[1].receipt is not None and (group[1].receipt.recorded, group[1].receipt.duplicates) == ([], ids)
    assert isinstance(group[2].error, Forbidden)  # bob may not record alice's run, even in the same group
    assert journal_ids(tmp_path) == ids
    backend.close()


def test_concurrent_callers_are_each_recorded_once(tmp_path: Path) -> None:
    backend = Backend(tmp_path)
    batches = [run(f"r{n}", f"m/{n}.pkl") for n in range(24)]
    receipts: list[object] = []

    def send(events: list[ev.Event]) -> None:
        receipts.append(backend.record(events, ALICE))
        receipts.append(backend.record(events, ALICE))  # a resend after a lost answer

    threads = [threading.Thread(target=send, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(journal_ids(tmp_path)) == sorted(e["id"] for batch in batches for e in batch)
    assert sum(len(r.recorded) for r in receipts) == 48 and sum(len(r.duplicates) for r in receipts) == 48
    assert len(runs(backend.store).rows) == 24
    backend.close()


def test_the_index_outlives_the_server_and_is_rebuilt_from_the_journal(tmp_path: Path) -> None:
    events = run("r1", "m/1.pkl")
    backend = Backend(tmp_path)
    backend.record(events, ALICE)
    backend.close()
    index = tmp_path / ".provgraph" / "journal-index.sqlite"
    assert index.exists()
    again = Backend(tmp_path)  # a restart reads the index it left
    assert again.record(events, ALICE).duplicates == [e["id"] for e in events]
    with pytest.raises(Forbidden, match="belongs to agent 'alice'"):
        again.record(run("r1", "m/x.pkl"), BOB)
    again.close()
    for leftover in index.parent.glob("journal-index.sqlite*"):
        leftover.unlink()  # lost: rebuilt from the journal, the source of truth
    rebuilt = Backend(tmp_path)
    assert rebuilt.record(events, ALICE).duplicates == [e["id"] for e in events]
    assert rebuilt.index.owner("r1") == "alice"
    rebuilt.close()


def test_the_index_reads_a_long_journal_in_bounded_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first look at a long journal (an index lost, or made by an older provgraph) takes it in batches:
    read whole, 100,000 runs' journal (426 MB) held 2.9 GB. Runs whose start and end fall in different
    batches keep both times."""
    monkeypatch.setattr(journal_index, "BATCH", 7)  # odd: runs 3, 10, ... split
    packages = {f"package-{i}": f"{i}.0.{i}" for i in range(300)}  # a real environment's size
    events = []
    for number in range(200):
        start, end = run(f"r{number}", f"m/{number}.pkl")
        start["environment"] = {"python": "3.11.7", "packages": packages}
        events += [start, end]
    project = Project.init(tmp_path)
    project.journal.append_many(events)
    size = project.journal.path.stat().st_size
    tracemalloc.start()
    index = JournalIndex(project.journal, tmp_path / "index.sqlite")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < size / 2, (peak, size)  # read whole, the parsed events take several times the file
    assert index.recorded(e["id"] for e in events) == {e["id"] for e in events}
    assert [index.clock(f"r{n}") for n in (0, 3, 10, 199)] == [
        Clock("2026-05-01T10:00:00Z", "2026-05-01T10:05:00Z", "completed")] * 4
    index.close()


def test_a_store_open_in_the_process_maps_each_event_once_and_stays_exact(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """record_many with the store open applies what admission mapped, unless another writer appended in
    between: then the store catches up from the journal, in journal order."""
    project = Project.init(tmp_path)
    project.synced_store()  # the store is open in this process
    project.record_many(run("first", "data/x.csv"))
    other = Project(tmp_path)  # a second writer: journal only
    append = project.journal.append_many

    def interleaved(events: list[ev.Event], check: object) -> object:
        other.record_many(run("between", "data/y.csv"))  # lands just before ours
        return append(events, check)  # type: ignore[arg-type]

    monkeypatch.setattr(project.journal, "append_many", interleaved)
    project.record_many(run("last", "data/z.csv"))
    monkeypatch.undo()
    assert [r["run"] for r in sorted(runs(project.store).rows, key=lambda r: r["run"])] == ["between", "first", "last"]
    assert project.pending() == 0
    fresh = Project.init(tmp_path / "copy")
    fresh.record_many([json.loads(line)["event"] for line in project.journal.path.read_text().splitlines()])
    assert sorted(fresh.synced_store().dump().splitlines()) == sorted(project.store.dump().splitlines())
