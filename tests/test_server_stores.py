"""The server over every store backend, and over a remote SPARQL store that goes down mid-way (the journal
is the outbox: writes are acknowledged with 202 and reach the store once it is back)."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import OxigraphServer
from test_server import RUN_IDS, LiveServer, journal_of, pipeline, select

from provgraph.server import ServerConfig
from provgraph.store import open_store


@pytest.mark.parametrize("backend", ["memory", "oxigraph", "remote"])
def test_same_answers_over_every_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "remote":
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        uri = server.store_uri
        with open_store(uri) as remote:
            remote.clear()
    else:
        uri = "memory:" if backend == "memory" else f"oxigraph:{tmp_path / 'store'}"
    with LiveServer(ServerConfig(project=tmp_path / "p", store=uri)) as live, live.client() as http:
        assert http.post("/api/events", json=pipeline()).status_code == 201
        assert [row[0].value for row in select(http, RUN_IDS)] == ["clean-1", "eval-1", "train-1"]
        run = http.get("/api/runs/eval-1").json()
        assert run["metrics"] == {"accuracy": 0.93}
        assert [a["location"] for a in run["used"]] == ["data/clean.csv", "models/model.pkl"]
        lineage = http.get("/api/lineage", params={"ref": "reports/eval.json"}).json()
        assert {r["location"] for r in lineage["rows"] if r["type"] == "artifact"} == {
            "data/raw.csv", "data/clean.csv", "models/model.pkl"}
        assert http.get("/api/health").json()["store"] == uri


def test_writes_wait_in_the_journal_while_the_remote_store_is_down(tmp_path: Path) -> None:
    events = pipeline()
    backend = OxigraphServer(location=tmp_path / "oxigraph")
    backend.start()
    try:
        uri = backend.store_uri + "?retries=0&timeout=5"
        with LiveServer(ServerConfig(project=tmp_path / "p", store=uri)) as live, live.client() as http:
            assert http.post("/api/events", json=events[:2]).status_code == 201
            backend.stop()
            down = http.post("/api/events", json=events[2:4])
            assert down.status_code == 202, down.text
            assert down.json()["stored"] is False and down.json()["store_problem"]
            assert http.get("/api/health").json()["status"] == "degraded"
            assert http.get("/api/runs").status_code == 503  # reads need the store; the message says why
            backend.start()
            assert http.post("/api/events", json=events[4:]).status_code == 201
            assert [row[0].value for row in select(http, RUN_IDS)] == ["clean-1", "eval-1", "train-1"]
            assert http.get("/api/health").json()["status"] == "ok"
        assert len(list(journal_of(live).entries())) == 6
    finally:
        backend.stop()
