"""A small hand-written pipeline recorded through the API has exactly the expected lineage graph."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

import provgraph
from provgraph.project import Project

PREFIXES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provgraph/provml#>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_three_step_pipeline_has_the_expected_edges(project: Project, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    a, b = write(tmp_path / "raw_a.csv", "x\n1\n"), write(tmp_path / "raw_b.csv", "x\n2\n")
    with provgraph.run("pipeline", kind="pipeline", project=project) as pipe:
        with provgraph.run("ingest", kind="ingestion", project=project) as r:
            r.use(a)
            r.use(b)
            r.generate(write(tmp_path / "all.csv", "x\n1\n2\n"))
        with provgraph.run("train", kind="training", project=project) as r:
            r.use(tmp_path / "all.csv", kind="dataset")
            r.param("depth", 3)
            r.generate(write(tmp_path / "model.pkl", "weights"), kind="model")
        with provgraph.run("deploy", kind="deployment", project=project) as r:
            r.use(tmp_path / "model.pkl", kind="model")
            r.generate(write(tmp_path / "endpoint.json", "{}"), kind="deployment")
    store = project.synced_store()

    derived = store.query(PREFIXES + """
        SELECT ?to ?from WHERE { ?t prov:wasDerivedFrom ?f . ?t provml:location ?to . ?f provml:location ?from }""")
    assert {(r["to"].value, r["from"].value) for r in derived} == {
        ("all.csv", "raw_a.csv"), ("all.csv", "raw_b.csv"),
        ("model.pkl", "all.csv"), ("endpoint.json", "model.pkl"),
    }
    used = store.query(PREFIXES + """
        SELECT ?step ?loc WHERE {
          ?run prov:used ?e ; provml:stepName ?step . ?e provml:location ?loc ; provml:artifactKind ?kind
          FILTER (?kind != "code")
        }""")
    assert {(r["step"].value, r["loc"].value) for r in used} == {
        ("ingest", "raw_a.csv"), ("ingest", "raw_b.csv"), ("train", "all.csv"), ("deploy", "model.pkl"),
    }
    scripts = store.query(PREFIXES + """
        SELECT DISTINCT ?loc ?sha WHERE { ?e a provml:SourceCode ; provml:location ?loc ; provml:sha256 ?sha }""")
    # the script that runs these tests (argv[0], relative to where pytest started), captured with its hash
    running = (request.config.invocation_params.dir / sys.argv[0]).resolve()
    assert [(r["loc"].value, r["sha"].value) for r in scripts] == [
        (running.as_posix(), hashlib.sha256(running.read_bytes()).hexdigest())]
    generated = store.query(PREFIXES + """
        SELECT ?step ?loc WHERE { ?e prov:wasGeneratedBy ?run ; provml:location ?loc . ?run provml:stepName ?step }""")
    assert {(r["step"].value, r["loc"].value) for r in generated} == {
        ("ingest", "all.csv"), ("train", "model.pkl"), ("deploy", "endpoint.json"),
    }
    parents = store.query(PREFIXES + "SELECT ?step ?p WHERE { ?r provml:partOfRun ?p ; provml:stepName ?step }")
    assert {(r["step"].value, r["p"].value.rsplit("/", 1)[-1]) for r in parents} == {
        ("ingest", pipe.id), ("train", pipe.id), ("deploy", pipe.id),
    }
    # one named graph per run, all typed prov:Bundle, and one graph of shared descriptions
    bundles = [g for g in store.graphs() if "/id/bundle/" in g.value]
    assert len(bundles) == 4 and len(store.graphs()) == 5
    for graph in bundles:
        assert store.query(PREFIXES + "ASK { GRAPH ?g { ?g a prov:Bundle } }", {"g": graph}) is True
    kinds = store.query(PREFIXES + "SELECT ?loc ?k WHERE { ?e provml:location ?loc ; provml:artifactKind ?k }")
    assert dict((r["loc"].value, r["k"].value) for r in kinds)["model.pkl"] == "model"
