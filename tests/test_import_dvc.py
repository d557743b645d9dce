"""DVC import: the dvcyaml-schema examples (valid accepted, invalid rejected naming the problem) and a
real pipeline with a dvc.lock whose md5s are checked against files on disk."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import TESTDATA
from pyoxigraph import Literal, NamedNode

from provgraph import events as ev
from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.export.document import prov_document
from provgraph.importers.dvc import events_from_dvc
from provgraph.project import Project
from provgraph.query import impact, lineage
from provgraph.query.runs import runs, who
from provgraph.validate import check_document

CORPUS = TESTDATA / "dvc" / "dvcyaml-schema"
SCHEMA = CORPUS / "schema.json"
VALID = sorted((CORPUS / "examples" / "valid").glob("*.yaml"))
#: invalid example -> (field the error names, text it quotes); hand-written from the files.
INVALID = {
    "artifacts.extra.dvc.yaml": ("artifacts.with-extra-field", "'extra'"),
    "foreach.extra.dvc.yaml": ("stages.test_dict", "'else'"),
    "matrix.extra.dvc.yaml": ("stages.stage1", "'extra'"),
    "matrix.foreach.dvc.yaml": ("stages.stage1", "both matrix and foreach"),
    "metrics.extra.dvc.yaml": ("stages.generate-metrics.metrics[0].scores.json", "'extra'"),
    "outs.extra.dvc.yaml": ("stages.copy_multiple.outs[1].bar1", "'extra'"),
    "plots.extra.dvc.yaml": ("stages.stage_one.plots[1].plot2", "'extra'"),
    "stage.extra.dvc.yaml": ("stages.stage1", "'extra'"),
    "toplevel.extra.dvc.yaml": ("", "'extra'"),
}
PREFIXES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provgraph/provml#>
"""


def test_the_corpus_is_what_we_expect() -> None:
    assert len(VALID) == 11
    assert sorted(p.name for p in (CORPUS / "examples" / "invalid").glob("*.yaml")) == sorted(INVALID)


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.name)
def test_valid_examples_are_accepted_and_unlocked_stages_are_declared_not_run(example: Path) -> None:
    stages = yaml.safe_load(example.read_text()).get("stages", {})
    result = events_from_dvc(example, schema=SCHEMA)
    assert result.events == []  # no dvc.lock: nothing ran
    assert (result.counts.get("declared, never run", 0) > 0) == bool(stages)
    assert all(f":{name}" in " ".join(result.notes) for name in stages)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_examples_are_rejected_naming_the_problem(name: str) -> None:
    field, quoted = INVALID[name]
    with pytest.raises(InvalidEvent) as caught:
        events_from_dvc(CORPUS / "examples" / "invalid" / name, schema=SCHEMA)
    assert caught.value.field == field
    assert quoted in str(caught.value) and name in str(caught.value)


# --- a real DVC project: git + `dvc repro` of 4 stages (a directory output, `matrix` and `foreach`) ---

DVC = str(Path(sys.executable).parent / "dvc")
SCRIPTS = {
    "src/prepare.py": "import os\nos.makedirs('data/prepared', exist_ok=True)\n"
                      "rows = open('data/raw.csv').read().splitlines()\n"
                      "open('data/prepared/train.csv', 'w').write(rows[0] + '\\n' + rows[1] + '\\n')\n"
                      "open('data/prepared/test.csv', 'w').write(rows[0] + '\\n' + rows[2] + '\\n')\n",
    "src/featurize.py": "import yaml\nn = yaml.safe_load(open('params.yaml'))['featurize']['max_features']\n"
                        "text = open('data/prepared/train.csv').read().upper()\n"
                        "open('data/features.csv', 'w').write(text + str(n))\n",
    "src/train.py": "import os, sys\nos.makedirs('models', exist_ok=True)\n"
                    "open(f'models/model_{sys.argv[1]}_{sys.argv[2]}.txt', 'w').write(open('data/features.csv').read()"
                    " + sys.argv[1])\n",
    "src/evaluate.py": "import json, os, sys\nos.makedirs('reports', exist_ok=True)\nn = int(sys.argv[1])\n"
                       "scores = {'auc': n / 100, 'nested': {'loss': 1 - n / 100}}\n"
                       "json.dump(scores, open(f'reports/sweep_{n}.json', 'w'))\n",
}
PROJECT_YAML = """\
stages:
  prepare:
    cmd: PYTHON src/prepare.py
    deps: [src/prepare.py, data/raw.csv]
    params: [prepare.split]
    outs: [data/prepared]
  featurize:
    cmd: PYTHON src/featurize.py
    deps: [src/featurize.py, data/prepared]
    params: [featurize]
    outs: [data/features.csv]
  train:
    matrix:
      n_est: [5, 10]
      depth: [2]
    cmd: PYTHON src/train.py ${item.n_est} ${item.depth}
    deps: [src/train.py, data/features.csv]
    outs:
      - models/model_${item.n_est}_${item.depth}.txt
  evaluate:
    foreach: [5, 10]
    do:
      cmd: PYTHON src/evaluate.py ${item}
      deps:
        - src/evaluate.py
        - models/model_${item}_2.txt
      metrics:
        - reports/sweep_${item}.json:
            cache: false
artifacts:
  model5:
    path: models/model_5_2.txt
    type: model
"""
STAGES = ["prepare", "featurize", "train@5-2", "train@10-2", "evaluate@5", "evaluate@10"]


