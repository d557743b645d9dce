"""What single OpenLineage events imply, sent one per request by the real openlineage-python client's
HttpTransport to a real `provgraph serve` with two writer tokens: a COMPLETE-only run starts at its end,
a parent known only from ParentRunFacets is a run of its job, and STARTs arriving afterwards give no
second start time, nor make the child's writer the parent's owner."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import job_type_job, parent_run
from openlineage.client.serde import Serde
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from servers import ProvgraphServer, writer_tokens

from provgraph.importers.openlineage import events_from_openlineage, implied
from provgraph.project import Project
from provgraph.server.backend import Backend, _Request
from provgraph.server.config import Principal

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
TOKENS = {"alice": "alice-secret-0123456789", "bob": "bob-secret-0123456789"}
DAG, CHILD, SECOND, REPORT = (f"0191{n}000-0000-7000-8000-00000000000{n}" for n in range(1, 5))
DAG_JOB = ("airflow", "orders_dag")
ALICE, BOB = Principal(agent="alice", role="writer"), Principal(agent="bob", role="writer")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``provgraph serve`` on loopback with two writer tokens, alice's and bob's."""
    folder = tmp_path / "served"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), "init"], check=True, env=env,
                   capture_output=True)
    tokens = writer_tokens(tmp_path / "tokens.toml", TOKENS)
    with ProvgraphServer(folder, "--tokens", str(tokens), env=env) as server:
        yield server.url, folder


def _client(url: str, agent: str) -> OpenLineageClient:
    auth = ApiKeyTokenProvider({"apiKey": TOKENS[agent]})
    return OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=30, auth=auth)))


def _cli(folder: Path, url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The CLI of a reader project whose store is the server's (alice's token)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")},
           "PROVGRAPH_STORE": url, "PROVGRAPH_TOKEN": TOKENS["alice"]}
    done = subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], env=env,
                          capture_output=True, text=True, timeout=180)
    assert not check or done.returncode == 0, done.stdout + done.stderr
    return done


def _runs(reader: Path, url: str) -> dict[str, dict]:
    return {row["run"]: row for row in json.loads(_cli(reader, url, "runs", "--format", "json").stdout)}


def _violations(reader: Path, url: str) -> list[dict]:
    """What ``provgraph validate`` (PROV-CONSTRAINTS and SHACL, over the server's store) reports."""
    payload = json.loads(_cli(reader, url, "validate", "--json", check=False).stdout)
    return [violation for report in payload["reports"] for violation in report["violations"]]


def _child(state: RunState, time: str, run_id: str, name: str) -> RunEvent:
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=DAG),
                                       job=parent_run.Job(namespace=DAG_JOB[0], name=DAG_JOB[1]))
    return RunEvent(eventType=state, eventTime=time, run=Run(runId=run_id, facets={"parent": parent}),
                    job=Job(namespace="spark", name=name), producer=PRODUCER,
                    inputs=[InputDataset(namespace="s3://lake", name="raw/orders")],
                    outputs=[OutputDataset(namespace="s3://lake", name=f"clean/{name}")])


def _journal(folder: Path, run_id: str) -> list[dict]:
    with Project.find(folder) as project:
        return [e.event for e in project.journal.entries() if e.event.get("run", {}).get("id") == run_id]


@pytest.fixture
def reader(tmp_path: Path, served: tuple[str, Path]) -> Path:
    folder = tmp_path / "reader"
    _cli(folder, served[0], "init")
    return folder


