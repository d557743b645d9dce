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
from openlineage.client.facet_v2 import input_statistics_input_dataset, output_statistics_output_dataset
from openlineage.client.transport.file import FileConfig, FileTransport

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
