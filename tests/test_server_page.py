"""``provgraph serve`` as a real process, its look-up page driven in headless Chromium (DevTools protocol).

The page must load nothing from the network but the server itself; looking up an artifact shows its
lineage diagram and its impact list, looking up a run shows the run, and a missing token shows the
server's message.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import free_port, wait_until_ready
from test_server import MODEL, SECRETS, pipeline

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``provgraph serve`` (with a reader token) over a project holding the test pipeline."""
    project = tmp_path / "project"
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in pipeline()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    cli = [sys.executable, "-m", "provgraph", "-C", str(project)]
    subprocess.run([*cli, "init"], check=True, env=env, capture_output=True)
    subprocess.run([*cli, "ingest", str(events)], check=True, env=env, capture_output=True)
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(f'[[tokens]]\nagent = "viewer"\nrole = "reader"\ntoken = "{SECRETS["reader"]}"\n')
    port = free_port()
    process = subprocess.Popen([*cli, "serve", "--port", str(port), "--tokens", str(tokens)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{url}/api/health", process=process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


class Chromium:
    """Headless Chromium with one page, driven over the DevTools websocket."""

    def __init__(self, profile: Path) -> None:
        import websocket

        port = free_port()
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        target = None
        while target is None:
            if time.monotonic() > deadline:
                raise RuntimeError("chromium did not open its DevTools port")
            try:
                pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                target = next((p for p in pages if p.get("type") == "page"), None)
            except httpx.HTTPError:
                time.sleep(0.1)
        self.socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30,
                                                  suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            self.events.append(message)

    def js(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    chromium = Chromium(tmp_path / "chromium-profile")
    yield chromium
    chromium.close()


def look_up(browser: Chromium, ref: str, token: str = "") -> str:
    browser.js("document.body.dataset.state = ''")
    browser.js(f"document.getElementById('token').value = {json.dumps(token)}")
    browser.js(f"document.getElementById('ref').value = {json.dumps(ref)}")
    browser.js("document.getElementById('lookup').click()")
    return str(browser.wait_for("document.body.dataset.state"))


def test_look_up_page_in_headless_chromium(served: str, browser: Chromium) -> None:
    browser.call("Network.enable")
    browser.call("Page.enable")
    browser.call("Page.navigate", url=served + "/")
    browser.wait_for("document.readyState === 'complete' && !!document.getElementById('lookup')")
    assert browser.js("document.title") == "provgraph"

    assert look_up(browser, "data/raw.csv") == "error"  # no token yet: the server's message is shown
    assert "needs an API token" in browser.js("document.getElementById('error').textContent")

    assert look_up(browser, "data/raw.csv", SECRETS["reader"]) == "done"
    rows = browser.js("[...document.querySelectorAll('#impact tr')].map(r => [...r.cells].map(c => c.textContent))")
    reached = {(row[1], row[3]) for row in rows if row[1] in ("run", "artifact")}
    assert reached == {("run", "clean"), ("artifact", "clean.csv"), ("run", "train"), ("artifact", "model.pkl"),
                       ("run", "evaluate"), ("artifact", "eval.json")}
    assert browser.js("document.getElementById('impact-count').textContent") == str(len(rows))
    assert browser.js("document.getElementById('run').classList.contains('hidden')") is True
    browser.wait_for("document.querySelector('#diagram img') && document.querySelector('#diagram img').complete")
    assert browser.js("document.querySelector('#diagram img').naturalWidth") > 100

    assert look_up(browser, "train-1", SECRETS["reader"]) == "done"
    facts = browser.js("document.getElementById('run-facts').innerText")
    assert "training" in facts.lower() and "completed" in facts and "train-1" in facts
    impact = browser.js("[...document.querySelectorAll('#impact tr')].map(r => r.cells[3].textContent)")
    assert "model.pkl" in impact and "raw.csv" not in impact

    assert look_up(browser, MODEL[:10], SECRETS["reader"]) == "done"
    assert browser.js("location.hash") == f"#ref={MODEL[:10]}"
    assert look_up(browser, "no-such-thing", SECRETS["reader"]) == "error"
    assert "no run, artifact, dataset or agent matches" in browser.js("document.getElementById('error').textContent")

    shot = browser.call("Page.captureScreenshot", format="png")
    assert len(shot["data"]) > 1000
    requested = [e["params"]["request"]["url"] for e in browser.events
                 if e.get("method") == "Network.requestWillBeSent"]
    assert requested and all(url.startswith((served, "blob:", "data:")) for url in requested), requested


def test_serve_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    cli = [sys.executable, "-m", "provgraph", "-C", str(tmp_path)]
    refused = subprocess.run([*cli, "serve", "--host", "0.0.0.0"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "refusing to listen on 0.0.0.0 without API tokens" in refused.stderr
    bad = subprocess.run([*cli, "serve", "--max-body", "lots"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "is not a size" in bad.stderr
    port = free_port()
    process = subprocess.Popen([*cli, "serve", "--port", str(port), "--max-body", "2KiB"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/api/health", process=process)
        too_big = httpx.post(f"http://127.0.0.1:{port}/api/events", content=b"[" + b" " * 3000 + b"]")
        assert too_big.status_code == 413 and "limit is 2048" in too_big.json()["error"]
        assert httpx.post(f"http://127.0.0.1:{port}/api/events", json=pipeline()[:2]).status_code == 201
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert "no API tokens configured: listening on loopback only" in stderr
