"""Reading MLflow's own tracking stores through ``MlflowClient`` (the optional extra ``provgraph[mlflow]``).

A source is a tracking URI (``sqlite:///path/mlflow.db``, ``file:/path/mlruns``, ``http://host:port``,
``postgresql://...``) or a folder holding ``mlflow.db`` or ``mlruns/`` (or an ``mlruns`` folder itself).
A ``file:`` store is opened with ``MLFLOW_ALLOW_FILE_STORE=true``, which MLflow 3 requires; a committed
``mlruns/`` whose empty ``params/``, ``metrics/``, ``tags/`` or ``artifacts/`` folders git dropped is read
from a copy where they are put back. Records come out in the shape of mlflow-export-import's files
(``info``, ``params``, ``metrics`` histories, ``tags``, ``inputs``, ``outputs``), which
:mod:`.mlflow` maps.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ProvgraphError
from .naming import timestamp
from .registry import ImportOptions, require

SCHEMES = ("sqlite:", "file:", "http:", "https:", "postgresql:", "mysql:", "mssql:", "databricks")
RUN_FOLDERS = ("params", "metrics", "tags", "artifacts")
PAGE = 1000
MAX_POINTS = 100_000_000


def tracking_uri(source: str) -> str | None:
    """The tracking URI ``source`` names, or None when it is not an MLflow store (e.g. an export folder)."""
    if source.startswith(SCHEMES):
        return source
    path = Path(source)
    if (path / "mlflow.db").is_file():
        return f"sqlite:///{(path / 'mlflow.db').resolve()}"
    if path.is_file() and path.suffix == ".db":
        return f"sqlite:///{path.resolve()}"
    folder = path / "mlruns" if (path / "mlruns").is_dir() else path
    if folder.is_dir() and any(folder.glob("*/meta.yaml")):
        return f"file:{folder.resolve()}"
    return None


@contextmanager
def _opened(uri: str) -> Iterator[str]:
    """``uri``, or for a ``file:`` store a copy with the empty run folders git drops put back."""
    if not uri.startswith("file:"):
        yield uri
        return
    folder = Path(uri.removeprefix("file:").removeprefix("//"))
    runs = [p.parent for p in folder.glob("*/*/meta.yaml") if p.parent.name != "models"]
    if all((run / name).is_dir() for run in runs for name in RUN_FOLDERS):
        yield uri
        return
    with tempfile.TemporaryDirectory(prefix="provgraph-mlruns-") as scratch:
        copy = Path(scratch) / "mlruns"
        shutil.copytree(folder, copy)
        for run in runs:
            for name in RUN_FOLDERS:
                (copy / run.relative_to(folder) / name).mkdir(exist_ok=True)
        yield f"file:{copy}"


def _millis(text: str) -> int:
    from .. import events as ev

    return int(ev.parse_time(timestamp(text, "--since")).timestamp() * 1000)


class StoreReader:
    """Pages through one tracking store's experiments, runs, logged models and registered models."""

    def __init__(self, uri: str, options: ImportOptions) -> None:
        require("mlflow", "mlflow")
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        self.options = options
        self.models_logged = True  # whether the store holds MLflow 3 logged models (known once experiments() ran)

    def experiments(self) -> dict[str, str]:
        from mlflow.entities import ViewType

        wanted = self.options.experiment
        found = {e.experiment_id: e.name for e in self.client.search_experiments(view_type=ViewType.ALL)}
        self.models_logged = bool(found) and bool(self.client.search_logged_models(list(found), max_results=1))
        if wanted is None:
            return found
        chosen = {i: n for i, n in found.items() if wanted in (i, n)}
        if not chosen:
            raise ProvgraphError(f"no MLflow experiment named or numbered {wanted!r}; "
                                 f"known: {', '.join(sorted(found.values()))}")
        return chosen

    def runs(self, experiments: dict[str, str]) -> Iterator[dict[str, Any]]:
        from mlflow.entities import ViewType

        since = f"attributes.start_time >= {_millis(self.options.since)}" if self.options.since else ""
        token = None
        while True:
            page = self.client.search_runs(list(experiments), since, ViewType.ALL, PAGE, page_token=token)
            histories = self.histories(page)
            for run in page:
                yield self.run(run, histories)
            token = page.token
            if not token:
                return

    def histories(self, runs: list[Any]) -> dict[tuple[str, str], list[Any]]:
        """Metric histories of a page of runs: one query per metric name where the store answers in bulk
        (MLflow's SQL stores), else one per run and metric."""
        bulk = getattr(getattr(self.client, "_tracking_client", None), "store", None)
        bulk = getattr(bulk, "get_metric_history_bulk", None)
        found: dict[tuple[str, str], list[Any]] = {}
        keys: dict[str, list[str]] = {}
        for run in runs:
            for key in run.data.metrics:
                keys.setdefault(key, []).append(run.info.run_id)
        for key, run_ids in keys.items():
            if bulk is None:
                for run_id in run_ids:
                    found[(run_id, key)] = list(self.client.get_metric_history(run_id, key))
                continue
            for point in bulk(run_ids, key, max_results=MAX_POINTS):
                found.setdefault((point.run_id, key), []).append(point)
        return found

    def run(self, run: Any, histories: dict[tuple[str, str], list[Any]]) -> dict[str, Any]:
        info = run.info
        metrics = {key: [{"value": m.value, "step": m.step, "timestamp": m.timestamp}
                         for m in histories.get((info.run_id, key), ())] for key in run.data.metrics}
        inputs = [{"dataset": {"name": d.dataset.name, "digest": d.dataset.digest, "source": d.dataset.source,
                               "source_type": d.dataset.source_type, "schema": d.dataset.schema},
                   "tags": [{"key": t.key, "value": t.value} for t in d.tags]}
                  for d in (run.inputs.dataset_inputs if run.inputs else ())]
        models = [{"model_id": m.model_id} for m in self.model_inputs(run)]
        outputs = [self.logged_model(o.model_id) for o in (run.outputs.model_outputs if run.outputs else ())]
        return {"info": {"run_id": info.run_id, "experiment_id": info.experiment_id, "status": info.status,
                         "start_time": info.start_time, "end_time": info.end_time, "user_id": info.user_id,
                         "artifact_uri": info.artifact_uri, "lifecycle_stage": info.lifecycle_stage,
                         "run_name": info.run_name},
                "params": dict(run.data.params), "metrics": metrics, "tags": dict(run.data.tags),
                "inputs": {"dataset_inputs": inputs, "model_inputs": models}, "outputs": {"model_outputs": outputs}}

    def model_inputs(self, run: Any) -> list[Any]:
        """The logged models ``run`` used. MLflow's SQL stores leave them out of search_runs' answers, so
        they are asked of get_run, one call per run, when the store holds any logged model."""
        found = run.inputs.model_inputs if run.inputs else None
        if not found and self.models_logged:
            inputs = self.client.get_run(run.info.run_id).inputs
            found = inputs.model_inputs if inputs else None
        return list(found or ())

    def logged_model(self, model_id: str) -> dict[str, Any]:
        model = self.client.get_logged_model(model_id)
        return {"model_id": model.model_id, "name": model.name, "model_uri": model.model_uri,
                "artifact_location": model.artifact_location, "creation_timestamp": model.creation_timestamp}

    def registered(self) -> Iterator[dict[str, Any]]:
        """Registered models in mlflow-export-import's shape: name, aliases and versions. Every page of
        both searches is read, unfiltered (versions by model name in a filter string missed the versions
        of a model named with a quote or a backslash)."""
        versions: dict[str, list[dict[str, Any]]] = {}
        for v in _pages(self.client.search_model_versions):
            versions.setdefault(v.name, []).append({
                "name": v.name, "version": str(v.version), "creation_timestamp": v.creation_timestamp,
                "current_stage": v.current_stage, "run_id": v.run_id, "source": v.source})
        for model in _pages(self.client.search_registered_models):
            aliases = [{"alias": alias, "version": str(version)} for alias, version in (model.aliases or {}).items()]
            yield {"name": model.name, "aliases": aliases, "versions": versions.get(model.name, [])}


