"""The core commands, run as a user would: a real `provgraph` process in a real folder."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from provgraph import events as ev

SHA = hashlib.sha256(b"raw bytes").hexdigest()


def cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provgraph", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120)


def write_events(path: Path) -> None:
    events = [
        ev.new_event("run.start", time="2026-05-01T10:00:00Z", run={"id": "ingest-1", "step": "ingest",
                     "kind": "ingestion"}, agents=[{"id": "alice", "kind": "person", "name": "Alice"}]),
        ev.new_event("run.end", time="2026-05-01T10:00:30Z", run={"id": "ingest-1", "status": "completed"},
                     used=[{"location": "s3://raw/a.csv", "sha256": SHA, "size": 9}],
                     generated=[{"location": "data/clean.csv", "sha256": "c" * 64, "kind": "dataset"}],
                     params={"dedupe": True}, metrics={"rows": 120}),
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in events))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert cli(tmp_path, "init").returncode == 0
    return tmp_path


def test_ingest_show_stats_verify_rebuild(folder: Path) -> None:
    write_events(folder / "events.jsonl")
    done = cli(folder, "ingest", "events.jsonl")
    assert done.returncode == 0, done.stderr
    assert "ingested 2 events" in done.stdout
    shown = json.loads(cli(folder, "show", "ingest-1", "--format", "json").stdout)
    assert shown["status"] == "completed" and shown["duration_s"] == 30.0
    assert shown["params"] == {"dedupe": True} and shown["metrics"] == {"rows": 120}
    assert [u["sha256"] for u in shown["used"]] == [SHA]
    assert shown["agents"] == [{"agent": "Alice", "kind": "Person", "on_behalf_of": None}]
    table = cli(folder, "show", "ingest-1").stdout
    assert "status:     completed" in table and "data/clean.csv" in table
    stats = json.loads(cli(folder, "stats", "--format", "json").stdout)
    assert stats["graphs"] == 2 and stats["runs_by_status"] == {"completed": 1} and stats["journal_entries"] == 2
    assert cli(folder, "verify").stdout.startswith("journal OK: 2 entries")
    rebuilt = cli(folder, "rebuild")
    assert rebuilt.returncode == 0 and f"{stats['quads']} quads" in rebuilt.stdout


def test_a_bad_line_is_reported_by_number_and_nothing_is_ingested(folder: Path) -> None:
    write_events(folder / "events.jsonl")
    with open(folder / "events.jsonl", "a") as handle:
        handle.write('{"schema": "provgraph.event/1", "id": "x", "type": "run.start", '
                     '"run": {"id": "r", "step": "s", "kind": "other"}}\n')
    done = cli(folder, "ingest", "events.jsonl")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "provgraph: error: line 3: (event): 'time' is required"
    ]
    assert json.loads(cli(folder, "stats", "--format", "json").stdout)["journal_entries"] == 0


def test_user_mistakes_are_one_line_without_traceback(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    for args in (("show", "no-such-run"), ("ingest", "missing.jsonl")):
        done = cli(folder, *args)
        assert done.returncode == 1
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    elsewhere = tmp_path_factory.mktemp("no-project")
    done = cli(elsewhere, "-C", str(elsewhere), "stats")
    assert done.returncode == 1 and "provgraph init" in done.stderr


def test_verify_exits_non_zero_on_a_tampered_journal(folder: Path) -> None:
    write_events(folder / "events.jsonl")
    cli(folder, "ingest", "events.jsonl")
    journal = folder / ".provgraph" / "journal.jsonl"
    journal.write_text(journal.read_text().replace('"rows":120', '"rows":121'))
    done = cli(folder, "verify")
    assert done.returncode == 1 and "BROKEN at entry 1" in done.stdout
    assert cli(folder, "rebuild").returncode == 1


def test_ingest_from_stdin(folder: Path) -> None:
    write_events(folder / "events.jsonl")
    done = cli(folder, "ingest", "-", stdin=(folder / "events.jsonl").read_text())
    assert done.returncode == 0 and "ingested 2 events" in done.stdout
