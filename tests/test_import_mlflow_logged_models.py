"""MLflow 3 logged models from a real tracking store made inside the test: the run that logged a model
generated it, and a run that used it (its model inputs: a metric logged with ``model_id``) used it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from provgraph.cli import main
from provgraph.importers.mlflow import run_id
from provgraph.project import Project

MAKE = """
import json, sys, mlflow
from sklearn.linear_model import LogisticRegression
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("models")
with mlflow.start_run() as fit:
    model = mlflow.sklearn.log_model(LogisticRegression().fit([[0], [1]], [0, 1]), name="clf",
                                     pip_requirements=["scikit-learn"]).model_id
with mlflow.start_run() as evaluation:
    mlflow.log_metric("accuracy", 0.8, model_id=model)
client = mlflow.MlflowClient()
print(json.dumps({"model": model,
                  "generated": [o.model_id for o in client.get_run(fit.info.run_id).outputs.model_outputs],
                  "used": [i.model_id for i in client.get_run(evaluation.info.run_id).inputs.model_inputs],
                  "fit": fit.info.run_id, "evaluation": evaluation.info.run_id}))
"""


def test_a_run_that_used_a_logged_model_is_linked_to_it(project: Project, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = subprocess.run([sys.executable, "-c", MAKE, uri], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    made = json.loads(done.stdout.splitlines()[-1])
    assert made["generated"] == made["used"] == [made["model"]]  # what MLflow says
    assert main(["import-runs", "--from", "mlflow", uri]) == 0
    project.close()
    capsys.readouterr()
    assert main(["who", f"models:/{made['model']}", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((row["action"], row["run"]) for row in rows) == [
        ("generated", run_id(made["fit"])), ("used", run_id(made["evaluation"]))]  # the use was lost
    assert main(["lineage", run_id(made["evaluation"]), "--format", "json"]) == 0
    assert run_id(made["fit"]) in {row["run"] for row in json.loads(capsys.readouterr().out)["rows"]}
