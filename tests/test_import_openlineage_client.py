"""OpenLineage import of events made by the real openlineage-python client: written by its FileTransport
and read by `import-runs`, and sent by its HttpTransport to a real `provgraph serve` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    dataset_version_dataset,
    external_query_run,
    lifecycle_state_change_dataset,
    output_statistics_output_dataset,
    parent_run,
    processing_engine_run,
    schema_dataset,
    symlinks_dataset,
)
from openlineage.client.serde import Serde
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from servers import ProvgraphServer

from provgraph.export.document import prov_document
from provgraph.importers.openlineage import IMPORTER
from provgraph.importers.registry import ImportOptions
from provgraph.project import Project
from provgraph.query.traverse import impact, lineage
from provgraph.render import diagram, svg
from provgraph.validate import check_document

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
ETL, PARENT, REPORT, CLEANUP = (f"0190{n}000-0000-7000-8000-00000000000{n}" for n in range(1, 5))
RAW, CLEAN, HIVE = ("hdfs://warehouse", "/raw/orders"), ("s3://lake", "clean/orders"), ("hive://metastore", "db.orders")


def _events() -> list[RunEvent]:
    """A Spark job under an Airflow DAG (START, RUNNING, COMPLETE), a COMPLETE-only reader and a DROP."""
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=PARENT),
                                       job=parent_run.Job(namespace="airflow", name="orders_dag"))
    raw = InputDataset(namespace=RAW[0], name=RAW[1], facets={"symlinks": symlinks_dataset.SymlinksDatasetFacet(
        identifiers=[symlinks_dataset.Identifier(namespace=HIVE[0], name=HIVE[1], type="TABLE")])})
    etl = Job(namespace="spark", name="clean_orders")
    statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=42, size=4096)
    running_out = OutputDataset(namespace=CLEAN[0], name=CLEAN[1], outputFacets={"outputStatistics": statistics})
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(fields={"amount_usd": column_lineage_dataset.Fields(
        inputFields=[column_lineage_dataset.InputField(namespace=RAW[0], name=RAW[1], field="amount")],
        transformationType="IDENTITY")})
    schema = schema_dataset.SchemaDatasetFacet(fields=[
        schema_dataset.SchemaDatasetFacetFields(name="id", type="int"),
        schema_dataset.SchemaDatasetFacetFields(name="amount_usd", type="double")])
    clean = OutputDataset(namespace=CLEAN[0], name=CLEAN[1], facets={
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion="v7"),
        "schema": schema, "columnLineage": lineage})
    facets = {"parent": parent,
              "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                  version="3.5.1", name="spark", openlineageAdapterVersion="1.20.0"),
              "externalQuery": external_query_run.ExternalQueryRunFacet(externalQueryId="q-17", source="bigquery")}
    report = Job(namespace="spark", name="orders_report")
    drop = lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
        lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange.DROP)
    return [
        RunEvent(eventType=RunState.START, eventTime="2026-05-01T10:00:00Z", run=Run(runId=ETL, facets=facets),
                 job=etl, producer=PRODUCER, inputs=[raw]),
        RunEvent(eventType=RunState.RUNNING, eventTime="2026-05-01T10:05:00Z", run=Run(runId=ETL), job=etl,
                 producer=PRODUCER, outputs=[running_out]),
        RunEvent(eventType=RunState.COMPLETE, eventTime="2026-05-01T10:10:00Z", run=Run(runId=ETL, facets=facets),
                 job=etl, producer=PRODUCER, inputs=[raw], outputs=[clean]),
        RunEvent(eventType=RunState.COMPLETE, eventTime="2026-05-01T11:00:00Z", run=Run(runId=REPORT), job=report,
                 producer=PRODUCER, inputs=[InputDataset(namespace=CLEAN[0], name=CLEAN[1])],
                 outputs=[OutputDataset(namespace="s3://lake", name="reports/orders")]),
        RunEvent(eventType=RunState.COMPLETE, eventTime="2026-05-01T12:00:00Z", run=Run(runId=CLEANUP),
                 job=Job(namespace="spark", name="cleanup"), producer=PRODUCER,
                 outputs=[OutputDataset(namespace=HIVE[0], name="db.scratch", facets={"lifecycleStateChange": drop})]),
    ]


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The events as the client's FileTransport writes them (JSON Lines)."""
    log = tmp_path / "lineage.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log), append=True)))
    for event in _events():
        client.emit(event)
    return log


