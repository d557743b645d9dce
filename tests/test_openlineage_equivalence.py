"""The same OpenLineage events give the same lineage whichever way they come: (a) written by the real
openlineage-python client's FileTransport and imported with ``import-runs --from openlineage``, and (b) sent
one by one, in the same order, by its HttpTransport to a real ``provgraph serve`` (a writer token) on
loopback. For each stream of events (Spark, Airflow, dbt, Flink-like, COMPLETE-only, lifecycle state
changes, a START arriving after its COMPLETE, a RUNNING after it, a read while the writer runs, a parent
known only from its children), ``runs``, ``show RUN``, ``impact REF``, ``lineage REF`` and ``who REF``
give the same answers field by field, and ``validate`` finds nothing in either.

Normalised, because they must differ: what the server stamps on what it receives (the submitter agent
and the annotations ``provgraph.submitted_by``, ``provgraph.submitted_at``, ``provgraph.implied`` and
``provgraph.claimed_agents``). Differences by design are asserted as such (see ``BY_DESIGN``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    lifecycle_state_change_dataset,
    output_statistics_output_dataset,
    parent_run,
    processing_engine_run,
    schema_dataset,
    symlinks_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from servers import ProvgraphServer, writer_tokens

from provgraph.cli import main

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/spark"
WRITER, TOKEN = "ingest-bot", "ingest-bot-secret-0123456789"
WRITER_IRI = f"https://w3id.org/provgraph/id/agent/{WRITER}"
STAMPS = ("provgraph.submitted_by", "provgraph.submitted_at", "provgraph.implied", "provgraph.claimed_agents")


def _id(n: int) -> str:
    return f"0192{n:04d}-0000-7000-8000-000000000000"


def _event(state: RunState, time: str, run: str, job: tuple[str, str], inputs: list[InputDataset] | None = None,
           outputs: list[OutputDataset] | None = None, run_facets: dict[str, Any] | None = None,
           job_facets: dict[str, Any] | None = None) -> RunEvent:
    return RunEvent(eventType=state, eventTime=time, run=Run(runId=run, facets=run_facets or {}),
                    job=Job(namespace=job[0], name=job[1], facets=job_facets or {}), producer=PRODUCER,
                    inputs=inputs or [], outputs=outputs or [])


def _version(value: str) -> dict[str, Any]:
    return {"version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=value)}


def _symlink(namespace: str, name: str) -> dict[str, Any]:
    return {"symlinks": symlinks_dataset.SymlinksDatasetFacet(
        identifiers=[symlinks_dataset.Identifier(namespace=namespace, name=name, type="TABLE")])}


def _spark() -> list[RunEvent]:
    """A Spark job reading a path a Hive table names, writing a table seen with statistics only while it
    runs and with its version, schema and column lineage at the end; a report reads the Hive alias."""
    etl, report = _id(1), _id(2)
    job = ("spark", "clean_orders")
    raw = InputDataset(namespace="hdfs://warehouse", name="/raw/orders",
                       facets=_symlink("hive://metastore", "db.raw_orders"))
    statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=42, size=4096)
    running = OutputDataset(namespace="s3://lake", name="clean/orders", outputFacets={"outputStatistics": statistics})
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(fields={
        "amount_usd": column_lineage_dataset.Fields(inputFields=[column_lineage_dataset.InputField(
            namespace="hdfs://warehouse", name="/raw/orders", field="amount")], transformationType="IDENTITY"),
        "id": column_lineage_dataset.Fields(inputFields=[column_lineage_dataset.InputField(
            namespace="hdfs://warehouse", name="/raw/orders", field="id")])})
    schema = schema_dataset.SchemaDatasetFacet(fields=[
        schema_dataset.SchemaDatasetFacetFields(name="id", type="int"),
        schema_dataset.SchemaDatasetFacetFields(name="amount_usd", type="double")])
    clean = OutputDataset(namespace="s3://lake", name="clean/orders", facets={
        **_version("v7"), **_symlink("hive://metastore", "db.clean_orders"), "schema": schema,
        "columnLineage": lineage})
    engine = {"processing_engine": processing_engine_run.ProcessingEngineRunFacet(
        version="3.5.1", name="spark", openlineageAdapterVersion="1.20.0")}
    return [
        _event(RunState.START, "2026-05-01T10:00:00Z", etl, job, [raw], run_facets=engine),
        _event(RunState.RUNNING, "2026-05-01T10:05:00Z", etl, job, outputs=[running]),
        _event(RunState.COMPLETE, "2026-05-01T10:10:00Z", etl, job, [raw], [clean], run_facets=engine),
        _event(RunState.START, "2026-05-01T11:00:00Z", report, ("spark", "orders_report"),
               [InputDataset(namespace="hive://metastore", name="db.clean_orders")]),
        _event(RunState.COMPLETE, "2026-05-01T11:05:00Z", report, ("spark", "orders_report"),
               [InputDataset(namespace="hive://metastore", name="db.clean_orders")],
               [OutputDataset(namespace="s3://lake", name="reports/orders")]),
    ]


def _airflow() -> list[RunEvent]:
    """A DAG run and its tasks (ParentRunFacet): one completes, one fails, its retry (a new runId) completes."""
    dag, extract, transform, retry = _id(11), _id(12), _id(13), _id(14)
    dag_job = ("airflow", "orders_dag")
    kind = {"jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="AIRFLOW", jobType="DAG")}
    task = {"jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="AIRFLOW", jobType="TASK")}
    parent = {"parent": parent_run.ParentRunFacet(run=parent_run.Run(runId=dag),
                                                  job=parent_run.Job(namespace=dag_job[0], name=dag_job[1]))}
    source = InputDataset(namespace="postgres://db:5432", name="shop.public.orders")
    extracted = "s3://lake", "extract/orders"
    error = {"errorMessage": error_message_run.ErrorMessageRunFacet(
        message="KeyError: 'amount'", programmingLanguage="python", stackTrace="Traceback ...")}
    transform_job = ("airflow", "orders_dag.transform")
    return [
        _event(RunState.START, "2026-05-02T09:00:00Z", dag, dag_job, job_facets=kind),
        _event(RunState.START, "2026-05-02T09:01:00Z", extract, ("airflow", "orders_dag.extract"), [source],
               run_facets=parent, job_facets=task),
        _event(RunState.COMPLETE, "2026-05-02T09:02:00Z", extract, ("airflow", "orders_dag.extract"), [source],
               [OutputDataset(namespace=extracted[0], name=extracted[1])], run_facets=parent, job_facets=task),
        _event(RunState.START, "2026-05-02T09:03:00Z", transform, transform_job,
               [InputDataset(namespace=extracted[0], name=extracted[1])], run_facets=parent, job_facets=task),
        _event(RunState.FAIL, "2026-05-02T09:04:00Z", transform, transform_job, run_facets={**parent, **error},
               job_facets=task),
        _event(RunState.START, "2026-05-02T09:05:00Z", retry, transform_job,
               [InputDataset(namespace=extracted[0], name=extracted[1])], run_facets=parent, job_facets=task),
        _event(RunState.COMPLETE, "2026-05-02T09:07:00Z", retry, transform_job,
               [InputDataset(namespace=extracted[0], name=extracted[1])],
               [OutputDataset(namespace="s3://lake", name="transform/orders")], run_facets=parent, job_facets=task),
        _event(RunState.COMPLETE, "2026-05-02T09:08:00Z", dag, dag_job, job_facets=kind),
    ]


WAREHOUSE = "postgres://warehouse:5432"


def _dbt() -> list[RunEvent]:
    """Two dbt projects (a job namespace each): one run writes five models, the other reads one of them."""
    analytics, marketing = _id(21), _id(22)
    sources = [InputDataset(namespace=WAREHOUSE, name=f"shop.raw.{table}") for table in ("customers", "orders")]
    models = [OutputDataset(namespace=WAREHOUSE, name=f"shop.analytics.{model}") for model in
              ("stg_customers", "stg_orders", "customers", "orders", "revenue")]
    customers = [InputDataset(namespace=WAREHOUSE, name="shop.analytics.customers")]
    segments = [OutputDataset(namespace=WAREHOUSE, name="shop.marketing.segments")]
    return [
        _event(RunState.START, "2026-05-03T06:00:00Z", analytics, ("dbt-analytics", "analytics.build"), sources),
        _event(RunState.COMPLETE, "2026-05-03T06:04:00Z", analytics, ("dbt-analytics", "analytics.build"), sources,
               models),
        _event(RunState.START, "2026-05-03T06:10:00Z", marketing, ("dbt-marketing", "marketing.build"), customers),
        _event(RunState.COMPLETE, "2026-05-03T06:12:00Z", marketing, ("dbt-marketing", "marketing.build"),
               customers, segments),
    ]


def _flink() -> list[RunEvent]:
    """A streaming job that only ever sends RUNNING events (checkpoints), never its end."""
    run, job = _id(31), ("flink", "orders_enrich")
    kind = {"jobType": job_type_job.JobTypeJobFacet(processingType="STREAMING", integration="FLINK", jobType="JOB")}
    topics = [InputDataset(namespace="kafka://broker:9092", name="orders")]
    enriched = [OutputDataset(namespace="kafka://broker:9092", name="orders_enriched")]
    return [_event(RunState.RUNNING, f"2026-05-04T12:{minute:02d}:00Z", run, job, topics, enriched, job_facets=kind)
            for minute in (0, 5, 10)]


def _complete_only() -> list[RunEvent]:
    """Runs known only from their COMPLETE: a versioned write, then a reader giving no version."""
    nightly, reader = _id(41), _id(42)
    return [
        _event(RunState.COMPLETE, "2026-05-05T01:00:00Z", nightly, ("spark", "nightly"),
               [InputDataset(namespace="s3://lake", name="clean/orders")],
               [OutputDataset(namespace="s3://lake", name="nightly/orders", facets=_version("n1"))]),
        _event(RunState.COMPLETE, "2026-05-05T02:00:00Z", reader, ("spark", "nightly_report"),
               [InputDataset(namespace="s3://lake", name="nightly/orders")],
               [OutputDataset(namespace="s3://lake", name="reports/nightly")]),
    ]


def _late_start() -> list[RunEvent]:
    """A START that arrives after its run's COMPLETE."""
    run, job = _id(51), ("spark", "late")
    return [
        _event(RunState.COMPLETE, "2026-05-06T14:10:00Z", run, job, [InputDataset(namespace="s3://lake", name="a")],
               [OutputDataset(namespace="s3://lake", name="b")]),
        _event(RunState.START, "2026-05-06T14:00:00Z", run, job, [InputDataset(namespace="s3://lake", name="a")]),
    ]


