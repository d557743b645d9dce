"""The vocabulary: every provml term is documented, aligned where ML-Schema has a term, and used terms exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib

import provgraph
from provgraph.vocab import PROVML, PROVML_IRI, iri, local_of, slug

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontologies" / "provml.ttl"


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY)


def test_every_term_has_a_label_and_a_comment(graph: rdflib.Graph) -> None:
    terms = {s for s in graph.subjects() if str(s).startswith(PROVML_IRI)}
    assert len(terms) > 40
    for term in terms:
        assert graph.value(term, rdflib.RDFS.label), term
        assert graph.value(term, rdflib.RDFS.comment), term


def test_ml_schema_alignment(graph: rdflib.Graph) -> None:
    mls = rdflib.Namespace("http://www.w3.org/ns/mls#")
    ml = rdflib.Namespace(PROVML_IRI)
    sub = rdflib.RDFS.subClassOf
    for ours, theirs in ((ml.Model, mls.Model), (ml.Dataset, mls.Dataset), (ml.Run, mls.Run),
                         (ml.HyperParameterSetting, mls.HyperParameterSetting),
                         (ml.MetricValue, mls.ModelEvaluation)):
        assert (ours, sub, theirs) in graph


def test_every_provml_term_the_code_uses_is_defined() -> None:
    used = set()
    for path in (ROOT / "provgraph").rglob("*.py"):
        used |= set(re.findall(r"PROVML\.([A-Za-z0-9_]+)", path.read_text()))
        used |= set(re.findall(r"PROVML\[\"([A-Za-z]+)\"\]", path.read_text()))
    assert used, "the code uses provml terms"
    assert used - {"base", "terms"} <= PROVML.terms
    with pytest.raises(AttributeError, match="not defined"):
        _ = PROVML.Modle


def test_slug_keeps_safe_names_and_disambiguates_others() -> None:
    assert slug("train-1.v2") == "train-1.v2"
    assert slug("raw data.csv") != slug("raw_data.csv")
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", slug("2024/ünïcode <x>"))
    node = iri("run", "abc")
    assert local_of(node) == ("run", "abc") and local_of("http://example.org/x") is None


def test_public_api_is_pinned() -> None:
    assert sorted(provgraph.__all__) == sorted([
        "ExportError", "InvalidEvent", "JournalError", "Project", "ProvgraphError", "QueryError", "RenderError",
        "Run", "Store", "StoreError", "UnsupportedOperation", "ValidationError", "__version__", "current_run",
        "open_store", "run", "step", "autolog", "sklearn",
    ])
    for name in provgraph.__all__:
        assert hasattr(provgraph, name)
    assert all(issubclass(getattr(provgraph, n), provgraph.ProvgraphError)
               for n in provgraph.__all__ if n.endswith("Error") or n in ("InvalidEvent", "UnsupportedOperation"))
