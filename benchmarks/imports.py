"""Import: MLflow and OpenLineage records into provgraph, side by side with MLflow's own client.

- ``mlflow-import``: reading a sqlite tracking store of 1,000 runs (two params, a 5-step ``loss``
  history and a final ``auc`` each) through :func:`provgraph.importers.mlflow.events_from_mlflow`
  into validated events (what ``import-runs --from mlflow`` does before recording);
- ``runs-param``: the runs whose ``n_estimators`` is 100, among the 200 runs of the experiment
  ``query`` (20 match): provgraph's ``runs --param`` on the recorded import of that experiment against
  MLflow's ``search_runs`` with the same filter on its own store. (At 1,000 runs provgraph's query, which
  grows faster than linearly, cannot be interrupted inside the SPARQL engine and would take minutes: see
  RESULTS.md);
- ``openlineage-post``: one OpenLineage run event per ``POST /api/v1/lineage`` to a real
  ``provgraph serve`` on loopback, over one keep-alive connection (seconds per event);
- ``openlineage-post-together``: the same single-event POSTs from eight senders at once, each on its own
  connection (seconds per event: what the server's group commit gives a stream of many producers);
- ``openlineage-stream``: a stream of single events sent by the real OpenLineage client's
  ``AsyncHttpTransport`` (its high-throughput transport: one event per request, up to eight requests in
  flight, a COMPLETE held until its START is acknowledged), from the first ``emit`` until every event
  is acknowledged (seconds per event).

The tracking store is made once per workspace with ``MlflowClient`` (about a minute: MLflow commits
each call) and reused by both tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .harness import Meter

AREA = "import"
PER_SIZE = False
RUNS = 1000
QUERIED = 200  # runs in the experiment "query", the last of the store
POSTS = 100
SENDERS = 8
STREAM = 400  # events per repetition of openlineage-stream
FILTER = "params.n_estimators = '100'"


def _store(workspace: str) -> str:
    """The sqlite tracking store of the workload, made on first use."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    folder = Path(workspace) / "mlflow-store"
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    if (folder / "done").exists():
        return uri
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    client = MlflowClient(tracking_uri=uri)
    bench = client.create_experiment("bench", artifact_location=str(folder / "artifacts"))
    query = client.create_experiment("query", artifact_location=str(folder / "artifacts"))
    for index in range(RUNS):
        now = 1_700_000_000_000 + index * 1000
        experiment = query if index >= RUNS - QUERIED else bench
        run = client.create_run(experiment, start_time=now, run_name=f"run-{index}")
        metrics = [Metric("loss", 1 / (step + 1 + index), now + step, step) for step in range(5)]
        client.log_batch(run.info.run_id, params=[Param("n_estimators", str((index % 10 + 1) * 50)),
                                                  Param("max_depth", str(index % 7 + 2))],
                         metrics=[*metrics, Metric("auc", 0.5 + (index % 100) / 200, now, 0)],
                         tags=[RunTag("team", "risk")])
        client.set_terminated(run.info.run_id, "FINISHED", end_time=now + 500)
    (folder / "done").touch()
    return uri


def _event(index: int) -> dict[str, Any]:
    return {"eventType": "START" if index % 2 == 0 else "COMPLETE", "eventTime": "2026-05-01T10:00:00Z",
            "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.UUID(int=index // 2 + 1))}, "job": {"namespace": "bench", "name": "etl"},
            "inputs": [{"namespace": "s3://lake", "name": f"raw/{index % 50}"}],
            "outputs": [{"namespace": "s3://lake", "name": f"clean/{index // 2}"}]}