def _running_after_end() -> list[RunEvent]:
    """A RUNNING that arrives after its run's COMPLETE, naming the output without its version."""
    run, job = _id(71), ("spark", "slow_sender")
    return [
        _event(RunState.START, "2026-05-08T08:00:00Z", run, job),
        _event(RunState.COMPLETE, "2026-05-08T08:10:00Z", run, job,
               outputs=[OutputDataset(namespace="s3://lake", name="late", facets=_version("l1"))]),
        _event(RunState.RUNNING, "2026-05-08T08:05:00Z", run, job, outputs=[OutputDataset(namespace="s3://lake",
                                                                                          name="late")]),
    ]


def _read_while_running() -> list[RunEvent]:
    """A run reads a table while another run writes it (between the writer's RUNNING and COMPLETE)."""
    writer, reader = _id(81), _id(82)
    table = ("s3://lake", "busy")
    return [
        _event(RunState.START, "2026-05-09T08:00:00Z", writer, ("spark", "writer")),
        _event(RunState.RUNNING, "2026-05-09T08:01:00Z", writer, ("spark", "writer"),
               outputs=[OutputDataset(namespace=table[0], name=table[1])]),
        _event(RunState.START, "2026-05-09T08:02:00Z", reader, ("spark", "reader"),
               [InputDataset(namespace=table[0], name=table[1])]),
        _event(RunState.COMPLETE, "2026-05-09T08:03:00Z", reader, ("spark", "reader"),
               [InputDataset(namespace=table[0], name=table[1])]),
        _event(RunState.COMPLETE, "2026-05-09T08:04:00Z", writer, ("spark", "writer"),
               outputs=[OutputDataset(namespace=table[0], name=table[1], facets=_version("b1"))]),
    ]


