"""Shapes real OpenLineage integrations send (Spark, Airflow, Flink), written by the real openlineage-python
client's FileTransport and recorded with ``provgraph import-runs``, or sent by its HttpTransport to a real
``provgraph serve``; each answer is compared with what the events say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    catalog_dataset,
    column_lineage_dataset,
    datasource_dataset,
    input_statistics_input_dataset,
    output_statistics_output_dataset,
    ownership_dataset,
    parent_run,
    storage_dataset,
    symlinks_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from servers import ProvgraphServer

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/spark"
WRITER, READER = (f"0190{n}000-0000-7000-8000-00000000000{n}" for n in (1, 2))
SIZE = """PREFIX provml: <https://w3id.org/provgraph/provml#>
    SELECT DISTINCT ?size WHERE { GRAPH ?g { ?v provml:location "s3://lake/orders" ; provml:sizeBytes ?size } }"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}


def _cli(folder: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _imported(tmp_path: Path, events: list[RunEvent]) -> Path:
    """A project into which ``import-runs`` read ``events`` as the client's FileTransport wrote them."""
    tmp_path.mkdir(exist_ok=True)
    log = tmp_path / "lineage.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log), append=True)))
    for event in events:
        client.emit(event)
    folder = tmp_path / "project"
    _cli(folder, "init")
    _cli(folder, "import-runs", "--from", "openlineage", str(log))
    return folder


def _event(state: RunState, time: str, run_id: str, job: str, **datasets: list) -> RunEvent:
    return RunEvent(eventType=state, eventTime=time, run=Run(runId=run_id), job=Job(namespace="spark", name=job),
                    producer=PRODUCER, **datasets)


def test_bytes_a_reader_read_are_not_the_size_of_the_version_it_read(tmp_path: Path) -> None:
    """InputStatisticsInputDatasetFacet's ``size`` is "the size in bytes read" by that run (a partial read,
    pruned columns), not the dataset's: it was recorded as the size of the writer's version, which then had two
    sizes, and `show` printed 10000 for the 20000 bytes the writer wrote."""
    written = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=500, size=20000)
    read = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(rowCount=250, size=10000)
    folder = _imported(tmp_path, [
        _event(RunState.COMPLETE, "2026-06-01T10:00:00Z", WRITER, "write_orders",
               outputs=[OutputDataset("s3://lake", "orders", outputFacets={"outputStatistics": written})]),
        _event(RunState.COMPLETE, "2026-06-01T11:00:00Z", READER, "read_orders",
               inputs=[InputDataset("s3://lake", "orders", inputFacets={"inputStatistics": read})]),
    ])
    (generated,) = json.loads(_cli(folder, "show", WRITER, "--format", "json"))["generated"]
    assert generated["size"] == 20000
    reader = json.loads(_cli(folder, "show", READER, "--format", "json"))
    (used,) = reader["used"]
    assert (used["iri"], used["size"]) == (generated["iri"], 20000)  # the writer's version, as it wrote it
    assert reader["annotations"]["openlineage.bytesRead:s3://lake/orders"] == 10000
    assert reader["annotations"]["openlineage.rowCount:s3://lake/orders"] == 250
    assert _cli(folder, "sparql", SIZE).split() == ["SIZE", "20000"]


PARTS = 5001  # partitions, each with its Hive table name: 10,002 inputs, more than one provgraph event holds


def _wide_job() -> list[RunEvent]:
    """A Spark job (its COMPLETE) reading 5,001 partition paths, each also named by a Hive table (symlinks),
    writing one table whose column ``total`` comes from the last partition's ``amount``."""
    inputs = [InputDataset("s3://lake", f"events/part={n}", facets={"symlinks": symlinks_dataset.SymlinksDatasetFacet(
        identifiers=[symlinks_dataset.Identifier(namespace="hive://metastore", name=f"db.events_{n}", type="TABLE")])})
        for n in range(PARTS)]
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(fields={"total": column_lineage_dataset.Fields(
        inputFields=[column_lineage_dataset.InputField("s3://lake", f"events/part={PARTS - 1}", "amount")])})
    outputs = [OutputDataset("s3://lake", "daily", facets={"columnLineage": lineage})]
    return [_event(RunState.COMPLETE, "2026-06-02T10:30:00Z", WRITER, "compact", inputs=inputs, outputs=outputs)]


