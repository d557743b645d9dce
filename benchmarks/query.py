"""Impact, lineage and a join, against networkx on a prebuilt graph of the same edges and rdflib's
SPARQL engine running the same query text on the same statements.

``provgraph`` is :func:`provgraph.query.impact` / :func:`~provgraph.query.lineage` (a walk of the
embedded store's lineage index, then descriptions and path lengths; the index is brought in step with
the store before the clock starts, as the catch-up that filled the store leaves it); ``property path on
pyoxigraph`` is the whole traversal as one property-path query (``queries/impact-path.rq``, how
provgraph asked before) with the reference inlined, run on pyoxigraph directly.
Loading the statements into networkx or rdflib is not timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyoxigraph import Variable

from .harness import Meter
from .workspace import Workspace

AREA = "query"
TRAVERSALS = ("impact-large", "impact-small", "lineage-large", "lineage-small")
TASKS = (*TRAVERSALS, "join", "runs-param")
#: ``runs --param n_estimators=100``: the question MLflow's search_runs answers from its SQL indexes.
PARAM, VALUE = "n_estimators", 100
QUERIES = Path(__file__).parent / "queries"
JOIN = (QUERIES / "join.rq").read_text(encoding="utf-8")


def _path_query(task: str) -> str:
    return (QUERIES / f"{task.split('-')[0]}-path.rq").read_text(encoding="utf-8")


def _landmark(marks: dict[str, Any], task: str) -> str:
    return str(marks[task.replace("-", "_")])


def _agent(marks: dict[str, Any]) -> str:
    from provgraph.vocab import agent_iri

    return agent_iri(marks["join_agent"]).value


def provgraph(meter: Meter, workspace: str) -> None:
    from pyoxigraph import NamedNode

    from provgraph import open_store
    from provgraph.query import impact, lineage, runs

    space = Workspace(workspace)
    marks = space.landmarks()
    with open_store(space.store_uri()) as store:
        store.lineage_index()  # built here if the workspace's store predates its index
        for task in TRAVERSALS:
            func = impact if task.startswith("impact") else lineage
            node = NamedNode(_landmark(marks, task))
            meter.measure(task, lambda _, f=func, x=node: {"answer": len(f(store, x).rows)})
        agent = NamedNode(_agent(marks))
        meter.measure("join", lambda _: {"answer": len(store.query(JOIN, {"agent": agent}))})
        meter.measure("runs-param", lambda _: {"answer": len(runs(store, params={PARAM: VALUE}).rows)})


def inlined_sparql(meter: Meter, workspace: str) -> None:
    """The whole traversal as one property-path query with the reference written into its text
    (``inject_values``), on pyoxigraph directly."""
    from pyoxigraph import NamedNode

    from provgraph.store.bindings import inject_values

    space = Workspace(workspace)
    marks = space.landmarks()
    with open_raw(space) as store:
        for task in TRAVERSALS:
            node = NamedNode(_landmark(marks, task))
            text = inject_values(_path_query(task), {"ref": node})

            def op(_: Any, text: str = text, node: NamedNode = node) -> dict[str, float]:
                rows = store.query(text, use_default_graph_as_union=True)
                index = rows.variables.index(Variable("node"))  # type: ignore[union-attr]
                return {"answer": len({row[index].value for row in rows} - {node.value})}  # type: ignore[union-attr]

            meter.measure(task, op)


@contextmanager
def open_raw(space: Workspace) -> Iterator[Any]:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(space.project_path / ".provgraph" / "store"))
    yield store
    del store


def networkx(meter: Meter, workspace: str) -> None:
    import networkx as nx

    from .baselines import impact_graph, lineage_graph

    space = Workspace(workspace)
    marks = space.landmarks()
    quads = space.quads()
    graphs = {"impact": impact_graph(quads), "lineage": lineage_graph(quads)}
    del quads
    for task in TRAVERSALS:
        graph = graphs[task.split("-")[0]]
        node = _landmark(marks, task)
        meter.measure(task, lambda _, g=graph, x=node: {"answer": len(nx.descendants(g, x))})


def rdflib(meter: Meter, workspace: str) -> None:
    from rdflib import URIRef

    from .baselines import rdflib_dataset, rdflib_quads

    space = Workspace(workspace)
    marks = space.landmarks()
    dataset = rdflib_dataset(rdflib_quads(space.quads()))
    for task in TRAVERSALS:
        text = _path_query(task)
        node = URIRef(_landmark(marks, task))

        def op(_: Any, text: str = text, node: URIRef = node) -> dict[str, float]:
            rows = dataset.query(text, initBindings={"ref": node})
            return {"answer": len({str(row.node) for row in rows} - {str(node)})}  # type: ignore[union-attr]

        meter.measure(task, op)
    agent = URIRef(_agent(marks))
    meter.measure("join", lambda _: {"answer": len(list(dataset.query(JOIN, initBindings={"agent": agent})))})


def mlflow(meter: Meter, workspace: str) -> None:
    """MLflow's ``search_runs`` on a sqlite tracking store holding the same runs with the same parameters
    (as MLflow stores them: strings). Logging the runs is not timed."""
    import logging

    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    space = Workspace(workspace)
    folder = space.path / "mlflow"
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    marker = folder / "filled"
    if not marker.exists():
        from mlflow.entities import Param

        folder.mkdir(parents=True, exist_ok=True)
        experiment = client.create_experiment("workload")
        for event in space.events():
            if event["type"] == "run.start" and event.get("params"):
                run = client.create_run(experiment, run_name=event["run"]["id"])
                client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in event["params"].items()])
        marker.write_text("ok")
    experiment_ids = [e.experiment_id for e in client.search_experiments()]
    meter.measure("runs-param", lambda _: {"answer": len(client.search_runs(
        experiment_ids, filter_string=f"params.{PARAM} = '{VALUE}'", max_results=50_000))},
        note="MlflowClient.search_runs on sqlite")


MAX_N = {"mlflow search_runs": 10_000}
TOOLS = {"provgraph": ("provgraph", TASKS), "mlflow search_runs": ("mlflow", ("runs-param",)),
         "property path on pyoxigraph": ("inlined_sparql", TRAVERSALS),
         "networkx": ("networkx", TRAVERSALS), "rdflib SPARQL": ("rdflib", (*TRAVERSALS, "join"))}
