"""A run starts once, ends once, and not before it started (provgraph.runclock), through real
``provgraph ingest`` processes and a real ``provgraph serve`` process. Before the rule, a second start of
one run at another time was stored beside the first: PROV-CONSTRAINTS then found the whole store invalid
(two start times of one activity), ``who`` listed the run twice, and an end before the start showed a
negative duration."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hostile import serve

from provgraph.errors import InvalidEvent
from provgraph.journal import Journal
from provgraph.runclock import Clock, check_all, reconcile

SCHEMA = "provgraph.event/1"
START, LATER, EARLIER = "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "2026-03-02T09:00:00Z"


def start(event_id: str, time: str, run_id: str = "r1") -> dict[str, Any]:
    return {"schema": SCHEMA, "id": event_id, "type": "run.start", "time": time,
            "run": {"id": run_id, "step": "train", "kind": "training"}}


def end(event_id: str, time: str, status: str = "completed", run_id: str = "r1") -> dict[str, Any]:
    run: dict[str, Any] = {"id": run_id, "status": status}
    if status == "failed":
        run["error"] = {"type": "ValueError", "message": "boom"}
    return {"schema": SCHEMA, "id": event_id, "type": "run.end", "time": time, "run": run}


def provgraph(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], capture_output=True,
                          text=True, timeout=120)


def ingest(folder: Path, *events: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = folder / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    return provgraph(folder, "ingest", str(path))


def journal(folder: Path) -> bytes:
    return (folder / ".provgraph" / "journal.jsonl").read_bytes()


def refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.startswith("provgraph: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert all(word in done.stderr for word in words), done.stderr
    assert done.stderr.count("time:") <= 1, done.stderr  # the field is named once


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert provgraph(tmp_path, "init").returncode == 0
    return tmp_path


def test_a_second_start_or_end_at_another_time_is_refused_and_changes_nothing(folder: Path) -> None:
    assert ingest(folder, start("s1", START), end("e1", LATER)).returncode == 0
    before = journal(folder)
    refused(ingest(folder, start("s2", LATER)), "'s2'", "started at 2026-03-02T10:00:00Z already")
    refused(ingest(folder, end("e2", "2026-03-02T12:00:00Z")), "'e2'", "ended at 2026-03-02T11:00:00Z")
    refused(ingest(folder, end("e3", LATER, status="failed")), "'e3'", "(completed) already")
    assert journal(folder) == before
    # the same start and end sent again under new ids state nothing new: accepted
    assert ingest(folder, start("s4", "2026-03-02T10:00:00.000Z"), end("e4", LATER)).returncode == 0
    valid = provgraph(folder, "validate")
    assert valid.returncode == 0 and "prov-constraints: valid" in valid.stdout, valid.stdout
    who = provgraph(folder, "who", "r1", "--format", "json")
    assert [row["time"] for row in json.loads(who.stdout) if row["action"] == "ran"] == [START]


def test_an_end_before_the_start_is_refused_in_one_file_and_across_files(folder: Path) -> None:
    refused(ingest(folder, start("s1", START), end("e1", EARLIER)), "'e1'", "started at", "after this end")
    assert not (folder / ".provgraph" / "journal.jsonl").exists() or journal(folder) == b""
    assert ingest(folder, end("e1", START, run_id="r2")).returncode == 0  # an end first: the run started earlier
    refused(ingest(folder, start("s2", LATER, run_id="r2")), "'s2'", "ended at 2026-03-02T10:00:00Z, before this start")
    assert ingest(folder, start("s3", EARLIER, run_id="r2")).returncode == 0
    runs = json.loads(provgraph(folder, "runs", "--format", "json").stdout)
    assert [(run["run"], run["start"], run["duration"]) for run in runs] == [("r2", EARLIER, 3600.0)]


def test_a_journal_written_before_the_rule_still_rebuilds(folder: Path) -> None:
    """Events already journaled are not checked again: two starts an older provgraph accepted replay."""
    Journal(folder / ".provgraph" / "journal.jsonl").append_many([start("s1", START), start("s2", LATER)])
    assert provgraph(folder, "rebuild").returncode == 0
    assert provgraph(folder, "verify").returncode == 0
    refused(ingest(folder, start("s3", EARLIER)), "'s3'", "started at 2026-03-02T10:00:00Z already")


def test_the_server_refuses_a_second_start_and_an_early_end(folder: Path) -> None:
    with serve(folder) as (_, http):
        def post(*events: dict[str, Any]) -> Any:
            return http.post("/api/events", content="\n".join(json.dumps(e) for e in events),
                             headers={"Content-Type": "application/x-ndjson"})

        assert post(start("s1", START)).status_code == 201
        before = journal(folder)
        for answer, words in ((post(start("s2", LATER)), "started at 2026-03-02T10:00:00Z already"),
                              (post(end("e1", EARLIER)), "after this end"),
                              (post(end("e2", LATER), end("e3", "2026-03-02T12:00:00Z")), "ended at")):
            assert answer.status_code == 422, answer.text
            assert words in answer.json()["error"], answer.json()
        assert journal(folder) == before
        assert post(end("e2", LATER)).status_code == 201
        assert post(end("e4", "2026-03-02T12:00:00Z")).status_code == 422
    runs = json.loads(provgraph(folder, "runs", "--format", "json").stdout)
    assert [(run["start"], run["duration"], run["status"]) for run in runs] == [(START, 3600.0, "completed")]


def test_another_tools_events_are_fitted_to_the_rule_and_keep_what_they_say() -> None:
    """Importers record what a tool said rather than judge it (runclock.reconcile): the result breaks no
    rule (check_all passes it) and every time and state given survives as an annotation."""
    recorded = {"r2": Clock(end="2026-03-02T11:00:00Z", status="completed")}
    given = [start("s1", START), end("e1", EARLIER), end("e2", LATER, status="failed"),
             start("s2", "2026-03-02T12:00:00Z", run_id="r2")]
    fitted = reconcile(given, recorded.get, "tool")
    assert [(e["type"], e["time"]) for e in fitted] == [("run.start", START), ("run.end", START),
                                                        ("run.update", LATER), ("run.start", "2026-03-02T11:00:00Z")]
    assert fitted[1]["annotations"]["tool.endEventTime"] == EARLIER
    assert {k: fitted[2]["annotations"][k] for k in ("tool.endEventTime", "tool.endStatus", "tool.endError")} == {
        "tool.endEventTime": LATER, "tool.endStatus": "failed", "tool.endError": "boom"}
    assert "status" not in fitted[2]["run"] and "error" not in fitted[2]["run"]
    assert fitted[3]["annotations"]["tool.startEventTime"] == "2026-03-02T12:00:00Z"
    check_all(fitted, recorded.get)
    with pytest.raises(InvalidEvent, match=r"^time: event 'e1': run 'r1' started at"):
        check_all(given, recorded.get)


SCRIPT = """
import sys
import time
import provgraph
with provgraph.run("train", kind="training", project=sys.argv[1], run_id="nightly-train"):
    pass
