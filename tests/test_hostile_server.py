"""The hostile corpus against a real ``provgraph serve`` process: every bad event through
``POST /api/events``, every bad OpenLineage body through ``POST /api/v1/lineage``, every bad reference
through ``/api/impact``, ``/api/lineage``, ``/api/who`` and friends, and every over-deep or malformed SPARQL
text through ``/sparql``. Each answer must be a 4xx JSON problem; the journal must stay byte for byte the
same, the store's sorted N-Quads the same, and the process alive (nested SPARQL used to kill it with
SIGSEGV). A request line over 64 KiB never reaches the application: uvicorn's HTTP parser (httptools)
refuses it with its own plain-text 400, which is checked as such."""

from __future__ import annotations

import hashlib
import http.client
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hostile import (
    BAD_REFS,
    EVENT_LINES,
    OPENLINEAGE_BODIES,
    SPARQL_QUERIES,
    count_by_class,
    ids,
    line,
    run_event,
    serve,
)

from provgraph.cli import main

PARSER_LIMIT = 65535  # the longest request target uvicorn's httptools parser passes on


@dataclass
class Served:
    folder: Path
    process: subprocess.Popen[bytes]
    http: httpx.Client
    baseline: tuple[bytes, str]

    def state(self) -> tuple[bytes, str]:
        answer = self.http.get("/api/export", params={"format": "nquads"})
        assert answer.status_code == 200
        quads = b"".join(sorted(answer.content.splitlines(keepends=True)))
        return (self.folder / ".provgraph" / "journal.jsonl").read_bytes(), hashlib.sha256(quads).hexdigest()

    def get(self, path: str, params: dict[str, str]) -> httpx.Response:
        """GET with any URL length (httpx refuses URLs over 64 KiB; a hostile client does not)."""
        url = path + ("?" + urllib.parse.urlencode(params) if params else "")
        if len(url) < 60_000:
            return self.http.get(url)
        assert len(url) > PARSER_LIMIT
        connection = http.client.HTTPConnection(self.http.base_url.host, self.http.base_url.port, timeout=120)
        try:
            connection.request("GET", url)
            raw = connection.getresponse()
            return httpx.Response(raw.status, headers=raw.getheaders(), content=raw.read())
        finally:
            connection.close()

    def refused(self, answer: httpx.Response) -> None:
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
        if answer.headers["content-type"].startswith("text/plain"):  # refused by the HTTP parser, see above
            assert (answer.status_code, answer.text) == (400, "Invalid HTTP request received.")
        else:
            problem = answer.json()
            assert problem["status"] == answer.status_code and problem["error"], problem
        assert len(answer.text) < 2_000, "the answer quotes the whole input"
        assert self.process.poll() is None, "the server died"
        assert self.state() == self.baseline


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("hostile-server")
    good = folder / "good.jsonl"
    good.write_bytes(line(run_event(id="good-1")) + b"\n")
    assert main(["-C", str(folder), "ingest", str(good)]) == 0
    with serve(folder) as (process, http):
        served = Served(folder, process, http, (b"", ""))
        served.baseline = served.state()
        yield served
        assert process.poll() is None, "the server died during the corpus"


@pytest.mark.parametrize("body", [b for _, b in EVENT_LINES], ids=ids(EVENT_LINES))
def test_post_events_refuses(served: Served, body: bytes) -> None:
    served.refused(served.http.post("/api/events", content=body, headers={"Content-Type": "application/json"}))


@pytest.mark.parametrize("body", [b for _, b in OPENLINEAGE_BODIES], ids=ids(OPENLINEAGE_BODIES))
def test_post_openlineage_refuses(served: Served, body: bytes) -> None:
    served.refused(served.http.post("/api/v1/lineage", content=body, headers={"Content-Type": "application/json"}))


@pytest.mark.parametrize("ref", [r for _, r in BAD_REFS], ids=ids(BAD_REFS))
@pytest.mark.parametrize("route", ["/api/impact", "/api/lineage", "/api/who"])
def test_references_refused(served: Served, route: str, ref: str) -> None:
    served.refused(served.get(route, {"ref": ref}))


@pytest.mark.parametrize("query", [q for _, q in SPARQL_QUERIES], ids=ids(SPARQL_QUERIES))
def test_sparql_refused(served: Served, query: str) -> None:
    served.refused(served.http.post("/sparql", content=query.encode(),
                                    headers={"Content-Type": "application/sparql-query"}))
    if len(query) < 12_000:  # what fits in a request line
        served.refused(served.http.get("/sparql", params={"query": query}))


API_CASES = [
    ("api/run-id-100k", "/api/runs/" + "r" * 100_000, {}), ("api/run-id-space", "/api/runs/a%20b", {}),
    ("api/run-unknown", "/api/runs/never", {}), ("api/runs-limit-huge", "/api/runs", {"limit": "9" * 5000}),
    ("api/runs-limit-negative", "/api/runs", {"limit": "-1"}), ("api/runs-since-garbage", "/api/runs", {"since": "x"}),
    ("api/export-format", "/api/export", {"format": "docx"}), ("api/export-run-unknown", "/api/export", {"run": "n"}),
    ("api/export-two-scopes", "/api/export", {"run": "a", "lineage": "b"}),
    ("api/export-lineage-100k", "/api/export", {"lineage": "x" * 100_000}),
    ("api/diagram-depth", "/api/diagram", {"depth": "-1"}), ("api/diagram-format", "/api/diagram", {"format": "gif"}),
    ("api/diagram-ref-100k", "/api/diagram", {"ref": "r" * 100_000}),
    ("api/impact-missing-ref", "/api/impact", {}), ("api/impact-surrogate", "/api/impact?ref=%ED%A0%80", {}),
    ("api/impact-bad-utf8", "/api/impact?ref=%FF%FE", {}), ("api/who-twice", "/api/who?ref=a&ref=b", {}),
    ("api/unknown-route", "/api/nothing-here", {}),
]


@pytest.mark.parametrize(("path", "params"), [(p, q) for _, p, q in API_CASES], ids=[i for i, _, _ in API_CASES])
def test_api_refuses(served: Served, path: str, params: dict[str, str]) -> None:
    served.refused(served.get(path, params))


def test_the_corpus_has_at_least_300_cases_across_the_doors() -> None:
    """The count per class, as reported in the issue's closing note."""
    counts = count_by_class(EVENT_LINES, EVENT_LINES, OPENLINEAGE_BODIES, BAD_REFS * 6, SPARQL_QUERIES * 2,
                            [(i, p) for i, p, _ in API_CASES])
    print(dict(sorted(counts.items())))
    assert sum(counts.values()) >= 300
