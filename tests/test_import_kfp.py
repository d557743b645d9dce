"""A pipeline compiled by the real ``kfp`` 2.x compiler imports as a plan; MLMD runs of it share its name.

No ``from __future__ import annotations`` here: kfp reads the components' annotations as live types.
"""

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output
from test_import_mlmd import PIPELINE, build_store

from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.importers.kfp import events_from_kfp
from provgraph.project import Project


@dsl.component(base_image="python:3.11")
def example_gen(rows: int, examples: Output[Dataset]) -> None:
    examples.path  # noqa: B018 (the body never runs here; the compiler only reads the signature)


@dsl.component(base_image="python:3.11")
def trainer(examples: Input[Dataset], steps: int, model: Output[Model]) -> None:
    model.path  # noqa: B018


@dsl.component(base_image="python:3.11")
def evaluator(examples: Input[Dataset], model: Input[Model], metrics: Output[Metrics]) -> None:
    metrics.path  # noqa: B018


@dsl.pipeline(name=PIPELINE)
def taxi(rows: int = 100, steps: int = 1000) -> None:
    gen = example_gen(rows=rows)
    train = trainer(examples=gen.outputs["examples"], steps=steps)
    evaluator(examples=gen.outputs["examples"], model=train.outputs["model"])


@dsl.pipeline(name="tune")
def tune(examples: Input[Dataset], steps: int = 10) -> Model:
    return trainer(examples=examples, steps=steps).outputs["model"]


@pytest.fixture
def compiled(tmp_path: Path) -> Path:
    path = tmp_path / "taxi.yaml"
    compiler.Compiler().compile(taxi, str(path))
    return path


def test_plan_has_a_run_per_task_and_the_artifacts_between_them(compiled: Path) -> None:
    spec = yaml.safe_load(compiled.read_text())
    events = {e["run"]["id"]: e for e in events_from_kfp(compiled).events}
    plan_id = f"kfp-plan-{PIPELINE}-{hashlib.sha256(compiled.read_bytes()).hexdigest()[:8]}"
    plan = events[plan_id]
    assert plan["run"]["kind"] == "pipeline" and {"plan", "kfp-plan"} <= set(plan["labels"])
    assert plan["used"][0]["sha256"] == hashlib.sha256(compiled.read_bytes()).hexdigest()
    assert plan["params"] == {k: v["defaultValue"] for k, v in spec["root"]["inputDefinitions"]["parameters"].items()}
    tasks = {e["run"]["step"]: e for e in events.values() if e["run"].get("parent") == plan_id}
    assert set(tasks) == set(spec["root"]["dag"]["tasks"])
    assert tasks["trainer"]["run"]["kind"] == "training" and tasks["trainer"]["params"] == {"steps": 1000}
    produced = {a["location"]: a["kind"] for t in tasks.values() for a in t["generated"]}
    for name, task in spec["root"]["dag"]["tasks"].items():
        for key, source in task["inputs"].get("artifacts", {}).items():
            wanted = source["taskOutputArtifact"]
            location = f"kfp-plan:{PIPELINE}/{wanted['producerTask']}/{wanted['outputArtifactKey']}"
            assert (location, key) in {(a["location"], a["role"]) for a in tasks[name]["used"]}
            assert location in produced
    assert produced[f"kfp-plan:{PIPELINE}/trainer/model"] == "model"


def test_the_compiled_pipeline_is_the_plan_runs_follow(project: Project, compiled: Path) -> None:
    """The IR file is a prov:Plan, named by the pipeline run's association (PROV's hadPlan)."""
    assert main(["import-runs", "--from", "kfp", str(compiled)]) == 0
    digest = hashlib.sha256(compiled.read_bytes()).hexdigest()
    rows = project.synced_store().query("""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?run ?plan WHERE { ?plan a prov:Plan . ?run prov:qualifiedAssociation/prov:hadPlan ?plan }""")
    assert [(r["run"].value.rsplit("/", 1)[-1], r["plan"].value.rsplit("/", 1)[-1]) for r in rows] == [
        (f"kfp-plan-{PIPELINE}-{digest[:8]}", f"sha256-{digest}")]


def test_mlmd_runs_of_the_pipeline_share_the_plan_name(project: Project, compiled: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "metadata.sqlite"
    build_store(store, tmp_path / "root")
    assert main(["import-runs", "--from", "kfp", str(compiled)]) == 0
    assert main(["import-runs", "--from", "mlmd", str(store)]) == 0
    rows = project.synced_store().query("""
        PREFIX provml: <https://w3id.org/provgraph/provml#>
        SELECT ?id ?notes WHERE { ?run provml:runId ?id ; provml:annotations ?notes }""")
    sharing = {r["id"].value for r in rows if json.loads(r["notes"].value).get("pipeline") == PIPELINE}
    assert any(run.startswith("kfp-plan-") and "." not in run for run in sharing)
    assert any(run.startswith("mlmd-") and "-context-" in run for run in sharing)
    # the MLMD pipeline's run follows the compiled pipeline: one prov:Plan, named by both associations
    digest = hashlib.sha256(compiled.read_bytes()).hexdigest()
    plans = project.synced_store().query("""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX provml: <https://w3id.org/provgraph/provml#>
        SELECT ?id ?plan WHERE { ?run prov:qualifiedAssociation/prov:hadPlan ?plan ; provml:runId ?id }""")
    followers = {r["id"].value for r in plans if r["plan"].value.endswith(f"sha256-{digest}")}
    assert any(run.startswith("kfp-plan-") for run in followers)
    assert any(run.startswith("mlmd-") and "-context-" in run for run in followers)


def test_not_a_pipeline_is_rejected(tmp_path: Path) -> None:
    other = tmp_path / "dvc.yaml"
    other.write_text("stages:\n  train:\n    cmd: python train.py\n")
    with pytest.raises(InvalidEvent, match="not a compiled KFP v2 pipeline"):
        events_from_kfp(other)


def test_dvc_on_a_kfp_pipeline_names_the_right_importer(project: Project, compiled: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-runs", "--from", "dvc", str(compiled)]) != 0
    err = capsys.readouterr().err
    assert "use --from kfp" in err and "Traceback" not in err
    assert list(project.journal.entries()) == []


@dsl.pipeline(name="nested")
def nested() -> None:
    gen = example_gen(rows=5)
    with dsl.ParallelFor([10, 20]):
        tune(examples=gen.outputs["examples"])


def test_tasks_inside_sub_dags_use_what_the_enclosing_dag_passes_in(tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    compiler.Compiler().compile(nested, str(path))
    spec = yaml.safe_load(path.read_text())
    events = events_from_kfp(path).events
    train = next(e for e in events if e["run"]["step"] == "trainer")
    produced = next(e for e in events if e["run"]["step"] == "example-gen")["generated"][0]["location"]
    assert [a["location"] for a in train["used"]] == [produced] == ["kfp-plan:nested/example-gen/examples"]
    loop = next(name for name in spec["root"]["dag"]["tasks"] if name.startswith("for-loop"))
    assert train["run"]["parent"].endswith(f".{loop}.tune")