def _run(*args: str, cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout


def _commit(root: Path, message: str) -> None:
    _run("git", "add", "-A", cwd=root)
    _run("git", "commit", "-qm", message, cwd=root)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository whose pipeline `dvc repro` ran twice (the second a no-op), committed and pushed."""
    base = tmp_path_factory.mktemp("dvc")
    bare, root = base / "origin.git", base / "work"
    _run("git", "init", "-q", "--bare", str(bare), cwd=base)
    root.mkdir()
    for path, text in {**SCRIPTS, "data/raw.csv": "a,b\n1,2\n3,4\n",
                       "params.yaml": "prepare:\n  split: 0.2\nfeaturize:\n  max_features: 100\n",
                       "dvc.yaml": PROJECT_YAML.replace("PYTHON", sys.executable)}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    _run("git", "init", "-q", cwd=root)
    _run("git", "config", "user.email", "ada@example.org", cwd=root)
    _run("git", "config", "user.name", "Ada Lovelace", cwd=root)
    _run("git", "remote", "add", "origin", str(bare), cwd=root)
    _run(DVC, "init", "-q", cwd=root)
    _commit(root, "pipeline")
    _run(DVC, "repro", "-q", cwd=root)
    _run(DVC, "repro", "-q", cwd=root)
    _commit(root, "repro")
    _run("git", "push", "-q", "origin", "HEAD", cwd=root)
    return root


@pytest.fixture
def work(origin: Path, tmp_path: Path) -> Path:
    """A copy of the work tree (outputs included), with the same git history and origin."""
    copy = tmp_path / "work"
    shutil.copytree(origin, copy, symlinks=True)
    return copy


def _lock(root: Path) -> dict:
    return yaml.safe_load((root / "dvc.lock").read_text())["stages"]


def _by_stage(events: list[dict]) -> dict[str, dict]:
    starts = {e["run"]["id"]: e["annotations"]["dvc.stage"] for e in events if e["type"] == "run.start"}
    return {starts[e["run"]["id"]]: e for e in events if e["type"] == "run.end" and "labels" not in e}


def test_every_locked_stage_is_a_completed_run_with_lock_digests(work: Path) -> None:
    lock = _lock(work)
    result = events_from_dvc(work)
    ends = _by_stage(result.events)
    assert sorted(ends) == sorted(STAGES) == sorted(lock)
    for stage, event in ends.items():
        assert event["run"]["status"] == "completed"
        locked = {e["path"]: e["md5"] for e in lock[stage]["deps"] + lock[stage]["outs"]}
        seen = {a["location"]: a["digests"]["md5"] for a in event["used"] + event["generated"]}
        assert seen == locked
    prepared = ends["prepare"]["generated"][0]
    assert prepared["location"] == "data/prepared" and prepared["directory"] is True
    assert prepared["digests"]["md5"].endswith(".dir") and "sha256" not in prepared
    raw = next(a for a in ends["prepare"]["used"] if a["location"] == "data/raw.csv")
    assert raw["sha256"] == hashlib.sha256((work / "data/raw.csv").read_bytes()).hexdigest()


def test_kinds_templates_metrics_and_artifacts(work: Path) -> None:
    ends = _by_stage(events_from_dvc(work).events)
    assert {s: e["run"]["kind"] for s, e in ends.items()} == {
        "prepare": "cleaning", "featurize": "feature_engineering", "train@5-2": "training",
        "train@10-2": "training", "evaluate@5": "evaluation", "evaluate@10": "evaluation"}
    assert [a["location"] for a in ends["evaluate@10"]["generated"]] == ["reports/sweep_10.json"]
    written = json.loads((work / "reports/sweep_10.json").read_text())
    assert ends["evaluate@10"]["metrics"] == {"auc": written["auc"], "nested.loss": written["nested"]["loss"]}
    model = ends["train@5-2"]["generated"][0]
    assert model["kind"] == "model" and "dvc.artifact:model5" in model["labels"]
    assert ends["featurize"]["params"] == {"featurize.max_features": 100}


def test_times_agent_code_and_namespace_come_from_git(work: Path) -> None:
    sha, author, when = _run("git", "log", "-1", "--format=%H|%an|%cI", "--", "dvc.lock", cwd=work).strip().split("|")
    captured = Project.init(work).namespace  # what the capture API records in this repository
    for event in events_from_dvc(work).events:
        assert event["namespace"] == captured
        assert ev.parse_time(event["time"]) == ev.parse_time(when)
        if event["type"] == "run.start":
            assert event["code"]["git"]["commit"] == sha
            assert [a["name"] for a in event["agents"]] == [author]


def test_two_projects_are_two_namespaces(work: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(work, other, symlinks=True)
    _run("git", "remote", "set-url", "origin", "https://example.org/someone/else.git", cwd=other)
    mine, theirs = ({e["namespace"] for e in events_from_dvc(p).events} for p in (work, other))
    assert len(mine) == len(theirs) == 1 and mine != theirs


def test_reimport_after_touch_or_fresh_clone_records_nothing(project: Project, origin: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    bare = _run("git", "config", "--get", "remote.origin.url", cwd=origin).strip()
    clone = project.root / "clone"
    _run("git", "clone", "-q", bare, str(clone), cwd=project.root)
    assert not (clone / "data/prepared").exists()  # a fresh clone before `dvc pull`
    first = events_from_dvc(origin)
    project.record_many(first.events)
    os.utime(origin / "dvc.lock", (1, 1))
    assert [e["id"] for e in events_from_dvc(origin).events] == [e["id"] for e in first.events]
    assert main(["import-runs", "--from", "dvc", str(clone)]) == 0
    assert f"nothing new in {clone}: its {len(first.events)} events," in capsys.readouterr().out
    assert check_document(prov_document(project.synced_store())).violations == []


def test_staleness_is_what_dvc_status_reports_and_flows_downstream(work: Path, project: Project) -> None:
    before = {e["id"]: e for e in events_from_dvc(work).events}
    (work / "params.yaml").write_text("prepare:\n  split: 0.2\nfeaturize:\n  max_features: 200\n")
    status = json.loads(_run(DVC, "status", "--json", cwd=work))
    reported = {key.split(":")[-1] for key in status}
    after = events_from_dvc(work)
    stale = {e["run"]["id"]: e["annotations"]["dvc.stale"] for e in after.events if "dvc:stale" in e.get("labels", ())}
    names = {e["run"]["id"]: e["annotations"]["dvc.stage"] for e in after.events if e["type"] == "run.start"}
    direct = {names[r] for r, why in stale.items() if not why.startswith("upstream")}
    assert direct == reported == {"featurize"}
    assert "params.yaml:featurize.max_features" in stale[next(r for r, n in names.items() if n == "featurize")]
    assert {names[r] for r in stale} == set(STAGES) - {"prepare"}  # every stage below featurize
    unchanged = {e["id"]: e for e in after.events if "labels" not in e}
    assert unchanged == before  # the completed runs are the same events
    project.record_many(after.events)
    flagged = runs(project.synced_store(), label="dvc:stale")
    assert len(flagged.rows) == len(STAGES) - 1
    assert check_document(prov_document(project.synced_store())).violations == []


def test_changed_command_and_dependency_make_a_stage_stale(work: Path) -> None:
    (work / "src/evaluate.py").write_text(SCRIPTS["src/evaluate.py"] + "# changed\n")
    (work / "dvc.yaml").write_text((work / "dvc.yaml").read_text().replace("src/prepare.py\n", "src/prepare.py -v\n"))
    reported = {key.split(":")[-1] for key in json.loads(_run(DVC, "status", "--json", cwd=work))}
    events = events_from_dvc(work).events
    names = {e["run"]["id"]: e["annotations"]["dvc.stage"] for e in events if e["type"] == "run.start"}
    stale = {names[e["run"]["id"]]: e["annotations"]["dvc.stale"] for e in events if "labels" in e}
    assert {s for s, why in stale.items() if not why.startswith("upstream")} == reported
    assert "changed command" in stale["prepare"]
    assert "modified deps: src/evaluate.py" in stale["evaluate@5"]


def test_an_inconsistent_lock_is_reported(work: Path) -> None:
    lock = yaml.safe_load((work / "dvc.lock").read_text())
    lock["stages"]["featurize"]["deps"][0]["md5"] = "0" * 32 + ".dir"
    (work / "dvc.lock").write_text(yaml.safe_dump(lock))
    result = events_from_dvc(work)
    assert any("inconsistent lock: data/prepared" in note and "featurize" in note for note in result.notes)


def test_runs_metric_finds_the_evaluations(work: Path, project: Project) -> None:
    project.record_many(events_from_dvc(work).events)
    aucs = {n: json.loads((work / f"reports/sweep_{n}.json").read_text())["auc"] for n in (5, 10)}
    found = runs(project.synced_store(), metrics=[f"auc>{min(aucs.values())}"])
    assert [r["step"] for r in found.rows] == ["evaluate"]


def test_dvc_lock_path_subfolders_absolute_paths_and_progress(work: Path) -> None:
    sub = work / "sub"
    sub.mkdir()
    (sub / "dvc.yaml").write_text(f"stages:\n  copy:\n    cmd: cp {work}/data/raw.csv copy.csv\n"
                                  f"    deps: [{work}/data/raw.csv]\n    outs: [copy.csv]\n")
    _run(DVC, "repro", "-q", cwd=sub)
    seen: list[tuple[int, int | None]] = []
    result = events_from_dvc(work, progress=lambda done, total: seen.append((done, total)))
    copy = _by_stage(result.events)["copy"]
    assert copy["used"][0]["location"] == "data/raw.csv"  # absolute, inside the project: relative to it
    assert copy["generated"][0]["location"] == "sub/copy.csv"
    assert seen[-1] == (len(STAGES) + 1, len(STAGES) + 1)
    assert events_from_dvc(work / "dvc.lock").events == events_from_dvc(work / "dvc.yaml").events


def test_dvc_import_is_an_ingestion_run_from_the_source_repository(work: Path, tmp_path: Path) -> None:
    source = tmp_path / "registry"
    source.mkdir()
    (source / "table.csv").write_text("x\n1\n")
    _run("git", "init", "-q", cwd=source)
    _run("git", "config", "user.email", "reg@example.org", cwd=source)
    _run("git", "config", "user.name", "Registry", cwd=source)
    _run(DVC, "init", "-q", cwd=source)
    _run(DVC, "add", "-q", "table.csv", cwd=source)
    _commit(source, "data")
    _run(DVC, "import", "-q", str(source), "table.csv", "-o", "data/imported.csv", cwd=work)
    rev = _run("git", "rev-parse", "HEAD", cwd=source).strip()
    events = events_from_dvc(work).events
    end = next(e for e in events if e["type"] == "run.end" and e["run"]["kind"] == "ingestion")
    assert end["used"][0]["location"] == f"{source}#table.csv"
    assert end["used"][0]["digests"]["commit"] == rev
    assert end["generated"][0]["location"] == "data/imported.csv"
    assert end["generated"][0]["digests"]["md5"] == hashlib.md5(b"x\n1\n", usedforsecurity=False).hexdigest()


def test_files_that_are_not_dvc_pipelines_are_refused(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text("pipelineInfo: {name: p}\ndeploymentSpec: {}\nroot: {}\n")
    with pytest.raises(InvalidEvent, match="--from kfp"):
        events_from_dvc(tmp_path / "pipeline.yaml")
    (tmp_path / "other.yaml").write_text("name: x\nvalues: [1]\n")
    with pytest.raises(InvalidEvent, match="not a DVC pipeline"):
        events_from_dvc(tmp_path / "other.yaml")
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    with pytest.raises(InvalidEvent, match=r"dvc\.yaml beside it"):
        events_from_dvc(tmp_path / "dvc.lock")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages:\n  a:\n    cmd: [unclosed\n")
    with pytest.raises(InvalidEvent, match=r"not valid YAML \(line"):
        events_from_dvc(tmp_path)


def test_cli_refuses_an_invalid_pipeline_and_records_nothing(project: Project, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    size = project.journal.path.stat().st_size if project.journal.path.exists() else 0
    bad = CORPUS / "examples" / "invalid" / "stage.extra.dvc.yaml"
    assert main(["import-runs", "--from", "dvc", str(bad), "--schema", str(SCHEMA)]) == 1
    assert "stages.stage1" in capsys.readouterr().err
    assert (project.journal.path.stat().st_size if project.journal.path.exists() else 0) == size


def test_a_stage_a_later_repro_left_alone_keeps_the_commit_and_person_that_ran_it(project: Project, tmp_path: Path
                                                                                 ) -> None:
    root = tmp_path / "two-people"
    root.mkdir()
    (root / "a.csv").write_text("a\n")
    (root / "b.csv").write_text("b\n")
    (root / "dvc.yaml").write_text("stages:\n  first:\n    cmd: cp a.csv a.out\n    deps: [a.csv]\n    outs: [a.out]\n"
                                   "  second:\n    cmd: cp b.csv b.out\n    deps: [b.csv]\n    outs: [b.out]\n")
    _run("git", "init", "-q", cwd=root)
    _run(DVC, "init", "-q", cwd=root)
    runs_by: dict[str, list[str]] = {}
    for person, change in (("Ada", None), ("Bea", "b.csv")):
        if change:
            (root / change).write_text("b, changed\n")
        _run(DVC, "repro", "-q", cwd=root)
        _run("git", "add", "-A", cwd=root)
        _run("git", "-c", f"user.name={person}", "-c", f"user.email={person}@example.org", "commit", "-qm", "repro",
             cwd=root)
        runs_by[person] = _run("git", "log", "-1", "--format=%H|%cI", cwd=root).strip().split("|")
    assert _run(DVC, "status", cwd=root).strip() == "Data and pipelines are up to date."
    lock = root / "dvc.lock"  # rewritten in another layout (as another tool would), the same entries: no new run
    lock.write_text(json.dumps(yaml.safe_load(lock.read_text())))
    _run("git", "-c", "user.name=Cy", "-c", "user.email=cy@example.org", "commit", "-qam", "reformat", cwd=root)
    starts = {e["annotations"]["dvc.stage"]: e for e in events_from_dvc(root).events if e["type"] == "run.start"}
    for stage, person in (("first", "Ada"), ("second", "Bea")):
        sha, when = runs_by[person]
        assert starts[stage]["code"]["git"]["commit"] == sha
        assert ev.parse_time(starts[stage]["time"]) == ev.parse_time(when)
        assert [a["name"] for a in starts[stage]["agents"]] == [person]
    project.record_many(events_from_dvc(root).events)
    assert {row["agent"] for row in who(project.synced_store(), "a.out").rows} == {"Ada"}
    # b.out: Bea's repro made the version the lock holds now; Ada's, which the first commit's lock records,
    # made the one before (a superseded run, see the three-repros test)
    assert {row["agent"] for row in who(project.synced_store(), "b.out").rows} == {"Ada", "Bea"}


def test_top_level_metrics_and_artifacts_of_a_stage_with_a_wdir(tmp_path: Path) -> None:
    root = tmp_path / "wdir"
    (root / "sub").mkdir(parents=True)
    (root / "sub/evaluate.py").write_text("import json\nscores = {'acc': 0.7, 'per': {'f1': 0.5}}\n"
                                          "json.dump(scores, open('m.json', 'w'))\n"
                                          "open('model.bin', 'w').write('weights')\n")
    # top-level sections name paths from the dvc.yaml's folder; the stage's own paths are from its wdir
    (root / "dvc.yaml").write_text(f"metrics: [sub/m.json]\nartifacts:\n  clf:\n    path: sub/model.bin\n"
                                   f"    type: model\nstages:\n  evaluate:\n    wdir: sub\n"
                                   f"    cmd: {sys.executable} evaluate.py\n    outs: [model.bin, m.json]\n")
    _run("git", "init", "-q", cwd=root)
    _run(DVC, "init", "-q", cwd=root)
    _run(DVC, "repro", "-q", cwd=root)
    shown = json.loads(_run(DVC, "metrics", "show", "--json", cwd=root))
    expected = _flat_numbers(shown[""]["data"]["sub/m.json"]["data"])
    assert expected == {"acc": 0.7, "per.f1": 0.5}  # what dvc itself reports
    end = _by_stage(events_from_dvc(root).events)["evaluate"]
    assert end["metrics"] == expected
    model = next(a for a in end["generated"] if a["location"] == "sub/model.bin")
    assert model["kind"] == "model" and "dvc.artifact:clf" in model["labels"]


def _flat_numbers(value: dict, prefix: str = "") -> dict:
    found: dict = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        found.update(_flat_numbers(item, f"{name}.") if isinstance(item, dict) else {name: item})
    return found


def test_nan_and_infinite_metrics_and_params_are_named_not_fatal(tmp_path: Path, project: Project) -> None:
    root = tmp_path / "nan"
    root.mkdir()
    (root / "evaluate.py").write_text("import yaml\nyaml.safe_dump({'acc': 0.5, 'loss': float('nan'), "
                                      "'big': float('-inf')}, open('m.yaml', 'w'))\n")
    (root / "params.yaml").write_text("lr: .nan\n")
    (root / "dvc.yaml").write_text(f"stages:\n  evaluate:\n    cmd: {sys.executable} evaluate.py\n    params: [lr]\n"
                                   f"    metrics:\n      - m.yaml:\n          cache: false\n")
    _run("git", "init", "-q", cwd=root)
    _run(DVC, "init", "-q", cwd=root)
    _run(DVC, "repro", "-q", cwd=root)
    shown = _run(DVC, "metrics", "show", cwd=root).split("\n")
    assert shown[0].split() == ["Path", "acc", "big", "loss"] and shown[1].split() == ["m.yaml", "0.5", "-inf", "nan"]
    events = events_from_dvc(root).events  # was a ValueError traceback, then "-inf is not a finite number"
    end, start = _by_stage(events)["evaluate"], next(e for e in events if e["type"] == "run.start")
    assert _run(DVC, "status", cwd=root).split() == ["evaluate:", "changed", "deps:", "params.yaml:", "modified:", "lr"]
    stale = next(e for e in events if "labels" in e)  # DVC finds NaN unequal to itself, and so do we
    assert stale["annotations"]["dvc.stale"] == "changed params: params.yaml:lr"
    assert end["metrics"] == {"acc": 0.5} and end["params"] == {"lr": "NaN"}
    assert (start["annotations"]["metric.loss"], start["annotations"]["metric.big"]) == ("NaN", "-inf")
    project.record_many(events)
    assert runs(project.synced_store(), metrics=["acc=0.5"]).rows[0]["step"] == "evaluate"


def test_a_stage_first_imported_uncommitted_then_stale_after_its_commit_keeps_one_end(tmp_path: Path) -> None:
    """Imported before its lock was committed, a run is dated by the lock's modification time; committed,
    its start and end keep that date (same ids), and staleness found later is an update of the run. The
    stale marker was once a second run.end at the commit's time: the run had two end times and the store
    was PROV-invalid, or, once a run could end only once, the whole import was refused."""
    root = tmp_path / "late-commit"
    root.mkdir()
    (root / "a.csv").write_text("a\n")
    (root / "params.yaml").write_text("x: 1\n")
    (root / "dvc.yaml").write_text("stages:\n  prep:\n    cmd: cp a.csv a.out\n    deps: [a.csv]\n    params: [x]\n"
                                   "    outs: [a.out]\n")
    _run("git", "init", "-q", cwd=root)
    _run(DVC, "init", "-q", cwd=root)
    _run(DVC, "repro", "-q", cwd=root)
    mtime = (root / "dvc.lock").stat().st_mtime

    def provgraph(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "provgraph", *args], cwd=root, capture_output=True, text=True,
                              timeout=300)

    assert provgraph("import-runs", "--from", "dvc", ".").returncode == 0
    _run("git", "add", "-A", cwd=root)
    date = f"@{int(mtime) + 3600} +0000"  # committed an hour after the repro
    subprocess.run(["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", "commit", "-qm", "repro"],
                   cwd=root, check=True, env={**os.environ, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date})
    (root / "params.yaml").write_text("x: 2\n")
    assert "prep" in _run(DVC, "status", cwd=root)
    again = provgraph("import-runs", "--from", "dvc", ".")
    assert again.returncode == 0, again.stderr
    (row,) = json.loads(provgraph("runs", "--format", "json").stdout)
    first = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))  # the lock's, as when first imported
    assert (row["start"], row["end"]) == (first, first)
    assert json.loads(provgraph("runs", "--label", "dvc:stale", "--format", "json").stdout) == [row]
    valid = provgraph("validate")
    assert valid.returncode == 0 and "prov-constraints: valid" in valid.stdout, valid.stdout


TRAIN_SH = "cp clean.csv model.pkl\necho '{\"acc\": 0.5}' > metrics.json\n"
HISTORY_YAML = ("stages:\n  prep:\n    cmd: cp raw.csv clean.csv\n    deps: [raw.csv]\n    outs: [clean.csv]\n"
                "  train:\n    cmd: sh train.sh\n    deps: [clean.csv, train.sh]\n    params: [lr]\n"
                "    outs: [model.pkl]\n    metrics: [{metrics.json: {cache: false}}]\n")


def _version(store: object, md5: str) -> NamedNode:
    rows = store.query(  # type: ignore[attr-defined]
        "SELECT DISTINCT ?v WHERE { GRAPH ?g { ?v <https://w3id.org/provgraph/provml#digest> ?d } }",
        bindings={"d": Literal(f"md5:{md5}")})
    (row,) = list(rows)
    return row["v"]


def test_a_fresh_import_records_the_runs_of_every_committed_lock(tmp_path: Path) -> None:
    """Three repros, each committed; the raw data changed each time. A first import after the third used
    to record only the third lock's runs, so the first raw data's impact had no model at all. It now
    records every run a committed dvc.lock held, with the same ids as importing after each repro, each
    dated by the first commit holding it; each raw version's impact reaches its own model only."""
    root = tmp_path / "three-repros"
    root.mkdir()
    (root / "train.sh").write_text(TRAIN_SH)
    (root / "dvc.yaml").write_text(HISTORY_YAML)
    (root / "params.yaml").write_text("lr: 1\n")
    (root / "raw.csv").write_text("a\n")
    _run("git", "init", "-q", cwd=root)
    _run(DVC, "init", "-q", cwd=root)
    _commit_as(root, "Ada", "init")
    incremental = Project.init(tmp_path / "incremental")
    locks = []
    for number, person in enumerate(("Ada", "Bea", "Cy"), 1):
        with (root / "raw.csv").open("a") as handle:
            handle.write(f"v{number}\n")
        _run(DVC, "repro", "-q", cwd=root)
        _commit_as(root, person, f"repro {number}")
        locks.append(_lock(root))
        incremental.record_many(e for e in events_from_dvc(root).events
                                if e["id"] not in {x.event["id"] for x in incremental.journal.entries()})
    fresh = events_from_dvc(root)
    assert fresh.counts["superseded runs"] == 4 and fresh.counts["stages run"] == 2
    starts = {e["run"]["id"]: e for e in fresh.events if e["type"] == "run.start"}
    assert set(starts) == {e.event["run"]["id"] for e in incremental.journal.entries()}
    trains = sorted((e for e in starts.values() if e["annotations"]["dvc.stage"] == "train"), key=lambda e: e["time"])
    assert [e["agents"][0]["name"] for e in trains] == ["Ada", "Bea", "Cy"]
    project = Project.init(tmp_path / "fresh")
    project.record_many(fresh.events)
    store = project.synced_store()
    raws = [next(d["md5"] for d in lock["prep"]["deps"] if d["path"] == "raw.csv") for lock in locks]
    models = [next(o["md5"] for o in lock["train"]["outs"] if o["path"] == "model.pkl") for lock in locks]
    for raw, model in zip(raws, models, strict=True):
        reached = set(impact(store, _version(store, raw)).node_iris)
        assert {_version(store, m).value for m in models} & reached == {_version(store, model).value}
    assert _version(store, raws[0]).value not in set(lineage(store, _version(store, models[2])).node_iris)
    incremental.close()


def _commit_as(root: Path, person: str, message: str) -> None:
    _run("git", "add", "-A", cwd=root)
    _run("git", "-c", f"user.name={person}", "-c", f"user.email={person}@example.org", "commit", "-qm", message,
         cwd=root)
