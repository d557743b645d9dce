"""The web explorer of ``provgraph serve``, driven in headless Chromium against a real server process over
the demo project (recorded by ``provgraph demo``, one raw source then invalidated).

Every page is reached by clicking; the page loads nothing from another host, logs no console error, and
each page is kept as a screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from chromium import CHROMIUM, Chromium
from servers import ProvgraphServer
from test_server import SECRETS, pipeline

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
TOKEN = SECRETS["reader"]
REASON = "label leak found in branch B"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``provgraph serve`` (reader token required) over the demo project; yields (url, project folder)."""
    root = tmp_path_factory.mktemp("explorer")
    project = root / "project"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    cli = [sys.executable, "-m", "provgraph", "-C", str(project)]
    subprocess.run([*cli, "demo", "--quiet"], check=True, env=env, capture_output=True, timeout=240)
    subprocess.run([*cli, "invalidate", "data/raw_data_branch_b.csv", "--reason", REASON], check=True, env=env,
                   capture_output=True)
    tokens = root / "tokens.toml"
    tokens.write_text(f'[[tokens]]\nagent = "viewer"\nrole = "reader"\ntoken = "{TOKEN}"\n')
    with ProvgraphServer(project, "--tokens", str(tokens), env=env) as server:
        yield server.url, project


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    chromium = Chromium(tmp_path / "chromium-profile")
    for domain in ("Network", "Page", "Runtime", "Log"):
        chromium.call(f"{domain}.enable")
    yield chromium
    chromium.close()


def settle(browser: Chromium, page: str) -> None:
    """Wait until the explorer shows ``page`` and has finished loading it."""
    browser.wait_for(f"document.body.dataset.page === {json.dumps(page)} && document.body.dataset.state === 'done'")


