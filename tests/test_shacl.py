"""SHACL shapes of the ML profile on stores filled by mapping real events (every backend).

Expected focus nodes are the IRIs the mapping's identity rules give (hand-computed below).
"""

from __future__ import annotations

from typing import Any

import pytest

from provgraph import events as ev
from provgraph.errors import ValidationError
from provgraph.mapping import event_to_quads
from provgraph.resources import ontology_path
from provgraph.store import Store
from provgraph.validate import check_store
from provgraph.validate.shapes import SH, check_shapes

ID = "https://w3id.org/provgraph/id/"
DATA, TEST, MODEL, OTHER = "a" * 64, "c" * 64, "b" * 64, "d" * 64


def _ingest(store: Store, *events: dict[str, Any]) -> None:
    for event in events:
        store.add(event_to_quads(ev.validate(event)))


def _end(run: str, kind: str, **fields: Any) -> dict[str, Any]:
    return ev.new_event("run.end", time="2026-03-01T10:00:00Z",
                        run={"id": run, "kind": kind, "step": kind, "status": "completed"}, **fields)


def _data(sha: str | None, name: str = "train.csv", kind: str = "dataset") -> dict[str, Any]:
    artifact: dict[str, Any] = {"location": f"data/{name}", "kind": kind}
    if sha:
        artifact["sha256"] = sha
    return artifact


def _model(sha: str | None = MODEL) -> dict[str, Any]:
    artifact: dict[str, Any] = {"location": "models/m.pkl", "kind": "model"}
    if sha:
        artifact["sha256"] = sha
    return artifact


def _good_pipeline() -> list[dict[str, Any]]:
    return [
        _end("train-1", "training", used=[_data(DATA)], generated=[_model()], params={"C": 1.0}),
        _end("eval-1", "evaluation", used=[_model(), _data(TEST, "test.csv", "split")], metrics={"auc": 0.9}),
        _end("deploy-1", "deployment", used=[_model()],
             generated=[{"location": "svc://model-api", "kind": "deployment"}]),
    ]


def _failures(store: Store, run: str | None = None) -> list[tuple[str, tuple[str, ...]]]:
    return [(v.constraint, v.records) for v in check_shapes(store, run=run).violations]


def _subjects(store: Store) -> list[str]:
    return [row["s"].value for row in store.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } }")]


def test_complete_pipeline_conforms(store: Store) -> None:
    _ingest(store, *_good_pipeline())
    report = check_shapes(store)
    assert report.ok, report.text()
    assert report.kind == "shacl"


def test_model_from_unhashed_data(store: Store) -> None:
    _ingest(store, _end("train-1", "training", used=[_data(None)], generated=[_model()]))
    model = f"{ID}data/sha256-{MODEL}"
    unhashed = next(v for v in _subjects(store) if v.startswith(f"{ID}data/unverified-"))
    assert sorted(_failures(store)) == [
        ("shapes:ModelShape / hashed training data", (model, unhashed)),
        ("shapes:ModelShape / training data", (model,)),
    ]


def test_model_without_hash_or_training_data(store: Store) -> None:
    _ingest(store, _end("train-1", "training", generated=[_model(None)]))
    model = next(v for v in _subjects(store) if v.startswith(f"{ID}data/gen-"))
    assert sorted(_failures(store)) == [
        ("shapes:ModelShape / content hash", (model,)),
        ("shapes:ModelShape / training data", (model,)),
    ]


def test_model_used_but_never_generated(store: Store) -> None:
    """A model only known as an input has no generating run."""
    _ingest(store, _end("eval-1", "evaluation", used=[_model(), _data(TEST, "test.csv")], metrics={"auc": 0.5}))
    model = f"{ID}data/sha256-{MODEL}"
    assert sorted(_failures(store)) == [
        ("shapes:ModelShape / generating run", (model,)),
        ("shapes:ModelShape / training data", (model,)),
    ]


def test_evaluation_without_test_data_or_metrics(store: Store) -> None:
    _ingest(store, _end("train-1", "training", used=[_data(DATA)], generated=[_model()]),
            _end("eval-1", "evaluation", used=[_model()]))
    run = f"{ID}run/eval-1"
    assert sorted(_failures(store)) == [
        ("shapes:EvaluationShape / metrics", (run,)),
        ("shapes:EvaluationShape / test data", (run,)),
    ]


def test_deployment_without_model(store: Store) -> None:
    _ingest(store, _end("deploy-1", "deployment", used=[_data(OTHER, "config.json")],
                        generated=[{"location": "svc://model-api", "kind": "deployment"}]))
    [(constraint, records)] = _failures(store)
    assert constraint == "shapes:DeploymentShape / deployed model"
    assert records[0].startswith(f"{ID}data/gen-")  # a hash-less output: a version of its generating run


def test_run_scope_checks_only_that_runs_nodes(store: Store) -> None:
    _ingest(store, *_good_pipeline(), _end("eval-2", "evaluation", used=[_model()]))
    assert _failures(store, run="eval-1") == []
    assert sorted(c for c, _ in _failures(store, run="eval-2")) == [
        "shapes:EvaluationShape / metrics", "shapes:EvaluationShape / test data"]


def test_unknown_run_is_an_error(store: Store) -> None:
    with pytest.raises(ValidationError, match="no run 'nope'"):
        check_shapes(store, run="nope")


def test_check_store_runs_constraints_then_shapes(store: Store) -> None:
    _ingest(store, *_good_pipeline())
    reports = check_store(store)
    assert [(r.kind, r.ok) for r in reports] == [("prov-constraints", True), ("shacl", True)]
    [only] = check_store(store, run="eval-1", shapes=False)
    assert only.kind == "prov-constraints"
    assert only.stats["records"] > 0
    with pytest.raises(ValidationError, match="no run 'nope'"):
        check_store(store, run="nope")


def _whole_store_results(store: Store) -> list[tuple[str, ...]]:
    """(focus node, value) of every result pyshacl gives on the union of the store's graphs, read whole."""
    import pyshacl
    from rdflib import Dataset, Graph

    dataset = Dataset()
    dataset.parse(data=store.dump(), format="nquads")
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    shapes = Graph().parse(ontology_path("shapes.ttl"))
    _, results, _ = pyshacl.validate(union, shacl_graph=shapes, ont_graph=Graph().parse(ontology_path("provml.ttl")))
    found = []
    for result in results.objects(None, SH.result):
        found.append(tuple(str(t) for t in (results.value(result, SH.focusNode), results.value(result, SH.value))
                           if t is not None))
    return sorted(found)


def test_neighbourhoods_find_what_the_whole_store_finds(store: Store) -> None:
    """Each node is judged on the statements around it only: the store checked in chunks of one target
    node, and run by run, gives the results of pyshacl on the whole store."""
    _ingest(store, _end("train-1", "training", used=[_data(None)], generated=[_model()]),
            _end("train-2", "training", generated=[_model(None)]),
            _end("eval-1", "evaluation", used=[_model(OTHER), _data(TEST, "test.csv")], metrics={"auc": 0.5}),
            _end("eval-2", "evaluation", used=[_model()]),
            _end("deploy-1", "deployment", used=[_data("e" * 64, "config.json")],
                 generated=[{"location": "svc://model-api", "kind": "deployment"}]))
    expected = _whole_store_results(store)
    assert len(expected) == 9
    assert sorted(v.records for v in check_shapes(store, chunk=1).violations) == expected
    by_run = {(v.constraint, v.records) for run in ("train-1", "train-2", "eval-1", "eval-2", "deploy-1")
              for v in check_shapes(store, run=run).violations}
    assert sorted(records for _, records in by_run) == expected