def _ends(events: list[dict]) -> dict[str, dict]:
    return {e["run"]["id"]: e for e in events if e["type"] == "run.end"}


def test_facets_become_lineage_and_annotations(written: Path) -> None:
    result = IMPORTER.read(str(written), ImportOptions())
    etl = _ends(result.events)[ETL]
    clean = f"{CLEAN[0]}/{CLEAN[1]}"
    output = next(a for a in etl["generated"] if a["location"] == clean)
    assert output["digests"] == {"openlineage-version": "v7"}
    assert output["size"] == 4096  # seen only in the RUNNING event
    assert etl["annotations"][f"openlineage.rowCount:{clean}"] == 42
    assert json.loads(etl["annotations"][f"openlineage.schema:{clean}"]) == [
        {"name": "id", "type": "int"}, {"name": "amount_usd", "type": "double"}]
    column = next(a for a in etl["generated"] if a["location"] == f"{clean}#amount_usd")
    assert column["derived_from"] == [{"source": f"{RAW[0]}{RAW[1]}#amount", "transformations": [{"type": "IDENTITY"}]}]
    assert f"{RAW[0]}{RAW[1]}#amount" in {a["location"] for a in etl["used"]}
    assert {(a["location"], a.get("role")) for a in etl["used"] if a["kind"] == "dataset"} == {
        (f"{RAW[0]}{RAW[1]}", None), (f"{HIVE[0]}/{HIVE[1]}", "symlink")}
    assert etl["environment"]["packages"] == {"spark": "3.5.1", "openlineage-adapter": "1.20.0"}
    assert etl["annotations"]["openlineage.externalQuery.externalQueryId"] == "q-17"


def test_runs_parents_readers_and_drops(written: Path) -> None:
    events = IMPORTER.read(str(written), ImportOptions()).events
    starts = {e["run"]["id"]: e for e in events if e["type"] == "run.start"}
    assert starts[PARENT]["run"] == {"id": PARENT, "step": "airflow/orders_dag", "kind": "pipeline"}
    assert starts[REPORT]["time"] == "2026-05-01T11:00:00Z"  # COMPLETE-only: started at its end
    assert starts[ETL]["time"] == "2026-05-01T10:00:00Z"
    reader = _ends(events)[REPORT]["used"][0]
    assert reader["location"] == f"{CLEAN[0]}/{CLEAN[1]}" and "digests" not in reader  # the latest version
    (dropped,) = [e for e in events if e["type"] == "artifact.invalidate"]
    assert dropped["invalidation"]["target"] == f"{HIVE[0]}/db.scratch"
    assert "DROP" in dropped["invalidation"]["reason"]


