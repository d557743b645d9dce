"""networkx questions: shortest derivation path, DAG layers, cycles, critical path by run durations."""

from __future__ import annotations

import pytest
from query_builder import Pipeline, art, sha
from test_impact import diamond

from provgraph.errors import QueryError
from provgraph.query import resolve
from provgraph.query.graph import critical_path, cycles, layers, shortest_path
from provgraph.vocab import iri


def test_shortest_path_between_two_artifacts(store):
    diamond(store)
    path = shortest_path(store, "data/raw.csv", "deploy/m.json")
    shas = [sha(x) for x in ("data/raw.csv", "data/a.csv", "data/joined.csv", "models/m.pkl", "deploy/m.json")]
    alternative = [*shas[:1], sha("data/b.csv"), *shas[2:]]
    assert [n.value.rsplit("-", 1)[1] for n in path] in (shas, alternative)
    assert shortest_path(store, "deploy/m.json", "data/raw.csv") == path  # either direction
    with pytest.raises(QueryError, match="no derivation path"):
        shortest_path(store, "data/a.csv", "data/b.csv")


def test_layers_and_cycles(store):
    diamond(store)
    found = layers(store)
    position = {n.value: i for i, layer in enumerate(found) for n in layer}
    for child, parent in (("data/a.csv", "data/raw.csv"), ("data/joined.csv", "data/b.csv"),
                          ("deploy/m.json", "models/m.pkl")):
        assert position[resolve(store, child).value] > position[resolve(store, parent).value]
    assert position[iri("run", "join").value] > position[resolve(store, "data/a.csv").value]
    assert cycles(store) == []


def test_a_cycle_is_found(store):
    p = Pipeline(store)
    p.run("r1", "r1", used=[art("data/x.csv")], generated=[art("data/y.csv")])
    p.run("r2", "r2", used=[art("data/y.csv")], generated=[art("data/x.csv")])
    found = cycles(store)
    assert found and {n.value for n in found[0]} >= {resolve(store, "data/x.csv").value,
                                                   resolve(store, "data/y.csv").value}
    with pytest.raises(QueryError, match="cycle"):
        layers(store)


def test_critical_path_follows_the_longest_durations(store):
    p = Pipeline(store)
    raw = art("data/raw.csv")
    p.run("pipe", "pipeline", "pipeline", minutes=100, start=0)
    p.run("slow", "slow", "cleaning", used=[raw], generated=[art("data/s.csv")], minutes=10, start=1, parent="pipe")
    p.run("fast", "fast", "cleaning", used=[raw], generated=[art("data/f.csv")], minutes=2, start=1, parent="pipe")
    p.run("join", "join", "feature_engineering", used=[art("data/s.csv"), art("data/f.csv")],
          generated=[art("data/j.csv")], minutes=3, start=12, parent="pipe")
    p.run("other", "other", "cleaning", used=[raw], generated=[art("data/o.csv")], minutes=50, start=1)
    result = critical_path(store, "pipe")
    assert [n.value.rsplit("/", 1)[1] for n in result.runs] == ["slow", "join"]
    assert result.seconds == 13 * 60
    assert [n.value.rsplit("/", 1)[1] for n in critical_path(store).runs] == ["other"]