def _parent_from_children() -> list[RunEvent]:
    """Tasks whose DAG run sends no event of its own."""
    dag = _id(91)
    parent = {"parent": parent_run.ParentRunFacet(run=parent_run.Run(runId=dag),
                                                  job=parent_run.Job(namespace="airflow", name="nightly_dag"))}
    task = ("airflow", "nightly_dag.load")
    return [_event(RunState.START, "2026-05-10T03:01:00Z", _id(92), task, run_facets=parent),
            _event(RunState.COMPLETE, "2026-05-10T03:02:00Z", _id(92), task, run_facets=parent,
                   outputs=[OutputDataset(namespace="s3://lake", name="nightly/load")])]


def _lifecycle() -> list[RunEvent]:
    """A Hive table created, overwritten, truncated and dropped, each by its own run."""
    def state(change: str) -> dict[str, Any]:
        return {"lifecycleStateChange": lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
            lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange[change])}
    job = ("spark", "scratch")
    table = ("hive://metastore", "db.scratch")
    steps = [("2026-05-07T15:00:00Z", {**state("CREATE"), **_version("s1")}),
             ("2026-05-07T15:10:00Z", {**state("OVERWRITE"), **_version("s2")}),
             ("2026-05-07T15:20:00Z", state("TRUNCATE")), ("2026-05-07T15:30:00Z", state("DROP"))]
    events = []
    for n, (time, facets) in enumerate(steps, 61):
        events.append(_event(RunState.START, time, _id(n), job))
        events.append(_event(RunState.COMPLETE, time.replace(":00Z", ":30Z"), _id(n), job,
                             outputs=[OutputDataset(namespace=table[0], name=table[1], facets=facets)]))
    return events