def test_impact_follows_columns_and_symlinks(written: Path, project: Project) -> None:
    project.record_many(IMPORTER.read(str(written), ImportOptions()).events)
    column = impact(project.synced_store(), f"{RAW[0]}{RAW[1]}#amount", root=project.root)
    assert f"{CLEAN[0]}/{CLEAN[1]}#amount_usd" in {r["label"] for r in column.rows}
    table = impact(project.synced_store(), f"{HIVE[0]}/{HIVE[1]}", root=project.root)
    assert f"{CLEAN[0]}/{CLEAN[1]}" in {r["label"] for r in table.rows}
    assert check_document(prov_document(project.synced_store())).violations == []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``provgraph serve`` on loopback over a fresh project."""
    folder = tmp_path / "served"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    cli = [sys.executable, "-m", "provgraph", "-C", str(folder)]
    subprocess.run([*cli, "init"], check=True, env=env, capture_output=True)
    with ProvgraphServer(folder, env=env) as server:
        yield server.url, folder


def test_the_http_transport_records_run_events_and_dataset_events_are_refused(served: tuple[str, Path]) -> None:
    url, folder = served
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=30)))
    for event in _events():
        client.emit(event)
    dataset_event = DatasetEvent(eventTime="2026-05-01T13:00:00Z", producer=PRODUCER,
                                 dataset=StaticDataset(namespace=CLEAN[0], name=CLEAN[1]))
    answer = httpx.post(f"{url}/api/v1/lineage", content=Serde.to_json(dataset_event),
                        headers={"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500 and "describes no run" in answer.text
    with Project.find(folder) as project:
        recorded = [entry.event for entry in project.journal.entries()]
    # single events: START, RUNNING (an update), COMPLETE x3 and the DROP's invalidation; implied: the two
    # COMPLETE-only runs' starts and the parent known from the ParentRunFacet (an update: no start time)
    assert sorted((e["type"], e["run"]["id"] if "run" in e else None) for e in recorded) == sorted([
        ("artifact.invalidate", None), *(("run.end", r) for r in (ETL, REPORT, CLEANUP)),
        *(("run.start", r) for r in (ETL, REPORT, CLEANUP)), ("run.update", ETL), ("run.update", PARENT)])


STATS = ("s3://lake", "stats/orders_daily")
LATE, AFTER = (f"0190{n}000-0000-7000-8000-00000000000{n}" for n in (5, 6))


def _cli(folder: Path, url: str, *args: str) -> str:
    """The CLI of a project in ``folder`` reading the store of the server at ``url``."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}, "PROVGRAPH_STORE": url}
    done = subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _run_event(state: RunState, time: str, run_id: str, **datasets: list) -> RunEvent:
    return RunEvent(eventType=state, eventTime=time, run=Run(runId=run_id), job=Job(namespace="spark", name="daily"),
                    producer=PRODUCER, **datasets)


def test_running_events_sent_alone_add_outputs_and_statistics(served: tuple[str, Path], tmp_path: Path) -> None:
    """START, RUNNING with an output and its statistics, COMPLETE without it: the output is the run's; a
    RUNNING after its COMPLETE changes neither the start, the end nor the status; a RUNNING before any
    START starts the run (as a streaming job's RUNNING-only run), its START arriving later is kept as
    ``openlineage.startEventTime``."""
    url, _ = served
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=30)))
    raw = InputDataset(namespace=RAW[0], name=RAW[1])
    statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=1234, size=56789)
    seen = [OutputDataset(namespace=STATS[0], name=STATS[1], outputFacets={"outputStatistics": statistics})]
    early = [OutputDataset(namespace=STATS[0], name="stats/early")]
    late = [OutputDataset(namespace=STATS[0], name="stats/late")]
    for event in (
        _run_event(RunState.START, "2026-05-02T09:00:00Z", ETL, inputs=[raw]),
        _run_event(RunState.RUNNING, "2026-05-02T09:01:00Z", ETL, outputs=seen),
        _run_event(RunState.COMPLETE, "2026-05-02T09:02:00Z", ETL, inputs=[raw]),
        _run_event(RunState.RUNNING, "2026-05-02T10:01:00Z", LATE, outputs=early),  # before its START arrives
        _run_event(RunState.START, "2026-05-02T10:00:00Z", LATE, inputs=[raw]),
        _run_event(RunState.COMPLETE, "2026-05-02T10:05:00Z", LATE),
        _run_event(RunState.START, "2026-05-02T11:00:00Z", AFTER),
        _run_event(RunState.FAIL, "2026-05-02T11:01:00Z", AFTER),
        _run_event(RunState.RUNNING, "2026-05-02T11:00:30Z", AFTER, outputs=late),  # after its FAIL arrived
    ):
        client.emit(event)
    output = f"{STATS[0]}/{STATS[1]}"
    impact_rows = httpx.get(f"{url}/api/impact", params={"ref": f"{RAW[0]}{RAW[1]}"}).json()["rows"]
    assert {output, f"{STATS[0]}/stats/early"} <= {r["label"] for r in impact_rows}
    run = httpx.get(f"{url}/api/runs/{ETL}").json()
    assert (run["status"], run["started"], run["ended"]) == (
        "completed", "2026-05-02T09:00:00Z", "2026-05-02T09:02:00Z")
    (generated,) = run["generated"]
    assert (generated["location"], generated["size"]) == (output, 56789)
    assert run["annotations"][f"openlineage.rowCount:{output}"] == 1234
    early_run, after = (httpx.get(f"{url}/api/runs/{run_id}").json() for run_id in (LATE, AFTER))
    assert (early_run["status"], early_run["started"], early_run["ended"]) == (
        "completed", "2026-05-02T10:01:00Z", "2026-05-02T10:05:00Z")
    assert early_run["annotations"]["openlineage.startEventTime"] == "2026-05-02T10:00:00Z"
    assert (after["status"], after["started"], after["ended"]) == ("failed", "2026-05-02T11:00:00Z",
                                                                    "2026-05-02T11:01:00Z")
    assert [a["location"] for a in after["generated"]] == [f"{STATS[0]}/stats/late"]
    reader = tmp_path / "reader"  # a project whose store is the server's
    _cli(reader, url, "init")
    shown = _cli(reader, url, "show", ETL)
    assert output in shown and "56789" in shown and f"openlineage.rowCount:{output}" in shown and "1234" in shown


