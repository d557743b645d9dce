"""Export: the store as PROV-N/JSON/XML/JSONLD and RDF, checked against the W3C schemas and other readers."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import prov
import prov.model as pm
import pytest
import rdflib
from helpers import TESTDATA
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pyoxigraph import Quad, RdfFormat, parse

from provgraph import events as ev
from provgraph.cli import main
from provgraph.errors import ExportError
from provgraph.export import FORMATS, export, prov_document
from provgraph.mapping import event_to_quads
from provgraph.project import Project
from provgraph.provdoc.xmlnames import escape_local, from_xml_names, unescape_local
from provgraph.store import Store
from provgraph.vocab import ID_NAMESPACES, PROVML, iri

SCHEMAS = TESTDATA / "prov" / "prov-python" / "schemas"
A, B, M = "a" * 64, "b" * 64, "c" * 64
PREP, TRAIN = "1prep", "train-1"


def sample_events() -> list[ev.Event]:
    """Two runs: 1prep cleans raw.csv into clean.csv; train-1 trains a model on clean.csv."""
    events = [
        ev.new_event("run.start", time="2024-05-01T10:00:00Z",
                     run={"id": PREP, "step": "prepare", "kind": "cleaning"},
                     agents=[{"id": "alice", "kind": "person", "name": "Alice"}],
                     used=[{"location": "s3://bucket/raw.csv", "sha256": A, "kind": "dataset", "name": "raw"}]),
        ev.new_event("run.end", time="2024-05-01T10:05:00Z", run={"id": PREP, "status": "completed"},
                     generated=[{"location": "data/clean.csv", "sha256": B, "kind": "dataset", "name": "clean",
                                 "time": "2024-05-01T10:04:00Z"}],
                     params={"drop_na": True}),
        ev.new_event("run.start", time="2024-05-01T11:00:00Z",
                     run={"id": TRAIN, "step": "train", "kind": "training"},
                     agents=[{"id": "alice", "kind": "person", "name": "Alice", "role": "trainer"}],
                     used=[{"location": "data/clean.csv", "sha256": B, "kind": "dataset", "name": "clean",
                            "role": "training data"}],
                     params={"lr": 0.01}),
        ev.new_event("run.end", time="2024-05-01T11:30:00Z", run={"id": TRAIN, "status": "completed"},
                     generated=[{"location": "models/m.pkl", "sha256": M, "kind": "model"}],
                     metrics={"acc": 0.9}),
    ]
    for event in events:
        ev.validate(event)
    return events


def fill(store: Store) -> Store:
    for event in sample_events():
        store.add(event_to_quads(event))
    return store


def data(sha: str) -> pm.QualifiedName:
    return pm.QualifiedName(pm.Namespace("data", ID_NAMESPACES["data"]), f"sha256-{sha}")


def run_qn(run: str) -> pm.QualifiedName:
    return pm.QualifiedName(pm.Namespace("run", ID_NAMESPACES["run"]), run)


def records(bundle: pm.ProvBundle, kind: pm.QualifiedName) -> list[pm.ProvRecord]:
    return [r for r in bundle.get_records() if r.get_type() == kind]


# -- the document --------------------------------------------------------------------------------


def test_one_run_is_one_bundle_with_its_records(store: Store) -> None:
    doc = prov_document(fill(store), run=PREP)
    assert [b.identifier.uri for b in doc.bundles] == [ID_NAMESPACES["bundle"] + PREP]
    bundle = next(iter(doc.bundles))
    (activity,) = records(bundle, pm.PROV_ACTIVITY)
    assert activity.identifier == run_qn(PREP)
    assert str(activity.get_startTime()) == "2024-05-01 10:00:00+00:00"
    assert str(activity.get_endTime()) == "2024-05-01 10:05:00+00:00"
    assert {str(t) for t in activity.get_attribute(pm.PROV_TYPE)} == {"provml:Run", "provml:Cleaning"}
    # the qualified generation carries the time; the plain prov:wasGeneratedBy duplicate is gone
    (generation,) = records(bundle, pm.PROV_GENERATION)
    assert dict(generation.formal_attributes)[pm.PROV_ATTR_ENTITY] == data(B)
    assert str(dict(generation.formal_attributes)[pm.PROV_ATTR_TIME]) == "2024-05-01 10:04:00+00:00"
    usages = records(bundle, pm.PROV_USAGE)
    assert {dict(u.formal_attributes)[pm.PROV_ATTR_ENTITY].localpart for u in usages} == {
        f"sha256-{A}", "drop_na-0cc7485f7040"}
    # non-PROV triples become attributes
    (clean,) = [e for e in records(bundle, pm.PROV_ENTITY) if e.identifier == data(B)]
    sha_attr = pm.QualifiedName(pm.Namespace("provml", PROVML.sha256.value[:-6]), "sha256")
    assert clean.get_attribute(sha_attr) == {B}
    assert clean.get_attribute(pm.PROV_LABEL) == {"clean"}


def test_whole_store_has_one_bundle_per_run_and_prefixes(store: Store) -> None:
    doc = prov_document(fill(store))
    assert sorted(b.identifier.localpart for b in doc.bundles) == [PREP, TRAIN]
    prefixes = {ns.prefix: ns.uri for ns in doc.namespaces}
    assert prefixes["provml"] == "https://w3id.org/provgraph/provml#"
    assert prefixes["run"] == ID_NAMESPACES["run"]
    assert prefixes["mls"] == "http://www.w3.org/ns/mls#"
    (train,) = [b for b in doc.bundles if b.identifier.localpart == TRAIN]
    (assoc,) = records(train, pm.PROV_ASSOCIATION)
    assert {r.localpart for r in assoc.get_attribute(pm.PROV_ROLE)} == {"trainer"}


def test_nodes_scope_keeps_only_statements_among_the_nodes(store: Store) -> None:
    nodes = [iri("run", TRAIN), iri("data", f"sha256-{M}"), iri("data", f"sha256-{B}")]
    doc = prov_document(fill(store), nodes=nodes)
    # runs are described in their bundles, shared descriptions (data versions) at the document's top level
    kept = {r.identifier for b in (doc, *doc.bundles) for r in b.get_records(pm.ProvElement)}
    assert kept == {run_qn(TRAIN), data(M), data(B)}
    relations = {(r.get_type(), tuple(v for _, v in r.formal_attributes[:2]))
                 for b in doc.bundles for r in b.get_records(pm.ProvRelation)}
    # clean.csv's generation by 1prep is out of scope; its prov:generatedAtTime still says when
    assert relations == {(pm.PROV_USAGE, (run_qn(TRAIN), data(B))), (pm.PROV_GENERATION, (data(M), run_qn(TRAIN))),
                         (pm.PROV_GENERATION, (data(B), None))}


def test_bad_scopes_are_export_errors(store: Store) -> None:
    fill(store)
    with pytest.raises(ExportError, match="no run 'nope'"):
        export(store, "provn", run="nope")
    with pytest.raises(ExportError, match="unknown export format 'docx'"):
        export(store, "docx")
    with pytest.raises(ExportError, match="not both"):
        export(store, "trig", run=PREP, nodes=[])


# -- the formats ---------------------------------------------------------------------------------


def _json_validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.validators.validator_for(schema)(schema)  # type: ignore[no-any-return]


@pytest.mark.parametrize("scope", [{}, {"run": PREP}, {"run": TRAIN}], ids=["store", "prep", "train"])
def test_prov_xml_validates_against_the_w3c_schema(store: Store, scope: dict[str, str]) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "prov.xsd")))
    xml = etree.fromstring(export(fill(store), "prov-xml", **scope))
    assert schema.validate(xml), schema.error_log
    ids = {e.get("{http://www.w3.org/ns/prov#}id") for e in xml.iter()}
    expected = {"run:_1prep", "run:train-1"} if not scope else {"run:_1prep" if scope["run"] == PREP else "run:train-1"}
    assert expected <= ids  # a run id that is not an NCName ("1prep") is escaped as ProvToolbox does


@pytest.mark.parametrize(("fmt", "schema"), [("prov-json", "prov-json.schema.json"),
                                             ("prov-jsonld", "prov-jsonld.schema.json")])
def test_prov_json_formats_validate_against_their_schemas(store: Store, fmt: str, schema: str) -> None:
    validator = _json_validator(schema)
    fill(store)
    for scope in ({}, {"run": PREP}):
        errors = list(validator.iter_errors(json.loads(export(store, fmt, **scope))))
        assert errors == [], [e.message for e in errors[:3]]


@pytest.mark.parametrize("fmt", ["prov-json", "prov-xml", "prov-jsonld"])
def test_prov_formats_read_back_by_the_prov_package_equal_the_document(store: Store, fmt: str) -> None:
    fill(store)
    expected = prov_document(store)
    reader = {"prov-json": "json", "prov-xml": "xml", "prov-jsonld": "jsonld"}[fmt]
    back = prov.read(io.BytesIO(export(store, fmt)), format=reader)
    if fmt == "prov-xml":
        back = from_xml_names(back)
    assert back == expected


def test_provn_is_read_back_by_the_prov_package(store: Store) -> None:
    fill(store)
    back = prov.read(io.BytesIO(export(store, "provn", run=TRAIN)), format="provn")
    assert back == prov_document(store, run=TRAIN)


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("trig", "trig"), ("nquads", "nquads"), ("jsonld", "json-ld")])
def test_rdf_dataset_formats_hold_exactly_the_store(store: Store, fmt: str, rdflib_format: str) -> None:
    fill(store)
    dataset = rdflib.Dataset()
    dataset.parse(data=export(store, fmt), format=rdflib_format)
    theirs = {(s.n3(), p.n3(), o.n3(), g.n3()) for s, p, o, g in dataset.quads() if g is not None}
    ours = {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
            for q in parse(store.dump(RdfFormat.N_QUADS), RdfFormat.N_QUADS)}
    assert len(ours) == len(store)
    assert {_norm(t) for t in theirs} == {_norm(t) for t in ours}


def _norm(quad: tuple[str, str, str, str]) -> tuple[str, ...]:
    return tuple(rdflib.util.from_n3(t).n3() for t in quad)  # type: ignore[union-attr]


def test_turtle_of_one_run_holds_that_runs_triples(store: Store) -> None:
    fill(store)
    graph = rdflib.Graph().parse(data=export(store, "turtle", run=PREP), format="turtle")
    stored = [q for q in parse(store.dump(RdfFormat.N_QUADS), RdfFormat.N_QUADS) if isinstance(q, Quad)]
    asserted = {q.triple for q in stored if q.graph_name == iri("bundle", PREP)}
    # the run's bundle, and the shared descriptions of what it mentions (its data versions, their
    # logical datasets, its agents), so the export stands on its own; no other run's statements
    mentioned = {t for s, _, o in asserted for t in (s, o)}
    described = {q.triple for q in stored if q.graph_name == iri("graph", "shared") and q.subject in mentioned}
    assert len(asserted) > 20 and described
    assert {(rdflib.URIRef(s.value), rdflib.URIRef(p.value), rdflib.util.from_n3(str(o)))
            for s, p, o in asserted | described} <= set(graph)
    assert not any(q.triple in graph for q in stored if q.graph_name == iri("bundle", TRAIN)
                   and q.triple not in asserted | described)
    assert (rdflib.URIRef(iri("run", PREP).value), rdflib.URIRef("http://www.w3.org/ns/prov#used"),
            rdflib.URIRef(iri("data", f"sha256-{A}").value)) in graph


def test_every_format_is_listed_with_its_extension() -> None:
    assert {f: spec.extension for f, spec in FORMATS.items()} == {
        "provn": ".provn", "prov-json": ".json", "prov-xml": ".provx", "prov-jsonld": ".prov.jsonld",
        "turtle": ".ttl", "trig": ".trig", "nquads": ".nq", "jsonld": ".jsonld"}


# -- the PROV-XML local-name rule ----------------------------------------------------------------


@pytest.mark.parametrize(("local", "xml"), [
    ("en_v32", "en__v32"),  # ProvToolbox's spelling in the openprov PROV-XML files
    ("100-entity", "_100-entity"),
    ("0tagWithDigit", "_0tagWithDigit"),
    ("1prep", "_1prep"),
    ("a/b=c", "a_2Fb_3Dc"),
    ("_a", "___a"),
    ("", "_"),
    ("ambiguë_cœur", "ambiguë__cœur"),
    ("x\u2028y", "x_u2028y"),
])
def test_xml_local_names_follow_the_provtoolbox_rule(local: str, xml: str) -> None:
    assert escape_local(local) == xml
    assert unescape_local(xml) == local


@given(st.text(max_size=30))
def test_xml_local_name_escaping_round_trips_and_yields_ncnames(local: str) -> None:
    escaped = escape_local(local)
    assert unescape_local(escaped) == local
    etree.fromstring(f'<{escaped} xmlns="http://example.org/"/>'.encode())  # a valid NCName


def test_provtoolbox_xml_escapes_are_decoded_on_the_corpus() -> None:
    case = TESTDATA / "prov" / "openprov-testcases" / "test-attr_entity_one_value_attr32"
    xml_doc = from_xml_names(prov.read(str(next(case.glob("*.provx"))), format="xml"))
    json_doc = prov.read(str(next(case.glob("*.json"))), format="json")
    assert xml_doc == json_doc


# -- the command ---------------------------------------------------------------------------------


def test_export_command_writes_each_scope(project: Project, tmp_path: Path) -> None:
    project.record_many(sample_events())
    out = tmp_path / "prep.provx"
    assert main(["export", "--format", "prov-xml", "--run", PREP, "-o", str(out)]) == 0
    assert from_xml_names(prov.read(str(out), format="xml")) == prov_document(project.synced_store(), run=PREP)
    project.close()  # the embedded store takes one process-wide lock
    assert main(["export", "--format", "provn", "--lineage", "models/m.pkl", "-o", str(tmp_path / "l.provn")]) == 0
    lineage_text = (tmp_path / "l.provn").read_text()
    assert f"data:sha256-{A}" in lineage_text and "param:lr-" in lineage_text
    assert main(["export", "--format", "trig", "--impact", "s3://bucket/raw.csv", "-o", str(tmp_path / "i.trig")]) == 0
    impact = rdflib.Dataset().parse(str(tmp_path / "i.trig"), format="trig")
    subjects = {str(q[0]) for q in impact.quads()}
    assert iri("data", f"sha256-{M}").value in subjects and iri("param", "lr-db0cf386abbd").value not in subjects
    kept = tmp_path / "x"
    kept.write_text("an earlier export")
    assert main(["export", "--format", "provn", "--run", "nope", "-o", str(kept)]) == 1
    assert kept.read_text() == "an earlier export"  # a failed export leaves the file as it was
    assert not list(tmp_path.glob(".x.*"))  # and nothing half-written beside it


def every_shape_events() -> list[ev.Event]:
    """One run using every part of the event language, a failed nested run, and an invalidation."""
    events = [
        ev.new_event("run.start", time="2024-06-01T09:00:00+02:00",
                     run={"id": "0sweep", "step": "sweep", "kind": "hyperparameter_search"},
                     agents=[{"id": "bot", "kind": "software", "name": "CI bot", "role": "runner",
                              "on_behalf_of": "acme"}, {"id": "acme", "kind": "organization"}],
                     used=[{"location": "data/a b/x.parquet", "sha256": A, "kind": "features", "size": 12,
                            "labels": ["pii"], "role": "input"}],
                     params={"depth": 3, "name": "gini", "ratio": 0.5, "none": None, "flag": False},
                     seeds={"numpy": 7}, labels=["nightly"], annotations={"ticket": "ML-1", "n": 2},
                     environment={"python": "3.11.4", "platform": "linux", "hostname": "h1", "container": "img:1",
                                  "packages": {"scikit-learn": "1.4.0", "numpy": "1.26.4"}},
                     code={"git": {"commit": "a" * 40, "branch": "main", "remote": "git@x:y.git", "dirty": True},
                           "script": {"path": "train.py", "sha256": B}}),
        ev.new_event("run.end", time="2024-06-01T09:30:00+02:00", run={"id": "0sweep", "status": "completed"},
                     used=[{"location": "data/a b/x.parquet", "sha256": A, "kind": "features"}],
                     generated=[{"location": "models/dir", "sha256": M, "kind": "model", "directory": True,
                                 "derived_from": [A], "time": "2024-06-01T09:29:00+02:00"}],
                     metrics={"auc": [{"value": 0.5, "step": 0, "time": "2024-06-01T09:10:00Z"},
                                      {"value": 0.75, "step": 1}]}),
        ev.new_event("run.start", time="2024-06-01T09:05:00Z",
                     run={"id": "trial_1", "step": "trial", "kind": "training", "parent": "0sweep"}),
        ev.new_event("run.end", time="2024-06-01T09:06:00Z",
                     run={"id": "trial_1", "status": "failed", "error": {"type": "ValueError", "message": "bad <x>"}}),
        ev.new_event("artifact.invalidate", time="2024-06-02T00:00:00Z",
                     invalidation={"target": A, "reason": "leaked labels"},
                     agents=[{"id": "carol", "kind": "person"}]),
    ]
    for event in events:
        ev.validate(event)
    return events


def test_every_mapping_shape_exports_valid_prov(store: Store) -> None:
    for event in every_shape_events():
        store.add(event_to_quads(event))
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "prov.xsd")))
    xml = etree.fromstring(export(store, "prov-xml"))
    assert xsd.validate(xml), xsd.error_log
    for fmt, schema in (("prov-json", "prov-json.schema.json"), ("prov-jsonld", "prov-jsonld.schema.json")):
        errors = list(_json_validator(schema).iter_errors(json.loads(export(store, fmt))))
        assert errors == [], (fmt, [e.message for e in errors[:3]])
    doc = prov_document(store)
    kinds = {r.get_type() for b in (doc, *doc.bundles) for r in b.get_records()}
    assert {pm.PROV_INVALIDATION, pm.PROV_DERIVATION, pm.PROV_DELEGATION, pm.PROV_MEMBERSHIP,
            pm.PROV_ASSOCIATION, pm.PROV_USAGE, pm.PROV_GENERATION, pm.PROV_SPECIALIZATION} <= kinds
    back = prov.read(io.BytesIO(export(store, "provn")), format="provn")
    assert back == doc


@pytest.mark.parametrize("fmt", ["turtle", "nquads", "prov-json"])
def test_a_reader_that_stops_early_ends_the_export_quietly(project: Project, fmt: str) -> None:
    """``provgraph export --format F | head``: the export stops when the pipe closes, exit 0, nothing on stderr."""
    project.record_many([ev.new_event("run.start", f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
                                      run={"id": f"run-{i}", "step": "train", "kind": "training"},
                                      params={"depth": i, "note": "x" * 200}) for i in range(600)])
    project.sync()
    project.close()
    reader = subprocess.Popen([sys.executable, "-m", "provgraph", "-C", str(project.root), "export", "--format", fmt],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    assert len(reader.stdout.read(100)) == 100
    reader.stdout.close()  # the export holds far more than a pipe buffer: its next writes find the pipe closed
    assert reader.wait(timeout=120) == 0
    assert reader.stderr.read() == b""


def test_an_output_that_cannot_be_written_is_named_as_given(project: Project, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    project.record_many(sample_events())
    project.close()
    target = tmp_path / "missing" / "store.ttl"
    assert main(["export", "-o", str(target)]) == 1
    assert capsys.readouterr().err == f"provgraph: error: cannot write {target}: No such file or directory\n"
