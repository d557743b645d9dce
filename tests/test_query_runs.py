"""runs, who, diff, invalidated and label flows on hand-written pipelines, on every store backend."""

from __future__ import annotations

import pytest
from query_builder import Pipeline, art, sha, stamp

from provgraph import events as ev
from provgraph.errors import QueryError
from provgraph.mapping import event_to_quads
from provgraph.query import resolve
from provgraph.query.policy import invalidated, labels
from provgraph.query.runinfo import describe_run
from provgraph.query.runs import diff, parse_condition, runs, who
from provgraph.vocab import run_iri

BOB = [{"id": "bob", "kind": "person", "name": "Bob", "on_behalf_of": "acme"},
       {"id": "acme", "kind": "organization", "name": "ACME"}]
COMMIT = "a" * 40


def sweep(store):
    p = Pipeline(store)
    raw = art("data/raw.csv", labels=["sensitive"])
    p.run("prep", "prep", "cleaning", used=[raw], generated=[art("data/clean.csv")], minutes=2,
          labels=["approved"])
    for i, (n, acc) in enumerate([(10, 0.7), (50, 0.8), (100, 0.9)]):
        p.run(f"train-{n}", "train", "training", used=[art("data/clean.csv")],
              generated=[art(f"models/rf{n}.pkl", kind="model")], params={"n_estimators": n, "criterion": "gini"},
              metrics={"accuracy": [{"value": acc - 0.2, "step": 1}, {"value": acc, "step": 2}]},
              agents=BOB if i == 2 else [{"id": "alice", "kind": "person", "name": "Alice"}],
              code={"git": {"commit": COMMIT if n == 100 else "b" * 40}}, minutes=i + 1,
              environment={"python": "3.11", "packages": {"numpy": "1.26" if n == 100 else "1.25"}})
    p.run("broken", "train", "training", used=[raw], status="failed", minutes=1)
    return p


def _ids(result):
    return [r["run"] for r in result.rows]


def test_runs_newest_first_with_status_agent_and_duration(store):
    sweep(store)
    result = runs(store)
    assert _ids(result) == ["broken", "train-100", "train-50", "train-10", "prep"]
    by_id = {r["run"]: r for r in result.rows}
    assert by_id["broken"]["status"] == "failed"
    assert by_id["train-100"]["agents"] == ["ACME", "Bob"]
    assert by_id["train-50"]["duration"] == 120.0
    assert by_id["prep"]["kind"] == "cleaning" and by_id["prep"]["step"] == "prep"


@pytest.mark.parametrize(("filters", "expected"), [
    ({"kind": "cleaning"}, ["prep"]),
    ({"step": "train"}, ["broken", "train-100", "train-50", "train-10"]),
    ({"params": ["n_estimators=50"]}, ["train-50"]),
    ({"params": {"n_estimators": 100}}, ["train-100"]),
    ({"params": ["n_estimators>=50", "criterion=gini"]}, ["train-100", "train-50"]),
    ({"params": ["n_estimators!=50"]}, ["train-100", "train-10"]),
    ({"params": ["criterion>5"]}, []),
    ({"metrics": ["accuracy>=0.8"]}, ["train-100", "train-50"]),
    ({"metrics": ["accuracy<0.75"]}, ["train-10"]),  # the final value, not the history
    ({"params": ["n_estimators<100"], "metrics": ["accuracy>0.75"]}, ["train-50"]),
    ({"label": "approved"}, ["prep"]),
    ({"agent": "acme"}, ["train-100"]),
    ({"agent": "Bob"}, ["train-100"]),
    ({"commit": "aaaaaaa"}, ["train-100"]),
    ({"since": "2024-01-01T00:05:00Z", "until": "2024-01-01T00:11:00Z"}, ["train-100", "train-50"]),
    ({"limit": 2}, ["broken", "train-100"]),
], ids=lambda v: repr(v) if not isinstance(v, list) else None)
def test_runs_filters(store, filters, expected):
    sweep(store)
    assert _ids(runs(store, **filters)) == expected


def test_a_chosen_run_is_described_as_in_the_whole_listing(store):
    p = sweep(store)
    p.run("child", "train", "training", parent="train-100", agents=BOB, minutes=2)
    expected = {"run": "child", "iri": run_iri("child").value, "step": "train", "kind": "training",
                "status": "completed", "agents": ["ACME", "Bob"], "start": stamp(15), "end": stamp(17),
                "duration": 120.0, "parent": "train-100"}
    whole = {r["run"]: r for r in runs(store).rows}
    assert whole["child"] == expected
    assert runs(store, agent="acme", kind="training", label=None).rows == [expected, whole["train-100"]]
    assert whole["train-100"]["parent"] is None and whole["train-100"]["start"] == stamp(9)


