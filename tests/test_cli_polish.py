"""The command line a newcomer meets: SPARQL with the usual prefixes and one-line errors, formats by file
suffix, conditions that are checked, help on every argument, ``show``, missing inputs, progress bars on a
terminal only, and a ``make demo`` that installs only what the demo runs."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from importlib.metadata import requires
from pathlib import Path

import pytest

from provgraph import run
from provgraph.cli import build_parser, main
from provgraph.errors import MissingFile, QueryError
from provgraph.project import Project
from provgraph.query import sparql

ROOT = Path(__file__).resolve().parent.parent


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def recorded(project: Project) -> Iterator[Project]:
    """Two real runs on real files: prepare (raw.csv -> clean.csv) and train (clean.csv -> model.bin)."""
    (project.root / "raw.csv").write_text("a,b\n1,2\n")
    with run("prepare", kind="cleaning", project=project) as r:
        r.use(project.root / "raw.csv")
        (project.root / "clean.csv").write_text("a,b\n1,2\n")
        r.generate(project.root / "clean.csv")
    with run("train", kind="training", project=project, params={"depth": 3}) as r:
        r.use(project.root / "clean.csv", kind="split")
        (project.root / "model.bin").write_bytes(b"weights")
        r.generate(project.root / "model.bin", kind="model")
        r.metric("f1", 0.91)
        r.annotate(ticket="ML-42", reviewed_by="sam")
        train = r.id
    project.close()
    project.train_id = train  # type: ignore[attr-defined]
    yield project


# -- sparql ------------------------------------------------------------------------------------------------

def test_the_usual_prefixes_are_predefined(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "sparql", "SELECT ?r WHERE { ?r a provml:Training }", "--format", "json")
    assert code == 0
    assert [row["r"] for row in json.loads(out)] == [f"https://w3id.org/provgraph/id/run/{recorded.train_id}"]
    with Project.find(recorded.root) as project:  # the README's Python example
        answer = sparql(project.synced_store(), "SELECT ?r WHERE { ?r a provml:Training }")
        assert [row["r"].value for row in answer] == [f"https://w3id.org/provgraph/id/run/{recorded.train_id}"]
        named = sparql(project.synced_store(), f"ASK {{ run:{recorded.train_id} a prov:Activity }}")
        assert named is True
        # a query declaring a prefix itself keeps its own meaning
        own = sparql(project.synced_store(), "PREFIX prov: <urn:other#> ASK { ?r a prov:Activity }")
        assert own is False


def test_a_syntax_error_is_one_line_with_its_position(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "sparql", "SELECT ?r\nWHERE {\n  ?r a nope:Training }")
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("provgraph: error: invalid SPARQL query at line 3, column ")
    assert "unknown prefix" in err and "nope:Training" in err
    with Project.find(recorded.root) as project, pytest.raises(QueryError, match=r"at line 1, column \d+"):
        sparql(project.synced_store(), "SELECT ?r WHERE { ?r a <x:y> ")


def test_a_missing_file_and_an_update_say_so(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "sparql", "missing.rq")
    assert (code, err.strip()) == (1, "provgraph: error: missing.rq: no such file (give a query file or the query "
                                      "text itself)")
    insert = "INSERT DATA { GRAPH <urn:g> { <urn:a> rdfs:label 'added' } }"
    code, _, err = cli(capsys, "sparql", insert)
    assert (code, err.strip()) == (1, "provgraph: error: this is an update; add --update")
    query = recorded.root / "labels.rq"
    query.write_text("SELECT ?l WHERE { <urn:a> rdfs:label ?l }")
    assert cli(capsys, "sparql", str(query), "--format", "json")[1].strip() == "[]"
    assert cli(capsys, "sparql", insert, "--update")[:2] == (0, "update applied\n")  # prefixes predefined too
    assert json.loads(cli(capsys, "sparql", str(query), "--format", "json")[1]) == [{"l": "added"}]


# -- formats by suffix ---------------------------------------------------------------------------------------

def test_export_and_import_pick_the_format_from_the_suffix(recorded: Project, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert cli(capsys, "export", "--lineage", "model.bin", "-o", str(out / "lineage.provn"))[0] == 0
    assert (out / "lineage.provn").read_text().startswith("document")
    assert cli(capsys, "export", "-o", str(out / "lineage.provjson"))[0] == 0
    assert "entity" in json.loads((out / "lineage.provjson").read_text())["bundle"].popitem()[1]
    assert cli(capsys, "export", "-o", str(out / "all.ttl"))[0] == 0
    assert "@prefix" in (out / "all.ttl").read_text() or "<http" in (out / "all.ttl").read_text()
    assert cli(capsys, "export", "--format", "turtle", "-o", str(out / "forced.provn"))[0] == 0  # --format wins
    assert not (out / "forced.provn").read_text().startswith("document")
    code, _, err = cli(capsys, "export", "-o", str(out / "x.docx"))
    assert code == 1 and "give --format" in err and not (out / "x.docx").exists()
    code, _, err = cli(capsys, "export")
    assert code == 1 and "give --format when writing to standard output" in err

    other = tmp_path / "other"
    Project.init(other).close()
    code, out_text, _ = cli(capsys, "-C", str(other), "import", str(out / "lineage.provjson"))
    assert code == 0 and "bundle" in out_text


# -- conditions, help, show ----------------------------------------------------------------------------------

def test_a_malformed_condition_is_an_error(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "runs", "--metric", "f1>>0.8")
    assert code == 1 and "'f1>>0.8' is not a condition" in err
    code, out, _ = cli(capsys, "runs", "--metric", "f1>0.8", "--format", "json")
    assert code == 0 and [r["step"] for r in json.loads(out)] == ["train"]


def test_every_positional_argument_has_help() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [f"{name} {action.dest}" for name, sub in commands.choices.items() for action in sub._actions
               if not action.option_strings and not action.help]
    assert missing == []
    assert len(commands.choices) >= 25


def test_show_prints_annotations_and_only_known_environment(recorded: Project, capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "show", recorded.train_id)
    assert code == 0
    assert "annotations:" in out and "ML-42" in out and "reviewed_by" in out
    assert f"Python {sys.version.split()[0]}" in out
    # a run imported from elsewhere, with no Python version or platform recorded
    other = tmp_path / "bare"
    Project.init(other).close()
    events = tmp_path / "bare.jsonl"
    start = {"schema": "provgraph.event/1", "id": "e1", "type": "run.start", "time": "2026-01-01T00:00:00Z",
             "run": {"id": "bare-1", "step": "bare", "kind": "other"}, "environment": {"hostname": "box"}}
    end = {"schema": "provgraph.event/1", "id": "e2", "type": "run.end", "time": "2026-01-01T00:01:00Z",
           "run": {"id": "bare-1", "status": "completed"}}
    events.write_text(json.dumps(start) + "\n" + json.dumps(end) + "\n")
    assert cli(capsys, "-C", str(other), "ingest", str(events))[0] == 0
    code, out, _ = cli(capsys, "-C", str(other), "show", "bare-1")
    assert code == 0 and "None" not in out and "box" in out


# -- capture -------------------------------------------------------------------------------------------------

def test_using_a_missing_file_says_so_and_records_no_failed_run(project: Project,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MissingFile, match=r"^nope\.csv: no such file or directory; run .* aborted, not failed"), \
            run("load", kind="ingestion", project=project) as r:
        r.use("nope.csv")
    project.close()
    ends = [json.loads(line)["event"] for line in project.journal.path.read_text().splitlines()]
    assert [e["run"]["status"] for e in ends if e["type"] == "run.end"] == ["aborted"]
    code, out, _ = cli(capsys, "runs", "--format", "json")
    assert code == 0 and [r["status"] for r in json.loads(out)] == ["aborted"]


def test_validate_needs_no_extra() -> None:
    needed = requires("provgraph") or []
    assert any(r.startswith("pyshacl") and "extra" not in r for r in needed)


# -- progress on a terminal only -----------------------------------------------------------------------------

def _stderr(args: list[str], cwd: Path, terminal: bool) -> str:
    """What ``provgraph ARGS`` writes to standard error, when it is a terminal or a pipe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    command = [sys.executable, "-m", "provgraph", *args]
    if not terminal:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # a 100-column terminal
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(parent)
    assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(("args", "label"), [
    (["rebuild"], "rebuild"),
    (["export", "-o", "all.trig"], "writing trig"),
    (["export", "--impact", "raw.csv", "-o", "impact.provn"], "impact of raw.csv"),
    (["audit", "model.bin", "-o", "audit.zip"], "audit"),
], ids=["rebuild", "export", "export-impact", "audit"])
def test_long_operations_show_progress_on_a_terminal_only(recorded: Project, args: list[str], label: str) -> None:
    shown = _stderr(args, recorded.root, terminal=True)
    assert label in shown and "%|" in shown
    assert "%|" not in _stderr(args, recorded.root, terminal=False)


