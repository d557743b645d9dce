"""The hostile corpus through the command line: ``provgraph ingest`` of every bad event line and the query
commands with every bad reference and SPARQL text. Each must exit 1 with one line on stderr
(``provgraph: error: ...``), leave the journal byte for byte as it was and the store's sorted N-Quads
unchanged. The commands run in-process (``provgraph.cli.main``) so that 300 cases stay fast; a few run as
real processes to show that no traceback reaches the terminal."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import BAD_REFS, EVENT_LINES, SPARQL_QUERIES, ids, line, run_event

from provgraph.cli import main
from provgraph.project import Project


def store_digest(folder: Path) -> str:
    """sha256 of the store's sorted N-Quads."""
    with Project(folder) as project:
        data = project.synced_store().dump()
    return hashlib.sha256(b"".join(sorted(data.splitlines(keepends=True)))).hexdigest()


def state(folder: Path) -> tuple[bytes, str]:
    return (folder / ".provgraph" / "journal.jsonl").read_bytes(), store_digest(folder)


BASELINE: dict[Path, tuple[bytes, str]] = {}  # the project's state before the corpus: no case may change it


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("hostile-cli")
    good = root / "good.jsonl"
    good.write_bytes(line(run_event(id="good-1")) + b"\n" + line(run_event(id="good-2", type="run.end", run={
        "id": "hostile-run", "step": "train", "kind": "training", "status": "completed"})) + b"\n")
    assert main(["-C", str(root), "init"]) == 0
    assert main(["-C", str(root), "ingest", str(good)]) == 0
    BASELINE[root] = state(root)
    yield root


def refused(folder: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``provgraph argv`` and check: exit 1, one error line, journal and store unchanged."""
    capsys.readouterr()
    assert main(["-C", str(folder), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("provgraph: error: ") and err.count("\n") == 1, err[:500]
    assert len(err) < 2_000, "the message quotes the whole input"
    assert state(folder) == BASELINE[folder]
    return err


@pytest.mark.parametrize("body", [b for _, b in EVENT_LINES], ids=ids(EVENT_LINES))
def test_ingest_refuses(folder: Path, capsys: pytest.CaptureFixture[str], body: bytes) -> None:
    source = folder / "case.jsonl"
    source.write_bytes(line(run_event(id="fine-before")) + b"\n" + body + b"\n")
    assert "line 2" in refused(folder, capsys, "ingest", str(source))


@pytest.mark.parametrize("ref", [r for _, r in BAD_REFS], ids=ids(BAD_REFS))
@pytest.mark.parametrize("command", ["impact", "lineage", "who"])
def test_query_commands_refuse(folder: Path, capsys: pytest.CaptureFixture[str], command: str, ref: str) -> None:
    refused(folder, capsys, command, ref)


@pytest.mark.parametrize("query", [q for _, q in SPARQL_QUERIES], ids=ids(SPARQL_QUERIES))
def test_sparql_command_refuses(folder: Path, capsys: pytest.CaptureFixture[str], query: str) -> None:
    refused(folder, capsys, "sparql", query)


@pytest.mark.parametrize("case", ["json-depth/array-100000", "sparql/nested-groups-5000", "poison-target/00"])
def test_a_real_process_prints_one_line(folder: Path, case: str) -> None:
    if case.startswith("sparql/"):
        argv = ["sparql", dict(SPARQL_QUERIES)[case]]
    else:
        source = folder / "process-case.jsonl"
        source.write_bytes(next(b for i, b in EVENT_LINES if i.startswith(case)) + b"\n")
        argv = ["ingest", str(source)]
    done = subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *argv], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("provgraph: error: ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert state(folder) == BASELINE[folder]


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("tool", "name", "text"), [
    ("dvc", "dvc.yaml", f"stages: {DEEP}\n"),
    ("kfp", "pipeline.yaml", f"root: {DEEP}\n"),
    ("mlflow", "run.json", f'{{"mlflow": {DEEP}}}'),
    ("openlineage", "events.jsonl", f'{{"eventType": {DEEP}}}\n'),
])
def test_a_tool_file_nested_too_deep_is_refused(folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                tool: str, name: str, text: str) -> None:
    source = tmp_path / name
    source.write_text(text)
    assert "nested" in refused(folder, capsys, "import-runs", "--from", tool, str(source))
