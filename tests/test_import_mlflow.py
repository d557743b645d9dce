"""MLflow exports (mlflow-export-import samples) import as runs; model versions link to their source runs.

Expectations are read from the export JSON here, independently of the importer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import TESTDATA
from pyoxigraph import Literal

from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.export.document import prov_document
from provgraph.importers.mlflow import events_from_mlflow
from provgraph.project import Project
from provgraph.validate import check_document

SAMPLES = TESTDATA / "mlflow" / "mlflow-export-import" / "samples" / "oss_mlflow"
#: Export folders that import cleanly (bulk/experiments as a whole holds a malformed experiment.json).
EXPORTS = ["single/experiments/basic", "single/experiments/src_tags", "single/models/basic",
           "single/models/src_tags", "bulk/models", "bulk/experiments/1", "bulk/experiments/2/runs"]
PREFIXES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provgraph/provml#>
"""


def _exports(folder: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text())["mlflow"] for p in sorted(folder.rglob(name))]


def _versions(folder: Path) -> list[dict[str, Any]]:
    found = []
    for model in _exports(folder, "model.json"):
        registered = model["registered_model"]
        found += registered.get("versions", registered.get("latest_versions", []))
    return found


@pytest.mark.parametrize("export", [e for e in EXPORTS if any((SAMPLES / e).rglob("model.json"))])
def test_every_model_version_is_generated_by_its_source_run(project: Project, export: str) -> None:
    folder = SAMPLES / export
    project.record_many(events_from_mlflow(folder).events)
    versions = _versions(folder)
    assert versions  # every export chosen here registers models
    for version in versions:
        rows = list(project.synced_store().query(PREFIXES + """
            SELECT ?id ?kind WHERE { ?v provml:location ?loc ; provml:artifactKind ?kind ; prov:wasGeneratedBy ?run .
                                     ?run provml:runId ?id }""",
            bindings={"loc": Literal(f"models:/{version['name']}/{version['version']}")}))
        assert [(r["id"].value, r["kind"].value) for r in rows] == [(f"mlflow-{version['run_id']}", "model")]


@pytest.mark.parametrize("export", EXPORTS)
def test_params_and_metrics_survive(project: Project, export: str) -> None:
    folder = SAMPLES / export
    project.record_many(events_from_mlflow(folder).events)
    for run in _exports(folder, "run.json"):
        bindings = {"id": Literal(f"mlflow-{run['info']['run_id']}")}
        params = project.synced_store().query(PREFIXES + """
            SELECT ?name ?value WHERE {
              ?run provml:runId ?id ; prov:used ?p .
              ?p a provml:HyperParameterSetting ; provml:name ?name ; provml:value ?value }""",
            bindings=bindings)
        assert {(r["name"].value, r["value"].value) for r in params} == set(run["params"].items())
        metrics = project.synced_store().query(PREFIXES + """
            SELECT ?name ?value ?step WHERE { ?m prov:wasGeneratedBy ?run ; a provml:MetricValue ;
                                              provml:name ?name ; provml:value ?value ; provml:step ?step .
                                              ?run provml:runId ?id }""", bindings=bindings)
        got: dict[str, set[tuple[float, int]]] = {}
        for row in metrics:
            got.setdefault(row["name"].value, set()).add((float(row["value"].value), int(row["step"].value)))
        assert got == {name: {(p["value"], p["step"]) for p in history} for name, history in run["metrics"].items()}


def test_corpus_counts() -> None:
    runs = versions = stubs = events = aliases = stages = 0
    for export in EXPORTS:
        result = events_from_mlflow(SAMPLES / export)
        runs += result.counts["run records"]
        versions += result.counts["model versions"]
        stubs += result.counts["stub runs"]
        events += len(result.events)
        aliases += len({(m["registered_model"]["name"], a["alias"]) for m in _exports(SAMPLES / export, "model.json")
                        for a in m["registered_model"].get("aliases", [])})
        stages += sum(v.get("current_stage") not in (None, "None") for v in _versions(SAMPLES / export))
    # 8 run.json files, one an identical copy (bulk/models/experiments/2/8a6a.../run.json holds run 5397...);
    # 3 + 3 + 2 model versions, none of whose source runs is among the exported runs
    assert (runs, versions, stubs, aliases) == (7, 8, 8, 3)
    # start + end per finished run, one stub start per missing source run, start + end per alias and stage seen
    assert events == 2 * 7 + 8 + 2 * (aliases + stages)


def test_metric_history_steps_and_status(project: Project, tmp_path: Path) -> None:
    run = json.loads((SAMPLES / "single/experiments/src_tags/runs/4b0ce88fd34e45fc8ca08876127299ce/run.json")
                     .read_text())
    run["mlflow"]["info"].update(run_id="0" * 31 + "1", status="FAILED")
    run["mlflow"]["metrics"]["loss"] = [{"value": 1.0 / (s + 1), "timestamp": 1684698373740 + s, "step": s}
                                        for s in range(5)]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    result = events_from_mlflow(path)
    start, end = result.events
    assert (start["type"], start["time"]) == ("run.start", "2023-05-21T19:46:13.736Z")  # 1684698373736 ms
    assert (end["type"], end["time"], end["run"]["status"]) == ("run.end", "2023-05-21T19:46:13.846Z", "failed")
    assert start["code"]["git"]["commit"] == "1f76cec7520dbc05dc93f8d3faea757fa3a4f703"
    assert start["agents"] == [{"id": "andre", "kind": "person", "name": "andre"}]
    assert start["annotations"]["tag.dataset"] == "wine-quality"
    project.record_many(result.events)
    rows = project.synced_store().query(PREFIXES + """
        SELECT DISTINCT ?step ?value WHERE { ?m a provml:MetricValue ; provml:name "loss" ; provml:step ?step ;
                                       provml:value ?value }""")
    assert sorted((int(r["step"].value), float(r["value"].value)) for r in rows) == [
        (s, 1.0 / (s + 1)) for s in range(5)]
    logged = project.synced_store().query(PREFIXES + """
        SELECT ?loc WHERE { ?m prov:wasGeneratedBy ?run ; provml:artifactKind "model" ; provml:location ?loc }""")
    uri = run["mlflow"]["info"]["artifact_uri"]
    assert {r["loc"].value for r in logged} == {f"{uri}/model", f"{uri}/onnx-model"}