def test_import_runs_shows_progress_on_a_terminal(project: Project, tmp_path: Path) -> None:
    source = Path("/work/shared/testdata/openlineage/fluentd-events/event_simple.json")
    if not source.exists():
        pytest.skip("the shared OpenLineage corpus is not here")
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps(json.loads(source.read_text())) + "\n")
    project.close()
    shown = _stderr(["import-runs", "--from", "openlineage", str(lines)], project.root, terminal=True)
    assert "import openlineage" in shown


# -- make ----------------------------------------------------------------------------------------------------

def test_make_demo_installs_only_what_the_demo_runs(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    demo = subprocess.run(["make", "-n", "demo", f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert 'pip install -qq -e ".[demo]"' in demo and "[test]" not in demo
    test = subprocess.run(["make", "-n", "test", f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert 'pip install -qq -e ".[test]"' in test
    extras = subprocess.run([sys.executable, "-c", "import tomllib,json;print(json.dumps(tomllib.load("
                             "open('pyproject.toml','rb'))['project']['optional-dependencies']))"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not {"pytest", "ruff", "mypy"} & {r.split(">")[0] for r in json.loads(extras)["demo"]}


#: What the quick commands must not import (issue 10's fast start): each costs tens of milliseconds.
HEAVY = ("prov", "rdflib", "networkx", "jsonschema", "graphviz", "pyshacl", "urllib3", "tqdm")


@pytest.mark.parametrize("argv", [["--version"], ["runs"], ["impact", "data/raw.csv"], ["sync"]])
def test_quick_commands_import_no_heavy_library(demo: Path, argv: list[str]) -> None:
    script = ("import sys\nfrom provgraph.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=demo, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_an_import_needing_jsonschema_builds_no_iri_grammar(tmp_path: Path) -> None:
    """rfc3987-syntax (installed by the Neptune client's jsonschema[format-nongpl]) compiles its grammars when
    jsonschema is imported beside it: seconds per command, for format checks provgraph never asks for."""
    pytest.importorskip("rfc3987_syntax")
    event = {"eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "https://example.org/p",
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": "0190d6a8-0000-7000-8000-000000000001"}, "job": {"namespace": "ns", "name": "job"},
             "inputs": [{"namespace": "file", "name": "/data/in.csv"}], "outputs": []}
    (tmp_path / "events.json").write_text(json.dumps(event))
    script = ("import sys\nfrom provgraph.cli import main\ncode = main(sys.argv[1:])\n"
              "print(code, 'jsonschema' in sys.modules, 'rfc3987_syntax.syntax_helpers' in sys.modules)")
    subprocess.run([sys.executable, "-m", "provgraph", "init"], cwd=tmp_path, check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", script, "import-runs", "--from", "openlineage", "events.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "0 True False", done.stderr
