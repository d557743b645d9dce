"""Importing PROV documents: every format into named graphs, malformed input rejected with the store unchanged."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import prov
import pytest
from helpers import TESTDATA
from pyoxigraph import NamedNode
from test_export import PREP, TRAIN, fill, sample_events

from provgraph.cli import main
from provgraph.errors import ExportError
from provgraph.export import FORMATS, export, prov_document
from provgraph.importers import guess_format, import_bytes, import_file, read_document
from provgraph.importers.prov_load import document_graph
from provgraph.project import Project
from provgraph.provdoc import dictionary
from provgraph.store import Solutions, Store, open_store

PROV_PY = TESTDATA / "prov" / "prov-python"
CORPUS = TESTDATA / "prov" / "openprov-testcases"
EX = "http://example.org/"

#: Every malformed input and the problem its error must name.
MALFORMED = {
    "bad_bundle_shape.json": 'The "bundle" value must be a JSON object',
    "bad_prefix_map.json": 'The "prefix" value must be a JSON object',
    "bad_record_content.json": "'entity' record 'ex:e1' must be a JSON object",
    "bad_record_shape.json": "The 'entity' value must be a JSON object",
    "bad_typed_literal.json": 'missing its required "$" (value) key',
    "empty.json": "is empty",
    "empty.rdf": "is empty",
    "empty.xml": "is empty",
    "empty_root.xml": "the root element is 'foo', not prov:document",
    "foreign_vocabulary.ttl": "holds no PROV statements",
    "not_json.json": "JSONDecodeError: Expecting property name",
    "not_turtle.ttl": "not a valid Turtle document: SyntaxError",
    "not_well_formed.xml": "Opening and ending tag mismatch",
    "top_level_list.json": "must be a JSON object; found list",
    "top_level_scalar.json": "must be a JSON object; found int",
    "unknown_record_type.json": "'notarealtype' is not a recognised PROV-N record-type keyword",
    "wrong_root.xml": "the root element is 'html', not prov:document",
}


def test_every_malformed_file_is_listed() -> None:
    assert {p.name for p in (PROV_PY / "malformed").iterdir()} == set(MALFORMED)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_is_rejected_and_the_store_unchanged(store: Store, name: str) -> None:
    fill(store)
    before = store.dump()
    with pytest.raises(ExportError) as caught:
        import_file(store, PROV_PY / "malformed" / name)
    assert MALFORMED[name] in str(caught.value)
    assert name in str(caught.value)
    assert store.dump() == before


def _ask(store: Store, sparql: str) -> bool:
    result = store.query(sparql)
    assert isinstance(result, bool)
    return result


def test_bundles_become_named_graphs(store: Store) -> None:
    path = CORPUS / "test-bundle1" / "bundle1.json"
    result = import_file(store, path)
    graph = document_graph(path.read_bytes())
    assert result.graphs == [graph, NamedNode(EX + "bundle1"), NamedNode(EX + "bundle2")]
    assert result.records == 8
    assert set(store.graphs()) == set(result.graphs)
    # checked with SPARQL, not with the code that wrote the quads
    assert _ask(store, f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        ASK {{ GRAPH <{EX}bundle1> {{ <{EX}a1> prov:qualifiedUsage ?u . ?u prov:entity <{EX}e1> }} }}""")
    assert _ask(store, f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        ASK {{ GRAPH <{graph.value}> {{ <{EX}bundle2> a prov:Bundle }} }}""")
    assert not _ask(store, f"ASK {{ GRAPH <{EX}bundle2> {{ <{EX}a1> ?p ?o }} }}")


def test_importing_twice_changes_nothing(store: Store) -> None:
    path = CORPUS / "test-primer" / "primer.provn"
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } }"
    import_file(store, path)
    size, first = len(store), store.query(named)
    import_file(store, path)
    assert store.query(named) == first
    if not store.uri.startswith("sparql"):  # an endpoint scopes blank nodes to one update request
        assert len(store) == size > 50


@pytest.mark.parametrize("ext", ["provn", "json", "provx", "ttl", "trig"])
def test_every_format_of_the_primer_gives_the_same_graph_content(ext: str) -> None:
    base = open_store("memory:")
    import_file(base, CORPUS / "test-primer" / "primer.json")
    other = open_store("memory:")
    import_file(other, next((CORPUS / "test-primer").glob(f"*.{ext}")))
    sparql = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) }"
    counts = [s.query(sparql) for s in (base, other)]
    assert all(isinstance(c, Solutions) for c in counts)
    assert counts[0].rows[0]["n"] == counts[1].rows[0]["n"]  # type: ignore[union-attr]


def test_dictionary_relations_reach_the_store_as_prov_o(store: Store) -> None:
    import_file(store, CORPUS / "test-dictionaryInsertion6-M" / "dictionaryInsertion6-M.provn")
    assert _ask(store, f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        ASK {{ <{EX}d2> prov:qualifiedInsertion ?i . ?i a prov:Insertion ; prov:dictionary <{EX}d1> ;
               prov:insertedKeyEntityPair [ prov:pairKey "a" ; prov:pairEntity <{EX}e0> ] }}""")
    (record,) = dictionary.of(prov_document(store))
    assert (record.kind, record.dictionary.uri, record.before.uri) == ("derivedByInsertionFrom", EX + "d2", EX + "d1")
    assert {e.uri for _, e in record.pairs} == {EX + "e0", EX + "e1", EX + "e2"}


