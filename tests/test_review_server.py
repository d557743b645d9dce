"""Review of the server's write path under a hostile load: eight senders over two writer tokens post
single OpenLineage events (COMPLETE-only runs with parents known from ParentRunFacets, the same run ids
from both tokens, every event sent twice), the server is killed (SIGKILL) in the middle, its index file
is left unreadable, and everything is sent again to a restarted server. Nothing is lost or recorded
twice, no answer is a 5xx, and the store says what the journal says."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import ProvgraphServer, writer_tokens

from provgraph.importers.openlineage import events_from_openlineage, implied
from provgraph.project import Project
from provgraph.query import runs
from provgraph.server.backend import Backend
from provgraph.server.config import Principal

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
TOKENS = {"alice": "alice-secret-0123456789", "bob": "bob-secret-0123456789"}
DAGS = 6
CHILDREN = 8  # per DAG


def _uuid(dag: int, child: int) -> str:
    return f"0192{dag:04d}-{child:04d}-7000-8000-000000000000"


def _event(dag: int, child: int) -> dict[str, Any]:
    """A COMPLETE-only child run of DAG ``dag``, reading what the previous child wrote (no version)."""
    return {
        "eventType": "COMPLETE", "eventTime": f"2026-06-0{1 + dag % 5}T10:{child:02d}:00.{dag:03d}+02:00",
        "producer": PRODUCER, "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": _uuid(dag, child + 1), "facets": {"parent": {
            "_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json",
            "run": {"runId": _uuid(dag, 0)}, "job": {"namespace": "airflow", "name": f"dag_{dag}"}}}},
        "job": {"namespace": "spark", "name": f"step_{child}\u2028\u00e9"},
        "inputs": [{"namespace": "s3://lake", "name": f"dag{dag}/part{child}"}],
        "outputs": [{"namespace": "s3://lake", "name": f"dag{dag}/part{child + 1}"}],
    }


def _owner(dag: int) -> str:
    return "alice" if dag % 2 == 0 else "bob"


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    folder = tmp_path / "served"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), "init"], check=True, env=env,
                   capture_output=True)
    tokens = writer_tokens(tmp_path / "tokens.toml", TOKENS)
    yield folder, tokens, env


def _send_all(url: str, statuses: Counter[tuple[int, int, str, int]]) -> None:
    """Eight senders; each event is posted twice by one writer and once by the other, in any order;
    ``statuses`` counts the answers by (dag, child, writer, status), 0 when the server was gone."""
    work = [(dag, child, agent) for dag in range(DAGS) for child in range(CHILDREN)
            for agent in (_owner(dag), _owner(dag), "bob" if _owner(dag) == "alice" else "alice")]
    lock = threading.Lock()

    def sender(part: list[tuple[int, int, str]]) -> None:
        with httpx.Client(timeout=60) as client:
            for dag, child, agent in part:
                try:
                    answer = client.post(f"{url}/api/v1/lineage", content=json.dumps(_event(dag, child)),
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {TOKENS[agent]}"})
                except httpx.TransportError:
                    status = 0  # the server was killed
                else:
                    status = answer.status_code
                with lock:
                    statuses[(dag, child, agent, status)] += 1

    threads = [threading.Thread(target=sender, args=(work[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_killed_server_with_a_broken_index_loses_nothing_and_records_nothing_twice(
        folder: tuple[Path, Path, dict[str, str]]) -> None:
    served, tokens, env = folder
    first: Counter[tuple[int, int, str, int]] = Counter()
    server = ProvgraphServer(served, "--tokens", str(tokens), env=env).start()
    journal = served / ".provgraph" / "journal.jsonl"
    sending = threading.Thread(target=_send_all, args=(server.url, first))
    sending.start()
    while not journal.exists() or len(journal.read_bytes().splitlines()) < 20:
        assert sending.is_alive()
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)  # in the middle of the stream
    sending.join()
    server.stop()
    for index in (served / ".provgraph").glob("journal-index.sqlite*"):  # the file and its WAL
        index.write_bytes(b"\x00garbage that is not SQLite" * 64)  # what a crash may leave with synchronous off

    again: Counter[tuple[int, int, str, int]] = Counter()
    with ProvgraphServer(served, "--tokens", str(tokens), env=env) as restarted:
        _send_all(restarted.url, again)  # everything again: what was recorded is a duplicate
    assert {key[3] for key in first} <= {0, 201, 403} and {key[3] for key in again} <= {201, 403}  # never a 5xx

    with Project(served) as project:
        assert project.verify().ok
        entries = [entry.event for entry in project.journal.entries()]
        ids = Counter((e["annotations"]["provgraph.submitted_by"], e["id"]) for e in entries)
        assert max(ids.values()) == 1  # no event recorded twice
        owner = {e["run"]["id"]: e["annotations"]["provgraph.submitted_by"] for e in entries if e["type"] == "run.end"}
        for dag, child, agent, status in again:  # the run's first writer only, every time
            assert status == (201 if owner[_uuid(dag, child + 1)] == agent else 403), (dag, child, agent, status)
        by_run = Counter((e["run"]["id"], e["type"]) for e in entries)
        for dag in range(DAGS):
            assert by_run[(_uuid(dag, 0), "run.update")] == 1  # the parent, implied once
            for child in range(1, CHILDREN + 1):
                assert by_run[(_uuid(dag, child), "run.start")] == 1  # its implied start, once
                assert by_run[(_uuid(dag, child), "run.end")] == 1
        listed = {row["run"]: row for row in runs(project.synced_store()).rows}
        assert len(listed) == DAGS * (CHILDREN + 1)
        for dag in range(DAGS):
            for child in range(1, CHILDREN + 1):
                assert listed[_uuid(dag, child)]["parent"] == _uuid(dag, 0)
                assert listed[_uuid(dag, child)]["start"] == listed[_uuid(dag, child)]["end"]


def test_an_index_whose_tables_have_another_layout_is_read_again(tmp_path: Path) -> None:
    """A file of another layout (here a ``run`` table with other columns) is dropped and read again from
    the journal, whatever its tables hold; before, only tables it lacked were made."""
    alice = Principal(agent="alice", role="writer")
    backend = Backend(tmp_path)
    backend.record(events_from_openlineage(_event(0, 0)), alice, implied)
    backend.close()
    index = tmp_path / ".provgraph" / "journal-index.sqlite"
    with sqlite3.connect(index) as db:
        db.executescript("DROP TABLE run; CREATE TABLE run (id TEXT PRIMARY KEY, owner TEXT) WITHOUT ROWID; "
                         "PRAGMA user_version = 1;")
    again = Backend(tmp_path)
    assert again.index.started(_uuid(0, 1)) and again.index.known(_uuid(0, 0))
    assert again.index.owner(_uuid(0, 1)) == "alice" and again.index.owner(_uuid(0, 0)) is None
    again.close()
