"""The server's SPARQL 1.1 Protocol endpoint: answers in every format parsed back by rdflib, read-only,
no federated queries, and no injection through the parameters of the other endpoints."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