def test_reimport_gives_the_same_events() -> None:
    first, second = (events_from_mlflow(SAMPLES / "bulk/models").events for _ in range(2))
    assert [e["id"] for e in first] == [e["id"] for e in second]


def test_malformed_export_is_rejected_and_nothing_recorded(project: Project) -> None:
    with pytest.raises(InvalidEvent, match=r"experiments/2/experiment\.json: not valid JSON: .* line 28 column"):
        events_from_mlflow(SAMPLES / "bulk/experiments")
    assert main(["-C", str(project.root), "import-runs", "--from", "mlflow", str(SAMPLES / "bulk/experiments")]) == 1
    assert project.journal.path.exists() is False or project.journal.path.stat().st_size == 0


def test_cli_dry_run_and_import(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(SAMPLES / "bulk/models")
    assert main(["-C", str(project.root), "import-runs", "--from", "mlflow", folder, "--dry-run"]) == 0
    assert "would record 10 events, 6 runs" in capsys.readouterr().out
    assert project.pending() == 0 and not (project.journal.path.exists() and project.journal.path.stat().st_size)
    assert main(["-C", str(project.root), "import-runs", "--from", "mlflow", folder]) == 0
    assert "recorded 10 events, 6 runs" in capsys.readouterr().out
    assert main(["-C", str(project.root), "import-runs", "--from", "mlflow", folder]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"nothing new in {folder}: its 10 events, 6 runs (") and \
        "were all recorded before;" in said, said
    assert project.verify().entries == 10


@pytest.mark.parametrize("export", EXPORTS)
def test_imported_graph_satisfies_prov_constraints(project: Project, export: str) -> None:
    project.record_many(events_from_mlflow(SAMPLES / export).events)
    assert check_document(prov_document(project.synced_store())).violations == []


def test_one_run_exported_twice_differently_is_refused(tmp_path: Path) -> None:
    run = "5397ae67ee0c49139bf64834b4d27fab"
    for folder, source in (("a", SAMPLES / "bulk/models/experiments/2" / run),
                           ("b", SAMPLES / "bulk/experiments/2/runs" / run)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "run.json").write_text((source / "run.json").read_text())
    with pytest.raises(InvalidEvent, match=f"run {run} is also exported, differently"):
        events_from_mlflow(tmp_path)


def test_dataset_inputs_are_used_and_models_derive_from_them(project: Project, tmp_path: Path) -> None:
    run = json.loads((SAMPLES / "single/experiments/basic/runs/eb66c160957d4a28b11d3f1b968df9cd/run.json")
                     .read_text())
    csv = "https://raw.githubusercontent.com/mlflow/mlflow/master/examples/sklearn_elasticnet_wine/wine-quality.csv"
    run["mlflow"]["inputs"] = {"dataset_inputs": [
        {"tags": [{"key": "mlflow.data.context", "value": "training"}],
         "dataset": {"name": "wine-quality", "digest": "f1e2d3c4", "source_type": "http",
                     "source": json.dumps({"url": csv})}},
        {"tags": [], "dataset": {"name": "holdout", "digest": "0a0b0c0d", "source_type": "code", "source": "{}"}}]}
    (tmp_path / "run.json").write_text(json.dumps(run))
    result = events_from_mlflow(tmp_path / "run.json")
    end = result.events[-1]
    assert end["used"] == [
        {"location": csv, "name": "wine-quality", "kind": "dataset", "digests": {"mlflow-digest": "f1e2d3c4"},
         "role": "training"},
        {"location": "mlflow-dataset:holdout@0a0b0c0d", "name": "holdout", "kind": "dataset",
         "digests": {"mlflow-digest": "0a0b0c0d"}}]
    project.record_many(result.events)
    rows = project.synced_store().query(PREFIXES + """
        SELECT ?model ?data WHERE { ?m prov:wasDerivedFrom ?d ; provml:artifactKind "model" ; provml:location ?model .
                                    ?d provml:location ?data }""")
    uri = run["mlflow"]["info"]["artifact_uri"]
    history = json.loads(run["mlflow"]["tags"]["mlflow.log-model.history"])
    models = {f"{uri}/{entry['artifact_path']}" for entry in history}
    assert {(r["model"].value, r["data"].value) for r in rows} == {
        (model, data) for model in models for data in (csv, "mlflow-dataset:holdout@0a0b0c0d")}


def test_an_export_nested_too_deep_is_a_clear_error(project: Project, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "run.json"
    export.write_text('{"mlflow": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert main(["-C", str(project.root), "import-runs", "--from", "mlflow", str(export)]) == 1
    assert capsys.readouterr().err == (f"provgraph: error: {export}: not valid JSON: nested more than 64 levels "
                                       "deep\n")