def test_prov_jsonld_from_the_submission_is_read() -> None:
    path = PROV_PY / "jsonld" / "submission-example-3.jsonld"
    assert guess_format(path, path.read_bytes()) == "prov-jsonld"
    doc = read_document(path.read_bytes(), "prov-jsonld")
    assert doc == prov.read(str(path), format="jsonld")
    assert len(doc.records) > 5


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "turtle"])
def test_our_exports_import_back_to_the_same_bundles(store: Store, fmt: str) -> None:
    fill(store)
    data = export(store, fmt)
    again = open_store("memory:")
    result = import_bytes(again, data, fmt)
    assert {g.value for g in result.graphs[1:]} >= {f"https://w3id.org/provgraph/id/bundle/{r}" for r in (PREP, TRAIN)}
    assert prov_document(again, run=PREP) == prov_document(store, run=PREP)


def test_unknown_extension_and_missing_file_are_clear(tmp_path: Path) -> None:
    (tmp_path / "doc.docx").write_bytes(b"x")
    with pytest.raises(ExportError, match="cannot tell the format"):
        import_file(open_store("memory:"), tmp_path / "doc.docx")
    with pytest.raises(ExportError, match="cannot read"):
        import_file(open_store("memory:"), tmp_path / "missing.json")
    with pytest.raises(ExportError, match="unknown import format 'docx'"):
        read_document(b"x", "docx")


def test_import_command_joins_provenance_from_other_tools(project: Project, capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    project.record_many(sample_events())
    assert main(["import", str(CORPUS / "test-primer" / "primer.provx")]) == 0
    assert "imported" in capsys.readouterr().out
    out = tmp_path / "all.provn"
    assert main(["export", "--format", "provn", "-o", str(out)]) == 0
    text = out.read_text()
    assert "bundle bundle:1prep" in text and "http://example/" in text
    doc = prov.read(io.BytesIO(out.read_bytes()), format="provn")
    assert len(doc.bundles) == 3
    assert main(["import", str(PROV_PY / "malformed" / "wrong_root.xml")]) == 1
    assert "not prov:document" in capsys.readouterr().err


def test_an_imported_document_is_a_journal_event_and_survives_rebuild(project: Project) -> None:
    source = CORPUS / "test-primer" / "primer.provx"
    assert main(["import", str(source)]) == 0
    (entry,) = list(project.journal.entries())
    assert entry.event["type"] == "document.import"
    assert entry.event["document"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    expected = set(import_file(open_store("memory:"), source).graphs)
    before = project.synced_store().dump()
    assert expected <= set(project.synced_store().graphs())
    assert project.rebuild() == 1
    assert project.synced_store().dump() == before
    assert main(["import", str(PROV_PY / "malformed" / "wrong_root.xml")]) == 1
    assert len(list(project.journal.entries())) == 1  # a malformed document records nothing