"""


def test_a_script_that_names_its_run_cannot_start_it_twice(folder: Path) -> None:
    """The capture API with a fixed ``run_id``, run again (a cron job, a retry): the second process is
    refused at the start, before anything is recorded, instead of giving the run a second start time."""
    first = subprocess.run([sys.executable, "-c", SCRIPT, str(folder)], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    before = journal(folder)
    again = subprocess.run([sys.executable, "-c", SCRIPT, str(folder)], capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "run 'nightly-train' started at" in again.stderr, again.stderr
    assert "give a new run its own id" in again.stderr
    assert journal(folder) == before
    valid = provgraph(folder, "validate")
    assert valid.returncode == 0 and "prov-constraints: valid" in valid.stdout, valid.stdout


def test_the_same_instant_in_another_form_is_written_as_recorded(folder: Path) -> None:
    """An end sent again at the recorded instant, written with another offset, passes (it states nothing
    new) and takes the recorded form: before, the store held two end times of the run (two literals)."""
    assert ingest(folder, start("s1", START), end("e1", LATER)).returncode == 0
    assert ingest(folder, end("e2", "2026-03-02T13:00:00+02:00")).returncode == 0
    rows = [json.loads(line)["event"] for line in journal(folder).decode().splitlines()]
    assert [(e["id"], e["time"]) for e in rows if e["type"] == "run.end"] == [("e1", LATER), ("e2", LATER)]
    query = "SELECT DISTINCT ?t WHERE { GRAPH ?g { ?r <http://www.w3.org/ns/prov#endedAtTime> ?t } }"
    ends = provgraph(folder, "sparql", query, "--format", "json")
    assert len(json.loads(ends.stdout)) == 1, ends.stdout


def test_ingests_at_once_give_a_run_one_start(folder: Path) -> None:
    """Four ``provgraph ingest`` processes at once, each starting run 'race' at its own time (with 1,500 other
    runs, so admission takes a while): one is recorded, the others refused. Before, each checked the journal
    and then appended without holding it, so two or more starts were recorded (validate: Constraint 22)."""
    procs = []
    for i in range(4):
        path = folder / f"batch{i}.jsonl"
        lines = [start(f"race-{i}", f"2026-03-02T1{i}:00:00Z", run_id="race")]
        lines += [start(f"filler-{i}-{k}", START, run_id=f"filler-{i}-{k}") for k in range(1500)]
        path.write_text("".join(json.dumps(event) + "\n" for event in lines))
        procs.append(subprocess.Popen([sys.executable, "-m", "provgraph", "-C", str(folder), "ingest", str(path)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    codes = sorted(proc.wait(timeout=300) for proc in procs)
    rows = [json.loads(line)["event"] for line in journal(folder).decode().splitlines()]
    starts = [e["id"] for e in rows if e["type"] == "run.start" and e["run"]["id"] == "race"]
    assert len(starts) == 1 and codes == [0, 1, 1, 1], (starts, codes)
    assert len(rows) == 1501
    valid = provgraph(folder, "validate")
    assert valid.returncode == 0 and "prov-constraints: valid" in valid.stdout, valid.stdout


def test_an_ingest_beside_the_server_gives_a_run_one_start(folder: Path) -> None:
    """A ``provgraph ingest`` starting run 'race' (with 1,500 other runs) and a POST starting it at another
    time, sent once the ingest has opened the journal's index (its check under way): one start is recorded.
    Before, the server checked its index while the ingest was between its check and its append: both
    starts were recorded (201 for the POST, exit 0 for the ingest)."""
    path = folder / "batch.jsonl"
    lines = [start("race-ingest", LATER, run_id="race")]
    lines += [start(f"filler-{k}", START, run_id=f"filler-{k}") for k in range(1500)]
    path.write_text("".join(json.dumps(event) + "\n" for event in lines))
    with serve(folder) as (_, http):
        proc = subprocess.Popen([sys.executable, "-m", "provgraph", "-C", str(folder), "ingest", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not _has_open(proc.pid, "journal-index.sqlite"):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        posted = http.post("/api/events", json=start("race-server", "2026-03-02T12:00:00Z", run_id="race"))
        proc.wait(timeout=300)
    rows = [json.loads(line)["event"] for line in journal(folder).decode().splitlines()]
    starts = [e["id"] for e in rows if e["type"] == "run.start" and e["run"]["id"] == "race"]
    assert starts == ["race-ingest"] and posted.status_code == 422, (starts, posted.text)
    assert "started at 2026-03-02T11:00:00Z already" in posted.json()["error"]
    valid = provgraph(folder, "validate")
    assert valid.returncode == 0 and "prov-constraints: valid" in valid.stdout, valid.stdout


def _has_open(pid: int, name: str) -> bool:
    """Whether process ``pid`` holds a file named ``name`` open."""
    found = False
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found = found or fd.readlink().name == name
        except OSError:  # closed meanwhile
            continue
    return found
