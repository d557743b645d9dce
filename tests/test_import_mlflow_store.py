"""MLflow import from MLflow's own tracking stores, made by real MLflow inside the test: a parent run
with two nested sweep runs (log_input datasets, metric histories, MLflow 3 logged models registered as
two versions of one model with an alias), and a failed run; in sqlite, in a committed file store, and
behind a real `mlflow server`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from pyoxigraph import Literal, NamedNode
from servers import free_port, start_retrying, stop_process

from provgraph import events as ev
from provgraph.cli import main
from provgraph.errors import ProvgraphError
from provgraph.importers import mlflow_store
from provgraph.importers.mlflow import events_from_mlflow, run_id
from provgraph.importers.registry import ImportOptions
from provgraph.project import Project
from provgraph.query.runinfo import describe_run
from provgraph.query.runs import runs

MAKE = """
import json, sys, mlflow, pandas as pd
from sklearn.linear_model import LogisticRegression
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("credit")
X = pd.DataFrame({"a": [0, 1, 0, 1], "b": [1, 1, 0, 0]})
y = [0, 1, 0, 1]
made = {"children": {}}
with mlflow.start_run(run_name="sweep") as parent:
    made["parent"] = parent.info.run_id
    for n in (10, 100):
        with mlflow.start_run(run_name=f"n{n}", nested=True) as child:
            mlflow.log_param("n_estimators", n)
            mlflow.log_param("criterion", "gini")
            train = mlflow.data.from_pandas(X + n, source="s3://bucket/credit/train.csv", name="credit-train")
            test = mlflow.data.from_pandas(X, source="s3://bucket/credit/test.csv", name="credit-test")
            mlflow.log_input(train, context="training")
            mlflow.log_input(test, context="evaluation")
            for step in range(3):
                mlflow.log_metric("loss", 1.0 / (step + 1 + n), step=step)
            mlflow.log_metric("auc", 0.5 + n / 1000)
            if MODELS:
                info = mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model",
                                                registered_model_name="credit-rf")
                made["children"][str(n)] = {"run": child.info.run_id, "model": info.model_id,
                                            "train": train.digest, "test": test.digest}
            else:
                made["children"][str(n)] = {"run": child.info.run_id, "train": train.digest, "test": test.digest}
with mlflow.start_run(run_name="broken", experiment_id=mlflow.create_experiment("other")) as failed:
    mlflow.log_param("n_estimators", "oops")
    made["failed"] = failed.info.run_id
mlflow.MlflowClient().set_terminated(made["failed"], "FAILED")
if MODELS:
    mlflow.MlflowClient().set_registered_model_alias("credit-rf", "champion", "2")
