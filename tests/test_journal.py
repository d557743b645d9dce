"""The journal: durable appends, a hash chain that exposes tampering, and concurrent writers."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from pathlib import Path

import pytest

from provgraph import InvalidEvent
from provgraph import events as ev
from provgraph.journal import GENESIS, RECORD_BYTES, Journal, append_record, read_record
from provgraph.project import Project


def event(run_id: str) -> dict:
    return ev.new_event("run.start", run={"id": run_id, "step": "s", "kind": "other"})


def test_entries_are_chained_by_sha256(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    first, second = journal.append(event("a")), journal.append(event("b"))
    lines = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    canonical = json.dumps(lines[0]["event"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert lines[0]["prev"] == GENESIS
    assert lines[0]["hash"] == hashlib.sha256(f"{GENESIS}\n{canonical}".encode()).hexdigest() == first.hash
    assert lines[1]["prev"] == first.hash and second.seq == 1
    result = journal.verify()
    assert result.ok and result.entries == 2 and result.head == second.hash


@pytest.mark.parametrize("attack", ["edit", "delete", "swap", "garbage"])
def test_tampering_is_detected_at_the_first_broken_entry(tmp_path: Path, attack: str) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    for name in "abcde":
        journal.append(event(name))
    lines = path.read_text().splitlines(keepends=True)
    if attack == "edit":
        lines[2] = lines[2].replace('"step":"s"', '"step":"x"')
    elif attack == "delete":
        del lines[2]
    elif attack == "swap":
        lines[2], lines[3] = lines[3], lines[2]
    else:
        lines[2] = "not json\n"
    path.write_text("".join(lines))
    result = journal.verify()
    assert not result.ok
    assert result.broken_seq == 2 and result.broken_line == 3
    assert "BROKEN at entry 2" in result.summary()


def test_a_torn_last_line_is_unacknowledged_and_cut_by_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append(event("a"))
    with open(path, "a") as handle:
        handle.write('{"seq": 1, "prev": "half a line')
    assert journal.verify().ok and journal.verify().torn_tail
    journal.append(event("b"))
    assert [e.event["run"]["id"] for e in journal.entries()] == ["a", "b"]
    assert journal.verify().ok and not journal.verify().torn_tail


def test_an_invalid_event_in_a_batch_writes_nothing(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.append(event("a"))
    before = (tmp_path / "j.jsonl").read_bytes()
    with pytest.raises(InvalidEvent):
        journal.append_many([event("b"), {**event("c"), "type": "nope"}])
    assert (tmp_path / "j.jsonl").read_bytes() == before


def _writer(root: str, worker: int, count: int) -> None:
    project = Project(root)
    for i in range(count):
        project.record(event(f"w{worker}-{i}"))


def test_concurrent_writers_lose_nothing_and_keep_the_chain(tmp_path: Path) -> None:
    Project.init(tmp_path)
    workers, count = 4, 40
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, count)) for w in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    project = Project(tmp_path)
    result = project.verify()
    assert result.ok and result.entries == workers * count
    recorded = sorted(e.event["run"]["id"] for e in project.journal.entries())
    assert recorded == sorted(f"w{w}-{i}" for w in range(workers) for i in range(count))
    assert [e.seq for e in project.journal.entries()] == list(range(workers * count))
    # every run reached the store as its own named graph (the runs share no description)
    assert len(project.synced_store().graphs()) == workers * count
    project.close()


def test_a_record_is_the_last_complete_line_and_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "mark.json"
    assert read_record(path) is None
    for seq in range(2000):  # far more than fit in RECORD_BYTES: the file is rewritten to its last line
        append_record(path, {"seq": seq, "pad": "x" * 40})
    assert read_record(path) == {"seq": 1999, "pad": "x" * 40}
    assert path.stat().st_size <= RECORD_BYTES
    with open(path, "ab") as handle:  # a crash tore the next line: the previous state stands
        handle.write(b'{"seq": 2000, "pa')
    assert read_record(path) == {"seq": 1999, "pad": "x" * 40}
    big = {"seq": 1, "skipped": [{"seq": n, "problem": "y" * 100} for n in range(200)]}  # one line of 24 KB
    path.write_text('{"seq": 0}\n')
    append_record(path, big)
    assert read_record(path) == big


def test_a_record_written_without_newline_is_read_and_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "mark.json"
    path.write_text('{"seq": 3}')  # as another writer (or a hand) leaves it
    assert read_record(path) == {"seq": 3}
    append_record(path, {"seq": 4})
    assert read_record(path) == {"seq": 4} and path.read_text().splitlines() == ['{"seq": 3}', '{"seq": 4}']
    path.write_text('{"se')  # a first line torn by a crash: no record yet
    assert read_record(path) is None