def _pages(search: Any) -> Iterator[Any]:
    """Every result of an MLflow search, page after page."""
    token = None
    while True:
        page = search(max_results=PAGE, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


#: MLflow settings while reading, unless the caller set them: file stores allowed (MLflow 3 refuses them
#: otherwise), and an unreachable server reported in seconds rather than after minutes of retries.
SETTINGS = {"MLFLOW_ALLOW_FILE_STORE": "true", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}


@contextmanager
def _settings(uri: str) -> Iterator[None]:
    """:data:`SETTINGS`, and ``uri`` as the tracking URI: MLflow's registry calls on a file store open the
    default tracking store too, which MLflow 3 creates as ``./mlflow.db`` in the working folder."""
    saved = {key: os.environ.get(key) for key in (*SETTINGS, "MLFLOW_TRACKING_URI")}
    os.environ.update({key: value for key, value in SETTINGS.items() if key not in os.environ})
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def reader(uri: str, options: ImportOptions) -> Iterator[StoreReader]:
    """A :class:`StoreReader` of ``uri``; MLflow's errors become :class:`ProvgraphError`."""
    database = uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else None
    if database is not None and not Path(database).is_file():
        raise ProvgraphError(f"{uri}: no such sqlite file (MLflow would create an empty store there)")
    require("mlflow", "mlflow")
    from mlflow.exceptions import MlflowException

    with _opened(uri) as opened, _settings(opened):
        try:
            yield StoreReader(opened, options)
        except MlflowException as exc:
            raise ProvgraphError(f"MLflow store {uri}: {exc.message.splitlines()[0]}") from exc
