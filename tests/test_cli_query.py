"""The query commands end to end: a real project, its journal and store, through ``provgraph.cli.main``."""

from __future__ import annotations

import csv
import io
import json

import pytest
from query_builder import sha
from test_impact import diamond

from provgraph.cli import main
from provgraph.store import open_store


@pytest.fixture
def recorded(project):
    scratch = open_store("memory:")
    pipeline = diamond(scratch)
    project.record_many(pipeline.events)
    return project


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_runs_table_json_and_csv(recorded, capsys):
    code, out, _ = run_cli(capsys, "runs")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["RUN", "STEP", "KIND", "STATUS", "AGENTS", "START", "DURATION"]
    assert [line.split()[0] for line in lines[1:]] == ["peek", "deploy", "evaluate", "train", "join", "clean-b",
                                                       "clean-a", "ingest"]
    code, out, _ = run_cli(capsys, "runs", "--kind", "cleaning", "--format", "json")
    assert [r["run"] for r in json.loads(out)] == ["clean-b", "clean-a"]
    assert json.loads(out)[0]["duration"] == 60.0
    code, out, _ = run_cli(capsys, "runs", "--step", "train", "--format", "csv")
    assert list(csv.DictReader(io.StringIO(out))) == [
        {"run": "train", "step": "train", "kind": "training", "status": "completed", "agents": "Alice",
         "start": "2024-01-01T00:09:00Z", "duration": "60"}]


def test_impact_headline(recorded, capsys):
    code, out, _ = run_cli(capsys, "impact", "data/raw.csv")
    assert code == 0
    assert "models using it (1): m.pkl" in out
    assert "deployments affected (1): m.json" in out
    code, out, _ = run_cli(capsys, "impact", sha("data/raw.csv")[:10], "--format", "json")
    payload = json.loads(out)
    assert payload["iri"].endswith(sha("data/raw.csv"))
    assert {r["label"] for r in payload["rows"] if r["kind"] == "model"} == {"m.pkl"}


def test_lineage_as_of_and_who(recorded, capsys):
    code, out, _ = run_cli(capsys, "lineage", "models/m.pkl", "--as-of", "2024-01-01T00:09:30Z")
    assert code == 0 and out == "(none)\n"
    code, out, _ = run_cli(capsys, "who", "models/m.pkl", "--format", "json")
    assert [(r["action"], r["run"]) for r in json.loads(out)] == [("generated", "train"), ("used", "evaluate"),
                                                                  ("used", "deploy")]


def test_diff(recorded, capsys):
    code, out, _ = run_cli(capsys, "diff", "clean-a", "clean-b", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"a": "clean-a", "b": "clean-b", "differences": []}


@pytest.mark.parametrize("argv", [
    ["impact", "no-such-thing"],
    ["lineage", "'; DROP ALL"],
    ["who", "abcde"],
    ["runs", "--kind", "baking"],
    ["runs", "--param", "n_estimators"],
    ["impact", "data/raw.csv", "--as-of", "tomorrow"],
    ["sparql", "DELETE WHERE { ?s ?p ?o }"],
    ["sparql", "SELECT ?s WHERE {", "--format", "json"],
    ["diff", "train", "data/raw.csv"],
], ids=lambda argv: " ".join(argv))
def test_errors_are_one_line_and_change_nothing(recorded, capsys, argv):
    before = recorded.synced_store().dump()
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("provgraph: error: ") and err.count("\n") == 1
    assert recorded.synced_store().dump() == before


def test_invalidate_records_an_event_and_lists_what_needs_attention(recorded, capsys):
    code, out, _ = run_cli(capsys, "invalidate", "data/a.csv", "--reason", "wrong join key", "--format", "json")
    assert code == 0
    assert sorted((r["kind"], r["affected"], r["made_by"]) for r in json.loads(out)) == [
        ("deployment", "m.json", "deploy"), ("model", "m.pkl", "train")]
    last = list(recorded.journal.entries())[-1].event
    assert last["type"] == "artifact.invalidate"
    assert last["invalidation"]["target_iri"].endswith(sha("data/a.csv"))
    assert last["invalidation"]["reason"] == "wrong join key"
    code, out, _ = run_cli(capsys, "who", "data/a.csv", "--format", "json")
    assert "invalidated" in {r["action"] for r in json.loads(out)}


def test_sparql_select_bind_ask_and_update(recorded, capsys):
    code, out, _ = run_cli(capsys, "sparql", "SELECT ?id WHERE { ?r <https://w3id.org/provgraph/provml#stepName> ?s ;"
                           " <https://w3id.org/provgraph/provml#runId> ?id }", "--bind", "s=train", "--format", "csv")
    assert code == 0 and out.splitlines() == ["id", "train"]
    code, out, _ = run_cli(capsys, "sparql", "ASK { ?s ?p ?o }", "--format", "json")
    assert json.loads(out) is True
    query = recorded.root / "count.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:x:g> { ?s ?p ?o } }")
    assert run_cli(capsys, "sparql", str(query))[1].split() == ["N", "0"]
    code, out, _ = run_cli(capsys, "sparql", "--update", "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> 1 } }")
    assert code == 0
    assert run_cli(capsys, "sparql", str(query))[1].split() == ["N", "1"]