def _check_wide(folder: Path) -> None:
    run = json.loads(_cli(folder, "show", WRITER, "--format", "json"))
    assert (run["status"], run["started"], run["ended"]) == ("completed", "2026-06-02T10:30:00Z",
                                                             "2026-06-02T10:30:00Z")
    used = {a["location"] for a in run["used"]}
    assert used == {*(f"s3://lake/events/part={n}" for n in range(PARTS)),
                    *(f"hive://metastore/db.events_{n}" for n in range(PARTS)),
                    f"s3://lake/events/part={PARTS - 1}#amount"}
    assert {a["location"] for a in run["generated"]} == {"s3://lake/daily", "s3://lake/daily#total"}
    first = json.loads(_cli(folder, "impact", "hive://metastore/db.events_0", "--format", "json"))["rows"]
    assert "s3://lake/daily" in {r["label"] for r in first}
    column = json.loads(_cli(folder, "lineage", "s3://lake/daily#total", "--format", "json"))["rows"]
    assert f"s3://lake/events/part={PARTS - 1}#amount" in {r["label"] for r in column}


def test_an_event_with_more_inputs_than_one_event_holds_is_recorded_whole(tmp_path: Path) -> None:
    """A valid OpenLineage event with 10,002 inputs (5,001 partitions and their symlinks) was refused whole
    ("maps to an invalid provgraph event: used: [{...") from a file and over HTTP: the run was lost. Now
    its datasets go to as many events of the run as they need, and every answer has all of them."""
    _check_wide(_imported(tmp_path / "file", _wide_job()))
    folder = tmp_path / "served"
    _cli(folder, "init")
    with ProvgraphServer(folder, env=_env()) as server:
        client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, timeout=120)))
        for event in _wide_job():
            client.emit(event)
    _check_wide(folder)


STREAM, CHECKPOINTS = "0190a000-0000-7000-8000-00000000000a", "0190b000-0000-7000-8000-00000000000b"


def _checkpoint(run_id: str, minute: int, rows: int, size: int) -> RunEvent:
    statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=rows, size=size)
    output = OutputDataset("s3://lake", f"sink_{run_id[4]}", outputFacets={"outputStatistics": statistics})
    return _event(RunState.RUNNING, f"2026-06-03T10:{minute:02d}:00Z", run_id, f"flink_{run_id[4]}", outputs=[output])


def test_a_streaming_jobs_output_has_its_latest_statistics(tmp_path: Path) -> None:
    """A Flink job's RUNNING events (checkpoints) report its output growing: 100, 200, then 300 rows. From a file
    the run's output had the first checkpoint's size and row count (1000 bytes, 100 rows), whether the job sent
    a START or only RUNNING events; the HTTP endpoint's annotation said 300 rows. Now the latest checkpoint's."""
    source = InputDataset("kafka://broker:9092", "clicks")
    growing = [(1, 100, 1000), (2, 200, 2000), (3, 300, 3000)]
    folder = _imported(tmp_path, [
        _event(RunState.START, "2026-06-03T10:00:00Z", STREAM, "flink_a", inputs=[source]),
        *(_checkpoint(STREAM, *checkpoint) for checkpoint in growing),
        *(_checkpoint(CHECKPOINTS, *checkpoint) for checkpoint in reversed(growing)),  # written in any order
    ])
    for run_id in (STREAM, CHECKPOINTS):
        run = json.loads(_cli(folder, "show", run_id, "--format", "json"))
        (output,) = run["generated"]
        assert (output["size"], run["annotations"][f"openlineage.rowCount:{output['location']}"]) == (3000, 300)
        assert (run["status"], run["started"]) == ("running", "2026-06-03T10:00:00Z" if run_id == STREAM
                                                   else "2026-06-03T10:01:00Z")


DAG_RUN, TASK_RUN, SPARK_RUN = (f"0190c000-0000-7000-8000-00000000000{n}" for n in (1, 2, 3))


def _spark_under_airflow() -> list[RunEvent]:
    """A Spark application an Airflow task started: its ParentRunFacet names the task run and, as ``root``, the
    DAG run; neither Airflow run sends events here."""
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=TASK_RUN), job=parent_run.Job(namespace="airflow", name="orders.transform"),
        root=parent_run.Root(run=parent_run.RootRun(runId=DAG_RUN),
                             job=parent_run.RootJob(namespace="airflow", name="orders")))
    return [RunEvent(eventType=state, eventTime=time, run=Run(runId=SPARK_RUN, facets={"parent": parent}),
                     job=Job(namespace="spark", name="orders_transform"), producer=PRODUCER,
                     outputs=[OutputDataset("s3://lake", "orders_clean")])
            for state, time in ((RunState.START, "2026-06-04T10:00:00Z"), (RunState.COMPLETE, "2026-06-04T10:05:00Z"))]


def _check_chain(folder: Path) -> None:
    runs = {run["run"]: run for run in json.loads(_cli(folder, "runs", "--format", "json"))}
    assert {run_id: (runs[run_id]["step"], runs[run_id]["kind"]) for run_id in runs} == {
        SPARK_RUN: ("spark/orders_transform", "other"), TASK_RUN: ("airflow/orders.transform", "pipeline"),
        DAG_RUN: ("airflow/orders", "pipeline")}
    parents = {run_id: json.loads(_cli(folder, "show", run_id, "--format", "json"))["parent"] for run_id in runs}
    assert parents == {SPARK_RUN: TASK_RUN, TASK_RUN: DAG_RUN, DAG_RUN: None}


