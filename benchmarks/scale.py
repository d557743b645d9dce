"""Scale: every CLI command, each a fresh ``provgraph`` process, on the prepared workload's project (the
store built through ``Project.record_many``: journal and store, as a user's project would be). Meant for
the largest size, where the question is whether each command answers at all and how long it takes:

    python -m benchmarks --sizes 100000 --areas scale --repeat 1 --task-limit 600   (make bench-scale)

Not in the default areas (it runs about 25 commands per size). A command running past the task limit
is stopped and its figure keeps the limit as a lower bound. Preparing the 100,000-run project (workload,
``record_many``: 200,000 journal entries, 7.6 M quads, 2.6 GB of store) took 37 minutes on the shared
2-core machine; the commands then take up to 24 times the task limit.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from provgraph.cli.validating import EXIT_VIOLATIONS

from . import cli
from .harness import Meter
from .workload import COMMITS
from .workspace import Workspace, size_note, store_bytes

AREA = "scale"
DEFAULT = False


def _landmarks(space: Workspace) -> dict[str, Any]:
    """The workspace's landmarks plus a run (at 90% of the workload), the start time of that run and
    the first two training runs from there on."""
    marks = space.landmarks()
    with open(space.events_path, encoding="utf-8") as handle:
        later = (json.loads(line) for line in itertools.islice(handle, 2 * (marks["runs"] * 9 // 10), None))
        starts = [event for event in later if event["type"] == "run.start"]
        first = starts[0]
        trainings = [e["run"]["id"] for e in starts if e["run"]["kind"] == "training"][:2]
    return {**marks, "run": first["run"]["id"], "since": first["time"], "trainings": trainings}


def commands(marks: dict[str, Any]) -> dict[str, list[str]]:
    """Task name -> the command's arguments, for the workload's landmarks."""
    run = marks["run"]
    return {
        "runs": ["runs"],
        "runs --param": ["runs", "--param", "n_estimators=100"],
        "runs --metric": ["runs", "--metric", "accuracy>=0.9"],
        "runs --kind": ["runs", "--kind", "training"],
        "runs --agent": ["runs", "--agent", marks["join_agent"]],
        "runs --since": ["runs", "--since", marks["since"]],
        "runs --commit": ["runs", "--commit", COMMITS[0][:8]],
        "show": ["show", run],
        "impact-small": ["impact", marks["impact_small"]],
        "impact-large": ["impact", marks["impact_large"]],
        "lineage-small": ["lineage", marks["lineage_small"]],
        "lineage-large": ["lineage", marks["lineage_large"]],
        "who": ["who", marks["impact_small"]],
        "diff": ["diff", *marks["trainings"]],
        "stats": ["stats"],
        "export --run": ["export", "--run", run, "-o", "run.provjson"],
        "export turtle (store)": ["export", "--format", "turtle", "-o", "store.ttl"],
        "export prov-json (store)": ["export", "--format", "prov-json", "-o", "store.provjson"],
        "export provn (store)": ["export", "--format", "provn", "-o", "store.provn"],
        "export prov-xml (store)": ["export", "--format", "prov-xml", "-o", "store.provx"],
        "validate --run": ["validate", "--run", run],
        "validate (store)": ["validate"],
        "render --run": ["render", "--run", run, "-o", "run.svg"],
        "verify": ["verify"],
        "report": ["report", marks["lineage_large"], "-o", "report.html"],
        "--version": ["--version"],
    }


TASKS = tuple(commands({"run": "", "join_agent": "", "since": "", "trainings": [], "impact_small": "",
                        "impact_large": "", "lineage_small": "", "lineage_large": ""}))


def provgraph(meter: Meter, workspace: str) -> None:
    space = Workspace(workspace)
    marks = _landmarks(space)
    folder = Path(space.project_path)
    size = f"{marks['quads']:,} quads in all; " + size_note(marks["quads"], marks["runs"], *store_bytes(space))
    for task, argv in commands(marks).items():
        cli.measure(meter, task, argv, folder, note=size if task == "stats" else "",
                    answered=(0, EXIT_VIOLATIONS) if argv[0] == "validate" else (0,))
TOOLS = {"provgraph": ("provgraph", TASKS)}
