"""Impact analysis on hand-written pipelines with known answers, on every store backend."""

from __future__ import annotations

import pytest
from query_builder import Pipeline, art, sha

from provgraph.errors import QueryError
from provgraph.query import impact, resolve

RAW = art("data/raw.csv", name="raw")
A, B = art("data/a.csv"), art("data/b.csv")
JOINED = art("data/joined.csv", kind="features")
MODEL = art("models/m.pkl", kind="model")
EVAL = art("reports/eval.json", kind="evaluation")
DEPLOYED = art("deploy/m.json", kind="deployment")


def diamond(store):
    """raw -> (a, b) -> joined -> model -> (evaluation, deployment), plus a run that only reads raw."""
    p = Pipeline(store)
    p.run("ingest", "ingest", "ingestion", generated=[RAW])
    p.run("clean-a", "clean_a", "cleaning", used=[RAW], generated=[A])
    p.run("clean-b", "clean_b", "cleaning", used=[RAW], generated=[B])
    p.run("join", "join", "feature_engineering", used=[A, B], generated=[JOINED])
    p.run("train", "train", "training", used=[JOINED], generated=[MODEL], metrics={"accuracy": 0.91})
    p.run("evaluate", "evaluate", "evaluation", used=[MODEL], generated=[EVAL])
    p.run("deploy", "deploy", "deployment", used=[MODEL], generated=[DEPLOYED])
    p.run("peek", "peek", "other", used=[RAW])
    return p


def _depths(result):
    return {(row["type"], row["id"]): row["depth"] for row in result.rows}


def test_diamond_impact_of_the_raw_dataset(store):
    diamond(store)
    result = impact(store, "data/raw.csv")
    assert _depths(result) == {
        ("run", "clean-a"): 1, ("run", "clean-b"): 1, ("run", "peek"): 1,
        ("artifact", sha("data/a.csv")[:12]): 1, ("artifact", sha("data/b.csv")[:12]): 1,
        ("run", "join"): 2, ("artifact", sha("data/joined.csv")[:12]): 2,
        ("run", "train"): 3, ("artifact", sha("models/m.pkl")[:12]): 3, ("metric", "train.accuracy"): 3,
        ("run", "evaluate"): 4, ("artifact", sha("reports/eval.json")[:12]): 4,
        ("run", "deploy"): 4, ("artifact", sha("deploy/m.json")[:12]): 4,
    }
    assert [r["label"] for r in result.models] == ["m.pkl"]
    assert [r["label"] for r in result.deployments] == ["m.json"]
    assert result.models[0]["run"] == "train"
    assert result.nodes[0] == resolve(store, "data/raw.csv")
    assert len(result.nodes) == len(result.rows) + 1


def test_the_same_answer_for_every_kind_of_reference(store):
    diamond(store)
    by_path = impact(store, "data/raw.csv")
    version = {r["iri"] for r in by_path.rows}
    assert {r["iri"] for r in impact(store, sha("data/raw.csv")).rows} == version
    assert {r["iri"] for r in impact(store, sha("data/raw.csv")[:8]).rows} == version
    assert {r["iri"] for r in impact(store, by_path.ref_iri.value).rows} == version
    by_name = impact(store, "raw")  # the logical dataset: its one version at depth 0, then the same
    assert {r["iri"] for r in by_name.rows} == version | {by_path.ref_iri.value}
    assert [r["depth"] for r in by_name.rows if r["iri"] == by_path.ref_iri.value] == [0]


def test_a_run_reference_means_what_it_generated(store):
    diamond(store)
    result = impact(store, "train")
    assert _depths(result) == {
        ("artifact", sha("models/m.pkl")[:12]): 0, ("metric", "train.accuracy"): 0,
        ("run", "evaluate"): 1, ("artifact", sha("reports/eval.json")[:12]): 1,
        ("run", "deploy"): 1, ("artifact", sha("deploy/m.json")[:12]): 1,
    }


def test_a_run_that_generated_nothing_is_affected_but_leads_nowhere(store):
    diamond(store)
    assert impact(store, "peek").rows == []
    assert impact(store, "peek").nodes == [resolve(store, "peek")]
    assert ("run", "peek") in _depths(impact(store, "raw"))


