"""A project on a read-only file system (an archived copy handed to an auditor, a read-only mount) answers
every question; before, every command failed at opening the store ("While open a file for appending:
.../store/LOG: Read-only file system"), and verify and report at locking the journal. Each command runs as a
real process inside its own mount namespace, where the demo project is bind-mounted read-only; its answers
are compared with the same command's on the writable folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from servers import ProvgraphServer

from provgraph import events as ev
from provgraph.journal import Journal

MOUNT = 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" && cd "$2" && shift 2 && exec "$@"'


def _can_mount() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _can_mount(), reason="needs a mount namespace (unshare -m, as root)")


@pytest.fixture
def folders(demo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the demo project, and an empty folder where it is mounted read-only."""
    copy, mounted = tmp_path / "project", tmp_path / "mounted"
    shutil.copytree(demo, copy, symlinks=True)
    mounted.mkdir()
    return copy, mounted


def provgraph(folder: Path, *args: str, read_only_at: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``provgraph`` on ``folder``, or on it mounted read-only at ``read_only_at`` (working there)."""
    command = [sys.executable, "-m", "provgraph", *args]
    if read_only_at is None:
        return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    return subprocess.run(["unshare", "-m", "sh", "-c", MOUNT, "sh", str(folder), str(read_only_at), *command],
                          capture_output=True, text=True, timeout=300)


QUESTIONS = [("runs", "--format", "json"), ("impact", "data/raw_data.csv", "--format", "json"),
             ("lineage", "deploy/credit-risk-endpoint.json", "--format", "json"),
             ("who", "data/raw_data.csv", "--format", "json"), ("stats",),
             ("sparql", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")]


def test_every_question_is_answered_as_on_the_writable_folder(folders: tuple[Path, Path]) -> None:
    copy, mounted = folders
    answers = {}
    for question in QUESTIONS:
        done = provgraph(copy, *question, read_only_at=mounted)
        assert (done.returncode, done.stderr) == (0, ""), (question, done.stderr)
        answers[question] = done.stdout
    for name in ("verify", "validate"):
        done = provgraph(copy, name, read_only_at=mounted)
        assert done.returncode == 0 and ("OK" in done.stdout or "valid" in done.stdout), (name, done.stdout)
    exported = provgraph(copy, "export", "--format", "nquads", "-o", str(copy.parent / "ro.nq"), read_only_at=mounted)
    assert exported.returncode == 0, exported.stderr
    for question in QUESTIONS:  # the same answers from the writable folder
        assert provgraph(copy, *question).stdout == answers[question], question
    assert provgraph(copy, "export", "--format", "nquads", "-o", str(copy.parent / "rw.nq")).returncode == 0
    read = sorted((copy.parent / "ro.nq").read_text().splitlines())
    assert read == sorted((copy.parent / "rw.nq").read_text().splitlines()) and len(read) > 1000


def test_a_change_is_one_clear_error(folders: tuple[Path, Path]) -> None:
    copy, mounted = folders
    journal = (copy / ".provgraph" / "journal.jsonl").read_bytes()
    for command, said in ((("rebuild",), "open read-only (read-only file system)"),
                          (("invalidate", "data/raw_data.csv", "--reason", "bad"), "Read-only file system")):
        done = provgraph(copy, *command, read_only_at=mounted)
        assert done.returncode == 1 and done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    assert (copy / ".provgraph" / "journal.jsonl").read_bytes() == journal


def test_a_store_behind_its_journal_answers_what_it_holds_and_says_so(folders: tuple[Path, Path]) -> None:
    """Events the capture API journaled after the last command never reached the store; read-only, it
    cannot catch up: the answer leaves them out and a warning says how many."""
    copy, mounted = folders
    late = ev.new_event("run.start", run={"id": "late-run", "step": "late", "kind": "training"})
    Journal(copy / ".provgraph" / "journal.jsonl").append_many([ev.validate(late)])
    done = provgraph(copy, "runs", "--format", "json", read_only_at=mounted)
    assert done.returncode == 0 and "1 journal event(s) behind" in done.stderr, done.stderr
    assert "late-run" not in done.stdout and json.loads(done.stdout)
    assert "late-run" in provgraph(copy, "runs", "--format", "json").stdout  # writable: caught up


@pytest.mark.parametrize("indexed", [True, False], ids=["index-kept", "no-index"])
def test_a_read_only_project_is_served(folders: tuple[Path, Path], indexed: bool) -> None:
    """``provgraph serve`` on the read-only mount answers questions, and a write is one clear error. Before,
    it did not start: 'cannot use the journal's index .../journal-index.sqlite: [Errno 30] Read-only file
    system (it is derived from the journal: removing it makes it anew)' (or 'unable to open database file'
    where no index was kept), as it opened the journal's index for writing."""
    copy, mounted = folders
    index = copy / ".provgraph" / "journal-index.sqlite"
    if indexed:  # an index the writable folder made and brought up to its journal
        subprocess.run([sys.executable, "-c", "import provgraph.project as p; p.Project.find('.').journal_index"],
                       cwd=copy, check=True, timeout=120)
        assert index.is_file()
    else:
        for stale in copy.glob(".provgraph/journal-index.sqlite*"):
            stale.unlink()
    journal = (copy / ".provgraph" / "journal.jsonl").read_bytes()
    server = ProvgraphServer(mounted, "--log-level", "warning")
    server.command = ["unshare", "-m", "sh", "-c", MOUNT, "sh", str(copy), str(mounted), *server.command]
    with server, httpx.Client(base_url=server.url, timeout=120) as http:
        runs = http.get("/api/runs")
        assert runs.status_code == 200 and runs.json()["count"] == len(json.loads(
            provgraph(copy, "runs", "--format", "json").stdout)), runs.text
        late = ev.new_event("run.start", run={"id": "late-run", "step": "late", "kind": "training"})
        posted = http.post("/api/events", json=late)
        assert posted.status_code >= 400 and "Read-only file system" in posted.json()["error"], posted.text
    assert b"Traceback" not in server.output, server.output
    assert (copy / ".provgraph" / "journal.jsonl").read_bytes() == journal
