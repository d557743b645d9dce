"""DVC import of real projects made with the dvc CLI: what real projects use beyond the basic pipeline
(other parameter file formats, stage-level vars, frozen stages, projects in git sub-folders, ...)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from test_import_dvc import DVC, _by_stage, _commit_as, _run, _version

from provgraph.export.document import prov_document
from provgraph.importers.dvc import events_from_dvc
from provgraph.project import Project
from provgraph.query import impact, lineage
from provgraph.query.runs import who
from provgraph.validate import check_document


def _repo(root: Path, files: dict[str, str]) -> Path:
    """A git repository with a DVC project holding ``files``."""
    root.mkdir(parents=True)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    _run("git", "init", "-q", cwd=root)
    _run(DVC, "init", "-q", cwd=root)
    return root


def _stale(events: list[dict]) -> dict[str, str]:
    names = {e["run"]["id"]: e["annotations"]["dvc.stage"] for e in events if e["type"] == "run.start"}
    return {names[e["run"]["id"]]: e["annotations"]["dvc.stale"] for e in events if "dvc:stale" in e.get("labels", ())}


def test_toml_and_python_parameter_files_are_read(tmp_path: Path) -> None:
    """DVC reads params from TOML and Python files too; the import stopped with "params.toml: not valid YAML"."""
    root = _repo(tmp_path / "formats", {
        "params.toml": "[train]\nlr = 0.5\n", "config.py": "SEED = 7\nclass Opt:\n    momentum = 0.9\n",
        "dvc.yaml": "vars: [params.toml]\nstages:\n  train:\n    cmd: echo ${train.lr} > model.txt\n"
                    "    params:\n      - params.toml: [train.lr]\n      - config.py: [SEED, Opt.momentum]\n"
                    "    outs: [model.txt]\n"})
    _run(DVC, "repro", "-q", cwd=root)
    _commit_as(root, "Ada", "repro")
    assert _run(DVC, "status", cwd=root).strip() == "Data and pipelines are up to date."
    locked = yaml.safe_load((root / "dvc.lock").read_text())["stages"]["train"]["params"]
    events = events_from_dvc(root).events
    assert _by_stage(events)["train"]["params"] == {
        f"{file}:{key}": value for file, values in locked.items() for key, value in values.items()}
    assert _stale(events) == {}
    (root / "params.toml").write_text("[train]\nlr = 0.6\n")
    (root / "config.py").write_text("SEED = 8\nclass Opt:\n    momentum = 0.9\n")
    status = json.loads(_run(DVC, "status", "--json", cwd=root))
    assert status == {"train": [{"changed deps": {"params.toml": {"train.lr": "modified"},
                                                  "config.py": {"SEED": "modified"}}}, "changed command"]}
    assert _stale(events_from_dvc(root).events) == {
        "train": "changed command; changed params: config.py:SEED, params.toml:train.lr"}


def test_stage_level_vars_are_resolved(tmp_path: Path) -> None:
    """A stage's own ``vars`` (a mapping, and a file read from its wdir), also in a foreach body: the import
    left ``${model_name}`` unresolved, so the run generated a file named '${model_name}' without digest and
    the stage was 'stale: changed command' while dvc status said it was up to date."""
    root = _repo(tmp_path / "stage-vars", {
        "sub/sizes.yaml": "size: 3\n",
        "dvc.yaml": "stages:\n  train:\n    vars:\n      - model_name: m.bin\n    cmd: echo 1 > ${model_name}\n"
                    "    outs: ['${model_name}']\n"
                    "  fit:\n    foreach: [a, b]\n    do:\n      wdir: sub\n      vars: [sizes.yaml, {suffix: txt}]\n"
                    "      cmd: echo ${item} ${size} > fit_${item}.${suffix}\n      outs: ['fit_${item}.${suffix}']\n"})
    _run(DVC, "repro", "-q", cwd=root)
    _commit_as(root, "Ada", "repro")
    assert _run(DVC, "status", cwd=root).strip() == "Data and pipelines are up to date."
    lock = yaml.safe_load((root / "dvc.lock").read_text())["stages"]
    events = events_from_dvc(root).events
    ends = _by_stage(events)
    assert sorted(ends) == sorted(lock) == ["fit@a", "fit@b", "train"]
    for stage, end in ends.items():
        wdir = "sub/" if stage.startswith("fit") else ""
        assert {(a["location"], a["digests"]["md5"]) for a in end["generated"]} == {
            (wdir + out["path"], out["md5"]) for out in lock[stage]["outs"]}
    assert (root / "sub/fit_a.txt").read_text() == "a 3\n"
    assert _stale(events) == {}


def test_a_frozen_stage_is_stale_only_as_dvc_status_says(tmp_path: Path) -> None:
    """``dvc freeze``: dvc status checks neither the frozen stage's deps and params nor, through it, anything
    upstream. The import labelled the frozen stage and every stage below it dvc:stale."""
    root = _repo(tmp_path / "frozen", {
        "a.txt": "a\n", "b.txt": "b\n", "params.yaml": "n: 1\n",
        "dvc.yaml": "stages:\n  prep:\n    cmd: cat a.txt > p.txt\n    deps: [a.txt]\n    outs: [p.txt]\n"
                    "  freeze_me:\n    cmd: cat p.txt b.txt > f.txt\n    deps: [p.txt, b.txt]\n    params: [n]\n"
                    "    outs: [f.txt]\n  after:\n    cmd: cat f.txt > g.txt\n    deps: [f.txt]\n    outs: [g.txt]\n"})
    _run(DVC, "repro", "-q", cwd=root)
    _run(DVC, "freeze", "-q", "freeze_me", cwd=root)
    _commit_as(root, "Ada", "repro")
    (root / "a.txt").write_text("a, changed\n")
    (root / "b.txt").write_text("b, changed\n")
    (root / "params.yaml").write_text("n: 2\n")
    status = json.loads(_run(DVC, "status", "--json", cwd=root))
    assert set(status) == {"prep"}
    stale = _stale(events_from_dvc(root).events)
    assert stale == {"prep": "modified deps: a.txt"}


def test_two_subdir_projects_of_one_repository_stay_apart(tmp_path: Path, project: Project) -> None:
    """Two ``dvc init --subdir`` projects in one git repository, each with data/raw.csv -> data/features.csv:
    both imports had the repository's namespace, so their data/features.csv were one logical dataset."""
    mono = tmp_path / "mono"
    mono.mkdir()
    _run("git", "init", "-q", cwd=mono)
    _run("git", "remote", "add", "origin", "https://example.org/team/mono.git", cwd=mono)
    for name in ("p1", "p2"):
        (mono / name / "data").mkdir(parents=True)
        (mono / name / "data/raw.csv").write_text(f"raw {name}\n")
        (mono / name / "dvc.yaml").write_text("stages:\n  feat:\n    cmd: cat data/raw.csv data/raw.csv > "
                                              "data/features.csv\n    deps: [data/raw.csv]\n"
                                              "    outs: [data/features.csv]\n")
        _run(DVC, "init", "-q", "--subdir", cwd=mono / name)
        _run(DVC, "repro", "-q", cwd=mono / name)
    _commit_as(mono, "Ada", "two projects")
    imported = [events_from_dvc(mono / name).events for name in ("p1", "p2")]
    namespaces = [{e["namespace"] for e in events} for events in imported]
    assert len(namespaces[0]) == len(namespaces[1]) == 1 and namespaces[0] != namespaces[1]
    assert [a["location"] for a in _by_stage(imported[0])["feat"]["generated"]] == ["data/features.csv"]
    for events in imported:
        project.record_many(events)
    rows = project.synced_store().query(
        "SELECT (COUNT(DISTINCT ?logical) AS ?n) WHERE { GRAPH ?g { ?v <https://w3id.org/provgraph/provml#location> "
        "'data/features.csv' ; <http://www.w3.org/ns/prov#specializationOf> ?logical } }")
    assert int(next(iter(rows))["n"].value) == 2


