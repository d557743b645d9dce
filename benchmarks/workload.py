"""A seeded synthetic ML lineage: the one workload every benchmark runs on.

``generate(n, seed)`` returns ``n`` runs as native events (a ``run.start`` and a ``run.end`` each, built
with :func:`provgraph.events.new_event` and validated). The runs form chains of about
:data:`CHAIN_LENGTH`: an ingestion run reads raw sources, then feature and training runs each read the
chain's previous output plus one or two earlier entities (raw sources with a Zipf-like popularity,
earlier outputs of the chain, or another chain's ingested data: fan-out), and generate one or two new
entities. Twenty agents (14 people on behalf of 2 organizations, 4 pipeline tools), hyperparameters,
metrics, content hashes, sizes, labels, environments and code versions are drawn from the same
generator, so the same ``seed`` always gives the same events (ids and times included).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from provgraph import events as ev

CHAIN_LENGTH = 50
BASE_TIME = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
ORGS = [{"id": "org-acme", "kind": "organization", "name": "ACME Analytics"},
        {"id": "org-labs", "kind": "organization", "name": "ACME Research Labs"}]
PEOPLE = [{"id": f"person-{i:02d}", "kind": "person", "name": f"Engineer {i:02d}",
           "on_behalf_of": ORGS[i % 2]["id"]} for i in range(14)]
TOOLS = [{"id": f"tool-{name}", "kind": "software", "name": name}
         for name in ("airflow", "dbt", "spark", "kubeflow")]
AGENT_COUNT = len(ORGS) + len(PEOPLE) + len(TOOLS)
#: A real virtual environment's size: 5 named packages and 100 more, a few of them at other versions
#: per environment, so environments differ but share most package versions.
PACKAGE_NAMES = [f"pkg-{i:03d}" for i in range(100)]
ENVIRONMENTS = [
    {"python": f"3.11.{minor}", "platform": "Linux-6.1-x86_64", "hostname": f"worker-{minor}",
     "packages": {"numpy": f"1.26.{minor}", "pandas": "2.2.1", "scikit-learn": f"1.4.{minor}",
                  "pyarrow": "15.0.0", "torch": f"2.2.{minor}",
                  **{name: f"1.{i % 7}.{minor if i % 10 == 0 else 0}" for i, name in enumerate(PACKAGE_NAMES)}}}
    for minor in range(3)
]
COMMITS = [hashlib.sha1(f"commit-{i}".encode()).hexdigest() for i in range(10)]
LABELS = ("experiment", "approved", "pii", "gdpr", "nightly")


@dataclass
class Workload:
    """The events of ``n`` runs and the landmarks the benchmarks query."""

    n: int
    seed: int
    events: list[ev.Event]
    #: sha256 of the most used raw source (a large impact answer)
    impact_large: str = ""
    #: sha256 of what the last chain's second-to-last run made (a small impact answer)
    impact_small: str = ""
    #: sha256 of the last chain's final output (a large lineage answer, the whole chain)
    lineage_large: str = ""
    #: sha256 of what the middle chain's ingestion run made (a small lineage answer)
    lineage_small: str = ""
    #: id of the agent the join query asks about
    join_agent: str = PEOPLE[0]["id"]
    chains: int = 0
    stats: dict[str, int] = field(default_factory=dict)


class _Generator:
    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed = n, seed
        self.rng = random.Random(seed)
        self.counter = 0
        self.clock = BASE_TIME
        self.sources = [self._entity(f"s3://lake/raw/source-{k:04d}/part-0.parquet", "dataset",
                                     f"raw-source-{k:04d}") for k in range(max(5, n // 20))]
        weights = [1.0 / (k + 1) for k in range(len(self.sources))]
        self.cumulative = [sum(weights[: k + 1]) for k in range(len(weights))]
        self.ingested: list[dict[str, Any]] = []
        self.source_uses: dict[str, int] = {}
        self.events: list[ev.Event] = []

    def _digest(self, *parts: object) -> str:
        return hashlib.sha256("|".join(map(str, (self.seed, *parts))).encode()).hexdigest()

    def _entity(self, location: str, kind: str, name: str) -> dict[str, Any]:
        self.counter += 1
        return {"location": location, "kind": kind, "name": name,
                "sha256": self._digest("entity", self.counter), "size": self.rng.randrange(10_000, 10**9)}

    def _tick(self) -> str:
        self.clock += timedelta(seconds=self.rng.randrange(5, 600), microseconds=self.rng.randrange(10**6))
        return self.clock.isoformat().replace("+00:00", "Z")

    def _source(self) -> dict[str, Any]:
        choice = self.rng.choices(self.sources, cum_weights=self.cumulative)[0]
        self.source_uses[choice["sha256"]] = self.source_uses.get(choice["sha256"], 0) + 1
        return choice

    def _extras(self, chain_outputs: list[dict[str, Any]], taken: list[dict[str, Any]], count: int
                ) -> list[dict[str, Any]]:
        picks: list[dict[str, Any]] = []
        for _ in range(count * 4):
            if len(picks) == count:
                break
            roll = self.rng.random()
            if roll < 0.4 or (not chain_outputs and not self.ingested):
                pick = self._source()
            elif roll < 0.7 and self.ingested:
                pick = self.rng.choice(self.ingested)
            else:
                pick = self.rng.choice(chain_outputs or self.ingested)
            if all(pick["sha256"] != t["sha256"] for t in (*taken, *picks)):
                picks.append(pick)
        while len(picks) < count:  # always keep the promised number of inputs
            pick = self.sources[self.rng.randrange(len(self.sources))]
            if all(pick["sha256"] != t["sha256"] for t in (*taken, *picks)):
                picks.append(pick)
        return picks

    def run(self, index: int, chain: int, position: int, previous: dict[str, Any] | None,
            chain_outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = self.rng
        if previous is None:
            kind, step = "ingestion", "ingest"
            used = self._extras([], [], rng.randint(2, 3))
        else:
            kind, step = ("training", "train") if position % 4 == 3 else ("feature_engineering", "features")
            used = [previous, *self._extras(chain_outputs, [previous], rng.randint(1, 2))]
        run_id = f"{step}-{index:06d}"
        person = PEOPLE[chain % len(PEOPLE)] if rng.random() < 0.8 else rng.choice(PEOPLE)
        agents = [person] + ([rng.choice(TOOLS)] if rng.random() < 0.5 else [])
        outputs = self._outputs(kind, chain, position, rng.randint(1, 2))
        params, metrics = self._settings(kind)
        labels = sorted(rng.sample(LABELS, rng.randint(0, 2)))
        run = {"id": run_id, "step": step, "kind": kind}
        start = ev.new_event("run.start", self._tick(), run=run, agents=agents, params=params, labels=labels,
                             environment=ENVIRONMENTS[chain % len(ENVIRONMENTS)],
                             code={"git": {"commit": COMMITS[(chain + position // 10) % len(COMMITS)],
                                           "branch": "main"}})
        used_events = [{**a, "time": self._tick()} for a in used]
        generated_events = [{**a, "time": self._tick()} for a in outputs]
        if rng.random() < 0.05:
            generated_events[0]["labels"] = ["sensitive"]
        end = ev.new_event("run.end", self._tick(), run={**run, "status": "completed"}, agents=agents,
                           used=used_events, generated=generated_events, params=params, metrics=metrics,
                           labels=labels)
        for number, event in enumerate((start, end)):
            event["id"] = self._digest("event", index, number)[:32]
            self.events.append(ev.validate(event))
        return outputs

    def _outputs(self, kind: str, chain: int, position: int, count: int) -> list[dict[str, Any]]:
        base = f"s3://lake/chain-{chain:05d}/step-{position:03d}"
        if kind == "ingestion":
            return [self._entity(f"{base}/ingested-{k}.parquet", "dataset", f"chain-{chain:05d}-ingested-{k}")
                    for k in range(count)]
        if kind == "training":
            outputs = [self._entity(f"{base}/model.pkl", "model", f"chain-{chain:05d}-model")]
            if count > 1:
                outputs.append(self._entity(f"{base}/evaluation.json", "evaluation", f"chain-{chain:05d}-eval"))
            return outputs
        return [self._entity(f"{base}/features-{k}.parquet", "features", f"chain-{chain:05d}-features-{k}")
                for k in range(count)]

    def _settings(self, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
        rng = self.rng
        if kind == "training":
            params = {"learning_rate": round(10 ** rng.uniform(-4, -1), 6), "n_estimators": rng.choice((100, 200, 500)),
                      "max_depth": rng.randint(3, 12), "objective": rng.choice(("binary", "multiclass"))}
            metrics = {"accuracy": round(rng.uniform(0.6, 0.99), 4), "f1": round(rng.uniform(0.5, 0.95), 4),
                       "loss": round(rng.uniform(0.01, 1.5), 4)}
        elif kind == "feature_engineering":
            params = {"window": rng.choice((7, 14, 28)), "normalize": rng.random() < 0.5,
                      "encoding": rng.choice(("onehot", "target", "hash"))}
            metrics = {"rows": rng.randrange(10_000, 10_000_000)}
        else:
            params = {"format": rng.choice(("parquet", "csv")), "partitions": rng.randint(1, 64)}
            metrics = {"rows": rng.randrange(10_000, 10_000_000)}
        return params, metrics


def generate(n: int, seed: int = 42) -> Workload:
    """The workload of ``n`` runs for ``seed`` (deterministic)."""
    if n < 1:
        raise ValueError("a workload needs at least one run")
    gen = _Generator(n, seed)
    chains = max(1, math.ceil(n / CHAIN_LENGTH))
    lengths = [n // chains + (1 if c < n % chains else 0) for c in range(chains)]
    index, landmarks = 0, {}
    for chain, length in enumerate(lengths):
        previous: dict[str, Any] | None = None
        outputs_so_far: list[dict[str, Any]] = []
        for position in range(length):
            outputs = gen.run(index, chain, position, previous, outputs_so_far)
            index += 1
            if previous is None:
                gen.ingested.extend(outputs)
            outputs_so_far.extend(outputs)
            previous = outputs[0]
            if chain == chains // 2 and position == 0:
                landmarks["lineage_small"] = outputs[0]["sha256"]
            if chain == chains - 1 and position == max(0, length - 2):
                landmarks["impact_small"] = outputs[0]["sha256"]
        landmarks["lineage_large"] = outputs_so_far[-1]["sha256"]
    popular = max(gen.source_uses, key=lambda sha: gen.source_uses[sha])
    return Workload(n=n, seed=seed, events=gen.events, impact_large=popular, chains=chains, **landmarks,
                    stats={"events": len(gen.events), "sources": len(gen.sources),
                           "popular_source_uses": gen.source_uses[popular]})