def _late_start_differs() -> dict[str, tuple[Any, Any]]:
    """A START arriving after its COMPLETE: the server had started the run at the COMPLETE's time (it cannot
    wait for a START that may never come) and keeps the late START's time as an annotation; a file, which
    holds both, starts the run at its START."""
    run, start, end = _id(51), "2026-05-06T14:00:00Z", "2026-05-06T14:10:00Z"
    return {"/impact s3://lake/a/rows[1]/started": (start, end), "/lineage s3://lake/b/rows[2]/started": (start, end),
            f"/runs/{run}/duration": (600.0, 0.0), f"/runs/{run}/start": (start, end),
            f"/show {run}/annotations/openlineage.startEventTime": (None, start),
            f"/show {run}/annotations/provgraph.note": (None, "start time: its end event's time"),
            f"/show {run}/duration_s": (600.0, 0.0), f"/show {run}/started": (start, end),
            f"/who {run}[0]/time": (start, end), "/who s3://lake/a[0]/time": (start, end)}


def _read_while_running_differs() -> dict[str, Any]:
    """A run reading a table between its writer's RUNNING and COMPLETE: over HTTP it read what the writer
    was writing, the version the COMPLETE then named; a file, where the version exists from the
    COMPLETE's time, has the reader read a version it cannot name (unverified)."""
    table, version = "s3://lake/busy", "https://w3id.org/provgraph/id/data/openlineage-version-53fb8afc617998832c7002fa5e1b00f8"
    unverified = "https://w3id.org/provgraph/id/data/unverified-f02ec106352505c753768076edb66a84"
    return {f"/show {_id(82)}/used[0]/iri": (unverified, version),
            f"/who {table}[0]/entity": (unverified.rsplit("/", 1)[1], version.rsplit("/", 1)[1]),
            f"/who {table}[0]/entity_iri": (unverified, version),
            f"/impact {table}/edges[0][0]": (unverified, version),
            # REF names the logical dataset in the file, its one version over HTTP; listings differ with it
            f"/impact {table}/iri": ("https://w3id.org/provgraph/id/dataset/s3___lake_busy-0d9bf273", version),
            f"/lineage {table}/iri": ("https://w3id.org/provgraph/id/dataset/s3___lake_busy-0d9bf273", version),
            f"/impact {table}/rows": ..., f"/lineage {table}/rows": ...}


