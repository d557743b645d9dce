"""Review of the journal's shortcut for a long-lived writer (it skips re-reading head and tail when the
file is as its last append left it): whatever another process did to the file meanwhile - a writer
killed mid-append, a truncation, a rewrite of the same size - the long-lived writer behaves as a fresh
one would, and verify and the next sync give a clear answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provgraph import events as ev
from provgraph.errors import JournalError
from provgraph.journal import Journal
from provgraph.project import Project


def _event(number: int) -> ev.Event:
    return ev.new_event("run.start", run={"id": f"r{number}", "step": "s", "kind": "training"})


@pytest.fixture
def writer(tmp_path: Path) -> Project:
    """A project whose store is open (a server): it has appended once, so its journal took the shortcut."""
    project = Project.init(tmp_path, store_uri="memory:")
    project.synced_store()
    project.record_many([_event(0), _event(1)])
    return project


def _rewrite_last_line_same_size(path: Path) -> None:
    """Change the last entry's hash (same length), then put the modification time back."""
    status = path.stat()
    lines = path.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[-1])
    record["hash"] = ("0" if record["hash"][0] != "0" else "1") + record["hash"][1:]
    lines[-1] = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    path.write_bytes(b"".join(lines))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size and path.stat().st_mtime_ns == status.st_mtime_ns


def test_a_same_size_rewrite_is_refused_by_the_long_lived_writer_too(writer: Project) -> None:
    path = writer.journal.path
    _rewrite_last_line_same_size(path)
    before = path.read_bytes()
    for journal in (Journal(path), writer.journal):  # a fresh writer, and the one that appended last
        with pytest.raises(JournalError, match="history was rewritten"):
            journal.append(_event(2))
    assert path.read_bytes() == before  # nothing appended


def test_a_truncated_journal_is_refused_and_the_sync_says_what_to_do(writer: Project) -> None:
    path = writer.journal.path
    first_line = path.read_bytes().splitlines(keepends=True)[0]
    with open(path, "r+b") as handle:
        handle.truncate(len(first_line))
    with pytest.raises(JournalError, match="truncated"):
        writer.journal.append(_event(2))
    assert path.read_bytes() == first_line
    with pytest.raises(JournalError, match="rebuild"):
        writer.sync()  # the store's watermark names an entry the journal lost
    assert not writer.verify().ok


def test_a_writer_killed_mid_append_loses_nothing_acknowledged(writer: Project) -> None:
    """Another process appends big batches and is killed (SIGKILL) while writing; a torn last line is cut
    by the next append of the long-lived writer, whose entries chain onto the last complete one."""
    path = writer.journal.path
    code = ("import sys\nfrom provgraph import events as ev\nfrom provgraph.journal import Journal\n"
            f"journal = Journal({str(path)!r})\n"
            "for batch in range(10**6):\n"
            "    journal.append_many([ev.new_event('run.start', run={'id': f'k{batch}-{n}', 'step': 's', "
            "'kind': 'training'}, annotations={'pad': 'y' * 4000}) for n in range(500)])\n")
    killed = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    deadline = time.monotonic() + 60
    while path.stat().st_size < 10_000_000 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    with open(path, "ab") as handle:  # what a kill inside write() leaves (the kernel rarely cuts one short)
        handle.write(b'{"seq": 999999, "prev": "torn')
    complete = path.read_bytes().rsplit(b"\n", 1)[0] + b"\n"
    [entry] = writer.record_many([_event(2)])
    assert path.read_bytes().startswith(complete)  # every complete entry kept, the torn line cut
    assert entry.prev == json.loads(complete.splitlines()[-1])["hash"]
    assert writer.verify().ok
    assert writer.sync() == 0  # the store took everything, the killed writer's entries included
    assert len(writer.synced_store().query(
        "SELECT ?r WHERE { ?r a <https://w3id.org/provgraph/provml#Run> }")) == len(path.read_bytes().splitlines())
