"""``provgraph serve`` on a real loopback port, driven with a real HTTP client (httpx).

Expected answers are written out by hand from the small pipeline below (raw.csv -> clean -> clean.csv
-> train -> model.pkl, evaluate reads model.pkl and clean.csv), and results are parsed back with
rdflib, an independent SPARQL results and RDF implementation.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import rdflib
import uvicorn
from rdflib.query import Result
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from provgraph import events as ev
from provgraph.journal import Journal
from provgraph.server import ServerConfig, create_app
from provgraph.server.config import parse_tokens

HOST = "127.0.0.1"
RAW, CLEAN, MODEL, REPORT = "a" * 64, "b" * 64, "c" * 64, "d" * 64
PROVML = "https://w3id.org/provgraph/provml#"
ID = "https://w3id.org/provgraph/id/"
SECRETS = {"reader": "r" * 20, "writer": "w" * 20, "admin": "s" * 20}


def run_events(run_id: str, step: str, kind: str, used: list[tuple[str, str, str]],
               generated: list[tuple[str, str, str]], minute: int = 0, **extra: Any) -> list[ev.Event]:
    """A run's start and end events; artifacts are (location, sha256, kind)."""
    def art(items: list[tuple[str, str, str]]) -> list[dict[str, str]]:
        return [{"location": loc, "sha256": sha, "kind": kind} for loc, sha, kind in items]

    start = ev.new_event("run.start", run={"id": run_id, "step": step, "kind": kind},
                         time=f"2024-03-01T10:{minute:02d}:00Z")
    end = ev.new_event("run.end", run={"id": run_id, "status": "completed"}, time=f"2024-03-01T10:{minute:02d}:30Z",
                       used=art(used), generated=art(generated), **extra)
    return [start, end]


def pipeline() -> list[ev.Event]:
    """clean-1: raw.csv -> clean.csv; train-1: clean.csv -> model.pkl; eval-1: model.pkl, clean.csv -> report."""
    return [
        *run_events("clean-1", "clean", "cleaning", [("data/raw.csv", RAW, "dataset")],
                    [("data/clean.csv", CLEAN, "dataset")], minute=1),
        *run_events("train-1", "train", "training", [("data/clean.csv", CLEAN, "dataset")],
                    [("models/model.pkl", MODEL, "model")], minute=2, params={"n_estimators": 100}),
        *run_events("eval-1", "evaluate", "evaluation",
                    [("models/model.pkl", MODEL, "model"), ("data/clean.csv", CLEAN, "dataset")],
                    [("reports/eval.json", REPORT, "evaluation")], minute=3, metrics={"accuracy": 0.93}),
    ]


class LiveServer:
    """The provgraph app under uvicorn in a thread, on a loopback port the system chooses, or on ``sock`` (a
    bound socket the test holds, so it knows the address before the server starts)."""

    def __init__(self, config: ServerConfig, sock: socket.socket | None = None) -> None:
        self.config = config
        self.app = create_app(config)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=HOST, port=0, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock] if sock else None},
                                       daemon=True)
        self.port = 0
        self.url = ""

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {SECRETS[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@contextmanager
def fresh_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load: bool = False) -> Iterator[LiveServer]:
    """A server without tokens over a fresh project with an on-disk Oxigraph store; ``load`` records
    :func:`pipeline` first."""
    monkeypatch.delenv("PROVGRAPH_STORE", raising=False)
    monkeypatch.delenv("PROVGRAPH_PROJECT", raising=False)
    with LiveServer(ServerConfig(project=tmp_path)) as live:
        if load:
            with live.client() as http:
                assert http.post("/api/events", json=pipeline()).status_code == 201
        yield live


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    with fresh_server(tmp_path, monkeypatch) as live:
        yield live


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    with fresh_server(tmp_path, monkeypatch, load=True) as live:
        yield live


def journal_of(server: LiveServer) -> Journal:
    return Journal(Path(server.config.project) / ".provgraph" / "journal.jsonl")


def select(http: httpx.Client, query: str, accept: str = "application/sparql-results+json") -> list[tuple[Any, ...]]:
    """Rows of a SELECT over the protocol, parsed by rdflib."""
    response = http.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    fmt = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
           "text/csv": "csv", "text/tab-separated-values": "tsv"}[accept]
    return [tuple(row) for row in Result.parse(io.BytesIO(response.content), format=fmt)]


RUN_IDS = f"PREFIX provml: <{PROVML}> SELECT ?id WHERE {{ ?run a provml:Run ; provml:runId ?id }} ORDER BY ?id"