print(json.dumps(made))
"""


def _make(uri: str, cwd: Path, models: bool = True) -> dict:
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    done = subprocess.run([sys.executable, "-c", f"MODELS = {models}\n{MAKE}", uri], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("mlflow")
    return folder, _make(f"sqlite:///{folder / 'mlflow.db'}", folder)


def _ends(events: list[dict]) -> dict[str, dict]:
    return {e["run"]["id"]: e for e in events if e["type"] == "run.end"}


def _starts(events: list[dict]) -> dict[str, dict]:
    return {e["run"]["id"]: e for e in events if e["type"] == "run.start"}


def test_runs_parents_params_metrics_and_status_survive(sqlite_store: tuple[Path, dict]) -> None:
    folder, made = sqlite_store
    result = events_from_mlflow(f"sqlite:///{folder / 'mlflow.db'}")
    ends, starts = _ends(result.events), _starts(result.events)
    parent = f"mlflow-{made['parent']}"
    for n, child in made["children"].items():
        end = ends[f"mlflow-{child['run']}"]
        assert starts[f"mlflow-{child['run']}"]["run"]["parent"] == parent and end["run"]["status"] == "completed"
        assert end["params"] == {"n_estimators": int(n), "criterion": "gini"}
        assert [(p["step"], p["value"]) for p in end["metrics"]["loss"]] == [
            (step, 1.0 / (step + 1 + int(n))) for step in range(3)]
        assert all("time" in p for p in end["metrics"]["loss"])
    failed = ends[f"mlflow-{made['failed']}"]
    assert failed["run"]["status"] == "failed" and failed["params"] == {"n_estimators": "oops"}
    assert {e["run"]["step"] for e in starts.values()} == {"credit", "other", "registered model credit-rf"}


def test_datasets_models_versions_and_aliases(sqlite_store: tuple[Path, dict]) -> None:
    folder, made = sqlite_store
    ends = _ends(events_from_mlflow(folder).events)  # a folder holding mlflow.db
    trains = set()
    for n, child in made["children"].items():
        end = ends[f"mlflow-{child['run']}"]
        used = {a["role"]: a for a in end["used"]}
        assert used["training"]["location"] == "s3://bucket/credit/train.csv"
        assert used["training"]["digests"] == {"mlflow-digest": child["train"]}
        assert used["evaluation"]["digests"] == {"mlflow-digest": child["test"]}
        trains.add(child["train"])
        generated = {a["location"]: a for a in end["generated"]}
        assert generated[f"models:/{child['model']}"]["kind"] == "model"
        version = "1" if n == "10" else "2"
        assert generated[f"models:/credit-rf/{version}"]["name"] == "models:/credit-rf"
        assert end["run"]["kind"] == "training"
    assert len(trains) == 2  # one source, two digests: two versions
    champion = ends[run_id("alias-credit-rf@champion-2")]  # the alias as MLflow's pointer to version 2
    assert [(a["location"], a["digests"]) for a in champion["used"]] == [
        ("models:/credit-rf/2", {"mlflow-model-version": "2"})]
    assert [a["location"] for a in champion["generated"]] == ["models:/credit-rf@champion"]


def test_experiment_since_and_incremental_reimport(sqlite_store: tuple[Path, dict], project: Project,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder, made = sqlite_store
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    only = events_from_mlflow(uri, ImportOptions(experiment="other"))
    assert {e["run"]["id"] for e in only.events} == {f"mlflow-{made['failed']}"}
    assert events_from_mlflow(uri, ImportOptions(since="2999-01-01T00:00:00Z")).events == []
    with pytest.raises(ProvgraphError, match="no MLflow experiment"):
        events_from_mlflow(uri, ImportOptions(experiment="nope"))
    assert main(["import-runs", "--from", "mlflow", uri, "--experiment", "credit"]) == 0
    capsys.readouterr()
    assert main(["import-runs", "--from", "mlflow", uri]) == 0
    out = capsys.readouterr().out
    everything = events_from_mlflow(uri).events
    fresh = len(everything) - len(events_from_mlflow(uri, ImportOptions(experiment="credit")).events)
    assert f"recorded {fresh} new of the {len(everything)} events," in out
    assert f"({len(everything) - fresh} were recorded before)" in out
    assert {r["run"] for r in runs(project.synced_store(), params=["n_estimators=100"]).rows} == {
        f"mlflow-{made['children']['100']['run']}"}
    project.close()  # the CLI opens the store itself
    assert main(["show", f"mlflow-{made['children']['100']['run']}"]) == 0  # a script without sha256
    assert "script:" in capsys.readouterr().out
    # both registered versions trained on the one source are two models in impact's summary
    assert main(["impact", "s3://bucket/credit/train.csv"]) == 0
    summary = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("models using it"))
    assert "(models:/credit-rf/1)" in summary and "(models:/credit-rf/2)" in summary


def test_a_committed_file_store_without_empty_folders_imports(tmp_path: Path) -> None:
    made = _make("file:" + str(tmp_path / "mlruns"), tmp_path, models=False)
    for folder in sorted(tmp_path.glob("mlruns/**/*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # what git does to empty folders
    assert not (tmp_path / "mlruns" / "1" / made["parent"] / "params").exists()
    for source in (tmp_path, tmp_path / "mlruns", f"file:{tmp_path / 'mlruns'}"):
        ends = _ends(events_from_mlflow(str(source)).events)
        assert ends[f"mlflow-{made['parent']}"]["run"]["status"] == "completed"
        child = ends[f"mlflow-{made['children']['10']['run']}"]
        assert child["params"]["n_estimators"] == 10


def test_a_tracking_server_over_http(sqlite_store: tuple[Path, dict], tmp_path: Path) -> None:
    folder, made = sqlite_store
    copy = tmp_path / "mlflow.db"
    shutil.copy(folder / "mlflow.db", copy)
    url = ""

    def launch(output: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
        nonlocal url
        port = free_port()  # mlflow server cannot report a port it chose: retried if taken meanwhile
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen([str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1",
                                    "--port", str(port), "--backend-store-uri", f"sqlite:///{copy}", "--workers",
                                    "1"], stdout=output, stderr=subprocess.STDOUT)
        return process, f"{url}/health"

    server = start_retrying(launch, retry=True, deadline_s=120)
    try:
        starts = _starts(events_from_mlflow(url).events)
        assert starts[f"mlflow-{made['children']['100']['run']}"]["run"]["parent"] == f"mlflow-{made['parent']}"
    finally:
        stop_process(server, 10)


def test_bad_sources_are_one_clear_error_and_create_nothing(tmp_path: Path, refusing_port: int) -> None:
    missing = tmp_path / "nowhere" / "mlflow.db"
    with pytest.raises(ProvgraphError, match="no such sqlite file"):
        events_from_mlflow(f"sqlite:///{missing}")
    assert not missing.parent.exists()
    with pytest.raises(ProvgraphError, match=r"MLflow store http://127\.0\.0\.1:\d+: .*Connection refused"):
        events_from_mlflow(f"http://127.0.0.1:{refusing_port}")


# --- a store edited between two imports: what MLflow lets a user change after a run was recorded ---

EDIT = """
import json, sys, mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()
made = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
if sys.argv[2] == "first":
    mlflow.set_experiment("churn")
    with mlflow.start_run(run_name="done") as run:
        mlflow.log_param("depth", 3)
        mlflow.set_tag("owner", "ada")
        mlflow.log_metric("diverged", float("nan"), step=0)
        mlflow.log_metric("diverged", 0.5, step=1)
        mlflow.log_metric("blank", float("nan"))
        made["done"] = run.info.run_id
    made["running"] = client.create_run(mlflow.get_experiment_by_name("churn").experiment_id).info.run_id
    client.log_param(made["running"], "depth", 5)
