"""An ML Metadata store written by the real ``ml-metadata`` library (a TFX-like pipeline) imports as runs.

The store is built here with MLMD's own API: ExampleGen -> Transform -> Trainer -> Evaluator -> Pusher,
in a pipeline context and a pipeline-run context. Expectations come from what the test put in.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

import provgraph
from provgraph.cli import main
from provgraph.errors import InvalidEvent, ProvgraphError
from provgraph.importers.mlmd import events_from_mlmd
from provgraph.importers.sniff import sniff
from provgraph.project import Project
from provgraph.query.runs import runs

PIPELINE = "taxi"
#: component -> (execution type, inputs {key: producer.output}, outputs {key: artifact type})
COMPONENTS = {
    "CsvExampleGen": ("tfx.components.example_gen.csv_example_gen.component.CsvExampleGen", {},
                      {"examples": "Examples"}),
    "Transform": ("tfx.components.transform.component.Transform", {"examples": "CsvExampleGen.examples"},
                  {"transformed_examples": "Examples", "transform_graph": "TransformGraph"}),
    "Trainer": ("tfx.components.trainer.component.Trainer",
                {"examples": "Transform.transformed_examples", "transform_graph": "Transform.transform_graph"},
                {"model": "Model"}),
    "Evaluator": ("tfx.components.evaluator.component.Evaluator",
                  {"examples": "CsvExampleGen.examples", "model": "Trainer.model"},
                  {"evaluation": "ModelEvaluation", "blessing": "ModelBlessing"}),
    "Pusher": ("tfx.components.pusher.component.Pusher", {"model": "Trainer.model", "model_blessing":
                                                          "Evaluator.blessing"}, {"pushed_model": "PushedModel"}),
}


def _step(key: str, index: int = 0) -> Any:
    path = pb.Event.Path()
    path.steps.add().key = key
    path.steps.add().index = index
    return path


def build_store(path: Path, root: Path, fingerprints: dict[str, str] | None = None) -> dict[str, Any]:
    """A TFX-like run recorded in a fresh MLMD SQLite store; returns the artifact ids and uris by output."""
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(config)
    artifact_types = {}
    for name in ("Examples", "TransformGraph", "Model", "ModelEvaluation", "ModelBlessing", "PushedModel"):
        artifact_type = pb.ArtifactType(name=name)
        artifact_type.properties["span"] = pb.INT
        artifact_types[name] = store.put_artifact_type(artifact_type)
    pipeline_type = store.put_context_type(pb.ContextType(name="pipeline"))
    run_type = store.put_context_type(pb.ContextType(name="pipeline_run"))
    context_ids = store.put_contexts([pb.Context(type_id=pipeline_type, name=PIPELINE),
                                      pb.Context(type_id=run_type, name=f"{PIPELINE}-2026-11-30T10:00:00")])
    contexts = store.get_contexts_by_id(context_ids)
    made: dict[str, Any] = {"contexts": dict(zip(("pipeline", "pipeline_run"), context_ids, strict=True))}
    for component, (type_name, inputs, outputs) in COMPONENTS.items():
        execution_type = pb.ExecutionType(name=type_name)
        execution_type.properties["train_steps"] = pb.INT
        type_id = store.put_execution_type(execution_type)
        execution = pb.Execution(type_id=type_id, last_known_state=pb.Execution.COMPLETE)
        execution.custom_properties["component_id"].string_value = component
        if component == "Trainer":
            execution.properties["train_steps"].int_value = 1000
        pairs = []
        for key, source in inputs.items():
            event = pb.Event(type=pb.Event.INPUT, path=_step(key))
            pairs.append((made[source]["artifact"], event))
        for key, artifact_type_name in outputs.items():
            uri = root / component / key / "1"
            artifact = pb.Artifact(type_id=artifact_types[artifact_type_name], uri=str(uri), state=pb.Artifact.LIVE)
            artifact.properties["span"].int_value = 1
            fingerprint = (fingerprints or {}).get(f"{component}.{key}")
            if fingerprint:
                artifact.custom_properties["sha256"].string_value = fingerprint
            pairs.append((artifact, pb.Event(type=pb.Event.OUTPUT, path=_step(key))))
        execution_id, artifact_ids, _ = store.put_execution(execution, pairs, contexts)
        outputs_made = artifact_ids[len(inputs):]
        for (key, _), artifact_id in zip(outputs.items(), outputs_made, strict=True):
            artifact = store.get_artifacts_by_id([artifact_id])[0]
            made[f"{component}.{key}"] = {"artifact": artifact, "id": artifact_id, "uri": artifact.uri,
                                          "execution": execution_id}
    return made


def _scope(path: Path) -> str:
    """The store scope the importer documents: a digest of the resolved SQLite path."""
    return hashlib.sha256(f"sqlite:{path.resolve()}".encode()).hexdigest()[:8]


@pytest.fixture
def tfx_store(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "metadata.sqlite"
    return path, build_store(path, tmp_path / "pipeline_root")


def test_impact_of_the_examples_reaches_the_pushed_model(project: Project, tfx_store: tuple[Path, dict[str, Any]],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path, made = tfx_store
    assert main(["import-runs", "--from", "mlmd", str(path)]) == 0
    assert "recorded" in capsys.readouterr().out
    assert main(["impact", made["CsvExampleGen.examples"]["uri"], "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    text = json.dumps(payload)
    assert made["Pusher.pushed_model"]["uri"] in text
    assert made["Trainer.model"]["uri"] in text
    scope = _scope(path)
    assert f"mlmd-{scope}-{made['Pusher.pushed_model']['execution']}" in text


def test_runs_roles_states_and_contexts(tfx_store: tuple[Path, dict[str, Any]]) -> None:
    path, made = tfx_store
    imported = events_from_mlmd(path)
    scope = _scope(path)
    ends = {e["run"]["id"]: e for e in imported.events if e["type"] == "run.end"}
    starts = {e["run"]["id"]: e for e in imported.events if e["type"] == "run.start"}
    assert len(ends) == len(COMPONENTS)
    trainer = ends[f"mlmd-{scope}-{made['Trainer.model']['execution']}"]
    assert trainer["run"]["status"] == "completed" and trainer["run"]["kind"] == "training"
    assert trainer["run"]["step"] == "Trainer"
    assert trainer["params"] == {"train_steps": 1000}
    assert {(a["location"], a["role"]) for a in trainer["used"]} == {
        (made["Transform.transformed_examples"]["uri"], "examples[0]"),
        (made["Transform.transform_graph"]["uri"], "transform_graph[0]")}
    model = trainer["generated"][0]
    assert model["kind"] == "model" and model["digests"] == {"mlmd-artifact": f"{scope}:{made['Trainer.model']['id']}"}
    pusher = ends[f"mlmd-{scope}-{made['Pusher.pushed_model']['execution']}"]
    assert [a["kind"] for a in pusher["generated"]] == ["deployment"]
    run_context = f"mlmd-{scope}-context-{made['contexts']['pipeline_run']}"
    pipeline_context = f"mlmd-{scope}-context-{made['contexts']['pipeline']}"
    assert trainer["run"]["parent"] == run_context
    assert starts[run_context]["run"]["parent"] == pipeline_context
    assert starts[pipeline_context]["annotations"]["pipeline"] == PIPELINE
    assert imported.counts == {"executions": 5, "artifacts": 7, "contexts": 2}


def test_reimport_is_idempotent(tfx_store: tuple[Path, dict[str, Any]]) -> None:
    path, _ = tfx_store
    assert [e["id"] for e in events_from_mlmd(path).events] == [e["id"] for e in events_from_mlmd(path).events]


def test_a_sha256_fingerprint_is_the_digest(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    path = tmp_path / "m.sqlite"
    build_store(path, tmp_path / "root", {"CsvExampleGen.examples": sha})
    generated = [a for e in events_from_mlmd(path).events for a in e.get("generated", ())
                 if a["kind"] == "dataset" and a["role"] == "examples[0]"]
    assert [(a["sha256"], a["digests"]) for a in generated] == [(sha, {"sha256": sha})]


def test_not_an_mlmd_store_is_a_clear_error(tmp_path: Path, project: Project,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    assert main(["import-runs", "--from", "mlmd", str(bogus)]) != 0
    err = capsys.readouterr().err
    assert "ConnectionConfig" in err and "Traceback" not in err
    assert list(project.journal.entries()) == []


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ml_metadata", None)
    with pytest.raises(ProvgraphError, match=r"pip install 'provgraph\[mlmd\]'"):
        events_from_mlmd(tmp_path / "anything.sqlite")


def test_sniff_knows_an_mlmd_store_from_a_plain_sqlite_file(tfx_store: tuple[Path, dict[str, Any]],
                                                              tmp_path: Path) -> None:
    path, _ = tfx_store
    plain = tmp_path / "plain.sqlite"
    with sqlite3.connect(plain) as connection:
        connection.execute("CREATE TABLE t (x)")
    assert (sniff(path), sniff(plain)) == ("mlmd", None)


def test_same_bytes_seen_by_mlmd_and_the_capture_api_are_one_node(project: Project, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = project.root / "data" / "train.csv"
    data.parent.mkdir()
    data.write_text("trip_miles,fare\n1.5,7.25\n3.0,12.5\n")
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    with provgraph.run("explore", project=project) as r:
        r.use(data)
    store = tmp_path / "metadata.sqlite"
    made = build_store(store, tmp_path / "pipeline_root", {"CsvExampleGen.examples": sha})
    assert main(["import-runs", "--from", "mlmd", str(store)]) == 0
    capsys.readouterr()
    assert main(["impact", "data/train.csv", "--format", "json"]) == 0
    assert made["Pusher.pushed_model"]["uri"] in capsys.readouterr().out


def test_failed_execution_declared_events_and_a_connection_config(tmp_path: Path) -> None:
    path = tmp_path / "kfp.sqlite"
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(config)
    dataset_type = store.put_artifact_type(pb.ArtifactType(name="system.Dataset"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="system.ContainerExecution"))
    execution = pb.Execution(type_id=execution_type, last_known_state=pb.Execution.FAILED)
    execution.custom_properties["task_name"].string_value = "train-model"
    declared = pb.Artifact(type_id=dataset_type, uri="gs://bucket/out/features", state=pb.Artifact.PENDING)
    execution_id, _, _ = store.put_execution(
        execution, [(declared, pb.Event(type=pb.Event.DECLARED_OUTPUT, path=_step("features")))], [])
    (tmp_path / "store.pbtxt").write_text(f'sqlite {{ filename_uri: "{path}" connection_mode: READONLY }}\n')
    imported = events_from_mlmd(tmp_path / "store.pbtxt")
    end = next(e for e in imported.events if e["type"] == "run.end")
    assert end["run"]["status"] == "failed" and end["run"]["step"] == "train-model"
    assert end["run"]["kind"] == "training" and end["run"]["id"].endswith(f"-{execution_id}")
    (artifact,) = end["generated"]
    assert artifact["location"] == "gs://bucket/out/features" and artifact["kind"] == "dataset"
    assert {"mlmd.event:DECLARED_OUTPUT", "mlmd.state:PENDING"} <= set(artifact["labels"])


def test_a_plain_sqlite_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    plain = tmp_path / "plain.sqlite"
    with sqlite3.connect(plain) as connection:
        connection.execute("CREATE TABLE t (x)")
    before = plain.read_bytes()
    with pytest.raises(InvalidEvent, match="without ML Metadata's tables"):
        events_from_mlmd(plain)
    assert plain.read_bytes() == before


def test_an_execution_imported_running_then_complete_has_one_start_and_one_state(tmp_path: Path) -> None:
    """Imported while RUNNING, then again once COMPLETE: each state change used to add another run.start
    (its id was its content), so the run's labels piled up (mlmd.state:RUNNING and COMPLETE)."""
    path = tmp_path / "mlmd.sqlite"
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(config)
    trainer = store.put_execution_type(pb.ExecutionType(name="tfx.components.trainer.component.Trainer"))
    (execution_id,) = store.put_executions([pb.Execution(type_id=trainer, last_known_state=pb.Execution.RUNNING)])
    folder = tmp_path / "p"
    assert main(["-C", str(folder), "import-runs", "--from", "mlmd", str(path)]) == 0
    (execution,) = store.get_executions_by_id([execution_id])
    execution.last_known_state = pb.Execution.COMPLETE
    store.put_executions([execution])
    assert main(["-C", str(folder), "import-runs", "--from", "mlmd", str(path)]) == 0
    with Project.find(folder) as project:
        events = [e.event for e in project.journal.entries()]
        run = next(e["run"]["id"] for e in events if e.get("run", {}).get("step") == "Trainer")
        mine = [e for e in events if e.get("run", {}).get("id") == run]
        assert [e["type"] for e in mine] == ["run.start", "run.end"]
        labels = {label for e in mine for label in e.get("labels", ())}
        assert labels == {"mlmd.state:COMPLETE"}
        (row,) = [r for r in runs(project.synced_store()).rows if r["run"] == run]
        assert row["status"] == "completed"
