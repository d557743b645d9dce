"""The demo store exported in each of the eight formats and imported into a fresh project answers
runs, impact, lineage, who and show as the original does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provgraph.project import Project
from provgraph.query import impact, lineage, runs, who
from provgraph.query.runinfo import describe_run

RAW, ENDPOINT = "data/raw_data.csv", "deploy/credit-risk-endpoint.json"
FORMATS = {"provn": "provn", "prov-json": "provjson", "prov-xml": "provx", "prov-jsonld": "jsonld",
           "turtle": "ttl", "trig": "trig", "nquads": "nq", "jsonld": "json"}


def _cli(folder: Path, *args: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], capture_output=True,
                          text=True, timeout=300, cwd=folder)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _answers(folder: Path, model_run: str) -> dict[str, Any]:
    project = Project(folder)
    store = project.synced_store()
    try:
        return {
            "runs": sorted((r["run"], r["step"], r["status"], r["kind"]) for r in runs(store).rows),
            "impact": sorted((r["type"], r["label"], r["depth"]) for r in impact(store, RAW, root=folder).rows),
            "lineage": sorted((r["type"], r["label"]) for r in lineage(store, ENDPOINT, root=folder).rows),
            "who": sorted((r["action"], r["run"], r["agent"], r["role"], r["on_behalf_of"])
                          for r in who(store, RAW, root=folder).rows),
            "show": {k: v for k, v in describe_run(store, model_run).items()
                     if k in ("params", "metrics", "status", "step")},
        }
    finally:
        project.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_gives_the_same_answers(demo: Path, tmp_path: Path, fmt: str) -> None:
    train = next(r["run"] for r in json.loads(_cli(demo, "runs", "--format", "json")) if r["kind"] == "training")
    original = _answers(demo, train)
    assert original["runs"] and original["impact"] and original["lineage"] and original["who"]
    exported = tmp_path / f"store.{FORMATS[fmt]}"
    _cli(demo, "export", "--format", fmt, "-o", str(exported))
    _cli(tmp_path, "init")
    _cli(tmp_path, "import", str(exported), "--format", fmt)
    assert _answers(tmp_path, train) == original