def test_a_leaf_has_no_impact(store):
    diamond(store)
    result = impact(store, "deploy/m.json")
    assert result.rows == [] and len(result.nodes) == 1


def test_long_chain_depths(store):
    p = Pipeline(store)
    n = 40
    chain = [art(f"data/step{i}.csv") for i in range(n + 1)]
    for i in range(n):
        p.run(f"step-{i}", f"step{i}", "cleaning", used=[chain[i]], generated=[chain[i + 1]])
    result = impact(store, "data/step0.csv")
    artifacts = {r["location"]: r["depth"] for r in result.rows if r["type"] == "artifact"}
    assert artifacts == {f"data/step{i}.csv": i for i in range(1, n + 1)}
    assert {r["id"]: r["depth"] for r in result.runs} == {f"step-{i}": i + 1 for i in range(n)}


def test_fan_out_to_many_models(store):
    p = Pipeline(store)
    features = art("data/features.parquet", kind="features")
    p.run("fe", "features", "feature_engineering", used=[RAW], generated=[features])
    for i in range(15):
        p.run(f"train-{i}", "train", "training", used=[features], generated=[art(f"models/m{i}.pkl", kind="model")],
              params={"seed": i})
    result = impact(store, "raw")
    assert sorted(r["location"] for r in result.models) == sorted(f"models/m{i}.pkl" for i in range(15))
    assert {r["depth"] for r in result.models} == {2}
    assert result.deployments == []


def test_several_versions_of_one_dataset(store):
    p = Pipeline(store)
    versions = [art("data/customers.csv", name="customers", content=f"v{i}") for i in range(3)]
    p.run("train-1", "train", "training", used=[versions[0]], generated=[art("models/m1.pkl", kind="model")])
    p.run("train-2", "train", "training", used=[versions[1]], generated=[art("models/m2.pkl", kind="model")])
    p.run("ingest-3", "ingest", "ingestion", generated=[versions[2]])
    # the name and the path (three versions recorded there) both mean every version
    for ref in ("customers", "data/customers.csv"):
        result = impact(store, ref)
        assert sorted(r["location"] for r in result.models) == ["models/m1.pkl", "models/m2.pkl"]
        assert sorted(r["sha256"] for r in result.rows if r["depth"] == 0) == sorted(sha(f"v{i}") for i in range(3))
    assert [r["location"] for r in impact(store, sha("v0")[:10]).models] == ["models/m1.pkl"]
    assert impact(store, sha("v2")).models == []


def test_derived_from_narrows_derivation_but_not_the_run(store):
    p = Pipeline(store)
    config = art("conf/params.yaml", kind="other")
    out = art("data/out.csv", derived_from=["data/raw.csv"])
    p.run("mix", "mix", "cleaning", used=[RAW, config], generated=[out])
    # out was generated by a run that used the config, so it is affected, one step down
    assert {r["location"]: r["depth"] for r in impact(store, "conf/params.yaml").rows if r["location"]} == {
        "data/out.csv": 1}


def test_as_of_answers_as_the_graph_stood(store):
    diamond(store)  # runs of one minute starting at minutes 1, 3, 5, ...
    before_join = impact(store, "raw", as_of="2024-01-01T00:06:30Z")
    assert {r["id"] for r in before_join.runs} == {"clean-a", "clean-b"}
    assert before_join.models == []
    after_train = impact(store, "raw", as_of="2024-01-01T00:10:00Z")
    assert [r["label"] for r in after_train.models] == ["m.pkl"]
    assert after_train.deployments == []
    with pytest.raises(QueryError, match="time zone"):
        impact(store, "raw", as_of="2024-01-01T00:10:00")
    with pytest.raises(QueryError, match="not a date-time"):
        impact(store, "raw", as_of="yesterday")


def test_result_renders_as_table_json_and_csv(store):
    diamond(store)
    result = impact(store, "raw")
    text = str(result)
    assert text.splitlines()[0].split() == ["DEPTH", "TYPE", "KIND", "LABEL", "ID", "RUN"]
    assert "m.pkl" in text
    import json

    payload = json.loads(result.to_json())
    assert payload["iri"] == result.ref_iri.value
    assert len(payload["rows"]) == len(result.rows)
    assert result.to_csv().splitlines()[0] == "depth,type,kind,label,id,run"