def _stream(url: str, events: list[dict[str, Any]]) -> None:
    """Send ``events`` through the OpenLineage client's asynchronous HTTP transport as the client's own
    ``RunEvent`` objects (so it keeps each COMPLETE until its START is acknowledged); wait until all are."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.transport.async_http import AsyncHttpConfig, AsyncHttpTransport

    built = [RunEvent(eventType=RunState(e["eventType"]), eventTime=e["eventTime"], producer=e["producer"],
                      run=Run(runId=e["run"]["runId"]), job=Job(**e["job"]),
                      inputs=[InputDataset(**d) for d in e["inputs"]],
                      outputs=[OutputDataset(**d) for d in e["outputs"]])
             for e in events]
    transport = AsyncHttpTransport(AsyncHttpConfig(url=url, max_concurrent_requests=SENDERS, timeout=60))
    try:
        for event in built:
            transport.emit(event)
        if not transport.wait_for_completion(timeout=600) or transport.get_stats()["failed"]:
            raise RuntimeError(f"the OpenLineage client could not deliver every event: {transport.get_stats()}")
    finally:
        transport.close(timeout=30)


def provgraph(meter: Meter, workspace: str) -> None:
    import httpx

    from provgraph.importers.mlflow import events_from_mlflow
    from provgraph.importers.registry import ImportOptions
    from provgraph.project import Project
    from provgraph.query.runs import runs

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from servers import free_port, stop_process, wait_until_ready

    uri = _store(workspace)
    events_from_mlflow(uri)  # MLflow's modules imported and its schema checked once, as in a long-lived process
    meter.measure("mlflow-import", lambda _: events_from_mlflow(uri) and None, work={"runs": RUNS},
                  note=f"{RUNS} runs from sqlite through MlflowClient, validated events, not recorded")
    folder = Path(tempfile.mkdtemp(prefix="import-", dir=workspace))
    try:
        project = Project.init(folder / "project")
        project.record_many(events_from_mlflow(uri, ImportOptions(experiment="query")).events)
        meter.measure("runs-param", lambda _: runs(project.synced_store(), params=["n_estimators=100"]) and None,
                      note=f"runs --param n_estimators=100 over {QUERIED} imported runs")
        project.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
        cli = [sys.executable, "-m", "provgraph", "-C", str(folder / "served")]
        subprocess.run([*cli, "init"], check=True, env=env, capture_output=True)
        port = free_port()
        process = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_ready(f"{url}/api/health", 60, process)
            with httpx.Client(base_url=url, timeout=30) as client:
                counter = iter(range(10**9))
                client.post("/api/v1/lineage", json=_event(next(counter))).raise_for_status()

                def post(_: Any) -> None:
                    for _ in range(POSTS):
                        client.post("/api/v1/lineage", json=_event(next(counter))).raise_for_status()

                meter.measure("openlineage-post", post, per=POSTS,
                              note=f"per event, {POSTS} single-event POSTs per repetition, one connection")

            def post_together(_: Any) -> None:  # senders at once, each its own connection: group commit
                def sender(share: int) -> None:
                    with httpx.Client(base_url=url, timeout=60) as own:
                        for _ in range(share):
                            own.post("/api/v1/lineage", json=_event(next(counter))).raise_for_status()

                with ThreadPoolExecutor(SENDERS) as pool:
                    list(pool.map(sender, [POSTS // SENDERS] * SENDERS))

            meter.measure("openlineage-post-together", post_together, per=POSTS // SENDERS * SENDERS,
                          note=f"per event, {SENDERS} senders posting single events at once, a connection each")
            meter.measure("openlineage-stream", lambda _: _stream(url, [_event(next(counter)) for _ in range(STREAM)]),
                          per=STREAM, note=f"per event, {STREAM} events through openlineage-python's "
                                            f"AsyncHttpTransport, {SENDERS} requests in flight")
        finally:
            stop_process(process, 20)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def mlflow_search(meter: Meter, workspace: str) -> None:
    from mlflow import MlflowClient

    uri = _store(workspace)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("query").experiment_id
    client.search_runs([experiment], FILTER, max_results=QUERIED)
    meter.measure("runs-param", lambda _: client.search_runs([experiment], FILTER, max_results=QUERIED) and None,
                  note=f"search_runs(filter_string=\"{FILTER}\") over the same {QUERIED} runs")


TOOLS = {"provgraph": ("provgraph", ("mlflow-import", "runs-param", "openlineage-post", "openlineage-post-together",
                                     "openlineage-stream")),
         "mlflow search_runs": ("mlflow_search", ("runs-param",))}