def test_a_metric_history_lists_each_point_once(store):
    sweep(store)
    shown = describe_run(store, "train-50")
    assert shown["metric_history"] == {"accuracy": [(1, 0.8 - 0.2), (2, 0.8)]}  # as logged in sweep()
    assert shown["metrics"] == {"accuracy": 0.8}
    assert describe_run(store, "prep")["metric_history"] == {}


def test_a_run_is_placed_in_time_by_its_start_else_its_end(store):
    p = sweep(store)  # prep runs from minute 1 to 3; train-10 starts at 4
    p.record(ev.new_event("run.end", time=stamp(30), run={"id": "late", "step": "train", "kind": "training",
                                                          "status": "completed"}))
    assert _ids(runs(store, since=stamp(29))) == ["late"]
    assert _ids(runs(store, since=stamp(2), until=stamp(3.5))) == []  # prep ended then, but started before
    assert _ids(runs(store, until=stamp(4))) == ["train-10", "prep"]


def test_bad_filters_are_query_errors(store):
    sweep(store)
    with pytest.raises(QueryError, match="unknown run kind"):
        runs(store, kind="baking")
    with pytest.raises(QueryError, match="not a condition"):
        parse_condition("n_estimators")
    with pytest.raises(QueryError, match="date-time"):
        runs(store, since="last week")


def test_who(store):
    sweep(store)
    rows = who(store, "data/clean.csv").rows
    assert [(r["action"], r["run"], r["agent"]) for r in rows] == [
        ("generated", "prep", "Alice"), ("used", "train-10", "Alice"), ("used", "train-50", "Alice"),
        ("used", "train-100", "ACME"), ("used", "train-100", "Bob"),
    ]
    bob = next(r for r in rows if r["agent"] == "Bob")
    assert bob["on_behalf_of"] == "ACME" and bob["time"] == "2024-01-01T00:09:00Z"


def test_diff(store):
    sweep(store)
    rows = {(r["aspect"], r["name"]): (r["a"], r["b"]) for r in diff(store, "train-50", "train-100").rows}
    assert rows == {
        ("parameter", "n_estimators"): ("50", "100"),
        ("code", "git commit"): ("b" * 40, COMMIT),
        ("package", "numpy"): ("1.25", "1.26"),
        ("metric", "accuracy"): ("0.8", "0.9"),
    }
    assert diff(store, "train-50", "train-50").rows == []
    with pytest.raises(QueryError, match="is not a run"):
        diff(store, "train-50", "data/raw.csv")


def test_invalidated_lists_downstream_models(store):
    sweep(store)
    target = resolve(store, "data/clean.csv")
    event = ev.new_event("artifact.invalidate", time="2024-02-01T00:00:00Z",
                         invalidation={"target": "data/clean.csv", "target_iri": target.value, "reason": "bad join"})
    store.add(event_to_quads(ev.validate(event)))
    result = invalidated(store)
    assert sorted((r["affected"], r["made_by"], r["reason"]) for r in result.rows) == [
        ("rf10.pkl", "train-10", "bad join"), ("rf100.pkl", "train-100", "bad join"),
        ("rf50.pkl", "train-50", "bad join")]
    assert invalidated(store, "models/rf10.pkl").rows == []


def test_label_policy_flags_runs_without_the_required_label(store):
    sweep(store)
    result = labels(store, "sensitive", "approved")
    flows = sorted((r["run"], r["compliant"]) for r in result.rows)
    # prep is approved; the three trainings got sensitive data through clean.csv; broken read it directly
    assert flows == [("broken", False), ("prep", True), ("train-10", False), ("train-100", False),
                     ("train-50", False)]
    assert {r["run"] for r in result.violations} == {"broken", "train-10", "train-50", "train-100"}
    assert labels(store, "pii", "approved").rows == []
    assert {r["source_iri"] for r in result.rows} == {resolve(store, sha("data/raw.csv")).value}


def test_an_invalidation_with_nothing_downstream_is_still_listed(store):
    sweep(store)
    target = resolve(store, "models/rf10.pkl")
    event = ev.new_event("artifact.invalidate", time="2024-02-02T00:00:00Z",
                         invalidation={"target": "models/rf10.pkl", "target_iri": target.value, "reason": "stale"})
    store.add(event_to_quads(ev.validate(event)))
    orphan = Pipeline(store)
    orphan.run("scratch", "scratch", generated=[art("data/scratch.csv")], start=100)
    scratch = resolve(store, "data/scratch.csv")
    event = ev.new_event("artifact.invalidate", time="2024-02-03T00:00:00Z",
                         invalidation={"target": "data/scratch.csv", "target_iri": scratch.value, "reason": "junk"})
    store.add(event_to_quads(ev.validate(event)))
    rows = [(r["reason"], r["kind"], r["affected"]) for r in invalidated(store).rows]
    assert rows == [("stale", "model", "rf10.pkl"), ("junk", None, None)]