def test_a_complete_only_run_starts_at_its_end_and_its_late_start_adds_no_second_start(
        served: tuple[str, Path], reader: Path) -> None:
    url, folder = served
    alice = _client(url, "alice")
    report = Job(namespace="spark", name="orders_report")
    alice.emit(RunEvent(eventType=RunState.COMPLETE, eventTime="2026-06-01T11:00:00Z", run=Run(runId=REPORT),
                        job=report, producer=PRODUCER, outputs=[OutputDataset(namespace="s3://lake", name="reports")]))
    row = _runs(reader, url)[REPORT]
    assert (row["status"], row["start"], row["end"]) == ("completed", "2026-06-01T11:00:00Z", "2026-06-01T11:00:00Z")
    alice.emit(RunEvent(eventType=RunState.START, eventTime="2026-06-01T10:58:00Z", run=Run(runId=REPORT),
                        job=report, producer=PRODUCER))  # arrives after its COMPLETE
    row = _runs(reader, url)[REPORT]
    assert (row["start"], row["end"]) == ("2026-06-01T11:00:00Z", "2026-06-01T11:00:00Z")
    shown = httpx.get(f"{url}/api/runs/{REPORT}", headers={"Authorization": f"Bearer {TOKENS['alice']}"}).json()
    assert shown["annotations"]["openlineage.startEventTime"] == "2026-06-01T10:58:00Z"
    assert sorted(e["type"] for e in _journal(folder, REPORT)) == ["run.end", "run.start", "run.update"]
    assert _violations(reader, url) == []
    (native,) = _native(_child(RunState.COMPLETE, "2026-06-01T12:00:00Z", CHILD, "clean_orders"))
    httpx.post(f"{url}/api/events", json=native, headers={"Authorization": f"Bearer {TOKENS['alice']}"}
               ).raise_for_status()  # the native endpoint implies nothing
    assert [e["type"] for e in _journal(folder, CHILD)] == ["run.end"] and _journal(folder, DAG) == []