def test_a_dependency_on_a_file_of_a_directory_output_keeps_the_lineage(tmp_path: Path, project: Project) -> None:
    """train depends on d/a.txt, one file of prep's directory output d (dvc dag: prep -> train). The file's
    version was no one's output, so impact of the raw data stopped at d and lineage of the model never
    reached prep or the raw data. train now also uses the directory version holding the file."""
    root = _repo(tmp_path / "dir-out", {
        "raw.txt": "x\n",
        "dvc.yaml": "stages:\n  prep:\n    cmd: mkdir -p d && cat raw.txt raw.txt > d/a.txt && echo y > d/b.txt\n"
                    "    deps: [raw.txt]\n    outs: [d]\n"
                    "  train:\n    cmd: cat d/a.txt d/a.txt > m.bin\n    deps: [d/a.txt]\n    outs: [m.bin]\n"})
    _run(DVC, "repro", "-q", cwd=root)
    _commit_as(root, "Ada", "repro")
    assert '"prep" -> "train";' in _run(DVC, "dag", "--dot", cwd=root)
    lock = yaml.safe_load((root / "dvc.lock").read_text())["stages"]
    raw, model = lock["prep"]["deps"][0]["md5"], lock["train"]["outs"][0]["md5"]
    project.record_many(events_from_dvc(root).events)
    store = project.synced_store()
    assert _version(store, model).value in set(impact(store, _version(store, raw)).node_iris)
    assert _version(store, raw).value in set(lineage(store, _version(store, model)).node_iris)
    assert check_document(prov_document(store)).violations == []


