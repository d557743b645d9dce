"""MLflow's model registry as it changes between imports, made by real MLflow inside the test: an alias
moved from one version to another, or a version moved from one stage to another, is held by the new
holder only, and its history stays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provgraph.cli import main
from provgraph.importers.mlflow import run_id
from provgraph.project import Project

REGISTRY = """
import json, sys, mlflow
client = mlflow.MlflowClient(sys.argv[1])
if sys.argv[2] == "make":
    experiment = client.create_experiment("e")
    runs = [client.create_run(experiment).info.run_id for _ in range(2)]
    client.create_registered_model("m")
    for run in runs:
        client.create_model_version("m", f"runs:/{run}/model", run_id=run)
client.set_registered_model_alias("m", "champion", sys.argv[3])
client.transition_model_version_stage("m", "1", "Staging" if sys.argv[2] == "make" else "Production")
print(json.dumps([client.get_model_version_by_alias("m", "champion").version,
                  client.get_model_version("m", "1").current_stage]))
"""
PROVML = "PREFIX provml: <https://w3id.org/provgraph/provml#> PREFIX prov: <http://www.w3.org/ns/prov#> "


def _registry(uri: str, cwd: Path, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", REGISTRY, uri, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=240, check=False, env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"})
    assert done.returncode == 0, done.stderr[-3000:]
    return [str(value) for value in json.loads(done.stdout.splitlines()[-1])]


@pytest.mark.parametrize("scheme", ["sqlite", "file"])
def test_a_moved_alias_is_held_by_its_new_version_only_and_keeps_its_history(project: Project, tmp_path: Path,
                                                                             scheme: str,
                                                                             capsys: pytest.CaptureFixture[str]
                                                                             ) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}" if scheme == "sqlite" else f"file:{tmp_path / 'mlruns'}"
    assert _registry(uri, tmp_path, "make", "1") == ["1", "Staging"]  # what MLflow says: alias, version 1's stage
    assert main(["import-runs", "--from", "mlflow", uri]) == 0
    assert _registry(uri, tmp_path, "move", "2") == ["2", "Production"]
    assert main(["import-runs", "--from", "mlflow", uri]) == 0
    project.close()
    capsys.readouterr()
    rows = project.synced_store().query(PROVML + """
        SELECT DISTINCT ?loc ?label WHERE { ?v provml:location ?loc ; provml:hasLabel ?label }""")
    assert [(r["loc"].value, r["label"].value) for r in rows] == []  # was m/1 AND m/2 alias:champion, m/1 both stages
    # models:/m@champion is MLflow's pointer: its versions, newest first, are the versions it pointed at
    rows = project.synced_store().query(PROVML + """
        SELECT DISTINCT ?held ?at WHERE { ?p provml:location "models:/m@champion" ; prov:wasGeneratedBy ?run ;
                                          prov:wasDerivedFrom ?v . ?run prov:endedAtTime ?at .
                                          ?v provml:location ?held } ORDER BY DESC(?at)""")
    assert [r["held"].value for r in rows] == ["models:/m/2", "models:/m/1"]
    rows = project.synced_store().query(PROVML + """
        SELECT ?stage WHERE { ?p provml:location ?stage ; prov:wasDerivedFrom ?v .
                              ?v provml:location "models:/m/1" }""")
    assert sorted(r["stage"].value for r in rows if "@" not in r["stage"].value) == [
        "models:/m/Production", "models:/m/Staging"]
    project.close()  # the CLI opens the store itself
    assert main(["who", "models:/m@champion", "--format", "json"]) == 0
    who = json.loads(capsys.readouterr().out)
    assert [row["run"] for row in who] == [run_id("alias-m@champion-1"), run_id("alias-m@champion-2")]
    entries = project.verify().entries
    assert main(["import-runs", "--from", "mlflow", uri]) == 0  # nothing moved: nothing new
    assert project.verify().entries == entries
