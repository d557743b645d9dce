"""Half-failures: an ingest whose store is busy (held by a running ``provgraph serve``) or unreachable (a
remote endpoint that is down) has journaled its events, so it says so and exits 0, and a retry records
nothing twice. The command line and the server treat a repeated event id the same way: a duplicate,
skipped and reported."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile import line, run_event, serve
from servers import HOST


def provgraph(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], capture_output=True,
                          text=True, timeout=120)


def events_file(folder: Path, *ids: str) -> Path:
    path = folder / "events.jsonl"
    path.write_bytes(b"".join(line(run_event(id=i, run={"id": f"run-{i}", "step": "s", "kind": "other"})) + b"\n"
                              for i in ids))
    return path


def journal_ids(folder: Path) -> list[str]:
    text = (folder / ".provgraph" / "journal.jsonl").read_text()
    return [json.loads(row)["event"]["id"] for row in text.splitlines()]


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[Path, httpx.Client]]:
    assert provgraph(tmp_path, "init").returncode == 0
    with serve(tmp_path) as (_, http):
        yield tmp_path, http


def test_ingest_while_serve_holds_the_store(serving: tuple[Path, httpx.Client]) -> None:
    folder, http = serving
    done = provgraph(folder, "ingest", str(events_file(folder, "e1", "e2")))
    assert done.returncode == 0, done.stderr
    assert "recorded 2 events" in done.stdout and "will catch up" in done.stdout and "Traceback" not in done.stderr
    assert journal_ids(folder) == ["e1", "e2"]
    assert sorted(run["run"] for run in http.get("/api/runs").json()["runs"]) == ["run-e1", "run-e2"]
    retry = provgraph(folder, "ingest", str(events_file(folder, "e1", "e2")))
    assert retry.returncode == 0 and "2 duplicate id(s) skipped" in retry.stdout
    assert journal_ids(folder) == ["e1", "e2"]


def test_ingest_while_the_remote_store_is_down(tmp_path: Path, refusing_port: int) -> None:
    assert provgraph(tmp_path, "init", "--store", f"sparql+http://{HOST}:{refusing_port}?retries=0").returncode == 0
    done = provgraph(tmp_path, "ingest", str(events_file(tmp_path, "e1")))
    assert done.returncode == 0 and "will catch up" in done.stdout, (done.stdout, done.stderr)
    assert provgraph(tmp_path, "ingest", str(events_file(tmp_path, "e1"))).returncode == 0
    assert journal_ids(tmp_path) == ["e1"]


def test_cli_and_http_skip_a_repeated_id_alike(serving: tuple[Path, httpx.Client]) -> None:
    folder, http = serving
    event = run_event(id="same", run={"id": "run-same", "step": "s", "kind": "other"})
    first = http.post("/api/events", json=event).json()
    again = http.post("/api/events", json=event).json()
    assert (first["recorded"], again["recorded"], again["duplicate_ids"]) == (1, 0, ["same"])
    done = provgraph(folder, "ingest", str(events_file(folder, "same", "same", "other")))
    assert done.returncode == 0 and "2 duplicate id(s) skipped: same, same" in done.stdout
    assert journal_ids(folder) == ["same", "other"]


def test_import_runs_while_the_remote_store_is_down(tmp_path: Path, refusing_port: int) -> None:
    """The events an importer made are journaled before the store is asked: like ingest, import-runs says
    they wait there and exits 0 (it exited 1 with 'cannot reach', and a user would import again)."""
    from openlineage.client.event_v2 import Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.serde import Serde

    producer = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
    events = [RunEvent(eventType=state, eventTime=time, run=Run(runId="01920000-0000-7000-8000-000000000001"),
                       job=Job(namespace="spark", name="orders"), producer=producer,
                       outputs=[OutputDataset(namespace="s3://lake", name="orders")])
              for state, time in ((RunState.START, "2026-06-01T10:00:00Z"),
                                  (RunState.COMPLETE, "2026-06-01T10:05:00Z"))]
    source = tmp_path / "lineage.jsonl"
    source.write_text("".join(Serde.to_json(event).replace("\n", "") + "\n" for event in events))
    folder = tmp_path / "p"
    assert provgraph(folder, "init", "--store", f"sparql+http://{HOST}:{refusing_port}?retries=0").returncode == 0
    done = provgraph(folder, "import-runs", "--from", "openlineage", str(source))
    assert done.returncode == 0 and "will catch up" in done.stdout, (done.stdout, done.stderr)
    assert done.stdout.startswith("recorded 2 events") and done.stderr == "", done.stderr
    first = journal_ids(folder)
    again = provgraph(folder, "import-runs", "--from", "openlineage", str(source))
    assert again.returncode == 0 and f"nothing new in {source}: its 2 events" in again.stdout, again.stdout
    assert journal_ids(folder) == first and len(first) == 2


def test_an_index_that_cannot_be_opened_is_one_line_and_a_damaged_one_is_made_anew(tmp_path: Path) -> None:
    """The journal's index is derived data: a damaged file is made again from the journal; something that is
    not a file in its place (a folder) is named in one line, nothing recorded (before: a traceback from
    removing it, IsADirectoryError)."""
    assert provgraph(tmp_path, "init").returncode == 0
    assert provgraph(tmp_path, "ingest", str(events_file(tmp_path, "e1"))).returncode == 0
    index = tmp_path / ".provgraph" / "journal-index.sqlite"
    index.unlink()
    index.mkdir()
    refused = provgraph(tmp_path, "ingest", str(events_file(tmp_path, "e2")))
    assert refused.returncode == 1 and refused.stdout == "", refused.stdout
    assert refused.stderr.splitlines() == [f"provgraph: error: cannot use the journal's index {index}: unable to open "
                                           "database file (it is derived from the journal: removing it makes it anew)"]
    assert journal_ids(tmp_path) == ["e1"]
    index.rmdir()
    index.write_bytes(b"\x00not SQLite" * 100)
    assert provgraph(tmp_path, "ingest", str(events_file(tmp_path, "e1", "e2"))).returncode == 0
    assert journal_ids(tmp_path) == ["e1", "e2"]  # e1 known from the journal again: skipped
