"""provgraph.autolog(): scikit-learn fits inside a run record params, data fingerprints and scores;
r.use(DataFrame) fingerprints by content. Expectations are computed here from scikit-learn and pandas."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import provgraph
from provgraph.cli import main
from provgraph.project import Project


def _frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    return X, pd.Series((X["a"] + X["b"] > 0).astype(int), name="label")


def _ends(project: Project) -> list[dict[str, Any]]:
    return [e.event for e in project.journal.entries() if e.event["type"] == "run.end"]


@pytest.fixture(autouse=True)
def _autolog() -> Iterator[None]:
    provgraph.autolog()
    yield
    provgraph.autolog(disable=True)


def test_pipeline_fit_records_nested_params_data_and_score(project: Project, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _frame()
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(C=0.5))])
    with provgraph.run("train", kind="training", project=project) as r:
        model.fit(X, y)
        (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
        r.generate(tmp_path / "model.pkl", kind="model")
    (end,) = _ends(project)
    assert end["params"]["clf__C"] == 0.5 and end["params"]["scale__with_mean"] is True
    assert end["annotations"]["sklearn.estimator"] == "sklearn.pipeline.Pipeline"
    expected = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(C=0.5))]).fit(X, y).score(X, y)
    assert end["metrics"]["training_score"] == pytest.approx(expected)
    assert {a["location"] for a in end["used"]} == {"sklearn.X", "sklearn.y"}
    capsys.readouterr()
    assert main(["lineage", "model.pkl", "--format", "json"]) == 0
    assert "sklearn.X" in capsys.readouterr().out


def test_grid_search_records_best_params_and_each_candidate(project: Project) -> None:
    X, y = _frame()
    grid = {"C": [0.1, 1.0, 10.0]}
    with provgraph.run("search", kind="hyperparameter_search", project=project) as r:
        search = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y)
    ends = _ends(project)
    parent = next(e for e in ends if e["run"]["id"] == r.id)
    assert parent["params"]["best.C"] == search.best_params_["C"]
    assert parent["metrics"]["best_score"] == pytest.approx(search.best_score_)
    children = [e for e in ends if e["run"].get("parent") == r.id]
    assert sorted(c["params"]["C"] for c in children) == grid["C"]
    assert sorted(c["metrics"]["mean_test_score"] for c in children) == pytest.approx(
        sorted(search.cv_results_["mean_test_score"]))


def test_fit_outside_a_run_records_nothing(project: Project) -> None:
    X, y = _frame()
    LogisticRegression().fit(X, y)
    assert list(project.journal.entries()) == []


FINGERPRINT = """
import numpy as np, pandas as pd
from provgraph.capture.data import fingerprint
rng = np.random.default_rng(1)
print(fingerprint(pd.DataFrame({"x": rng.normal(size=5), "s": list("abcde")}))[0])
"""


def test_dataframe_fingerprint_is_stable_across_processes_and_identical_frames_are_one_version(
        project: Project) -> None:
    runs = [subprocess.run([sys.executable, "-c", FINGERPRINT], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    assert runs[0] == runs[1] and len(runs[0].strip()) == 64
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=5), "s": list("abcde")})
    with provgraph.run("a", project=project) as first:
        first.use(frame, name="features")
    with provgraph.run("b", project=project) as second:
        second.use(frame.copy(), name="features")
        second.use(frame.assign(x=frame["x"] + 1), name="features", role="changed")
    used = [a for e in _ends(project) for a in e["used"]]
    assert used[0]["sha256"] == used[1]["sha256"] == runs[0].strip()
    assert used[2]["sha256"] != used[0]["sha256"] and "fingerprint:pandas" in used[0]["labels"]
    versions = project.synced_store().query("""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX provml: <https://w3id.org/provgraph/provml#>
        SELECT DISTINCT ?v WHERE { ?run prov:used ?v . ?v provml:location "features" }""")
    assert len(list(versions)) == 2  # the two identical frames are one version, the changed one another
    schema = _ends(project)[0]["annotations"]
    assert json.loads(schema["data.features.columns"]) == ["x", "s"]
    assert json.loads(schema["data.features.shape"]) == [5, 2]


def test_numpy_array_is_fingerprinted_by_its_bytes(project: Project) -> None:
    array = np.arange(12, dtype="<i8").reshape(3, 4)
    with provgraph.run("a", project=project) as r:
        artifact = r.use(array, name="matrix")
    head = json.dumps({"dtypes": ["<i8"], "shape": [3, 4]}, sort_keys=True).encode()
    assert artifact["sha256"] == hashlib.sha256(head + array.tobytes()).hexdigest()


def test_cross_validate_records_the_mean_of_each_score(project: Project) -> None:
    from sklearn import model_selection

    X, y = _frame()
    with provgraph.run("cv", project=project):
        result = model_selection.cross_validate(LogisticRegression(), X, y, cv=3)
    (end,) = _ends(project)
    assert end["metrics"]["cv_test_score"] == pytest.approx(float(result["test_score"].mean()))
    assert {a["location"] for a in end["used"]} == {"sklearn.X", "sklearn.y"}


def test_disable_puts_sklearn_back(project: Project) -> None:
    provgraph.autolog(disable=True)
    X, y = _frame()
    with provgraph.run("plain", project=project):
        LogisticRegression().fit(X, y)
    (end,) = _ends(project)
    assert "params" not in end and "used" not in end