CUSTOMERS, CLEAN_CUSTOMERS, REPORT_TABLE = "hdfs://warehouse/customers", "s3://lake/customers", "s3://lake/report"


def _column_events() -> list[RunEvent]:
    """A Spark job whose column lineage uses the newer ``transformations`` form (with lineage that affects
    the whole output table), and a job whose 1.x facet gives one ``transformationType`` per output field."""
    def field(namespace: str, name: str, column: str, *how: tuple[str, str | None, bool | None, str | None]
              ) -> column_lineage_dataset.InputField:
        return column_lineage_dataset.InputField(namespace=namespace, name=name, field=column, transformations=[
            column_lineage_dataset.Transformation(type=t, subtype=s, masking=m, description=d) for t, s, m, d in how])

    hdfs, lake = ("hdfs://warehouse", "/customers"), ("s3://lake", "customers")
    newer = column_lineage_dataset.ColumnLineageDatasetFacet(fields={
        "id": column_lineage_dataset.Fields(inputFields=[
            field(*hdfs, "id", ("DIRECT", "IDENTITY", None, None), ("INDIRECT", "SORT", None, None))]),
        "email_hash": column_lineage_dataset.Fields(inputFields=[
            field(*hdfs, "email", ("DIRECT", "TRANSFORMATION", True, "sha2(email, 256)")),
            field(*hdfs, "status", ("INDIRECT", "FILTER", None, None))]),
    }, dataset=[field(*hdfs, "country", ("INDIRECT", "FILTER", None, "country = 'FR'"))])  # the whole table
    legacy = column_lineage_dataset.ColumnLineageDatasetFacet(fields={"customer_id": column_lineage_dataset.Fields(
        inputFields=[column_lineage_dataset.InputField(namespace=lake[0], name=lake[1], field="id")],
        transformationType="IDENTITY", transformationDescription="renamed")})
    return [
        RunEvent(eventType=RunState.COMPLETE, eventTime="2026-05-03T08:00:00Z", run=Run(runId=ETL),
                 job=Job(namespace="spark", name="mask_customers"), producer=PRODUCER,
                 inputs=[InputDataset(*hdfs)], outputs=[OutputDataset(*lake, facets={"columnLineage": newer})]),
        RunEvent(eventType=RunState.COMPLETE, eventTime="2026-05-03T09:00:00Z", run=Run(runId=REPORT),
                 job=Job(namespace="spark", name="report"), producer=PRODUCER,
                 inputs=[InputDataset(*lake)], outputs=[OutputDataset("s3://lake", "report",
                                                                      facets={"columnLineage": legacy})]),
    ]