def test_the_run_of_a_removed_stage_is_kept(tmp_path: Path) -> None:
    """A stage removed from dvc.yaml after it ran: DVC leaves its entry in dvc.lock, and importing after its
    repro recorded its run, but a fresh import after the removal recorded nothing of it (who g.txt: no one)."""
    root = _repo(tmp_path / "removed", {
        "a.txt": "a\n",
        "dvc.yaml": "stages:\n  keep:\n    cmd: cat a.txt a.txt > o.txt\n    deps: [a.txt]\n    outs: [o.txt]\n"
                    "  gone:\n    cmd: cat a.txt a.txt a.txt > g.txt\n    deps: [a.txt]\n    outs: [g.txt]\n"})
    _run(DVC, "repro", "-q", cwd=root)
    _commit_as(root, "Ada", "repro")
    first = {e["run"]["id"] for e in events_from_dvc(root).events}
    (root / "dvc.yaml").write_text((root / "dvc.yaml").read_text().split("  gone:")[0])
    _run(DVC, "repro", "-q", cwd=root)
    _commit_as(root, "Bea", "remove gone")
    assert "gone" in yaml.safe_load((root / "dvc.lock").read_text())["stages"]  # DVC leaves the entry
    events = events_from_dvc(root).events
    assert first <= {e["run"]["id"] for e in events}
    gone = next(e for e in events if e["type"] == "run.start" and e["annotations"]["dvc.stage"] == "gone")
    assert gone["agents"][0]["name"] == "Ada"


def test_an_import_url_superseded_by_dvc_update_keeps_its_ingestion_run(tmp_path: Path, project: Project) -> None:
    """``dvc import-url`` then ``dvc update`` (the source changed), each committed with a repro of a stage using
    the data: importing after the first commit recorded the first ingestion run, a fresh import after the
    update only the second, so the first data version had no generating run and was lost from who/lineage."""
    source = tmp_path / "source.csv"
    source.write_text("v1\n")
    root = _repo(tmp_path / "import-url", {
        "dvc.yaml": "stages:\n  use:\n    cmd: cat data.csv data.csv > o.txt\n    deps: [data.csv]\n"
                    "    outs: [o.txt]\n"})
    _run(DVC, "import-url", "-q", str(source), "data.csv", cwd=root)
    _run(DVC, "repro", "-q", cwd=root)
    _commit_as(root, "Ada", "import")
    first_md5 = yaml.safe_load((root / "data.csv.dvc").read_text())["outs"][0]["md5"]
    first = {e["run"]["id"] for e in events_from_dvc(root).events}
    source.write_text("v2\n")
    _run(DVC, "update", "-q", "data.csv.dvc", cwd=root)
    _run(DVC, "repro", "-q", cwd=root)
    _commit_as(root, "Bea", "update")
    events = events_from_dvc(root).events
    assert first <= {e["run"]["id"] for e in events}
    project.record_many(events)
    store = project.synced_store()
    ingested = [e for e in events if e["type"] == "run.end" and e["run"]["kind"] == "ingestion"
                and e["generated"][0]["digests"]["md5"] == first_md5]
    assert len(ingested) == 1
    made = {row["run"] for row in who(store, _version(store, first_md5).value).rows if row["action"] == "generated"}
    assert made == {ingested[0]["run"]["id"]}