def _parent_from_children_differs() -> dict[str, tuple[Any, Any]]:
    """A parent known only from its children: a file starts it at its first child's event; the server,
    which cannot know whether the parent's own START is coming, gives it no start time until it does."""
    dag, first = _id(91), "2026-05-10T03:01:00Z"
    return {f"/runs/{dag}/start": (first, None), f"/runs/{dag}/status": ("running", None),
            f"/show {dag}/started": (first, None), f"/who {dag}[0]/time": (first, None),
            f"/show {dag}/annotations/provgraph.note": (
                "known from its children's ParentRunFacet; start time: its first child's event",
                "known from its children's ParentRunFacet; its own START gives its start time")}


#: Differences that cannot be equal by design, per stream: path -> (from the file, over HTTP), or ``...``
#: for a whole listing that differs with them
BY_DESIGN: dict[str, dict[str, Any]] = {
    # statistics seen only in a RUNNING event reach a symlink alias that only the COMPLETE names (here the
    # Hive table the report reads) from a file alone, whose RUNNING is folded into that COMPLETE
    "spark": {f"/show {_id(1)}/generated[0]/size": (4096, None), f"/show {_id(2)}/used[0]/size": (4096, None)},
    "late-start": _late_start_differs(),
    "read-while-running": _read_while_running_differs(),
    "parent-from-children": _parent_from_children_differs(),
}

STREAMS = {"spark": _spark, "airflow": _airflow, "dbt": _dbt, "flink": _flink, "complete-only": _complete_only,
           "late-start": _late_start, "lifecycle": _lifecycle, "running-after-end": _running_after_end,
           "read-while-running": _read_while_running, "parent-from-children": _parent_from_children}


def _refs(events: list[RunEvent]) -> list[str]:
    """What to ask ``impact``, ``lineage`` and ``who`` about: every dataset, its aliases and columns."""
    found: dict[str, None] = {}
    for event in events:
        for dataset in [*event.inputs, *event.outputs]:
            uri = dataset.namespace.rstrip("/") + "/" + dataset.name.lstrip("/")
            found[uri] = None
            facets = dataset.facets or {}
            for link in getattr(facets.get("symlinks"), "identifiers", ()):
                found[f"{link.namespace}/{link.name}"] = None
            for field in getattr(facets.get("columnLineage"), "fields", {}):
                found[f"{uri}#{field}"] = None
    return list(found)


def _ask(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> Any:
    """What the CLI of the project in ``folder`` answers, as JSON."""
    capsys.readouterr()
    code = main(["-C", str(folder), *args])
    out, err = capsys.readouterr()
    assert code in (0, 1), err  # validate says 1 when it finds something
    return json.loads(out)


def _answers(capsys: pytest.CaptureFixture[str], folder: Path, refs: list[str]) -> dict[str, Any]:
    runs = _ask(capsys, folder, "runs", "--format", "json")
    found: dict[str, Any] = {"runs": {row["run"]: row for row in runs}}
    for row in runs:
        found[f"show {row['run']}"] = _ask(capsys, folder, "show", row["run"], "--format", "json")
        found[f"who {row['run']}"] = _ask(capsys, folder, "who", row["run"], "--format", "json")
    for ref in refs:
        for command in ("impact", "lineage", "who"):
            found[f"{command} {ref}"] = _ask(capsys, folder, command, ref, "--format", "json")
    report = _ask(capsys, folder, "validate", "--json")
    found["violations"] = [v for part in report["reports"] for v in part["violations"]]
    return found


def _normal(value: Any) -> Any:
    """``value`` without what the server stamps on what it receives (see the module docstring)."""
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items() if key not in STAMPS}
    if isinstance(value, list):
        if value and all(isinstance(row, dict) and "action" in row for row in value):
            value = _who(value)
        return [_normal(item) for item in value if not _names_writer(item)]
    return value