@pytest.fixture
def columns(tmp_path: Path, project: Project) -> Project:
    """The column events written by the client's FileTransport, imported into a project."""
    log = tmp_path / "columns.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log), append=True)))
    for event in _column_events():
        client.emit(event)
    project.record_many(IMPORTER.read(str(log), ImportOptions()).events)
    return project


def test_column_transformations_answer_a_sparql_query(columns: Project) -> None:
    query = """
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX provml: <https://w3id.org/provgraph/provml#>
        SELECT ?derived ?source ?type ?subtype ?masking ?description WHERE {
          GRAPH ?b { ?d prov:qualifiedDerivation ?how . ?how prov:entity ?s ; provml:transformationType ?type . }
          OPTIONAL { GRAPH ?b { ?how provml:transformationSubtype ?subtype } }
          OPTIONAL { GRAPH ?b { ?how provml:masking ?masking } }
          OPTIONAL { GRAPH ?b { ?how provml:transformationDescription ?description } }
          GRAPH ?shared { ?d provml:location ?derived . ?s provml:location ?source . }
        }"""
    found = {tuple(str(row[k].value) if row.get(k) is not None else None for k in
                   ("derived", "source", "type", "subtype", "masking", "description"))
             for row in columns.synced_store().query(query).rows}
    assert found == {
        (f"{CLEAN_CUSTOMERS}#id", f"{CUSTOMERS}#id", "DIRECT", "IDENTITY", None, None),
        (f"{CLEAN_CUSTOMERS}#id", f"{CUSTOMERS}#id", "INDIRECT", "SORT", None, None),
        (f"{CLEAN_CUSTOMERS}#email_hash", f"{CUSTOMERS}#email", "DIRECT", "TRANSFORMATION", "true", "sha2(email, 256)"),
        (f"{CLEAN_CUSTOMERS}#email_hash", f"{CUSTOMERS}#status", "INDIRECT", "FILTER", None, None),
        (f"{REPORT_TABLE}#customer_id", f"{CLEAN_CUSTOMERS}#id", "IDENTITY", None, None, "renamed"),  # the 1.x form
        (CLEAN_CUSTOMERS, f"{CUSTOMERS}#country", "INDIRECT", "FILTER", None, "country = 'FR'"),  # the whole table
    }
    derived = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX provml: <https://w3id.org/provgraph/provml#>
        SELECT ?source WHERE {{
          GRAPH ?b {{ ?d prov:wasDerivedFrom ?s }}
          GRAPH ?shared {{ ?d provml:location "{CLEAN_CUSTOMERS}" . ?s provml:location ?source }} }}"""
    # derived from everything the run used, as any output, and from the filtered field
    assert {row["source"].value for row in columns.synced_store().query(derived).rows} == {
        CUSTOMERS, *(f"{CUSTOMERS}#{field}" for field in ("id", "email", "status", "country"))}
    assert check_document(prov_document(columns.synced_store())).violations == []


def test_column_lineage_and_impact_print_the_transformation(columns: Project) -> None:
    upstream = {r["label"]: r.get("transformation")
                for r in lineage(columns.synced_store(), f"{CLEAN_CUSTOMERS}#email_hash", root=columns.root).rows}
    assert upstream[f"{CUSTOMERS}#email"] == "DIRECT/TRANSFORMATION masking: sha2(email, 256)"
    assert upstream[f"{CUSTOMERS}#status"] == "INDIRECT/FILTER"
    downstream = impact(columns.synced_store(), f"{CUSTOMERS}#id", root=columns.root)
    by_label = {r["label"]: r.get("transformation") for r in downstream.rows}
    assert by_label[f"{CLEAN_CUSTOMERS}#id"] == "DIRECT/IDENTITY; INDIRECT/SORT"
    assert by_label[f"{REPORT_TABLE}#customer_id"] == "IDENTITY: renamed"
    printed = str(downstream)
    assert "TRANSFORMATION" in printed.splitlines()[0] and "DIRECT/IDENTITY; INDIRECT/SORT" in printed
    table = {r["label"]: r.get("transformation") for r in lineage(columns.synced_store(), CLEAN_CUSTOMERS).rows}
    assert table[f"{CUSTOMERS}#country"] == "INDIRECT/FILTER: country = 'FR'"
    assert table[CUSTOMERS] is None  # derived from the input table too, no transformation said


def test_column_transformations_label_the_diagram_edges(columns: Project) -> None:
    source = diagram(columns.synced_store(), focus=f"{CLEAN_CUSTOMERS}#email_hash", direction="up").source
    edges = [line for line in source.splitlines() if "->" in line and "wasDerivedFrom" in line]
    labels = sorted(line.split('label="', 1)[1].split('"', 1)[0] for line in edges)
    assert labels == ["wasDerivedFrom\\nDIRECT/TRANSFORMATION masking: sha2(e...", "wasDerivedFrom\\nINDIRECT/FILTER"]
    drawn = svg(columns.synced_store(), focus=f"{CLEAN_CUSTOMERS}#email_hash", direction="up")  # Graphviz lays it out
    assert ">INDIRECT/FILTER</text>" in drawn and ">wasDerivedFrom</text>" in drawn


SAME = "0190a000-0000-7000-8000-00000000000a"
# one instant written four ways (an offset, trailing zeros, nanoseconds below what the comparison sees)
ENDS = ("2026-05-04T10:05:00Z", "2026-05-04T12:05:00+02:00", "2026-05-04T10:05:00.000Z",
        "2026-05-04T10:05:00.000000001Z")
TIMES = """PREFIX prov: <http://www.w3.org/ns/prov#>
    SELECT (STR(?start) AS ?s) (STR(?end) AS ?e) WHERE { ?run prov:startedAtTime ?start ; prov:endedAtTime ?end }"""


def _same_instant_events() -> list[RunEvent]:
    return [_run_event(RunState.START, "2026-05-04T10:00:00Z", SAME),
            _run_event(RunState.START, "2026-05-04T12:00:00+02:00", SAME),
            *(_run_event(RunState.COMPLETE, time, SAME) for time in ENDS)]


def _times(folder: Path) -> set[tuple[str, str]]:
    with Project.find(folder) as project:
        return {(row["s"].value, row["e"].value) for row in project.synced_store().query(TIMES).rows}


def test_a_start_or_end_sent_again_at_the_same_instant_in_another_form_is_one_time(
        tmp_path: Path, served: tuple[str, Path]) -> None:
    """A COMPLETE sent again at its instant written another way (an offset instead of Z, nanoseconds) is the
    recorded end, not a second end time: the store held two or three prov:endedAtTime of one run (`runs` and
    `show` then picked one at random), by import-runs and by the HTTP endpoint alike."""
    log = tmp_path / "same.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log), append=True)))
    for event in _same_instant_events():
        client.emit(event)
    folder = tmp_path / "imported"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    for args in (("init",), ("import-runs", "--from", "openlineage", str(log))):
        done = subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert _times(folder) == {("2026-05-04T10:00:00Z", "2026-05-04T10:05:00Z")}
    url, _ = served
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=30)))
    for event in _same_instant_events():
        client.emit(event)
    run = httpx.get(f"{url}/api/runs/{SAME}").json()
    assert (run["status"], run["started"], run["ended"]) == (
        "completed", "2026-05-04T10:00:00Z", "2026-05-04T10:05:00Z")
    reader = tmp_path / "reader"
    _cli(reader, url, "init")
    assert "prov-constraints: valid" in _cli(reader, url, "validate")
    ends = _cli(reader, url, "sparql", TIMES.replace("?run prov:startedAtTime ?start ;", "?run"))
    assert ends.count("2026-05-04T") == 1, ends
