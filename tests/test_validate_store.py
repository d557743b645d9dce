"""PROV-CONSTRAINTS on the whole store, read bundle by bundle (every backend)."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode, Quad

from provgraph.export import prov_document
from provgraph.store import Store
from provgraph.validate import check_document, check_store
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
