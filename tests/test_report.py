"""The reviewer report: a self-contained HTML page, opened in real headless Chromium.

Chromium logs every console message (errors, uncaught exceptions) to stderr with
``--enable-logging=stderr``; a control page with a deliberate error proves the check can fail. The
screenshot is kept in ``tests/artifacts/`` for a person to look at.
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_render_pipelines import C, F, M, R, invalidation_event, pipeline_events

from provgraph.cli import main
from provgraph.project import Project

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


class _Scan(HTMLParser):
    """Collects tags, URL-bearing attributes and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in ("src", "href", "xlink:href", "data")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def chromium(page: Path, profile: Path, screenshot: Path, size: str = "1400,2200") -> list[str]:
    """Open ``page`` headless, save a screenshot, return the console messages Chromium logged."""
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--screenshot={screenshot}", f"--window-size={size}", page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
def report(project: Project, tmp_path: Path) -> Path:
    for event in [*pipeline_events(), invalidation_event(C)]:
        project.record(event)
    out = tmp_path / "report.html"
    assert main(["-C", str(project.root), "report", "data/raw.csv", "-o", str(out)]) == 0
    return out


def test_report_is_self_contained_and_complete(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    scan = _Scan()
    scan.feed(text)
    assert "script" not in scan.tags and "link" not in scan.tags and "img" not in scan.tags
    assert not [u for u in scan.urls if not u.startswith("#")], "the report must load nothing"
    assert not re.search(r"url\(|@import", text)
    assert scan.tags.count("svg") == 1 and "style" in scan.tags
    visible = "".join(scan.text)
    for expected in (
        R, C, F, M,  # the data with full hashes
        "lr = 0.1", "epochs = 10", "accuracy = 0.91", "auc = 0.88",  # parameters and metrics
        "Python 3.11.9", "build-01", "aaaaaaaaaaaa",  # environment and code commit
        "INVALIDATED", "Impact", "Validation",
    ):
        assert expected in visible, expected
    assert "PROV-CONSTRAINTS on the statements about these nodesvalid (no violations)" in visible
    assert "SHACL shapes of the ML profile on these nodesvalid (no violations)" in visible
    impact = visible[visible.index("nodes derive from this one"):]
    for name in ("model.pkl", "churn-endpoint", "eval.json", "features.parquet", "clean.csv"):
        assert name in impact
    assert "other-out.csv" not in visible  # unrelated to raw.csv
    assert re.search(r"(\d+) nodes derive from this one, including 1 model and 1 deployment", visible)


@needs_chromium
def test_report_renders_in_chromium_without_console_errors(report: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    messages = chromium(report, tmp_path / "profile", shot)
    assert messages == []
    assert png_size(shot) == (1400, 2200) and shot.stat().st_size > 50_000  # a page with content, not blank
    shutil.copy(report, ARTIFACTS / "report.html")


@needs_chromium
def test_the_console_check_catches_a_broken_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); missingFunction();</script>")
    messages = chromium(page, tmp_path / "profile", tmp_path / "broken.png", "400,300")
    assert any("boom" in m for m in messages) and any("missingFunction" in m for m in messages)


def test_report_of_an_unknown_reference_is_a_clear_error(project: Project, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    for event in pipeline_events():
        project.record(event)
    out = tmp_path / "nope.html"
    assert main(["-C", str(project.root), "report", "no-such-artifact", "-o", str(out)]) == 1
    assert "no-such-artifact" in capsys.readouterr().err
    assert not out.exists()


def test_report_shows_validation_failures(project: Project, tmp_path: Path) -> None:
    from test_render_pipelines import art, run_events

    # a model trained on nothing: the ML profile wants its training data named, with hashes
    project.record_many(run_events("fit-1", "fit", "training", generated=[art("models/bare.pkl", None, "model")]))
    out = tmp_path / "bare.html"
    assert main(["-C", str(project.root), "report", "fit-1", "-o", str(out)]) == 0
    scan = _Scan()
    scan.feed(out.read_text(encoding="utf-8"))
    visible = "".join(scan.text)
    assert re.search(r"SHACL shapes of the ML profile on these nodes: \d+ violations", visible)
    assert "a model needs its content hash" in visible
    assert "must name its training data" in visible


@pytest.fixture
def real(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Two real runs on real files (alphabetical order is not pipeline order); the raw data then invalidated."""
    from provgraph import run

    monkeypatch.setenv("PROVGRAPH_USER", "dana")
    data = project.root / "data"
    data.mkdir()
    (data / "raw.csv").write_text("a,b\n1,2\n3,4\n")
    with run("zeta-prepare", kind="cleaning", project=project) as r:
        r.use(data / "raw.csv")
        (data / "clean.csv").write_text("a,b\n1,2\n")
        r.generate(data / "clean.csv")
    with run("alpha-train", kind="training", project=project) as r:
        r.use(data / "clean.csv", kind="split")
        (project.root / "model.bin").write_bytes(b"weights")
        r.generate(project.root / "model.bin", kind="model")
    assert main(["-C", str(project.root), "invalidate", "data/raw.csv", "--reason", "rows duplicated"]) == 0
    return project


def verdict_and_runs(page: Path) -> tuple[str, list[str]]:
    text = page.read_text(encoding="utf-8")
    assert text.index('id="verdict"') < text.index("<svg")  # the verdict comes first
    verdict = text[text.index('id="verdict"'):text.index("</section>", text.index('id="verdict"'))]
    runs = text[text.index("Runs, in pipeline order"):text.index("<h2>Data</h2>")]
    return html.unescape(re.sub(r"<[^>]+>", " ", verdict)), re.findall(r"<b>([a-z-]+)</b><br><span class=tag>", runs)


def test_report_opens_with_its_verdict_in_words(real: Project, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(real.root), "report", "model.bin"]) == 0  # -o is optional
    page = real.root / "report-model.bin.html"
    assert f"wrote {page.name}" in capsys.readouterr().out
    verdict, runs = verdict_and_runs(page)
    assert runs == ["zeta-prepare", "alpha-train"]
    assert "This model depends on invalidated data raw.csv (reason: rows duplicated; invalidated by dana at 20" \
        in verdict
    assert "3 of 3 recorded files match their sha256" in verdict
    assert "journal OK: 5 entries" in verdict
    assert "Verdict: 1 of 5 checks need attention: Invalidated data upstream." in " ".join(verdict.split())

    (real.root / "data" / "clean.csv").write_text("a,b\n9,9\n")  # changed after it was recorded
    out = tmp_path / "changed.html"
    assert main(["-C", str(real.root), "report", "model.bin", "-o", str(out)]) == 0
    verdict, _ = verdict_and_runs(out)
    assert "2 of 3 recorded files match their sha256; changed since recorded: data/clean.csv" in verdict
    assert "2 of 5 checks need attention" in " ".join(verdict.split())


@needs_chromium
def test_report_diagram_is_readable_at_1280_pixels(real: Project, tmp_path: Path) -> None:
    from chromium import Chromium

    out = tmp_path / "report.html"
    assert main(["-C", str(real.root), "report", "model.bin", "-o", str(out)]) == 0
    browser = Chromium(tmp_path / "profile", width=1280, height=900)
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=out.as_uri())
        browser.wait_for("document.readyState === 'complete'")
        heights = browser.js("[...document.querySelectorAll('.diagram svg text')]"
                             ".map(t => t.getBoundingClientRect().height)")
        assert heights and min(heights) >= 9  # Graphviz's 8-point small print, at its natural size
        first = browser.js("document.querySelector('main section').id")
        assert first == "verdict"
        shots = tmp_path / "report"
        shots.mkdir()
        browser.screenshot(shots, "report-1280", full_page=True)
    finally:
        browser.close()