# -- ingest ---------------------------------------------------------------------------------------

def test_ingest_object_array_and_json_lines(server: LiveServer) -> None:
    events = pipeline()
    with server.client() as http:
        one = http.post("/api/events", json=events[0])
        batch = http.post("/api/events", json=events[1:3])
        lines = "\n".join(json.dumps(e) for e in events[3:]) + "\n"
        nd = http.post("/api/events", content=lines, headers={"Content-Type": "application/x-ndjson"})
        assert [one.status_code, batch.status_code, nd.status_code] == [201, 201, 201]
        assert [one.json()["recorded"], batch.json()["recorded"], nd.json()["recorded"]] == [1, 2, 3]
        assert nd.json()["ids"] == [e["id"] for e in events[3:]]
        runs = http.get("/api/runs").json()
        assert [r["run"] for r in runs["runs"]] == ["eval-1", "train-1", "clean-1"]
        assert [(r["run"], r["status"]) for r in runs["runs"]] == [
            ("eval-1", "completed"), ("train-1", "completed"), ("clean-1", "completed")]
        journal = http.get("/api/journal").json()
    assert journal["ok"] is True and journal["entries"] == 6
    stored = [e.event for e in journal_of(server).entries()]
    assert [e["id"] for e in stored] == [e["id"] for e in events]
    # without tokens the caller is unknown: no agent is invented, the write is still stamped
    assert all("agents" not in e and e["annotations"]["provgraph.submitted_by"] == "local" for e in stored)


@pytest.mark.parametrize("body, content_type, status, field, words", [
    pytest.param("bad-run-id", "application/json", 422, "[1].run.id", "event 1", id="bad-field-in-array"),
    pytest.param("missing-step", "application/json", 422, "[0].run", "'step' is required", id="missing-field"),
    pytest.param(b'{"schema": "provgraph.event/1"', "application/json", 400, None, "not valid JSON", id="torn-json"),
    pytest.param(b"[1, 2]", "application/json", 422, "[0]", "JSON object", id="not-objects"),
    pytest.param("ndjson-bad-line", "application/x-ndjson", 400, None, "line 2", id="ndjson-bad-line"),
    pytest.param(b"", "application/json", 400, None, "empty", id="empty"),
    pytest.param(b"[]", "application/json", 400, None, "no events", id="empty-array"),
    pytest.param(b"<event/>", "application/xml", 415, None, "unsupported content type", id="xml"),
    pytest.param(b'{"a": NaN}', "application/json", 400, None, "NaN", id="nan"),
    pytest.param("ndjson-bad-line", None, 415, None, "(none)", id="no-content-type"),
    pytest.param("ndjson-bad-line", "text/plain", 415, None, "text/plain", id="form-like"),
])
def test_bad_input_is_a_4xx_naming_the_problem_and_writes_nothing(
        server: LiveServer, body: Any, content_type: str | None, status: int, field: str | None, words: str) -> None:
    events = pipeline()[:2]
    if body == "bad-run-id":
        events[1]["run"]["id"] = "bad id with spaces"
        body = json.dumps(events).encode()
    elif body == "missing-step":
        del events[0]["run"]["step"]
        body = json.dumps(events).encode()
    elif body == "ndjson-bad-line":
        body = (json.dumps(events[0]) + "\n{not json\n").encode()
    with server.client() as http:
        headers = {"Content-Type": content_type} if content_type else {}
        response = http.post("/api/events", content=body, headers=headers)
        assert response.status_code == status, response.text
        answer = response.json()
        assert words in answer["error"]
        assert answer.get("field") == field
        assert http.get("/api/runs").json()["count"] == 0
    assert list(journal_of(server).entries()) == []


