"""The benchmark workload: deterministic, valid native events with the promised shape (no timings)."""

from __future__ import annotations

import statistics

import networkx as nx
import pytest

from benchmarks.workload import AGENT_COUNT, CHAIN_LENGTH, generate
from provgraph import events as ev


@pytest.fixture(scope="module")
def load():
    return generate(500, seed=7)


def _runs(events):
    """run id -> the run.end event (which lists what the run used and generated)."""
    return {e["run"]["id"]: e for e in events if e["type"] == "run.end"}


def test_same_seed_same_events_other_seed_other_events(load):
    assert generate(500, seed=7).events == load.events
    assert generate(500, seed=8).events != load.events


def test_every_event_is_valid_and_each_run_starts_and_ends(load):
    assert len(load.events) == 1000
    for event in load.events:
        assert ev.validate(event) is event
    starts = [e["run"]["id"] for e in load.events if e["type"] == "run.start"]
    ends = [e["run"]["id"] for e in load.events if e["type"] == "run.end"]
    assert starts == ends and len(set(starts)) == 500
    assert len({e["id"] for e in load.events}) == 1000


def test_two_or_three_inputs_and_one_or_two_outputs_per_run(load):
    runs = _runs(load.events)
    inputs = [len(e["used"]) for e in runs.values()]
    outputs = [len(e["generated"]) for e in runs.values()]
    assert set(inputs) == {2, 3}
    assert set(outputs) == {1, 2}
    for event in runs.values():
        hashes = [a["sha256"] for a in event["used"]]
        assert len(hashes) == len(set(hashes))  # no input listed twice


def test_inputs_were_generated_earlier_or_are_raw_sources(load):
    made: set[str] = set()
    for event in _runs(load.events).values():
        for artifact in event["used"]:
            assert artifact["sha256"] in made or artifact["location"].startswith("s3://lake/raw/")
        made.update(a["sha256"] for a in event["generated"])


def test_chains_are_about_fifty_deep_with_fan_out(load):
    graph = nx.DiGraph()  # run -> run that used something it generated
    maker: dict[str, str] = {}
    runs = _runs(load.events)
    for run_id, event in runs.items():
        graph.add_node(run_id)
        for artifact in event["used"]:
            if artifact["sha256"] in maker:
                graph.add_edge(maker[artifact["sha256"]], run_id)
        for artifact in event["generated"]:
            maker[artifact["sha256"]] = run_id
    assert nx.is_directed_acyclic_graph(graph)
    depth = nx.dag_longest_path_length(graph) + 1
    assert CHAIN_LENGTH - 5 <= depth <= CHAIN_LENGTH + 5
    assert max(d for _, d in graph.out_degree()) >= 5  # an ingested dataset feeds many runs
    uses: dict[str, int] = {}
    for event in runs.values():
        for artifact in event["used"]:
            uses[artifact["sha256"]] = uses.get(artifact["sha256"], 0) + 1
    assert uses[load.impact_large] == max(uses.values()) >= 20


def test_kinds_agents_params_metrics_labels(load):
    runs = _runs(load.events).values()
    kinds = {e["run"]["kind"] for e in runs}
    assert kinds == {"ingestion", "feature_engineering", "training"}
    agents = {a["id"] for e in load.events for a in e.get("agents", ())}
    principals = {a["on_behalf_of"] for e in load.events for a in e.get("agents", ()) if "on_behalf_of" in a}
    assert AGENT_COUNT == 20
    assert 16 <= len(agents | principals) <= 20
    assert all(e["params"] and e["metrics"] for e in runs)
    training = [e for e in runs if e["run"]["kind"] == "training"]
    assert training and all({"accuracy", "learning_rate"} <= {*e["metrics"], *e["params"]} for e in training)
    assert all(a["kind"] == "model" for e in training for a in e["generated"][:1])
    assert any(e.get("labels") for e in runs)
    assert statistics.mean(len(e["used"]) for e in runs) > 2.2


def test_landmarks_are_distinct_artifacts_of_the_workload(load):
    generated = {a["sha256"] for e in _runs(load.events).values() for a in e["generated"]}
    assert {load.impact_small, load.lineage_large, load.lineage_small} <= generated
    assert load.impact_large not in generated
    assert len({load.impact_large, load.impact_small, load.lineage_large, load.lineage_small}) == 4


def test_rejects_an_empty_workload():
    with pytest.raises(ValueError):
        generate(0)
