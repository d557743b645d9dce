"""References and parameters are data, never query text: hostile inputs change neither the query nor
the store, and a location that looks like SPARQL is still found exactly."""

from __future__ import annotations

import pytest
from query_builder import Pipeline, art, sha

from provgraph.errors import QueryError
from provgraph.query import impact, lineage, resolve, sparql
from provgraph.query.policy import invalidated, labels
from provgraph.query.runs import runs, who

HOSTILE = [
    '" } ; DROP ALL ; #',
    "x' } UNION { ?node ?p ?o } #",
    "<https://w3id.org/provgraph/id/run/train>",
    "} } DELETE WHERE { ?s ?p ?o } #",
    "data/raw.csv\n} UNION { ?s ?p ?o",
    "SELECT * WHERE { ?s ?p ?o }",
    "?node",
    "\\u0022 ) FILTER(true) #",
    "abcdef\" || true || \"",
    "{}",
    "a" * 5000,
]
WEIRD = 'data/we"ird\'} {x} <y> UNION DROP ALL #.csv'


def pipeline(store):
    p = Pipeline(store)
    p.run("train", "train", "training", used=[art("data/raw.csv", labels=["sensitive"]), art(WEIRD)],
          generated=[art("models/m.pkl", kind="model")], params={"n": 1})


@pytest.mark.parametrize("ref", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_references_match_nothing_and_change_nothing(store, ref):
    pipeline(store)
    before = store.dump()
    for query in (resolve, impact, lineage, who):
        with pytest.raises(QueryError):
            query(store, ref)
    assert runs(store, label=ref).rows == []
    assert runs(store, step=ref).rows == []
    assert runs(store, commit=ref).rows == []
    assert runs(store, params=[("n", "=", ref)]).rows == []
    assert runs(store, params=[(ref, "=", 1)]).rows == []
    assert runs(store, metrics=[(ref, ">", 0)]).rows == []
    assert labels(store, ref, "approved").rows == []
    assert [(r["run"], r["compliant"]) for r in labels(store, "sensitive", ref).rows] == [("train", False)]
    assert sparql(store, "SELECT ?s WHERE { ?s ?p ?text }", text=ref).rows == []
    assert store.dump() == before


def test_a_location_that_looks_like_sparql_is_found_exactly(store):
    pipeline(store)
    node = resolve(store, WEIRD)
    assert node.value.endswith(sha(WEIRD))
    assert [r["location"] for r in impact(store, WEIRD).models] == ["models/m.pkl"]
    assert [r["action"] for r in who(store, WEIRD).rows] == ["used"]


def test_an_ambiguous_hash_prefix_lists_the_candidates(store):
    p = Pipeline(store)
    one = {"location": "data/one.csv", "sha256": "abcdef01" + sha("one")[8:]}
    two = {"location": "data/two.csv", "sha256": "abcdef02" + sha("two")[8:]}
    p.run("make", "make", "ingestion", generated=[one, two])
    with pytest.raises(QueryError, match="ambiguous") as info:
        resolve(store, "abcdef")
    assert one["sha256"] in str(info.value) and two["sha256"] in str(info.value)
    assert "data/one.csv" in str(info.value)
    assert resolve(store, "abcdef01").value.endswith(one["sha256"])
    with pytest.raises(QueryError, match="at least 6 hex"):
        resolve(store, "abcde")


def test_invalidated_with_a_hostile_target_is_empty(store):
    pipeline(store)
    with pytest.raises(QueryError):
        invalidated(store, HOSTILE[0])
    assert invalidated(store).rows == []
