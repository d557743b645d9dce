"""The shipped questions answer the same on every store backend: embedded Oxigraph, in memory, an
Oxigraph server and Virtuoso (a second SPARQL 1.1 implementation, behind the ``virtuoso`` marker).

The pipeline is the hand-drawn one of test_render_pipelines (ingest -> clean -> featurize -> train ->
evaluate, deploy), so the expected answers below are read off the drawing, not computed by provgraph."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CONTRACT_BACKENDS, open_backend
from pyoxigraph import Literal
from query_builder import Pipeline, art
from test_lineage_index import _NoIndex
from test_render_pipelines import ALICE, ENDPOINT, pipeline_events

from provgraph.events import parse_time
from provgraph.export import export
from provgraph.mapping import event_to_quads
from provgraph.query import diff, impact, lineage, runs, who
from provgraph.query.runinfo import describe_run
from provgraph.store import Solutions, Store, open_store
from provgraph.store.remote import SparqlStore
from provgraph.store.transfer import copy_store
from provgraph.vocab import ID_BASE, XSD


@pytest.fixture(params=CONTRACT_BACKENDS)
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    store = open_backend(request.param, tmp_path, request)
    for event in pipeline_events():
        store.add(event_to_quads(event))
    return store


def _labels(answer: object, kind: str) -> set[str]:
    return {row["label"] for row in answer.rows if row["type"] == kind}  # type: ignore[attr-defined]


def test_impact_of_the_raw_data(pipeline: Store) -> None:
    answer = impact(pipeline, "data/raw.csv")
    assert _labels(answer, "run") == {"clean", "featurize", "train", "evaluate", "deploy"}
    assert {"clean.csv", "features.parquet", "model.pkl", "eval.json"} <= _labels(answer, "artifact")
    assert [row["label"] for row in answer.models] == ["model.pkl"]
    assert [row["label"] for row in answer.deployments] == ["churn-endpoint"]


def test_lineage_of_the_endpoint(pipeline: Store) -> None:
    answer = lineage(pipeline, ENDPOINT)
    assert _labels(answer, "run") == {"ingest", "clean", "featurize", "train", "deploy"}
    assert {"raw", "clean.csv", "features.parquet", "model.pkl"} <= _labels(answer, "artifact")
    assert "Alice Martin" in _labels(answer, "agent")


def test_runs_and_their_filters(pipeline: Store) -> None:
    assert len(runs(pipeline).rows) == 8
    assert [r["run"] for r in runs(pipeline, params={"lr": 0.1}).rows] == ["train-1"]
    assert [r["run"] for r in runs(pipeline, metrics=["auc>0.8"]).rows] == ["eval-1"]
    assert [r["run"] for r in runs(pipeline, kind="deployment").rows] == ["deploy-1"]
    assert {r["run"] for r in runs(pipeline, agent="alice").rows} >= {"train-1", "deploy-1"}
    assert [r["run"] for r in runs(pipeline, since="2026-03-01T10:05:00Z", until="2026-03-01T10:06:10Z").rows] == [
        "deploy-1", "eval-1"]
    train = {r["run"]: r for r in runs(pipeline).rows}["train-1"]
    assert runs(pipeline, step="train").rows == [train]
    assert (train["kind"], train["status"], train["parent"], train["agents"], train["duration"]) == (
        "training", "completed", "pipe-1", ["Alice Martin", "CI bot"], 30.0)


def test_who_lists_facts_a_fraction_of_a_second_apart_in_time_order(pipeline: Store) -> None:
    second = 1 / 60  # minutes
    tick = art("data/tick.csv", content="t")
    Pipeline(pipeline).run("tick-1", "tick", used=[tick], start=0.2 * second, minutes=0.01 * second)
    Pipeline(pipeline).run("tick-2", "tick", used=[tick], start=0.25 * second, minutes=0.01 * second)
    for asked in (pipeline, _NoIndex(pipeline)):
        rows = [(r["run"], r["time"]) for r in who(asked, "data/tick.csv").rows]  # type: ignore[arg-type]
        assert rows == sorted(rows, key=lambda r: parse_time(r[1])) and [run for run, _ in rows] == [
            "tick-1", "tick-2"]


def test_an_agent_named_twice_is_one_agent_by_its_least_name(pipeline: Store) -> None:
    """alice recorded again under another name: one agent still, named as a description names it (the
    least of its labels), whether the runs are described from the lineage index or by runs.rq."""
    train = next(r for r in runs(pipeline).rows if r["run"] == "train-1")
    Pipeline(pipeline).run("retrain-1", "train", "training", agents=[{"id": "alice", "kind": "person",
                                                                       "name": "Alice M."}])
    alice = min("Alice Martin", "Alice M.")
    for asked in (pipeline, _NoIndex(pipeline)):
        described = {r["run"]: r["agents"] for r in runs(asked).rows}  # type: ignore[arg-type]
        assert described["retrain-1"] == [alice]
        assert described["train-1"] == sorted({alice, *train["agents"]} - {"Alice Martin"})


def test_who_made_and_used_the_model(pipeline: Store) -> None:
    rows = who(pipeline, "models/model.pkl").rows
    acts = {("generated", "train-1"), ("used", "eval-1"), ("used", "deploy-1")}
    assert {(r["action"], r["run"], r["agent"], r["on_behalf_of"]) for r in rows} == {
        (action, run, agent, behalf) for action, run in acts
        for agent, behalf in (("Alice Martin", None), ("CI bot", "Alice Martin"))}


def test_diff_of_two_runs(pipeline: Store) -> None:
    rows = {(r["aspect"], r["name"]) for r in diff(pipeline, "train-1", "eval-1").rows}
    assert {("parameter", "lr"), ("metric", "accuracy"), ("metric", "auc"), ("input", "models/model.pkl")} <= rows


def test_every_run_kind_is_named_as_the_index_names_it(pipeline: Store) -> None:
    """A run's kind is that of its first run class in IRI order, through the lineage index and through
    runs.rq alike: provml:Cleaning is the first run class (number 0), which Virtuoso's SAMPLE left unbound
    (the clean run had no kind there), and a run stated in two kinds is named by the first, not by a sample."""
    Pipeline(pipeline).run("check-1", "check", "training")
    Pipeline(pipeline).run("check-1", "check", "evaluation")  # the same run, recorded again in another kind
    expected = {"pipe-1": "pipeline", "ingest-1": "ingestion", "clean-1": "cleaning", "feat-1": "feature_engineering",
                "train-1": "training", "eval-1": "evaluation", "deploy-1": "deployment", "check-1": "evaluation"}
    for asked in (pipeline, _NoIndex(pipeline)):
        kinds = {r["run"]: r["kind"] for r in runs(asked).rows}  # type: ignore[arg-type]
        assert {run: kinds.get(run) for run in expected} == expected
        assert [r["kind"] for r in runs(asked, kind="cleaning").rows] == ["cleaning"]  # type: ignore[arg-type]


def test_a_boolean_parameter_reads_as_a_boolean(pipeline: Store) -> None:
    """Virtuoso writes xsd:boolean true as "1" (a lexical form XSD allows): show reads it as True and diff
    names it "true", as on the other stores."""
    Pipeline(pipeline).run("dedupe-1", "dedupe", "cleaning", params={"drop_duplicates": True, "dropna": False})
    assert describe_run(pipeline, "dedupe-1")["params"] == {"drop_duplicates": True, "dropna": False}
    rows = {r["name"]: (r["a"], r["b"]) for r in diff(pipeline, "dedupe-1", "clean-1").rows}
    assert (rows["drop_duplicates"], rows["dropna"]) == (("true", None), ("false", None))


def test_runs_a_fraction_of_a_second_apart_are_in_time_order(pipeline: Store) -> None:
    """Newest first by the instant, not by the text (``10:00:00.2Z`` sorts after ``10:00:00.25Z`` as text),
    and the times read as the store holds them (Virtuoso answered ``.200000Z`` where Oxigraph holds ``.2Z``),
    so the order and the rows are the same on every store and path."""
    second = 1 / 60  # minutes
    Pipeline(pipeline).run("tick-1", "tick", start=0.2 * second, minutes=0.01 * second)
    Pipeline(pipeline).run("tick-2", "tick", start=0.25 * second, minutes=0.01 * second)
    for asked in (pipeline, _NoIndex(pipeline)):
        rows = runs(asked, step="tick").rows  # type: ignore[arg-type]
        assert [(r["run"], r["start"]) for r in rows] == [("tick-2", "2024-01-01T00:00:00.25Z"),
                                                           ("tick-1", "2024-01-01T00:00:00.2Z")]
        assert describe_run(asked, "tick-1")["started"] == "2024-01-01T00:00:00.2Z"  # type: ignore[arg-type]


#: A metric and a parameter whose doubles need every digit: Virtuoso 7.2 answers queries with 6 significant
#: digits (0.863946) and STR() with 16, and 0.30000000000000004 needs 17.
AUC, ALPHA = 0.8639455782312925, 0.30000000000000004


def test_doubles_read_back_with_every_digit(pipeline: Store, tmp_path: Path) -> None:
    """show, diff, a run's PROV export and a copy into an embedded store give the doubles as recorded,
    the same as an in-memory store holding the same runs."""
    reference = open_store("memory:")
    for event in pipeline_events():
        reference.add(event_to_quads(event))
    for store in (pipeline, reference):  # alice named as the pipeline names her: show picks either of two names
        Pipeline(store).run("score-1", "score", "evaluation", agents=ALICE[:1], params={"alpha": ALPHA},
                            metrics={"auc": AUC})
    shown = describe_run(pipeline, "score-1")
    assert (shown["params"]["alpha"], shown["metrics"]["auc"]) == (ALPHA, AUC)
    assert shown == describe_run(reference, "score-1")
    rows = {r["name"]: r["a"] for r in diff(pipeline, "score-1", "clean-1").rows}
    assert (rows["alpha"], rows["auc"]) == ("0.30000000000000004", "0.8639455782312925")
    assert diff(pipeline, "score-1", "eval-1").rows == diff(reference, "score-1", "eval-1").rows
    exported = export(pipeline, "prov-json", run="score-1")
    assert b'"0.8639455782312925"' in exported and b'"0.30000000000000004"' in exported
    assert exported == export(reference, "prov-json", run="score-1")
    copy = open_store(f"oxigraph:{tmp_path / 'copy'}")  # a pull: the server's runs into an embedded store
    copy_store(open_store(pipeline.uri.replace("http://example.org/", ID_BASE)) if isinstance(pipeline, SparqlStore)
               else pipeline, copy)  # Virtuoso's test store is scoped to example.org, away from the runs' graphs
    values = copy.query("SELECT ?v WHERE { ?x <https://w3id.org/provgraph/provml#value> ?v }")
    assert isinstance(values, Solutions)
    assert {Literal("0.8639455782312925", datatype=XSD.double), Literal("0.30000000000000004", datatype=XSD.double)
            } <= set(values.column("v"))
    assert describe_run(copy, "score-1") == shown
