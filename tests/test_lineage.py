"""Lineage on hand-written pipelines with known answers, on every store backend."""

from __future__ import annotations

from query_builder import art, sha
from test_impact import diamond

from provgraph.query import lineage


def test_diamond_lineage_of_the_deployment(store):
    diamond(store)
    result = lineage(store, "deploy/m.json")
    depths = {(r["type"], r["id"]): r["depth"] for r in result.rows}
    assert depths == {
        ("run", "deploy"): 1, ("artifact", sha("models/m.pkl")[:12]): 1, ("agent", "alice"): 1,
        ("run", "train"): 2, ("artifact", sha("data/joined.csv")[:12]): 2,
        ("run", "join"): 3, ("artifact", sha("data/a.csv")[:12]): 3, ("artifact", sha("data/b.csv")[:12]): 3,
        ("run", "clean-a"): 4, ("run", "clean-b"): 4, ("artifact", sha("data/raw.csv")[:12]): 4,
        ("run", "ingest"): 5,
    }
    assert [r["run"] for r in result.rows if r["id"] == sha("data/raw.csv")[:12]] == ["ingest"]


def test_lineage_reaches_parameters_agents_and_principals(store):
    from query_builder import Pipeline

    p = Pipeline(store)
    model = art("models/m.pkl", kind="model")
    agents = [{"id": "carol", "kind": "person", "name": "Carol", "on_behalf_of": "acme"},
              {"id": "acme", "kind": "organization", "name": "ACME"}]
    p.run("train", "train", "training", used=[art("data/train.csv")], generated=[model],
          params={"n_estimators": 100}, agents=agents)
    rows = {(r["type"], r["label"]) for r in lineage(store, "models/m.pkl").rows}
    assert rows == {("run", "train"), ("artifact", "train.csv"), ("parameter", "n_estimators=100"),
                    ("agent", "Carol"), ("agent", "ACME")}


def test_lineage_of_a_run_is_what_it_used_and_further_up(store):
    diamond(store)
    result = lineage(store, "join")
    ids = {r["id"]: r["depth"] for r in result.rows if r["type"] in ("run", "artifact")}
    assert ids == {sha("data/a.csv")[:12]: 0, sha("data/b.csv")[:12]: 0, "clean-a": 1, "clean-b": 1,
                   sha("data/raw.csv")[:12]: 1, "ingest": 2}


def test_lineage_as_of_before_the_model_existed_is_empty(store):
    diamond(store)
    assert lineage(store, "models/m.pkl", as_of="2024-01-01T00:05:00Z").rows == []
    assert len(lineage(store, "models/m.pkl", as_of="2024-01-02T00:00:00Z").rows) > 0