def _names_writer(item: Any) -> bool:
    """Whether ``item`` (a listed agent, a row or an edge) is or names the token's agent."""
    values = item.values() if isinstance(item, dict) else item if isinstance(item, list) else [item]
    return any(value in (WRITER, WRITER_IRI) for value in values)


WHO_AGENT = ("agent", "agent_iri", "agent_kind", "role", "on_behalf_of")


def _who(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``who`` rows without the token's agent: an action only it did (an invalidation) keeps one row
    naming no agent, as from a file."""
    def action(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row.get(key) for key in row if key not in WHO_AGENT)
    others = {action(row) for row in rows if row.get("agent_iri") != WRITER_IRI}
    return [row if row.get("agent_iri") != WRITER_IRI or action(row) in others
            else {**row, **dict.fromkeys(WHO_AGENT)} for row in rows]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``PROVGRAPH_*`` setting of the caller's reaches the CLI."""
    for name in [k for k in os.environ if k.startswith("PROVGRAPH_")]:
        monkeypatch.delenv(name)


def _by_file(events: list[RunEvent], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = folder.parent / f"{folder.name}.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log), append=True)))
    for event in events:
        client.emit(event)
    assert main(["-C", str(folder), "init"]) == 0
    assert main(["-C", str(folder), "import-runs", "--from", "openlineage", str(log)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("stream", list(STREAMS))
def test_the_same_events_from_a_file_and_over_http_give_the_same_lineage(
        stream: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        environment: None) -> None:
    events = STREAMS[stream]()
    refs = _refs(events)
    _by_file(events, tmp_path / "file", capsys)
    from_file = _answers(capsys, tmp_path / "file", refs)

    served = tmp_path / "served"
    assert main(["-C", str(served), "init"]) == 0
    tokens = writer_tokens(tmp_path / "tokens.toml", {WRITER: TOKEN})
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    with ProvgraphServer(served, "--tokens", str(tokens), env=env) as server:
        client = OpenLineageClient(transport=HttpTransport(HttpConfig(
            url=server.url, timeout=30, auth=ApiKeyTokenProvider({"apiKey": TOKEN}))))
        for event in events:
            client.emit(event)
        reader = tmp_path / "reader"
        monkeypatch.setenv("PROVGRAPH_STORE", server.url)
        monkeypatch.setenv("PROVGRAPH_TOKEN", TOKEN)
        assert main(["-C", str(reader), "init"]) == 0
        over_http = _answers(capsys, reader, refs)

    assert from_file["violations"] == [] and over_http["violations"] == []
    assert from_file["runs"], "the stream recorded no run"
    differences = _differences(_normal(from_file), _normal(over_http))
    expected = BY_DESIGN.get(stream, {})
    differences.update({path: ... for path, pair in expected.items() if pair is ... and path in differences})
    assert differences == expected, "\n".join(f"{path}: {pair!r} (file, HTTP)" for path, pair in differences.items())


def _differences(file: Any, http: Any, where: str = "") -> dict[str, tuple[Any, Any]]:
    """Where two answers differ: path -> (from the file, over HTTP)."""
    if isinstance(file, dict) and isinstance(http, dict):
        return {path: pair for key in sorted(file.keys() | http.keys(), key=str)
                for path, pair in _differences(file.get(key), http.get(key), f"{where}/{key}").items()}
    if isinstance(file, list) and isinstance(http, list) and len(file) == len(http):
        return {path: pair for i, (a, b) in enumerate(zip(file, http, strict=True))
                for path, pair in _differences(a, b, f"{where}[{i}]").items()}
    return {} if file == http else {where: (file, http)}
