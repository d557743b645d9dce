"""``provgraph validate`` on files in several formats, on the store and on one run (exit codes 0/1/2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import prov.model as pm
import pytest
from helpers import TESTDATA

from provgraph import events as ev
from provgraph.cli import main
from provgraph.project import Project

CORPUS = TESTDATA / "prov" / "provtoolbox-validate"
SHA_DATA, SHA_TEST, SHA_MODEL = "a" * 64, "c" * 64, "b" * 64


@pytest.fixture(autouse=True)
def _no_environment_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVGRAPH_PROJECT", raising=False)
    monkeypatch.delenv("PROVGRAPH_STORE", raising=False)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _cycle_document() -> pm.ProvDocument:
    """Two entities each derived from the other: a strict cycle (Constraint 42)."""
    doc = pm.ProvDocument()
    doc.add_namespace("ex", "http://example.org/")
    doc.entity("ex:a")
    doc.entity("ex:b")
    doc.wasDerivedFrom("ex:a", "ex:b")
    doc.wasDerivedFrom("ex:b", "ex:a")
    return doc


@pytest.mark.parametrize(("suffix", "fmt"), [(".json", "json"), (".provx", "xml"), (".ttl", "rdf"),
                                             (".provn", "provn")])
def test_file_in_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, fmt: str) -> None:
    path = tmp_path / f"cycle{suffix}"
    kwargs = {"rdf_format": "turtle"} if fmt == "rdf" else {}
    path.write_text(_cycle_document().serialize(format=fmt, **kwargs))
    code, out, _ = run_cli(capsys, "validate", str(path), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    [violation] = report["reports"][0]["violations"]
    assert violation["constraint"] == "Constraint 42 (derivation-generation-generation-ordering)"


def test_valid_file_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(CORPUS / "unification" / "generation-success1.xml"))
    assert code == 0
    assert "prov-constraints: valid" in out


def test_invalid_file_text_report_names_constraint_and_records(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", str(CORPUS / "unification" / "generation-fail1.provn"))
    assert code == 1
    assert "Constraint 24 (unique-generation)" in out
    assert "wasGeneratedBy(ex:gen1-other; ex:e1, ex:a1, -)" in out


@pytest.mark.parametrize("args", [["validate", "x.provn", "--run", "r"], ["validate", "missing.provn"],
                                  ["validate", "x.provn", "--no-shapes"], ["validate", "--jobs", "0"]])
def test_usage_errors_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                               args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.provn").write_text("document\nentity(e)\nendDocument\n")
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert err.startswith("provgraph: error:")


def test_unreadable_file_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.provn"
    path.write_text("document\nentity(\nendDocument\n")
    code, _, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert "broken.provn is not a valid PROV-N document" in err


def _end(run: str, kind: str, **fields: Any) -> dict[str, Any]:
    return ev.new_event("run.end", time="2026-03-01T10:00:00Z",
                        run={"id": run, "kind": kind, "step": kind, "status": "completed"}, **fields)


def _record(root: Path, *events: dict[str, Any]) -> None:
    """Record events in the project at ``root`` and close it (the CLI opens the store itself)."""
    with Project.find(root, create=True) as project:
        for event in events:
            project.record(ev.validate(event))
        project.sync()


def test_store_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {"location": "data/train.csv", "kind": "dataset", "sha256": SHA_DATA}
    model = {"location": "models/m.pkl", "kind": "model", "sha256": SHA_MODEL}
    test = {"location": "data/test.csv", "kind": "split", "sha256": SHA_TEST}
    _record(tmp_path, _end("train-1", "training", used=[data], generated=[model]),
            _end("eval-1", "evaluation", used=[model, test], metrics={"auc": 0.91}))
    root = str(tmp_path)
    assert run_cli(capsys, "-C", root, "validate")[:2] == (0, "store: prov-constraints: valid\nstore: shacl: valid\n")

    _record(tmp_path, _end("eval-2", "evaluation", used=[model]))
    code, out, _ = run_cli(capsys, "-C", root, "validate", "--json")
    assert code == 1
    reports = {r["kind"]: r for r in json.loads(out)["reports"]}
    assert reports["prov-constraints"]["ok"] is True
    assert sorted(v["constraint"] for v in reports["shacl"]["violations"]) == [
        "shapes:EvaluationShape / metrics", "shapes:EvaluationShape / test data"]
    assert run_cli(capsys, "-C", root, "validate", "--run", "eval-1")[0] == 0
    assert run_cli(capsys, "-C", root, "validate", "--run", "eval-2")[0] == 1
    assert run_cli(capsys, "-C", root, "validate", "--no-shapes")[0] == 0
    assert run_cli(capsys, "-C", root, "validate", "--json", "--jobs", "1")[:2] == (1, out)  # in this process
    code, _, err = run_cli(capsys, "-C", root, "validate", "--run", "nope")
    assert (code, err.strip()) == (2, "provgraph: error: no run 'nope' in the store")


def test_imported_document_is_validated_in_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "derivation2.provn"
    shutil.copy(CORPUS / "ordering" / "derivation2.provn", source)
    Project.init(tmp_path).close()
    root = str(tmp_path)
    assert run_cli(capsys, "-C", root, "import", str(source))[0] == 0
    code, out, _ = run_cli(capsys, "-C", root, "validate", "--no-shapes", "--json")
    assert code == 1
    [report] = json.loads(out)["reports"]
    assert [v["constraint"] for v in report["violations"]] == [
        "Constraint 42 (derivation-generation-generation-ordering)"]


def test_input_format_for_unusual_extensions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lineage.provdoc"
    path.write_text(_cycle_document().serialize(format="json"))
    code, _, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert "cannot tell the format of" in err and "give --format" in err  # the error names the flag
    assert run_cli(capsys, "validate", str(path), "--format", "prov-json")[0] == 1
    assert run_cli(capsys, "validate", "--format", "prov-json")[0] == 2  # --format is FILE's format
    suffixed = tmp_path / "lineage.provjson"  # the suffix provgraph itself writes
    suffixed.write_text(path.read_text())
    assert run_cli(capsys, "validate", str(suffixed))[0] == 1


def test_flatten_finds_a_cycle_between_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Run 1 makes B from A, run 2 makes A from B: each run is valid, together they are a strict cycle."""
    a = {"location": "data/a.csv", "kind": "dataset", "sha256": SHA_DATA}
    b = {"location": "data/b.csv", "kind": "dataset", "sha256": SHA_TEST}
    _record(tmp_path, _end("r1", "cleaning", used=[a], generated=[b]), _end("r2", "cleaning", used=[b], generated=[a]))
    root = str(tmp_path)
    assert run_cli(capsys, "-C", root, "validate", "--no-shapes")[0] == 0
    code, out, _ = run_cli(capsys, "-C", root, "validate", "--no-shapes", "--flatten", "--json")
    assert code == 1
    [violation] = json.loads(out)["reports"][0]["violations"]
    assert violation["constraint"] == "Constraint 42 (derivation-generation-generation-ordering)"
    assert f"generation(data:sha256-{SHA_DATA})" in violation["message"]
