"""Headless Chromium driven over the DevTools protocol (websocket-client), for tests of web pages.

Screenshots go to the test's folder and are copied to ``test-artifacts/`` at the repository root
(git-ignored), so a person can look at what the browser showed.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class Chromium:
    """Headless Chromium with one page, driven over the DevTools websocket."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 900) -> None:
        import websocket

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        target = None
        active = profile / "DevToolsActivePort"  # the port Chromium chose, written once it listens
        while target is None:
            if time.monotonic() > deadline:
                raise RuntimeError("chromium did not open its DevTools port")
            try:
                port = int(active.read_text().split()[0])
                pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                target = next((p for p in pages if p.get("type") == "page"), None)
            except (OSError, ValueError, IndexError, httpx.HTTPError):  # not written yet, or not listening yet
                time.sleep(0.1)
        self.socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60,
                                                  suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

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
        last = ""
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except RuntimeError as exc:  # the page is between documents
                last, value = str(exc), None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression} {last}".strip())

    def click(self, selector: str) -> None:
        """Click the element (as a person would: the element's own click, which follows links)."""
        self.js(f"document.querySelector({json.dumps(selector)}).scrollIntoView(); "
                f"document.querySelector({json.dumps(selector)}).click()")

    def mouse_click(self, x: float, y: float, count: int = 1) -> None:
        """A real mouse click at page coordinates (for canvases)."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=count)

    def screenshot(self, folder: Path, name: str, full_page: bool = False) -> Path:
        """Save a PNG of the page to ``folder/name.png`` and a copy under ``test-artifacts/``."""
        options: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.js("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            options.update(captureBeyondViewport=True,
                           clip={"x": 0, "y": 0, "width": size[0], "height": min(size[1], 6000), "scale": 1})
        data = base64.b64decode(self.call("Page.captureScreenshot", **options)["data"])
        path = folder / f"{name}.png"
        path.write_bytes(data)
        copy = ARTIFACTS / folder.name / path.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        return path

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(str(params["entry"].get("text")))
        return found

    def requested(self) -> list[str]:
        """Every URL the page asked for."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=20)