def cells(browser: Chromium, table: str) -> list[list[str]]:
    return list(browser.js(f"[...document.querySelectorAll('#{table} tbody tr')]"
                           ".map(r => [...r.cells].map(c => c.textContent))"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def journal_runs(project: Path) -> dict[str, str]:
    """Run id -> step, read from the journal itself."""
    found = {}
    for line in (project / ".provgraph" / "journal.jsonl").read_text().splitlines():
        event = json.loads(line)["event"]
        if event["type"] == "run.start":
            found[event["run"]["id"]] = event["run"]["step"]
    return found


def test_explorer_in_headless_chromium(demo: tuple[str, Path], browser: Chromium, tmp_path: Path) -> None:
    url, project = demo
    shots = tmp_path / "explorer"
    shots.mkdir()
    recorded = journal_runs(project)

    browser.call("Page.navigate", url=url + "/")
    browser.wait_for("document.body.dataset.state === 'error'")
    assert "needs an API token" in browser.js("document.getElementById('error').textContent")
    browser.screenshot(shots, "00-token-needed")

    # sign in: the token is kept for the session only
    browser.js(f"document.getElementById('token').value = {json.dumps(TOKEN)}")
    browser.click("#login")
    settle(browser, "runs")
    assert browser.js("sessionStorage.getItem('provgraph-token')") == TOKEN
    assert browser.js("localStorage.length") == 0
    browser.events.clear()  # the refused requests above are expected; from here on, no error at all
    rows = cells(browser, "runs-table")
    assert {row[0] for row in rows} == set(recorded)
    starts = [row[5] for row in rows]
    assert starts == sorted(starts, reverse=True)
    browser.screenshot(shots, "01-runs")

    # filter by kind through the form
    browser.js("document.getElementById('filter-kind').value = 'training'")
    browser.click("#apply-filters")
    browser.wait_for("location.hash.includes('kind=training')")
    settle(browser, "runs")
    rows = cells(browser, "runs-table")
    assert sorted(row[1] for row in rows) == sorted(s for s in recorded.values() if s.startswith("train-"))
    browser.js("document.getElementById('filter-kind').value = ''")
    browser.js("document.getElementById('filter-metric').value = 'f1>=0.88'")
    browser.click("#apply-filters")
    browser.wait_for("location.hash.includes('metric=')")
    settle(browser, "runs")
    assert sorted(row[1] for row in cells(browser, "runs-table")) == [
        "evaluate-logistic_regression", "evaluate-random_forest"]

    # a run page, reached by clicking its link
    browser.click("a[href='#/runs']")
    settle(browser, "runs")
    forest = next(run for run, step in recorded.items() if step == "train-random_forest")
    browser.click(f"a.run-link[href='#/run/{forest}']")
    settle(browser, "run")
    assert browser.js("document.getElementById('run-title').textContent") == "train-random_forest"
    params = dict((row[0], row[1]) for row in cells(browser, "params-table"))
    assert params["n_estimators"] == "100" and params["max_depth"] == "6"
    page_text = browser.js("document.getElementById('view').innerText")
    assert sha256(project / "data" / "train.csv") in page_text  # the input, full hash
    assert sha256(project / "models" / "random_forest.pkl") in page_text  # the output, full hash
    assert browser.js("document.querySelectorAll('#charts svg.chart polyline').length") == 1
    browser.wait_for("document.getElementById('validation').textContent.includes('shacl')")
    assert "prov-constraints: valid" in browser.js("document.getElementById('validation').textContent")
    browser.screenshot(shots, "02-run", full_page=True)

    # the artifact page of its input, by clicking
    browser.click("#view a.artifact-link")
    settle(browser, "artifact")
    versions = cells(browser, "versions-table")
    assert versions[0][1] == sha256(project / "data" / "train.csv")
    who = cells(browser, "who-table")
    assert {row[1] for row in who} >= {"generated", "used"}
    browser.screenshot(shots, "03-artifact", full_page=True)

    # its lineage graph: cytoscape draws it; a real mouse click on a node opens that node's page
    browser.click("a.graph-link")
    settle(browser, "graph")
    browser.wait_for("document.querySelector('#cy canvas') !== null")
    count = browser.js("document.getElementById('graph-status').textContent")
    assert int(count.split()[0]) >= 5
    browser.screenshot(shots, "04-graph")
    split = next(run for run, step in recorded.items() if step == "split")
    point = browser.js(f"""(() => {{
        const box = document.getElementById('cy').getBoundingClientRect();
        const node = window.explorerGraph().getElementById('https://w3id.org/provgraph/id/run/{split}');
        window.explorerGraph().center(node);  // pan to it, as a person would
        const at = node.renderedPosition();
        return [box.left + at.x, box.top + at.y]; }})()""")
    browser.mouse_click(*point)
    browser.wait_for("document.getElementById('open-node') && "
                     f"document.getElementById('open-node').textContent.includes('{split}')")
    browser.click("#expand")
    browser.wait_for("document.getElementById('graph-status').textContent.includes('added')")
    browser.click("#impact")
    browser.wait_for("document.getElementById('graph-status').textContent.includes('derived from')")
    derived = int(browser.js("document.getElementById('graph-status').textContent").split()[0])
    assert derived >= 6  # train/test, two models, two evaluations, the deployment ...
    browser.screenshot(shots, "05-graph-impact")
    browser.click("#open-node a")
    settle(browser, "run")
    assert browser.js("document.getElementById('run-title').textContent") == "split"

    # datasets and models; the invalidated raw source says why
    browser.click("#nav-artifacts")
    settle(browser, "artifacts")
    browser.screenshot(shots, "06-artifacts", full_page=True)
    browser.click("a.artifact-link[href*='raw_data_branch_b']")
    settle(browser, "artifact")
    invalid = cells(browser, "invalidations-table")
    assert invalid and all(row[1] == REASON for row in invalid)
    assert {row[3] for row in invalid} >= {"random_forest.pkl", "logistic_regression.pkl"}
    browser.screenshot(shots, "07-invalidated", full_page=True)

    # agents
    browser.click("#nav-agents")
    settle(browser, "agents")
    agents = cells(browser, "agents-table")
    assert agents and int(agents[0][2]) >= len(recorded)
    browser.click("a.agent-link")
    settle(browser, "agent")
    assert {row[0] for row in cells(browser, "runs-table")} == set(recorded)

    # search accepts a hash prefix
    model_hash = sha256(project / "models" / "logistic_regression.pkl")
    browser.js(f"document.getElementById('search').value = '{model_hash[:10]}'")
    browser.click("#search-go")
    browser.wait_for("document.body.dataset.page === 'artifact'")
    settle(browser, "artifact")
    assert cells(browser, "versions-table")[0][1] == model_hash

    # SPARQL: the default example and a shipped query
    browser.click("#nav-sparql")
    settle(browser, "sparql")
    browser.click("#run-query")
    browser.wait_for("document.getElementById('result-count') !== null")
    generated = cells(browser, "results-table")
    assert ["split", "train.csv", "split"] in generated
    assert ["deploy", "credit-risk-endpoint.json", "deployment"] in generated
    assert len(generated) == len({tuple(row) for row in generated})
    names = browser.js("[...document.querySelectorAll('#examples option')].map(o => o.value)")
    assert "impact" in names and "lineage" in names
    browser.screenshot(shots, "08-sparql", full_page=True)

    assert browser.errors() == []
    assert all(u.startswith((url, "data:", "blob:")) for u in browser.requested()), browser.requested()

    # an unknown reference: the page says so (the server answered 404)
    browser.js("document.getElementById('search').value = 'no-such-thing'")
    browser.click("#search-go")
    browser.wait_for("document.body.dataset.state === 'error'")
    assert "no run, artifact, dataset or agent matches" in browser.js("document.getElementById('error').textContent")


def test_explorer_routes_answer_404_for_unknown_references(demo: tuple[str, Path]) -> None:
    url, _ = demo
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for path in ("/api/explorer/search?ref=no-such-thing", "/api/explorer/artifact?ref=no-such-thing",
                 "/api/explorer/graph?ref=no-such-thing", "/api/runs/no-such-run", "/api/impact?ref=no-such-thing",
                 "/api/lineage?ref=no-such-thing", "/api/who?ref=no-such-thing"):
        answer = httpx.get(url + path, headers=auth)
        assert answer.status_code == 404, path
        assert answer.json()["status"] == 404
    assert httpx.get(url + "/api/explorer/runs?status=lost", headers=auth).status_code == 400
    assert httpx.get(url + "/api/explorer/runs").status_code == 401
    assert httpx.get(url + "/static/..%2Fexplorer.py").status_code == 404
    assert httpx.get(url + "/static/vendor/../../explorer.py").status_code == 404
    page = httpx.get(url + "/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for vendored in ("cytoscape.LICENSE", "cytoscape-dagre.LICENSE", "dagre.LICENSE"):
        assert "Permission is hereby granted" in httpx.get(f"{url}/static/vendor/{vendored}").text


def test_serve_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    cli = [sys.executable, "-m", "provgraph", "-C", str(tmp_path)]
    refused = subprocess.run([*cli, "serve", "--host", "0.0.0.0"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "refusing to listen on 0.0.0.0 without API tokens" in refused.stderr
    bad = subprocess.run([*cli, "serve", "--max-body", "lots"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "is not a size" in bad.stderr
    with ProvgraphServer(tmp_path, "--max-body", "2KiB", env=env) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url) and not server.url.endswith(":0")
        too_big = httpx.post(f"{server.url}/api/events", content=b"[" + b" " * 3000 + b"]")
        assert too_big.status_code == 413 and "limit is 2048" in too_big.json()["error"]
        assert httpx.post(f"{server.url}/api/events", json=pipeline()[:2]).status_code == 201
    assert b"no API tokens configured: listening on loopback only" in server.output
    bad_port = subprocess.run([*cli, "serve", "--port", "65536"], env=env, capture_output=True, text=True, timeout=60)
    assert bad_port.returncode == 2 and "'65536' is not a port number" in bad_port.stderr