def test_request_size_limit(tmp_path: Path) -> None:
    events = pipeline()
    small = len(json.dumps(events[0]).encode())
    with LiveServer(ServerConfig(project=tmp_path, max_body_bytes=small + 10)) as live, live.client() as http:
        assert http.post("/api/events", json=events[0]).status_code == 201
        big = http.post("/api/events", json=events[:4])
        assert big.status_code == 413
        assert f"limit is {small + 10}" in big.json()["error"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
            data = json.dumps(events[:4]).encode()
            for start in range(0, len(data), 100):
                yield data[start:start + 100]

        streamed = http.post("/api/events", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert "exceeds the limit" in streamed.json()["error"]
        query = http.post("/sparql", content=b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * small * 2,
                          headers={"Content-Type": "application/sparql-query"})
        assert query.status_code == 413
        assert [e.event["id"] for e in journal_of(live).entries()] == [events[0]["id"]]


def test_resent_events_are_recorded_once(server: LiveServer) -> None:
    events = pipeline()
    with server.client() as http:
        first = http.post("/api/events", json=events).json()
        again = http.post("/api/events", json=events[:3] + events[:1]).json()
        assert (first["recorded"], first["duplicates"]) == (6, 0)
        assert (again["recorded"], again["duplicates"]) == (0, 4)
        assert again["journal_head"] is None
        assert [row[0].value for row in select(http, RUN_IDS)] == ["clean-1", "eval-1", "train-1"]
    ids = [e.event["id"] for e in journal_of(server).entries()]
    assert sorted(ids) == sorted(e["id"] for e in events)


def test_every_write_records_the_callers_agent_and_time(tmp_path: Path) -> None:
    tokens = parse_tokens({"tokens": [
        {"agent": "ci-bot", "name": "Nightly CI", "kind": "software", "role": "writer", "token": SECRETS["writer"]},
    ]}, "test")
    config = ServerConfig(project=tmp_path, tokens=tokens)
    with LiveServer(config) as live, live.client("writer") as http:
        before = ev.now()
        receipt = http.post("/api/events", json=pipeline()[:2]).json()
        after = ev.now()
        assert receipt["submitted_by"] == "ci-bot"
        who = http.get("/api/who", params={"ref": "clean-1"}).json()["rows"]
        assert [(r["action"], r["agent"], r["role"], r["agent_kind"]) for r in who] == [
            ("ran", "Nightly CI", "submitter", "softwareagent")]
        # queryable over SPARQL: which runs did ci-bot submit, and when
        rows = select(http, f"""
            PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX provml: <{PROVML}>
            SELECT DISTINCT ?id ?note WHERE {{
              ?run provml:runId ?id ; prov:wasAssociatedWith <{ID}agent/ci-bot> ; provml:annotations ?note }}""")
    notes = [json.loads(str(note)) for _, note in rows]
    assert {str(run) for run, _ in rows} == {"clean-1"}
    assert len(notes) == 1 and notes[0]["provgraph.submitted_by"] == "ci-bot"  # one request: one stamp
    assert all(before <= n["provgraph.submitted_at"] <= after for n in notes)
    stored = [e.event for e in journal_of(live).entries()]
    assert all({"id": "ci-bot", "kind": "software", "name": "Nightly CI", "role": "submitter"} in e["agents"]
               for e in stored)
    assert [e["annotations"] for e in stored] == notes * 2


# -- read endpoints ---------------------------------------------------------------------------

def test_run_detail_impact_lineage(loaded: LiveServer) -> None:
    with loaded.client() as http:
        run = http.get("/api/runs/train-1").json()
        assert (run["step"], run["status"], run["duration_s"]) == ("train", "completed", 30.0)
        assert run["params"] == {"n_estimators": 100}
        assert [a["location"] for a in run["used"]] == ["data/clean.csv"]
        assert [a["location"] for a in run["generated"]] == ["models/model.pkl"]
        impact = http.get("/api/impact", params={"ref": "data/raw.csv"}).json()
        reached = {(r["type"], r.get("location") or r["id"]) for r in impact["rows"] if r["type"] != "agent"}
        assert reached == {("run", "clean-1"), ("artifact", "data/clean.csv"), ("run", "train-1"),
                           ("artifact", "models/model.pkl"), ("run", "eval-1"), ("artifact", "reports/eval.json"),
                           ("metric", "eval-1.accuracy")}
        lineage = http.get("/api/lineage", params={"ref": MODEL[:12]}).json()
        assert lineage["iri"] == f"{ID}data/sha256-{MODEL}"
        artifacts = {r["location"] for r in lineage["rows"] if r["type"] == "artifact"}
        assert artifacts == {"data/clean.csv", "data/raw.csv"}
        assert {r["id"] for r in lineage["rows"] if r["type"] == "run"} == {"clean-1", "train-1"}
        assert http.get("/api/runs", params={"kind": "training"}).json()["runs"][0]["run"] == "train-1"
        assert [r["run"] for r in http.get("/api/runs", params={"param": "n_estimators>=50"}).json()["runs"]] == [
            "train-1"]
        assert http.get("/api/runs", params={"limit": "1"}).json()["count"] == 1


def test_export_formats(loaded: LiveServer) -> None:
    with loaded.client() as http:
        turtle = http.get("/api/export", params={"format": "turtle", "run": "train-1"})
        assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
        graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
        run = rdflib.URIRef(f"{ID}run/train-1")
        used = rdflib.URIRef("http://www.w3.org/ns/prov#used")
        assert (run, used, rdflib.URIRef(f"{ID}data/sha256-{CLEAN}")) in graph
        assert (None, None, rdflib.URIRef(f"{ID}run/clean-1")) not in graph
        provn = http.get("/api/export", params={"format": "provn", "lineage": "models/model.pkl"})
        assert provn.status_code == 200 and provn.text.startswith("document")
        assert "run:train-1" in provn.text and "run:clean-1" in provn.text and "run:eval-1" not in provn.text
        whole = rdflib.Dataset()
        whole.parse(data=http.get("/api/export", params={"format": "trig"}).text, format="trig")
        assert {str(g.identifier) for g in whole.graphs() if len(g)} >= {f"{ID}bundle/{r}" for r in
                                                                        ("clean-1", "train-1", "eval-1")}
        for params, field in (({"format": "docx"}, "format"), ({"run": "a", "impact": "b"}, "impact"),
                              ({"run": "nope"}, "run"), ({"lineage": "no-such-thing"}, None)):
            bad = http.get("/api/export", params=params)
            assert 400 <= bad.status_code < 500, (params, bad.text)
            assert bad.json().get("field") == field


@pytest.mark.parametrize("fmt", ["provn", "prov-json", "prov-xml", "prov-jsonld", "turtle", "trig", "nquads",
                                 "jsonld"])
def test_export_in_every_format(loaded: LiveServer, fmt: str) -> None:
    """Each format parses back (rdflib for RDF, the prov package for PROV-JSON and PROV-XML) and holds the run."""
    from prov.model import ProvDocument

    from provgraph.export import FORMATS

    with loaded.client() as http:
        answer = http.get("/api/export", params={"format": fmt, "run": "train-1"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == FORMATS[fmt].media_type
    run = f"{ID}run/train-1"
    if fmt in ("turtle", "trig", "nquads", "jsonld"):
        data = rdflib.Dataset()
        data.parse(data=answer.content, format={"turtle": "turtle", "trig": "trig", "nquads": "nquads",
                                                "jsonld": "json-ld"}[fmt])
        assert rdflib.URIRef(run) in {quad[0] for quad in data.quads((None, None, None, None))}
    elif fmt in ("prov-json", "prov-xml"):
        document = ProvDocument.deserialize(content=answer.text, format=fmt.removeprefix("prov-"))
        activities = {str(record.identifier) for bundle in document.bundles for record in bundle.get_records()
                      if record.get_type().localpart == "Activity"}
        assert any(name.endswith("train-1") for name in activities)
    else:
        assert "train-1" in answer.text


def test_diagram(loaded: LiveServer) -> None:
    with loaded.client() as http:
        svg = http.get("/api/diagram", params={"ref": "models/model.pkl", "direction": "up"})
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        texts = {t.text for t in ElementTree.fromstring(svg.content).iter("{http://www.w3.org/2000/svg}text")}
        assert any("clean.csv" in (t or "") for t in texts) and any("raw.csv" in (t or "") for t in texts)
        assert not any("eval.json" in (t or "") for t in texts)
        png = http.get("/api/diagram", params={"run": "train-1", "format": "png"})
        assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
        dot = http.get("/api/diagram", params={"format": "dot"})
        assert dot.text.lstrip().startswith("digraph")
        for params, field in (({"format": "gif"}, "format"), ({"direction": "sideways"}, "direction"),
                              ({"depth": "-1"}, "depth"), ({"ref": "x", "run": "y"}, "run")):
            bad = http.get("/api/diagram", params=params)
            assert bad.status_code == 400 and bad.json()["field"] == field


def routes_of(app: Starlette) -> set[tuple[str, str]]:
    """Every (path, method) the app routes, in OpenAPI's spelling ("{path:path}" is "{path}")."""
    return {(re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path), method.lower())
            for route in app.routes if isinstance(route, Route)
            for method in route.methods or () if method != "HEAD"}


def described(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, operations in spec["paths"].items() for method in operations}


def test_openapi_document_is_valid_and_complete(server: LiveServer) -> None:
    from openapi_spec_validator import validate

    with server.client() as http:
        spec = http.get("/openapi.json").json()
    validate(spec)
    assert all(isinstance(route, Route) for route in server.app.routes)
    assert described(spec) == routes_of(server.app)
    assert ("/sparql", "post") in described(spec) and ("/static/{path}", "get") in described(spec)
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == set(re.findall(r"\{(\w+)\}", path)), (path, method)


def test_openapi_check_finds_an_undocumented_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A route added without its description is missing from the document, which the check above sees."""
    monkeypatch.delenv("PROVGRAPH_STORE", raising=False)
    live = LiveServer(ServerConfig(project=tmp_path))
    live.app.router.routes.append(Route("/api/undocumented", lambda request: JSONResponse({}), methods=["GET"]))
    with live, live.client() as http:
        assert http.get("/api/undocumented").status_code == 200
        spec = http.get("/openapi.json").json()
    assert routes_of(live.app) - described(spec) == {("/api/undocumented", "get")}


# -- concurrency ----------------------------------------------------------------------------------

def test_concurrent_writers_each_event_once(server: LiveServer) -> None:
    writers, runs_each = 8, 15
    batches = {w: [run_events(f"w{w}-r{i}", "step", "other", [(f"in/{w}-{i}", f"{w:02x}{i:062x}", "dataset")],
                              [], minute=i % 60) for i in range(runs_each)] for w in range(writers)}
    errors: list[str] = []
    barrier = threading.Barrier(writers)

    def write(w: int) -> None:
        with server.client() as http:
            barrier.wait()
            for i, pair in enumerate(batches[w]):
                # alternate single events, arrays and JSON Lines, and resend some (a lost answer)
                if i % 3 == 0:
                    answers = [http.post("/api/events", json=e) for e in pair]
                elif i % 3 == 1:
                    answers = [http.post("/api/events", json=pair), http.post("/api/events", json=pair)]
                else:
                    text = "".join(json.dumps(e) + "\n" for e in pair)
                    answers = [http.post("/api/events", content=text, headers={"Content-Type": "application/x-ndjson"})]
                errors.extend(a.text for a in answers if a.status_code != 201)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = writers * runs_each
    with server.client() as http:
        journal = http.get("/api/journal").json()
        per_run = select(http, f"""PREFIX provml: <{PROVML}> PREFIX prov: <http://www.w3.org/ns/prov#>
            SELECT ?id (COUNT(DISTINCT ?start) AS ?starts) (COUNT(DISTINCT ?end) AS ?ends) WHERE {{
              ?run provml:runId ?id ; prov:startedAtTime ?start ; prov:endedAtTime ?end }} GROUP BY ?id""")
    assert journal["ok"] is True and journal["entries"] == 2 * total
    assert len(per_run) == total
    assert {(int(s), int(e)) for _, s, e in per_run} == {(1, 1)}
    ids = [e.event["id"] for e in journal_of(server).entries()]
    assert len(ids) == len(set(ids)) == 2 * total


def test_openlineage_http_transport(server: LiveServer) -> None:
    """What an OpenLineage client posts to /api/v1/lineage becomes a run with its datasets."""
    run_id = "0190d1a2-3b4c-7d5e-8f60-123456789abc"
    job = {"namespace": "etl", "name": "daily_clean"}
    base = {"producer": "https://example.org/producer", "schemaURL":
            "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent", "job": job,
            "run": {"runId": run_id}}
    start = {**base, "eventType": "START", "eventTime": "2024-05-01T08:00:00Z",
             "inputs": [{"namespace": "s3://lake", "name": "raw/orders.csv"}]}
    complete = {**base, "eventType": "COMPLETE", "eventTime": "2024-05-01T08:05:00Z",
                "inputs": [{"namespace": "s3://lake", "name": "raw/orders.csv"}],
                "outputs": [{"namespace": "s3://lake", "name": "clean/orders.parquet"}]}
    running = {**base, "eventType": "RUNNING", "eventTime": "2024-05-01T08:01:00Z"}
    with server.client() as http:
        assert http.post("/api/v1/lineage", json=start).json()["recorded"] == 1
        assert http.post("/api/v1/lineage", json=[running, complete]).json()["recorded"] == 2  # an update, an end
        assert http.post("/api/v1/lineage", json=complete).json()["duplicates"] == 1  # same event, same id
        run = http.get(f"/api/runs/{run_id}").json()
        assert (run["step"], run["status"], run["duration_s"]) == ("etl/daily_clean", "completed", 300.0)
        assert [a["location"] for a in run["used"]] == ["s3://lake/raw/orders.csv"]
        assert [a["location"] for a in run["generated"]] == ["s3://lake/clean/orders.parquet"]
        bad = http.post("/api/v1/lineage", json=[start, {**complete, "run": {}}])
        assert bad.status_code == 422 and bad.json()["field"].startswith("[1].run")
        assert http.post("/api/v1/lineage", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
    assert len(list(journal_of(server).entries())) == 3
