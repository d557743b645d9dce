"""PROV-CONSTRAINTS on the whole store, read bundle by bundle (every backend)."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode, Quad

from provgraph import events as ev
from provgraph.export import prov_document
from provgraph.mapping import event_to_quads
from provgraph.store import Store
from provgraph.validate import check_document, check_shapes, check_store
from provgraph.vocab import PROV, RDF, SHARED_GRAPH, bundle_iri

EX = "http://example.org/"


def _quads() -> list[Quad]:
    """Shared descriptions with an entity that specializes itself; run r1's bundle using as an activity
    an entity typed only in the shared graph; r2's bundle with a derivation cycle; r3's valid."""
    a, b, x, y = (NamedNode(EX + n) for n in "abxy")
    r1, r2, r3 = (bundle_iri(r) for r in ("r1", "r2", "r3"))
    return [
        Quad(a, RDF.type, PROV.Entity, SHARED_GRAPH), Quad(b, RDF.type, PROV.Entity, SHARED_GRAPH),
        Quad(y, PROV.specializationOf, y, SHARED_GRAPH),
        Quad(x, RDF.type, PROV.Activity, r1), Quad(x, PROV.used, a, r1), Quad(a, PROV.used, b, r1),
        Quad(a, PROV.wasDerivedFrom, b, r2), Quad(b, PROV.wasDerivedFrom, a, r2),
        Quad(NamedNode(EX + "r3"), RDF.type, PROV.Activity, r3), Quad(NamedNode(EX + "r3"), PROV.used, a, r3),
    ]


@pytest.mark.parametrize("chunk", [1, 2, 500], ids=["one-bundle", "two-bundles", "all-bundles"])
def test_bundle_by_bundle_finds_what_the_whole_document_finds(store: Store, chunk: int) -> None:
    store.add(_quads())
    [report] = check_store(store, shapes=False, chunk=chunk)
    assert [(v.constraint, v.bundle) for v in report.violations] == [
        ("Constraint 52 (impossible-specialization-reflexive)", None),
        ("Constraint 55 (entity-activity-disjoint)", "bundle:r1"),
        ("Constraint 42 (derivation-generation-generation-ordering)", "bundle:r2"),
    ]
    whole = check_document(prov_document(store))
    assert report.to_dict() == whole.to_dict()


def _training(run: str, model_sha: str, data_sha: str | None) -> list[Quad]:
    """The quads of a training run that used data (hashed or not) and generated a hashed model."""
    data: dict[str, str] = {"location": f"data/{run}.csv", "kind": "dataset"}
    if data_sha:
        data["sha256"] = data_sha
    event = ev.new_event("run.end", time="2026-03-01T10:00:00Z",
                         run={"id": run, "kind": "training", "step": "train", "status": "completed"},
                         used=[data], generated=[{"location": f"models/{run}.pkl", "kind": "model",
                                                  "sha256": model_sha}])
    return event_to_quads(ev.validate(event))


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "two-workers"])
def test_violations_of_the_shared_graph_and_of_later_chunks_are_found(store: Store, workers: int) -> None:
    """One bundle or shape target per chunk, checked in this process or in two worker processes: the top
    level's violation, a bundle's in a later chunk and a model's shapes in the last chunk are all found."""
    store.add(_quads() + _training("t1", "0" * 64, "a" * 64) + _training("t2", "f" * 64, None))
    [report] = check_store(store, shapes=False, chunk=1, workers=workers)
    assert [(v.constraint, v.bundle) for v in report.violations] == [
        ("Constraint 52 (impossible-specialization-reflexive)", None),
        ("Constraint 55 (entity-activity-disjoint)", "bundle:r1"),
        ("Constraint 42 (derivation-generation-generation-ordering)", "bundle:r2"),
    ]
    model = "https://w3id.org/provgraph/id/data/sha256-" + "f" * 64  # the last target: its IRI sorts last
    [unhashed] = [row["s"].value for row in store.query(
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?s), "
        "'https://w3id.org/provgraph/id/data/unverified-')) }")]
    shacl = check_shapes(store, chunk=1, workers=workers)
    assert [(v.constraint, v.records) for v in shacl.violations] == [
        ("shapes:ModelShape / training data", (model,)),
        ("shapes:ModelShape / hashed training data", (model, unhashed)),
    ]


def test_an_empty_store_is_valid_with_workers(store: Store) -> None:
    """Nothing to check is no task for a worker, not an error."""
    assert [(r.kind, r.ok) for r in check_store(store, workers=2)] == [("prov-constraints", True), ("shacl", True)]
