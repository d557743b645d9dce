"""Pipelines the render and report tests draw, built from real events through the real mapping.

The shape (hand-written, so tests can state expected answers independently of the code):

    alice (person) <- ci-bot (software, on behalf of alice)
    pipe-1 (pipeline) contains:
      ingest-1  generated raw.csv                    (sha R)
      clean-1   used raw.csv,      generated clean.csv  (sha C)
      feat-1    used clean.csv,    generated features   (sha F)
      train-1   used features,     generated model.pkl  (sha M)   lr=0.1 epochs=10, accuracy=0.91
      eval-1    used model, features, generated report (sha E)    auc=0.88
      deploy-1  used model,        generated endpoint   (no sha, a URI)
    other-1 (no parent) used other.csv (sha O), generated other-out.csv (sha P)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from provgraph import events as ev
from provgraph.mapping import event_to_quads
from provgraph.store import Store


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


R, C, F, M, E, OTHER, OTHER_OUT = (sha(x) for x in ("raw", "clean", "features", "model", "eval", "other", "other-out"))
ENDPOINT = "https://models.example.org/churn/v1"
ALICE = [{"id": "alice", "kind": "person", "name": "Alice Martin"},
         {"id": "ci-bot", "kind": "software", "name": "CI bot", "on_behalf_of": "alice"}]
ENV = {"python": "3.11.9", "platform": "Linux-6.1-x86_64", "hostname": "build-01",
       "packages": {"numpy": "1.26.4", "scikit-learn": "1.4.2"}}
CODE = {"git": {"commit": "a" * 40, "branch": "main", "dirty": False}}


def art(location: str, digest: str | None, kind: str = "dataset", **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"location": location, "kind": kind, **extra}
    if digest:
        found["sha256"] = digest
    return found


def run_events(run_id: str, step: str, kind: str, *, parent: str | None = None, used: Sequence[Any] = (),
               generated: Sequence[Any] = (), params: dict[str, Any] | None = None,
               metrics: dict[str, Any] | None = None, minute: int = 0, status: str = "completed",
               agents: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """A run.start and a run.end event, valid against the schema."""
    run: dict[str, Any] = {"id": run_id, "step": step, "kind": kind}
    if parent:
        run["parent"] = parent
    start = ev.new_event("run.start", time=f"2026-03-01T10:{minute:02d}:00Z", run=run, agents=agents or ALICE,
                         params=params, environment=ENV, code=CODE)
    end_run = {"id": run_id, "status": status}
    if status == "failed":
        end_run["error"] = {"type": "ValueError", "message": "bad input"}
    end = ev.new_event("run.end", time=f"2026-03-01T10:{minute:02d}:30Z", run=end_run, agents=agents or ALICE,
                       used=list(used), generated=list(generated), metrics=metrics)
    return [ev.validate(start), ev.validate(end)]


def pipeline_events() -> list[dict[str, Any]]:
    """The pipeline drawn in the module docstring."""
    out = run_events("pipe-1", "churn-pipeline", "pipeline", minute=0)
    out += run_events("ingest-1", "ingest", "ingestion", parent="pipe-1", minute=1,
                      generated=[art("data/raw.csv", R, name="raw")])
    out += run_events("clean-1", "clean", "cleaning", parent="pipe-1", minute=2,
                      used=[art("data/raw.csv", R, name="raw")], generated=[art("data/clean.csv", C)])
    out += run_events("feat-1", "featurize", "feature_engineering", parent="pipe-1", minute=3,
                      used=[art("data/clean.csv", C)], generated=[art("data/features.parquet", F, "features")])
    out += run_events("train-1", "train", "training", parent="pipe-1", minute=4,
                      used=[art("data/features.parquet", F, "features")],
                      generated=[art("models/model.pkl", M, "model")],
                      params={"lr": 0.1, "epochs": 10}, metrics={"accuracy": 0.91})
    out += run_events("eval-1", "evaluate", "evaluation", parent="pipe-1", minute=5,
                      used=[art("models/model.pkl", M, "model"), art("data/features.parquet", F, "features")],
                      generated=[art("reports/eval.json", E, "evaluation")], metrics={"auc": 0.88})
    out += run_events("deploy-1", "deploy", "deployment", parent="pipe-1", minute=6,
                      used=[art("models/model.pkl", M, "model")],
                      generated=[art(ENDPOINT, None, "deployment", name="churn-endpoint")])
    out += run_events("other-1", "other", "other", minute=7, used=[art("data/other.csv", OTHER)],
                      generated=[art("data/other-out.csv", OTHER_OUT)])
    return out


def sweep_events(count: int = 200) -> list[dict[str, Any]]:
    """A hyperparameter sweep: ``count`` train runs inside sweep-1, each using the features."""
    out = run_events("sweep-1", "sweep", "hyperparameter_search", minute=10)
    for index in range(count):
        out += run_events(f"trial-{index}", "train", "training", parent="sweep-1", minute=11,
                          used=[art("data/features.parquet", F, "features")],
                          generated=[art(f"models/trial-{index}.pkl", sha(f"trial-{index}"), "model")],
                          params={"lr": round(0.001 * (index + 1), 6)}, metrics={"accuracy": 0.5 + index / 1000})
    return out


def invalidation_event(target: str, reason: str = "raw data had leaked labels") -> dict[str, Any]:
    return ev.validate(ev.new_event("artifact.invalidate", time="2026-03-02T09:00:00Z",
                                    invalidation={"target": target, "reason": reason},
                                    agents=[{"id": "alice", "kind": "person", "name": "Alice Martin"}]))


def load(store: Store, events: list[dict[str, Any]]) -> Store:
    """Map every event with the real mapping and add it to the store."""
    for event in events:
        store.add(event_to_quads(event))
    return store


def test_events_are_valid_and_map_to_one_graph_per_run(store: Store) -> None:
    load(store, pipeline_events())
    bundles = [g for g in store.graphs() if "/id/bundle/" in g.value]
    assert len(bundles) == 8  # pipe, ingest, clean, feat, train, eval, deploy, other
    assert len(store.graphs()) == 9  # and the shared descriptions