def test_a_parent_known_from_children_is_a_run_its_own_writer_starts(served: tuple[str, Path], reader: Path) -> None:
    url, folder = served
    alice, bob = _client(url, "alice"), _client(url, "bob")
    alice.emit(_child(RunState.START, "2026-06-02T09:01:00Z", CHILD, "clean_orders"))
    alice.emit(_child(RunState.COMPLETE, "2026-06-02T09:05:00Z", CHILD, "clean_orders"))
    bob.emit(_child(RunState.COMPLETE, "2026-06-02T09:07:00Z", SECOND, "dedupe_orders"))  # COMPLETE-only
    runs = _runs(reader, url)
    parent = runs[DAG]
    assert (parent["step"], parent["kind"], parent["start"], parent["end"]) == (
        "airflow/orders_dag", "pipeline", None, None)
    assert runs[CHILD]["parent"] == runs[SECOND]["parent"] == DAG
    (implied,) = _journal(folder, DAG)  # the second child implied nothing new
    assert implied["type"] == "run.update" and implied["annotations"]["provgraph.implied"] is True
    assert "agents" not in implied  # alice submitted the child, not the parent
    assert "airflow/orders_dag" in _cli(reader, url, "show", DAG).stdout

    dag = RunEvent(eventType=RunState.START, eventTime="2026-06-02T09:00:00Z", run=Run(runId=DAG),
                   job=Job(namespace=DAG_JOB[0], name=DAG_JOB[1],
                           facets={"jobType": job_type_job.JobTypeJobFacet("BATCH", "AIRFLOW", "DAG")}),
                   producer=PRODUCER)
    bob.emit(dag)  # the parent's own START, from another writer than its first child's
    parent = _runs(reader, url)[DAG]
    assert (parent["step"], parent["kind"], parent["start"]) == ("airflow/orders_dag", "pipeline",
                                                                 "2026-06-02T09:00:00Z")
    end = RunEvent(eventType=RunState.COMPLETE, eventTime="2026-06-02T09:10:00Z", run=Run(runId=DAG),
                   job=Job(namespace=DAG_JOB[0], name=DAG_JOB[1]), producer=PRODUCER)
    refused = httpx.post(f"{url}/api/v1/lineage", content=Serde.to_json(end), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {TOKENS['alice']}"})
    assert refused.status_code == 403 and "belongs to agent 'bob'" in refused.text  # bob's, not alice's
    bob.emit(end)
    alice.emit(_child(RunState.COMPLETE, "2026-06-02T09:05:00Z", CHILD, "clean_orders"))  # a retry: a duplicate
    assert [e["type"] for e in _journal(folder, DAG)] == ["run.update", "run.start", "run.end"]
    assert _runs(reader, url)[DAG]["end"] == "2026-06-02T09:10:00Z"
    assert _violations(reader, url) == []


def _native(event: RunEvent) -> list[dict]:
    """The native events the endpoint makes of what the client serializes."""
    return events_from_openlineage(json.loads(Serde.to_json(event)))


def test_one_group_commit_sees_its_earlier_requests(tmp_path: Path) -> None:
    """Requests committed together: a later one sees what the earlier ones recorded or implied."""
    backend = Backend(tmp_path)
    dag = RunEvent(eventType=RunState.START, eventTime="2026-06-03T08:00:00Z", run=Run(runId=DAG),
                   job=Job(namespace=DAG_JOB[0], name=DAG_JOB[1]), producer=PRODUCER)
    report = Job(namespace="spark", name="orders_report")
    end = RunEvent(eventType=RunState.COMPLETE, eventTime="2026-06-03T09:00:00Z", run=Run(runId=REPORT), job=report,
                   producer=PRODUCER)
    start = RunEvent(eventType=RunState.START, eventTime="2026-06-03T08:59:00Z", run=Run(runId=REPORT), job=report,
                     producer=PRODUCER)
    group = [_Request(_native(_child(RunState.COMPLETE, "2026-06-03T08:05:00Z", CHILD, "a")), ALICE, implied),
             _Request(_native(_child(RunState.COMPLETE, "2026-06-03T08:06:00Z", SECOND, "b")), ALICE, implied),
             _Request(_native(dag), BOB, implied),  # the parent's own START, in the same group
             _Request(_native(end), ALICE, implied), _Request(_native(start), ALICE, implied)]
    backend._commit(group)
    assert [request.error for request in group] == [None] * 5
    recorded = [(e["type"], e["run"]["id"]) for e in (json.loads(line)["event"] for line in
                (tmp_path / ".provgraph" / "journal.jsonl").read_text().splitlines())]
    assert recorded == [("run.start", CHILD), ("run.update", DAG), ("run.end", CHILD),  # implied first
                        ("run.start", SECOND), ("run.end", SECOND),  # the parent known: nothing implied
                        ("run.start", DAG), ("run.start", REPORT), ("run.end", REPORT),
                        ("run.update", REPORT)]  # the START after its implied start
    assert backend.index.owner(DAG) == "bob" and backend.index.started(REPORT)
    backend.close()



def test_an_index_of_the_older_layout_is_read_again(tmp_path: Path) -> None:
    """An index written before it knew runs (no ``run`` table) learns them from the journal on restart."""
    backend = Backend(tmp_path)
    backend.record(_native(_child(RunState.COMPLETE, "2026-06-03T08:05:00Z", CHILD, "a")), ALICE, implied)
    backend.close()
    with sqlite3.connect(tmp_path / ".provgraph" / "journal-index.sqlite") as db:
        db.executescript("DROP TABLE run; PRAGMA user_version = 0;")  # as the previous release left it
    again = Backend(tmp_path)
    assert again.index.started(CHILD) and again.index.known(DAG) and again.index.owner(DAG) is None
    assert again.index.owner(CHILD) == "alice"
    again.close()


def test_a_caller_cannot_mark_its_own_events_implied(tmp_path: Path) -> None:
    """``provgraph.implied`` is the server's word: one a caller sends is dropped, and its run is still owned."""
    backend = Backend(tmp_path)
    (end,) = _native(_child(RunState.COMPLETE, "2026-06-03T08:05:00Z", CHILD, "a"))
    end["annotations"]["provgraph.implied"] = True
    backend.record([end], ALICE)
    (journaled,) = [json.loads(line)["event"] for line in
                    (tmp_path / ".provgraph" / "journal.jsonl").read_text().splitlines()]
    assert "provgraph.implied" not in journaled["annotations"] and backend.index.owner(CHILD) == "alice"
    backend.close()


def test_an_end_dated_before_its_start_or_a_second_end_keeps_one_start_and_one_end(
        served: tuple[str, Path], reader: Path) -> None:
    """Emitters whose clocks disagree: a COMPLETE dated 2 s before its START ends the run at its start (the
    outputs it names are recorded, its own time kept); a FAIL after the COMPLETE is kept as an update. Both
    were refused with a 422 once a run could not end before its start or twice, and the outputs were lost."""
    url, folder = served
    alice = _client(url, "alice")
    job = Job(namespace="spark", name="skewed")
    alice.emit(RunEvent(eventType=RunState.START, eventTime="2026-06-04T10:00:00Z", run=Run(runId=REPORT),
                        job=job, producer=PRODUCER, inputs=[InputDataset(namespace="s3://lake", name="raw/orders")]))
    alice.emit(RunEvent(eventType=RunState.COMPLETE, eventTime="2026-06-04T09:59:58Z", run=Run(runId=REPORT),
                        job=job, producer=PRODUCER, outputs=[OutputDataset(namespace="s3://lake", name="skewed")]))
    alice.emit(RunEvent(eventType=RunState.FAIL, eventTime="2026-06-04T10:05:00Z", run=Run(runId=REPORT),
                        job=job, producer=PRODUCER))
    start, end, fail = _journal(folder, REPORT)
    assert (start["type"], end["type"], fail["type"]) == ("run.start", "run.end", "run.update")
    assert (end["time"], end["annotations"]["openlineage.endEventTime"]) == ("2026-06-04T10:00:00Z",
                                                                             "2026-06-04T09:59:58Z")
    assert fail["annotations"]["openlineage.endEventTime"] == "2026-06-04T10:05:00Z"
    row = _runs(reader, url)[REPORT]
    assert (row["status"], row["start"], row["end"]) == ("completed", "2026-06-04T10:00:00Z", "2026-06-04T10:00:00Z")
    impact = json.loads(_cli(reader, url, "impact", "s3://lake/raw/orders", "--format", "json").stdout)
    assert "s3://lake/skewed" in json.dumps(impact)
    assert _violations(reader, url) == []


def test_a_file_whose_complete_precedes_its_start_imports(tmp_path: Path) -> None:
    """In a file, events are taken in time order: the COMPLETE dated first starts the run (an implied
    start at its time) and the later START is an update, so the run does not end before it starts."""
    job = Job(namespace="spark", name="skewed")
    lines = [RunEvent(eventType=RunState.START, eventTime="2026-06-05T10:00:00Z", run=Run(runId=REPORT), job=job,
                      producer=PRODUCER, inputs=[InputDataset(namespace="s3://lake", name="raw/orders")]),
             RunEvent(eventType=RunState.COMPLETE, eventTime="2026-06-05T09:59:58Z", run=Run(runId=REPORT), job=job,
                      producer=PRODUCER, outputs=[OutputDataset(namespace="s3://lake", name="skewed")])]
    source = tmp_path / "events.jsonl"
    source.write_text("".join(Serde.to_json(event).replace("\n", "") + "\n" for event in lines))
    folder = tmp_path / "p"
    done = subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), "import-runs", "--from",
                           "openlineage", str(source)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    runs = json.loads(subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), "runs", "--format",
                                      "json"], capture_output=True, text=True, timeout=180, check=True).stdout)
    assert [(r["run"], r["start"], r["end"]) for r in runs] == [(REPORT, "2026-06-05T09:59:58Z",
                                                                 "2026-06-05T09:59:58Z")]
