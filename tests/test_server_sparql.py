"""The server's SPARQL 1.1 Protocol endpoint: answers in every format parsed back by rdflib, read-only,
no federated queries, and no injection through the parameters of the other endpoints."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import rdflib
from rdflib.query import Result
from test_server import ID, PROVML, RUN_IDS, LiveServer, fresh_server, select

from provgraph.errors import StoreError
from provgraph.forwarding import server_view
from provgraph.query.runinfo import describe_run
from provgraph.store import open_store


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """A server holding the test pipeline."""
    with fresh_server(tmp_path, monkeypatch, load=True) as live:
        yield live


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml",
                                    "text/csv", "text/tab-separated-values"])
def test_sparql_select_in_every_results_format(loaded: LiveServer, accept: str) -> None:
    query = f"""PREFIX provml: <{PROVML}>
        SELECT ?id ?value WHERE {{ ?run provml:runId ?id . OPTIONAL {{ ?run <http://www.w3.org/ns/prov#used> ?p .
        ?p a provml:HyperParameterSetting ; provml:value ?value }} }} ORDER BY ?id"""
    with loaded.client() as http:
        rows = [tuple(None if v is None else v.toPython() for v in row) for row in select(http, query, accept)]
    hundred = "100" if accept == "text/csv" else 100  # CSV carries no datatypes
    assert rows == [("clean-1", None), ("eval-1", None), ("train-1", hundred)]


# Every kind of term a results format carries: an IRI, a string with a tab, a newline, quotes, a backslash and
# non-ASCII letters, a language-tagged and a typed literal, a blank node per row and an unbound cell.
AWKWARD = 'tab\there "q" \\ nl\nend é <&>'
TERMS = r"""SELECT ?s ?o ?n ?b WHERE {
    VALUES (?s ?o ?n) { (<http://x.example/a?b=1&c=%3E> "tab\there \"q\" \\ nl\nend é <&>" 3)
                        (UNDEF "hi"@en-GB "2.5"^^<http://www.w3.org/2001/XMLSchema#decimal>) }
    BIND(BNODE() AS ?b) } ORDER BY DESC(?n)"""
XSD = "http://www.w3.org/2001/XMLSchema#"
#: The answer to TERMS, written out by hand: per row, variable -> (kind, value, language or datatype).
EXPECTED: list[dict[str, tuple[str, str, str | None]]] = [
    {"s": ("uri", "http://x.example/a?b=1&c=%3E", None), "o": ("literal", AWKWARD, None),
     "n": ("literal", "3", XSD + "integer"), "b": ("bnode", "", None)},
    {"o": ("literal", "hi", "en-gb"), "n": ("literal", "2.5", XSD + "decimal"), "b": ("bnode", "", None)},
]


def _cells_json(body: bytes) -> list[dict[str, tuple[str, str, str | None]]]:
    answer = json.loads(body)
    assert answer["head"]["vars"] == ["s", "o", "n", "b"]
    return [{name: (cell["type"], cell["value"], (cell.get("xml:lang") or "").lower() or cell.get("datatype"))
             for name, cell in row.items()} for row in answer["results"]["bindings"]]


def _cells_xml(body: bytes) -> list[dict[str, tuple[str, str, str | None]]]:
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ElementTree.fromstring(body)
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["s", "o", "n", "b"]
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    rows = []
    for result in root.findall("r:results/r:result", ns):
        row = {}
        for binding in result.findall("r:binding", ns):
            term = binding[0]
            row[binding.get("name", "")] = (term.tag.split("}")[1], term.text or "",
                                            (term.get(lang) or "").lower() or term.get("datatype"))
        rows.append(row)
    return rows


def _cells_tsv(body: bytes) -> list[dict[str, tuple[str, str, str | None]]]:
    result = Result.parse(io.BytesIO(body), format="tsv")
    assert [str(v) for v in result.vars or []] == ["s", "o", "n", "b"]
    kinds = {rdflib.URIRef: "uri", rdflib.Literal: "literal", rdflib.BNode: "bnode"}
    return [{str(name): (kinds[type(term)], str(term), (getattr(term, "language", None) or "").lower()
                         or (str(term.datatype) if getattr(term, "datatype", None) else None))
             for name, term in row.asdict().items()} for row in result]  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_sparql_results_carry_every_kind_of_term(loaded: LiveServer, fmt: str) -> None:
    with loaded.client() as http:
        answer = http.get("/sparql", params={"query": TERMS, "format": fmt})
    assert answer.status_code == 200, answer.text
    rows = {"json": _cells_json, "xml": _cells_xml, "tsv": _cells_tsv}[fmt](answer.content)
    labels = [row["b"][1] for row in rows]
    assert all(labels) and len(set(labels)) == 2  # one blank node per row, each named
    assert [{k: (v[0], "" if v[0] == "bnode" else v[1], v[2]) for k, v in row.items()} for row in rows] == EXPECTED


def test_sparql_csv_carries_plain_values(loaded: LiveServer) -> None:
    with loaded.client() as http:
        answer = http.get("/sparql", params={"query": TERMS}, headers={"Accept": "text/csv"})
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    header, first, second = list(csv.reader(io.StringIO(answer.content.decode("utf-8"), newline="")))
    assert header == ["s", "o", "n", "b"]
    assert first[:3] == ["http://x.example/a?b=1&c=%3E", AWKWARD, "3"] and second[:3] == ["", "hi", "2.5"]
    assert first[3].startswith("_:") and second[3].startswith("_:") and first[3] != second[3]


@pytest.mark.parametrize("value", [True, False])
def test_sparql_ask_answers(loaded: LiveServer, value: bool) -> None:
    ask = "ASK { FILTER(true) }" if value else "ASK { FILTER(false) }"
    with loaded.client() as http:
        as_json = http.get("/sparql", params={"query": ask})
        as_xml = http.get("/sparql", params={"query": ask, "format": "xml"})
        as_csv = http.get("/sparql", params={"query": ask}, headers={"Accept": "text/csv"})
    assert json.loads(as_json.content) == {"head": {}, "boolean": value}
    root = ElementTree.fromstring(as_xml.content)
    assert root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == str(value).lower()  # type: ignore[union-attr]
    assert as_csv.status_code == 406 and "sparql-results+json" in as_csv.json()["error"]


def test_sparql_protocol_forms(loaded: LiveServer) -> None:
    ask = f"ASK {{ <{ID}run/train-1> a <{PROVML}Training> }}"
    construct = f"CONSTRUCT {{ ?r <{PROVML}runId> ?id }} WHERE {{ ?r <{PROVML}runId> ?id }}"
    with loaded.client() as http:
        assert http.get("/sparql", params={"query": ask}).json() == {"head": {}, "boolean": True}
        xml = http.post("/sparql", data={"query": ask}, headers={"Accept": "application/sparql-results+xml"})
        assert Result.parse(io.BytesIO(xml.content), format="xml").askAnswer is True
        for accept, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"),
                            ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")):
            answer = http.post("/sparql", content=construct, headers={
                "Content-Type": "application/sparql-query", "Accept": accept})
            assert answer.headers["content-type"].split(";")[0] == accept
            graph = rdflib.Graph().parse(data=answer.content, format=fmt)
            assert {str(o) for o in graph.objects()} == {"clean-1", "train-1", "eval-1"}
        chosen = http.get("/sparql", params={"query": RUN_IDS}, headers={"Accept": "text/html;q=0.9, text/csv;q=0.5"})
        assert chosen.headers["content-type"].startswith("text/csv")
        assert chosen.text.split("\r\n")[:2] == ["id", "clean-1"]
        assert http.get("/sparql", params={"query": RUN_IDS, "format": "tsv"}).text.startswith("?id\n")
        refused = http.get("/sparql", params={"query": RUN_IDS}, headers={"Accept": "image/png"})
        assert refused.status_code == 406 and "sparql-results+json" in refused.json()["error"]


@pytest.mark.parametrize("request_kwargs, status, words", [
    pytest.param({"method": "POST", "data": {"update": "DROP ALL"}}, 403, "read-only", id="update-param"),
    pytest.param({"method": "POST", "content": "DROP ALL",
                  "headers": {"Content-Type": "application/sparql-update"}}, 403, "read-only", id="update-body"),
    pytest.param({"method": "GET", "params": {"query": "PREFIX x: <http://x/> INSERT DATA { x:a x:b x:c }"}},
                 403, "read-only", id="update-as-query"),
    pytest.param({"method": "GET", "params": {"query": "SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"}},
                 403, "SERVICE", id="service"),
    pytest.param({"method": "GET", "params": {"query": "SELECT * WHERE { ?s ?p "}}, 400, "invalid SPARQL",
                 id="syntax-error"),
    pytest.param({"method": "GET", "params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "exactly one",
                 id="two-queries"),
    pytest.param({"method": "GET"}, 400, "exactly one", id="no-query"),
    pytest.param({"method": "GET", "params": {"query": "ASK {}", "default-graph-uri": "http://x/"}}, 400,
                 "not supported", id="dataset"),
    pytest.param({"method": "POST", "content": b"query=ASK", "headers": {"Content-Type": "text/plain"}}, 415,
                 "unsupported", id="content-type"),
    pytest.param({"method": "DELETE"}, 405, "Method Not Allowed", id="method"),
])
def test_sparql_refusals(loaded: LiveServer, request_kwargs: dict[str, Any], status: int, words: str) -> None:
    with loaded.client() as http:
        before = select(http, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        kwargs = dict(request_kwargs)
        response = http.request(kwargs.pop("method"), "/sparql", **kwargs)
        assert response.status_code == status, response.text
        assert words in response.json()["error"]
        assert select(http, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == before


INJECTIONS = [
    '"} } ; DROP ALL ; #',
    "> } INSERT DATA { <x:a> <x:b> <x:c> } #",
    "' } UNION { ?s ?p ?o } #",
    "data/raw.csv\" . ?s ?p ?o . FILTER(\"",
    ID + "run/train-1> ?p ?o } #",
]


@pytest.mark.parametrize("payload", INJECTIONS, ids=range(len(INJECTIONS)))
def test_no_sparql_injection_through_parameters(loaded: LiveServer, payload: str) -> None:
    with loaded.client() as http:
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        before = select(http, count)
        for path, name in (("/api/impact", "ref"), ("/api/lineage", "ref"), ("/api/who", "ref"),
                           ("/api/diagram", "ref"), ("/api/export", "lineage"), ("/api/export", "run"),
                           ("/api/diagram", "highlight")):
            response = http.get(path, params={name: payload})
            assert 400 <= response.status_code < 500, (path, response.text)
            assert "error" in response.json()
        for name in ("step", "label", "commit", "agent", "param", "metric", "since"):
            response = http.get("/api/runs", params={name: payload})
            assert response.status_code in (200, 400), (name, response.text)
            if response.status_code == 200:
                assert response.json()["runs"] == [], name
        assert http.get(f"/api/runs/{payload.replace('/', '%2F')}").status_code == 404
        assert select(http, count) == before


def test_the_remote_store_reads_the_server_like_any_sparql_endpoint(loaded: LiveServer) -> None:
    """The remote store (another implementation of the SPARQL protocol) sees what the API says."""
    with loaded.client() as http:
        expected = http.get("/api/runs/eval-1").json()
    with open_store(server_view(loaded.url)) as remote:
        assert describe_run(remote, "eval-1") == expected
        with pytest.raises(StoreError, match="403"):
            remote.update("DROP ALL")




def test_every_example_the_sparql_page_offers_is_answered(loaded: LiveServer) -> None:
    shipped = {path.stem for path in (Path(__file__).parents[1] / "queries").glob("*.rq")}
    with loaded.client() as http:
        examples = http.get("/api/explorer/queries").json()["queries"]
        for example in examples:  # a shipped question with its parameters unbound (empty VALUES blocks)
            answer = http.post("/sparql", data={"query": example["text"]})
            assert answer.status_code == 200, (example["name"], answer.text[:200])
    names = {example["name"] for example in examples}
    assert {"impact", "lineage", "who", "runs"} <= names
    assert names == shipped - {"merge-version"}  # the store sink's update is not offered to a read-only page