else:
    experiment = mlflow.get_experiment_by_name("churn").experiment_id
    client.rename_experiment(experiment, "churn-v2")
    client.set_tag(made["done"], "owner", "bea")
    client.delete_run(made["done"])
    client.log_metric(made["running"], "auc", 0.75)
    client.set_terminated(made["running"], "FINISHED")
    with mlflow.start_run(run_name="new", experiment_id=experiment) as run:
        made["new"] = run.info.run_id
print(json.dumps(made))
"""


def _edit(uri: str, cwd: Path, stage: str, made: dict | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", EDIT, uri, stage, json.dumps(made or {})], cwd=cwd,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _values(project: Project, run: str, predicate: str) -> list[str]:
    rows = project.synced_store().query(
        "SELECT DISTINCT ?value WHERE { GRAPH ?g { ?run <https://w3id.org/provgraph/provml#runId> ?id ; ?p ?value } }",
        bindings={"id": Literal(run), "p": NamedNode(f"https://w3id.org/provgraph/provml#{predicate}")})
    return sorted(r["value"].value for r in rows)


def test_a_store_edited_between_imports_adds_what_is_new_and_contradicts_nothing(project: Project,
                                                                                 tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    made = _edit(uri, tmp_path, "first")
    done, running = run_id(made["done"]), run_id(made["running"])
    first = events_from_mlflow(uri).events
    assert not any(e["type"] == "run.end" for e in first if e["run"]["id"] == running)
    project.record_many(first)
    assert [e["id"] for e in events_from_mlflow(uri).events] == [e["id"] for e in first]  # twice: nothing new
    made = _edit(uri, tmp_path, "second", made)
    second = events_from_mlflow(uri).events
    known = {e["id"] for e in first}
    added = [(e["run"]["id"], e["type"]) for e in second if e["id"] not in known]
    # the new run, the end of the run that finished, and the end that says the other run was deleted
    assert sorted(added) == sorted([(run_id(made["new"]), "run.start"), (run_id(made["new"]), "run.end"),
                                    (running, "run.end"), (done, "run.end")])
    project.record_many(e for e in second if e["id"] not in known)
    assert _values(project, done, "stepName") == ["churn"]  # one step, the name the run was recorded under
    assert _values(project, done, "hasLabel") == ["mlflow.lifecycle:deleted"]
    annotations = [json.loads(text) for text in _values(project, done, "annotations")]
    assert {a.get("tag.owner") for a in annotations} - {None} == {"ada"}
    # MLflow's NaN points cannot be numbers in an event: they are named, not silently dropped
    assert describe_run(project.synced_store(), done)["metrics"] == {"diverged": 0.5}
    noted = next(a for a in annotations if "metric.diverged" in a)
    assert noted["metric.diverged"] == "NaN at step 0" and noted["metric.blank"] == "NaN at step 0"
    assert describe_run(project.synced_store(), running)["metrics"] == {"auc": 0.75}


def test_a_model_version_registered_without_a_run_is_made_by_its_registration(project: Project, tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]
                                                                              ) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    script = ("import sys, mlflow\nclient = mlflow.MlflowClient(sys.argv[1])\nclient.create_registered_model('ext')\n"
              "print(client.create_model_version('ext', 's3://bucket/models/ext', run_id=None).creation_timestamp)")
    done = subprocess.run([sys.executable, "-c", script, uri], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    created = int(done.stdout.split()[-1])
    assert main(["import-runs", "--from", "mlflow", uri]) == 0  # the whole import failed on run_id: required
    assert "1 registrations without a run" in capsys.readouterr().out
    project.close()
    assert main(["impact", "s3://bucket/models/ext"]) == 0
    assert "models using it (1): models:/ext" in capsys.readouterr().out
    registration = describe_run(project.synced_store(), "mlflow-registration-ext-1")
    assert registration["started"] == registration["ended"]
    assert ev.parse_time(registration["started"]).timestamp() * 1000 == created
    assert [a["location"] for a in registration["generated"]] == ["models:/ext/1"]


def test_a_run_terminated_with_an_end_before_its_start_imports_with_the_others(project: Project, tmp_path: Path
                                                                               ) -> None:
    """MLflow's set_terminated takes any end_time; such a run failed the whole import once provgraph
    refused a run that ends before it started. It ends at its start, the given end kept beside it
    (provgraph.runclock.reconcile)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    script = ("import sys, json, mlflow\nclient = mlflow.MlflowClient(sys.argv[1])\n"
              "exp = client.create_experiment('clock')\nbad = client.create_run(exp, start_time=1700000005000)\n"
              "client.set_terminated(bad.info.run_id, end_time=1700000001000)\n"
              "good = client.create_run(exp, start_time=1700000000000)\n"
              "client.set_terminated(good.info.run_id, end_time=1700000002000)\n"
              "print(json.dumps([bad.info.run_id, good.info.run_id]))")
    done = subprocess.run([sys.executable, "-c", script, uri], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    bad, good = json.loads(done.stdout.splitlines()[-1])
    assert main(["import-runs", "--from", "mlflow", uri]) == 0
    store = project.synced_store()
    early, fine = describe_run(store, run_id(bad)), describe_run(store, run_id(good))
    assert (early["started"], early["ended"]) == ("2023-11-14T22:13:25Z", "2023-11-14T22:13:25Z")
    assert (fine["started"], fine["ended"]) == ("2023-11-14T22:13:20Z", "2023-11-14T22:13:22Z")
    noted = [json.loads(text) for text in _values(project, run_id(bad), "annotations")]
    assert any(a.get("mlflow.endEventTime", "").startswith("2023-11-14T22:13:21") for a in noted), noted


NAMES = ("it's", "back\\slash", 'dq"x', "модель", "under_score")


@pytest.mark.parametrize("scheme", ["sqlite", "file"])
def test_every_registered_model_on_every_page_whatever_its_name(tmp_path: Path, scheme: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}" if scheme == "sqlite" else f"file:{tmp_path / 'mlruns'}"
    script = ("import json, sys, mlflow\nclient = mlflow.MlflowClient(sys.argv[1])\n"
              "run = client.create_run(client.create_experiment('e')).info.run_id\nfound = []\n"
              "for name in json.loads(sys.argv[2]):\n    client.create_registered_model(name)\n"
              "    for _ in range(2):\n        client.create_model_version(name, f'runs:/{run}/m', run_id=run)\n"
              "print(json.dumps([[v.name, v.version] for v in client.search_model_versions(max_results=1000)]))")
    done = subprocess.run([sys.executable, "-c", script, uri, json.dumps(NAMES)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=240, check=False, env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"})
    assert done.returncode == 0, done.stderr[-3000:]
    made = {f"models:/{name}/{version}" for name, version in json.loads(done.stdout.splitlines()[-1])}
    assert len(made) == 2 * len(NAMES)  # what MLflow itself lists
    monkeypatch.setattr(mlflow_store, "PAGE", 3)  # several pages of models and of versions
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = events_from_mlflow(uri)
    generated = {a["location"] for e in result.events for a in e.get("generated", ())}
    assert {g for g in generated if g.startswith("models:/")} == made  # a quote or backslash lost the versions
    assert list(Path.cwd().iterdir()) == []  # reading a file store created ./mlflow.db
