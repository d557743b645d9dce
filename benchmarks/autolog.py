"""Autolog: the cost of one scikit-learn ``fit`` with provgraph's autolog, MLflow's sklearn autolog and
no logging at all, on the same estimator and data (LogisticRegression on a 2,000 x 20 DataFrame).

Each repetition opens one run (provgraph: ``provgraph.run``; MLflow: ``mlflow.start_run`` on a SQLite
tracking store in a temporary folder) outside the timing and fits ``FITS`` times inside it (MLflow:
once, its autologged fit takes seconds here). provgraph
records the params, the X/y fingerprints and the training score; MLflow (``log_models=False``, as
provgraph saves no model unless asked) records params, metrics and its dataset inputs. The overhead
per fit is the difference to the bare ``sklearn`` figure; ``autolog-record`` times provgraph's added work
alone, since on a loaded machine fit times vary more than that difference.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from .harness import Meter

AREA = "autolog"
PER_SIZE = False
FITS = 10
TASK = "fit-logreg"
RECORD = "autolog-record"


def _data() -> tuple[Any, Any, Any]:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(2000, 20)), columns=[f"f{i}" for i in range(20)])
    y = pd.Series((X.sum(axis=1) > 0).astype(int), name="label")
    return LogisticRegression(max_iter=200), X, y


def _scratch(workspace: str) -> Path:
    Path(workspace).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="autolog-", dir=workspace))


def sklearn(meter: Meter, workspace: str) -> None:
    model, X, y = _data()
    model.fit(X, y)
    meter.measure(TASK, lambda _: [model.fit(X, y) for _ in range(FITS)] and None, per=FITS,
                  note="bare fit, no logging")


def provgraph(meter: Meter, workspace: str) -> None:
    import provgraph as pg
    from provgraph.capture.sklearn import _record_fit

    folder = _scratch(workspace)
    try:
        project = pg.Project.init(folder)
        pg.autolog()
        model, X, y = _data()
        with pg.run("warm", project=project):
            model.fit(X, y)

        def start() -> Any:
            run = pg.run("train", kind="training", project=project, capture_environment=False)
            return run.__enter__()

        meter.measure(TASK, lambda _: [model.fit(X, y) for _ in range(FITS)] and None, setup=start,
                      teardown=lambda run: run.__exit__(None, None, None), per=FITS,
                      note="provgraph.autolog(): params, X/y fingerprints, training score")
        meter.measure(RECORD, lambda run: [_record_fit(run, model, X, y) for _ in range(FITS)] and None,
                      setup=start, teardown=lambda run: run.__exit__(None, None, None), per=FITS,
                      note="what autolog adds to each fit, timed alone (the fit-to-fit noise of a loaded "
                           "machine hides it in the difference)")
        project.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def mlflow(meter: Meter, workspace: str) -> None:
    import mlflow as ml

    folder = _scratch(workspace)
    try:
        ml.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
        ml.set_experiment(experiment_id=ml.create_experiment("autolog", (folder / "artifacts").as_uri()))
        ml.sklearn.autolog(log_models=False, silent=True)
        model, X, y = _data()
        with ml.start_run():
            model.fit(X, y)

        meter.measure(TASK, lambda _: model.fit(X, y) and None, setup=ml.start_run, teardown=lambda _: ml.end_run(),
                      note="mlflow.sklearn.autolog(log_models=False), SQLite tracking store; one fit per "
                           "repetition (a fit takes seconds)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


TOOLS = {"provgraph": ("provgraph", (TASK, RECORD)), "sklearn (no logging)": ("sklearn", (TASK,)),
         "mlflow": ("mlflow", (TASK,))}
