"""Map the same event streams with two provgraph trees and diff the stored N-Quads.

    python scripts/compare_mapping.py [BASE] [--out DIR]      # BASE: a commit, default e7fd740

The streams are recorded once by this tree's real entry points - the capture API (the demo pipeline:
real files, environment, agents), OpenLineage JSON Lines with parents known only from ParentRunFacets,
COMPLETE-only runs, a START after its COMPLETE and times in other offsets, the mlflow-export-import
samples, and native events that change a run's kind, step, parent and agents' roles across its events
and use a digest-less dataset out of time order. Each tree then stores each stream three ways: one
catch-up of the whole journal (what ``rebuild`` and a fresh process do), event by event with the store
open (a server), and event by event with a new writer each time (a server restarted between events).
The table gives, per stream and way, the quads each tree stored and those only one of them stored; and
whether the three ways agree within each tree. The diffs are written to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MLFLOW = ROOT.parent / "shared" / "testdata" / "mlflow" / "mlflow-export-import" / "samples" / "oss_mlflow"
MLFLOW_EXPORTS = ["single/experiments/basic", "single/experiments/src_tags", "single/models/basic", "bulk/models",
                  "bulk/experiments/1", "bulk/experiments/2/runs"]
WAYS = ("replay", "one-by-one", "restart")


def _cli(root: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROVGRAPH_NAMESPACE": "compare"}
    subprocess.run([sys.executable, "-m", "provgraph", "-C", str(root), *args], check=True, env=env,
                   capture_output=True)


def _journaled(root: Path) -> list[dict[str, Any]]:
    from provgraph.project import Project

    with Project(root) as project:
        return [entry.event for entry in project.journal.entries()]


def _openlineage(run: int, job: str, state: str, time: str, inputs: tuple[Any, ...] = (),
                 outputs: tuple[Any, ...] = (), parent: bool = True) -> dict[str, Any]:
    producer = "https://github.com/OpenLineage/OpenLineage/tree/1.20.5/integration/airflow"

    def dataset(spec: Any) -> dict[str, Any]:
        name, version = spec if isinstance(spec, tuple) else (spec, None)
        facets = {"version": {"_producer": producer, "datasetVersion": version,
                              "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json"}}
        return {"namespace": "postgres://db:5432", "name": name, "facets": facets if version else {}}

    facets = {"parent": {"_producer": producer, "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json",
                         "run": {"runId": f"00000000-0000-0000-0000-{1:012d}"},
                         "job": {"namespace": "airflow", "name": "dag"}}} if parent else {}
    return {"eventType": state, "eventTime": time, "producer": producer,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": f"00000000-0000-0000-0000-{run:012d}", "facets": facets},
            "job": {"namespace": "airflow", "name": job}, "inputs": [dataset(d) for d in inputs],
            "outputs": [dataset(d) for d in outputs]}


def _native() -> list[dict[str, Any]]:
    from provgraph import events as ev

    def event(type_: str, time: str, run: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return ev.validate(ev.new_event(type_, time=f"2026-02-01T{time}Z", run=run, namespace="compare", **fields))

    ana, bob = {"id": "ana", "kind": "person"}, {"id": "bob", "kind": "person", "on_behalf_of": "ana"}
    features = {"location": "data/features", "kind": "features"}
    plan = {"location": "pipeline.yaml", "kind": "code", "role": "plan", "sha256": "a" * 64}
    return [
        event("run.start", "08:00:00", {"id": "prep", "step": "prep", "kind": "feature_engineering"}, agents=[ana],
              generated=[{**features, "sha256": "1" * 64}]),
        event("run.start", "09:00:00", {"id": "train", "step": "train", "kind": "training"},
              agents=[{**ana, "role": "trainer"}], used=[features]),
        event("run.update", "09:05:00", {"id": "train", "kind": "evaluation", "step": "train-eval", "parent": "pipe"},
              agents=[{**ana, "role": "reviewer"}, bob], used=[plan]),
        event("run.start", "07:00:00", {"id": "prep0", "step": "prep", "kind": "feature_engineering"},
              generated=[{**features, "sha256": "0" * 64}]),
        event("run.end", "09:30:00",
              {"id": "train", "status": "failed", "error": {"type": "OOM", "message": "a\u2028b"}},
              agents=[{**ana, "role": "trainer"}], used=[plan], generated=[{"location": "m.pkl", "kind": "model"}]),
        event("run.start", "11:00:00", {"id": "prep2", "step": "prep", "kind": "feature_engineering"},
              generated=[{**features, "sha256": "2" * 64}]),
        event("run.start", "10:00:00", {"id": "late", "step": "train", "kind": "training"}, used=[features]),
        event("run.start", "12:00:00", {"id": "retrain", "step": "train", "kind": "training", "parent": "pipe"},
              used=[features], agents=[bob]),
        event("run.start", "12:30:00", {"id": "retrain", "step": "train", "kind": "hyperparameter_search"},
              used=[features], agents=[{**bob, "role": "tuner"}]),
        event("run.end", "13:00:00", {"id": "retrain", "status": "completed", "parent": "pipe2"}, used=[features]),
    ]


def streams(folder: Path) -> dict[str, Path]:
    """Record the streams with this tree; each saved as a JSON list of events in ``folder``."""
    from provgraph.demo import record_pipeline

    made: dict[str, list[dict[str, Any]]] = {}
    root = Path(tempfile.mkdtemp(dir=folder))
    _cli(root, "init")
    os.environ["PROVGRAPH_NAMESPACE"] = "compare"
    record_pipeline(root)
    made["capture-demo"] = _journaled(root)
    root = Path(tempfile.mkdtemp(dir=folder))
    _cli(root, "init")
    lines = [
        _openlineage(10, "extract", "START", "2026-03-01T10:00:00.000Z", outputs=(("public.raw", "v1"),)),
        _openlineage(10, "extract", "COMPLETE", "2026-03-01T10:05:00.000Z", outputs=(("public.raw", "v1"),)),
        _openlineage(11, "clean", "COMPLETE", "2026-03-01T10:10:00+01:00", inputs=("public.raw",),
                     outputs=("public.clean",)),
        _openlineage(12, "train", "START", "2026-03-01T11:00:00Z", inputs=("public.clean",), outputs=("public.model",)),
        _openlineage(20, "extract", "COMPLETE", "2026-03-01T12:05:00.5Z", outputs=(("public.raw", "v2"),)),
        _openlineage(12, "train", "COMPLETE", "2026-03-01T11:30:00Z", inputs=("public.clean", "public.raw"),
                     outputs=("public.model",)),
        _openlineage(11, "clean", "START", "2026-03-01T10:08:00Z", inputs=("public.raw",)),
        _openlineage(21, "report", "COMPLETE", "2026-03-01T13:00:00Z", inputs=("public.raw", "public.model"),
                     outputs=("public.report",)),
        _openlineage(1, "dag", "START", "2026-03-01T09:59:00Z", parent=False),
        _openlineage(22, "stream", "RUNNING", "2026-03-01T12:30:00Z", inputs=("public.raw",),
                     outputs=("public.stream",)),
        _openlineage(22, "stream", "FAIL", "2026-03-01T12:40:00Z", inputs=("public.raw",)),
    ]
    (root / "events.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    _cli(root, "import-runs", "--from", "openlineage", str(root / "events.jsonl"))
    made["openlineage-files"] = _journaled(root)
    root = Path(tempfile.mkdtemp(dir=folder))
    _cli(root, "init")
    for export in MLFLOW_EXPORTS:
        _cli(root, "import-runs", "--from", "mlflow", str(MLFLOW / export))
    made["mlflow-export"] = _journaled(root)
    made["native-variants"] = _native()
    saved = {}
    for name, events in made.items():
        saved[name] = folder / f"{name}.json"
        saved[name].write_text(json.dumps(events))
    return saved


def replay(stream: Path, way: str, out: Path) -> None:
    """Store ``stream`` the ``way`` asked with the provgraph on ``sys.path``; write its sorted N-Quads."""
    from provgraph.project import Project

    events = json.loads(stream.read_text())
    root = Path(tempfile.mkdtemp())
    Project.init(root).close()
    if way == "replay":
        with Project(root) as project:
            project.record_many(events)
    else:
        project = Project(root)
        for event in events:
            if way == "restart":
                project.close()
                project = Project(root)
            project.synced_store()
            project.record_many([event])
        project.close()
    with Project(root) as project:
        lines = project.synced_store().dump().decode().splitlines(keepends=True)
    out.write_text("".join(sorted(set(lines))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="e7fd740", help="the commit to compare this tree with")
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="compare-mapping-")))
    parser.add_argument("--replay", nargs=3, metavar=("STREAM", "WAY", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay:
        replay(Path(args.replay[0]), args.replay[1], Path(args.replay[2]))
        return 0
    sys.path.insert(0, str(ROOT))
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.out / "base"
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(base, filter="data")
    trees = {"base": base, "this": ROOT}
    print(f"{'stream':18} {'way':11} {'base':>6} {'this':>6} {'only base':>9} {'only this':>9}")
    for name, stream in streams(args.out).items():
        stored: dict[tuple[str, str], set[str]] = {}
        for way in WAYS:
            for side, tree in trees.items():
                out = args.out / f"{name}.{way}.{side}.nq"
                subprocess.run([sys.executable, __file__, "--replay", str(stream), way, str(out)], check=True,
                               env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True)
                stored[(side, way)] = set(out.read_text().splitlines())
            before, after = stored[("base", way)], stored[("this", way)]
            print(f"{name:18} {way:11} {len(before):6} {len(after):6} {len(before - after):9} {len(after - before):9}")
        for side in trees:
            agree = all(stored[(side, way)] == stored[(side, "replay")] for way in WAYS)
            print(f"{name:18} {side}: the three ways {'agree' if agree else 'DIFFER'}")
    print(f"N-Quads in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