def test_the_root_of_a_parent_chain_is_the_parents_parent(tmp_path: Path) -> None:
    """The ParentRunFacet's ``root`` (the DAG run above the task that started a Spark job) was dropped: `runs`
    knew the Spark run and the task run, which had no parent, and nothing of the DAG run, from a file and over
    HTTP. Now the root is a run of its job (a pipeline) and the parent of the parent the facet names."""
    _check_chain(_imported(tmp_path / "file", _spark_under_airflow()))
    folder = tmp_path / "served"
    _cli(folder, "init")
    with ProvgraphServer(folder, env=_env()) as server:
        client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, timeout=30)))
        for event in _spark_under_airflow():
            client.emit(event)
    _check_chain(folder)


LATE_FACTS = "0190d000-0000-7000-8000-00000000000d"


def _with_other() -> list[RunEvent]:
    """A run whose job sends, after its COMPLETE, an OTHER event with an input and an output it learnt late:
    the spec's "additional events with OTHER eventType can be added to the same run. For example to send
    additional metadata after the run is complete"."""
    return [_event(RunState.START, "2026-06-05T10:00:00Z", LATE_FACTS, "load", inputs=[InputDataset("s3://lake", "a")]),
            _event(RunState.COMPLETE, "2026-06-05T10:05:00Z", LATE_FACTS, "load"),
            _event(RunState.OTHER, "2026-06-05T10:06:00Z", LATE_FACTS, "load", inputs=[InputDataset("s3://lake", "b")],
                   outputs=[OutputDataset("s3://lake", "c")])]


def _check_other(folder: Path) -> None:
    run = json.loads(_cli(folder, "show", LATE_FACTS, "--format", "json"))
    assert (run["status"], run["started"], run["ended"]) == ("completed", "2026-06-05T10:00:00Z",
                                                             "2026-06-05T10:05:00Z")
    assert {a["location"] for a in run["used"]} == {"s3://lake/a", "s3://lake/b"}
    assert [a["location"] for a in run["generated"]] == ["s3://lake/c"]
    assert "s3://lake/c" in {r["label"] for r in json.loads(_cli(folder, "impact", "s3://lake/b", "--format",
                                                                   "json"))["rows"]}


def test_an_other_events_datasets_join_its_run(tmp_path: Path) -> None:
    """OTHER events were dropped: the input and output only they named were not the run's, and `impact
    s3://lake/b` answered that it is not in the store, from a file and over HTTP. Now an OTHER joins its run
    as a RUNNING does, without changing its start, end or status."""
    _check_other(_imported(tmp_path / "file", _with_other()))
    folder = tmp_path / "served"
    _cli(folder, "init")
    with ProvgraphServer(folder, env=_env()) as server:
        client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, timeout=30)))
        for event in _with_other():
            client.emit(event)
    _check_other(folder)


DESCRIBED = "0190e000-0000-7000-8000-00000000000e"


def test_dataset_facets_the_mapping_does_not_read_are_kept(tmp_path: Path) -> None:
    """An Iceberg table's ownership, dataSource, storage and catalog facets (as Spark sends them) were dropped:
    listed as known, never read, so neither kept as annotations as other facets nor mapped; `show` said nothing
    of the table's owner or format. Now they are kept as ``openlineage.facet.NAME:URI`` annotations."""
    facets = {
        "ownership": ownership_dataset.OwnershipDatasetFacet(owners=[ownership_dataset.Owner(name="team:finance",
                                                                                             type="MAINTAINER")]),
        "dataSource": datasource_dataset.DatasourceDatasetFacet(name="s3://lake", uri="s3://lake"),
        "storage": storage_dataset.StorageDatasetFacet(storageLayer="iceberg", fileFormat="parquet"),
        "catalog": catalog_dataset.CatalogDatasetFacet(framework="iceberg", type="rest", name="prod"),
    }
    folder = _imported(tmp_path, [_event(RunState.COMPLETE, "2026-06-06T10:00:00Z", DESCRIBED, "publish",
                                         outputs=[OutputDataset("s3://lake", "ledger", facets=facets)])])
    annotations = json.loads(_cli(folder, "show", DESCRIBED, "--format", "json"))["annotations"]
    kept = {name: json.loads(annotations[f"openlineage.facet.{name}:s3://lake/ledger"]) for name in facets}
    assert kept["ownership"]["owners"] == [{"name": "team:finance", "type": "MAINTAINER"}]
    assert (kept["dataSource"]["uri"], kept["storage"]["storageLayer"], kept["storage"]["fileFormat"],
            kept["catalog"]["name"]) == ("s3://lake", "iceberg", "parquet", "prod")
