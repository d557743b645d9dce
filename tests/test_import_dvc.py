"""DVC import: the dvcyaml-schema examples (valid accepted, invalid rejected naming the problem) and a
real pipeline with a dvc.lock whose md5s are checked against files on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from conftest import TESTDATA

from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.export.document import prov_document
from provgraph.importers.dvc import events_from_dvc
from provgraph.project import Project
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
def test_valid_examples_are_accepted_one_declared_run_per_stage(example: Path) -> None:
    stages = yaml.safe_load(example.read_text()).get("stages", {})
    result = events_from_dvc(example, schema=SCHEMA)
    assert len(result.events) == len(stages)  # no dvc.lock: one run.start per stage
    assert sorted(e["run"]["step"] for e in result.events) == sorted(stages)
    assert all(e["type"] == "run.start" and e["labels"] == ["dvc-declared"] for e in result.events)
    for event in result.events:
        cmd = stages[event["run"]["step"]].get("cmd") or stages[event["run"]["step"]].get("do", {}).get("cmd")
        assert event["annotations"]["dvc.cmd"] == ("\n".join(cmd) if isinstance(cmd, list) else cmd)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_examples_are_rejected_naming_the_problem(name: str) -> None:
    field, quoted = INVALID[name]
    with pytest.raises(InvalidEvent) as caught:
        events_from_dvc(CORPUS / "examples" / "invalid" / name, schema=SCHEMA)
    assert caught.value.field == field
    assert quoted in str(caught.value) and name in str(caught.value)


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


DVC_YAML = """\
stages:
  prepare:
    cmd: python prepare.py data/raw.csv
    deps: [prepare.py, data/raw.csv]
    params: [prepare.split, seed]
    outs: [data/prepared.csv]
  train:
    cmd: python train.py
    deps: [data/prepared.csv]
    outs: [model.pkl]
    metrics:
      - scores.json:
          cache: false
"""


def _pipeline(root: Path) -> dict[str, bytes]:
    files = {"data/raw.csv": b"a,b\n1,2\n", "prepare.py": b"print('prepare')\n", "data/prepared.csv": b"a\n1\n"}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (root / "params.yaml").write_text("prepare:\n  split: 0.2\nseed: 7\n")
    (root / "dvc.yaml").write_text(DVC_YAML)
    lock = {"schema": "2.0", "stages": {"prepare": {
        "cmd": "python prepare.py data/raw.csv",
        "deps": [{"path": "data/raw.csv", "md5": _md5(files["data/raw.csv"]), "size": 8},
                 {"path": "prepare.py", "md5": _md5(files["prepare.py"]), "size": 17}],
        "params": {"params.yaml": {"prepare.split": 0.2, "seed": 7}},
        # the output changed on disk since the lock was written: its md5 no longer matches
        "outs": [{"path": "data/prepared.csv", "md5": _md5(b"stale\n"), "size": 6}]}}}
    (root / "dvc.lock").write_text(yaml.safe_dump(lock))
    return files


def test_locked_stage_ran_with_hashes_params_and_lineage(project: Project) -> None:
    files = _pipeline(project.root)
    result = events_from_dvc(project.root / "dvc.yaml", root=project.root, schema=SCHEMA)
    assert result.counts == {"stages": 2, "locked": 1, "declared": 1}
    kinds = {(e["run"]["step"], e["type"]) for e in result.events}
    assert kinds == {("prepare", "run.start"), ("prepare", "run.end"), ("train", "run.start")}
    end = next(e for e in result.events if e["type"] == "run.end")
    assert end["run"]["status"] == "completed"
    assert end["params"] == {"prepare.split": 0.2, "seed": 7}
    used = {a["location"]: a for a in end["used"]}
    assert used["data/raw.csv"]["sha256"] == hashlib.sha256(files["data/raw.csv"]).hexdigest()
    assert (used["prepare.py"]["kind"], used["prepare.py"]["sha256"]) == (
        "code", hashlib.sha256(files["prepare.py"]).hexdigest())
    assert "sha256" not in end["generated"][0]  # md5 mismatch: identified by location only
    start = next(e for e in result.events if e["type"] == "run.start" and e["run"]["step"] == "prepare")
    assert start["annotations"]["dvc.md5:data/raw.csv"] == _md5(files["data/raw.csv"])
    assert "dvc.changed:data/prepared.csv" in start["annotations"]

    project.record_many(result.events)
    derived = project.store.query(PREFIXES + """
        SELECT ?to ?from WHERE { ?t prov:wasDerivedFrom ?f . ?t provml:location ?to . ?f provml:location ?from }""")
    assert {(r["to"].value, r["from"].value) for r in derived} == {
        ("data/prepared.csv", "data/raw.csv"), ("model.pkl", "data/prepared.csv"),
        ("scores.json", "data/prepared.csv")}


def test_reimport_is_idempotent(project: Project) -> None:
    _pipeline(project.root)
    first, second = (events_from_dvc(project.root, schema=SCHEMA).events for _ in range(2))
    assert [e["id"] for e in first] == [e["id"] for e in second]


def test_cli_records_and_refuses_invalid(project: Project, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _pipeline(project.root)
    monkeypatch.setenv("PROVGRAPH_DVC_SCHEMA", str(SCHEMA))
    assert main(["import-runs", "--from", "dvc", "dvc.yaml", "--dry-run"]) == 0
    assert "would record 3 events, 2 runs" in capsys.readouterr().out
    assert main(["import-runs", "--from", "dvc", "dvc.yaml"]) == 0
    assert "recorded 3 events, 2 runs" in capsys.readouterr().out
    size = project.journal.path.stat().st_size
    bad = CORPUS / "examples" / "invalid" / "stage.extra.dvc.yaml"
    assert main(["import-runs", "--from", "dvc", str(bad)]) == 1
    assert "stages.stage1" in capsys.readouterr().err
    assert project.journal.path.stat().st_size == size


FOREACH_YAML = """\
stages:
  build:
    foreach: [us, eu]
    do:
      cmd: python build.py ${item}
      deps:
        - raw/${item}.csv
      outs:
        - out/${item}.csv
"""


def test_foreach_stages_come_from_their_expanded_lock_entries(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text(FOREACH_YAML)
    entries = {f"build@{region}": {"cmd": f"python build.py {region}",
                                   "deps": [{"path": f"raw/{region}.csv", "md5": "0" * 32}],
                                   "outs": [{"path": f"out/{region}.csv", "md5": "1" * 32}]} for region in ("us", "eu")}
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": entries}))
    result = events_from_dvc(tmp_path, schema=SCHEMA)
    ends = {e["run"]["id"]: e for e in result.events if e["type"] == "run.end"}
    assert sorted((e["used"][0]["location"], e["generated"][0]["location"]) for e in ends.values()) == [
        ("raw/eu.csv", "out/eu.csv"), ("raw/us.csv", "out/us.csv")]
    assert all(run_id.startswith(("dvc-build.us-", "dvc-build.eu-")) for run_id in ends)
    assert {e["run"]["step"] for e in result.events} == {"build"}


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages:\n  a:\n    cmd: [unclosed\n")
    with pytest.raises(InvalidEvent, match=r"not valid YAML \(line"):
        events_from_dvc(tmp_path)


def test_imported_graph_satisfies_prov_constraints(project: Project) -> None:
    _pipeline(project.root)
    project.record_many(events_from_dvc(project.root, schema=SCHEMA).events)
    assert check_document(prov_document(project.store)).violations == []
