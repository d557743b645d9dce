"""Hostile input that got past the corpus (tests/hostile.py) until these fixes: files that are not files or
never end (import, ingest, verify --head, audit --check, the capture API's hashing), a disk that fills during
an append, a body that never finishes arriving or is cut off, a store password on the screen, text that
PROV-XML cannot carry (an exception message, an OpenLineage stack trace), bad values found only when a run
ended, and error messages that lost their reason. Everything runs for real: ``provgraph`` processes under
kernel resource limits, FIFOs, sparse files, zip bombs, a uvicorn server and an Oxigraph server on loopback."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile import line, run_event
from servers import HOST, OxigraphServer, ProvgraphServer
from test_server import LiveServer

from provgraph import events as ev
from provgraph.capture.run import run
from provgraph.errors import InvalidEvent
from provgraph.project import Project
from provgraph.server import ServerConfig

GIB = 1 << 30
MEMORY = {resource.RLIMIT_AS: 2 * GIB}  # for commands that read without bound before these fixes


def provgraph(folder: Path, *args: str, limits: dict[int, int] | None = None) -> subprocess.CompletedProcess[str]:
    """``provgraph -C folder args`` as a real process, under the kernel's resource ``limits`` if given: with
    ``RLIMIT_FSIZE`` a write past that size fails with EFBIG (as on a full disk), with ``RLIMIT_AS`` a
    process that reads without bound fails instead of eating the machine's memory."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing the process
        for which, value in (limits or {}).items():
            resource.setrlimit(which, (value, value))

    return subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], capture_output=True,
                          text=True, timeout=120, preexec_fn=limit if limits else None)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr[-2000:])
    assert done.stderr.startswith("provgraph: error: ") and done.stderr.count("\n") == 1, done.stderr[-2000:]
    return done.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    assert provgraph(project, "init").returncode == 0
    return project


def journal(folder: Path) -> bytes:
    path = folder / ".provgraph" / "journal.jsonl"
    return path.read_bytes() if path.exists() else b""


@pytest.mark.parametrize("kind", ["fifo", "folder", "device", "too-large"])
def test_import_reads_only_a_regular_file_of_bounded_size(folder: Path, tmp_path: Path, kind: str) -> None:
    """A FIFO with no writer used to hang ``import`` for ever, and ``/dev/zero`` or a huge file to fill memory."""
    path = tmp_path / f"doc-{kind}.ttl"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        with open(path, "wb") as handle:
            handle.truncate(ev.MAX_EVENT_BYTES + 1)
    err = one_line_error(provgraph(folder, "import", "--format", "turtle", str(path), limits=MEMORY))
    expected = {"fifo": "not a regular file", "folder": "not a regular file", "device": "not a regular file",
                "too-large": f"larger than the limit of {ev.MAX_EVENT_BYTES} bytes"}[kind]
    assert f"cannot read {path}: {expected}" in err
    assert journal(folder) == b""


def test_ingest_of_a_line_without_end_stops_at_the_event_limit(folder: Path, tmp_path: Path) -> None:
    """A 1 GiB file without a newline was read whole into memory (2 GiB of RSS) before its size was checked:
    under 1 GiB of address space it now ends with the event limit's error (the child's peak RSS cannot be
    read here: Linux counts the parent's, pytest's, from before the exec)."""
    source = tmp_path / "endless.jsonl"
    with open(source, "wb") as handle:
        handle.truncate(GIB)  # sparse: no disk space used
    done = provgraph(folder, "ingest", str(source), limits={resource.RLIMIT_AS: GIB})
    limit = ev.MAX_EVENT_BYTES
    assert one_line_error(done) == f"provgraph: error: line 1: event is {limit + 1} bytes; the limit is {limit}\n"
    assert journal(folder) == b""


@pytest.mark.parametrize("kind", ["fifo", "device", "manifest-bomb"])
def test_verify_reads_a_kept_head_only_from_a_small_regular_file(folder: Path, tmp_path: Path, kind: str) -> None:
    """``verify --head /dev/zero`` read until memory ran out, a FIFO blocked it, and a bundle whose manifest
    inflates to 64 MiB was inflated whole."""
    path = tmp_path / "head"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr("manifest.json", b" " * (64 << 20))
    err = one_line_error(provgraph(folder, "verify", "--head", str(path), limits=MEMORY))
    reason = "larger than the limit of 1048576 bytes" if kind == "manifest-bomb" else "not a regular file"
    assert err.startswith(f"provgraph: error: cannot read a journal head from {path}: ") and reason in err


def test_ingest_of_a_fifo_or_folder_says_what_it_is(folder: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    for path in (tmp_path / "pipe", tmp_path):
        assert one_line_error(provgraph(folder, "ingest", str(path))) == \
            f"provgraph: error: {path}: not a regular file\n"
    assert one_line_error(provgraph(folder, "ingest", str(tmp_path / "none"))).endswith("none: no such file\n")


def test_a_failed_journal_append_leaves_the_journal_as_it_was(folder: Path, tmp_path: Path) -> None:
    """The disk filling up in the middle of a batch left the events written so far in the journal,
    unacknowledged: ``verify`` said BROKEN and every later append was refused."""
    first = tmp_path / "first.jsonl"
    first.write_bytes(line(run_event(id="before")) + b"\n")
    assert provgraph(folder, "ingest", str(first)).returncode == 0
    before = journal(folder)
    many = tmp_path / "many.jsonl"
    many.write_bytes(b"".join(line(run_event(id=f"e{i}", run={"id": f"r{i}", "step": "s", "kind": "other"}))
                              + b"\n" for i in range(400)))
    assert many.stat().st_size > 100_000
    err = one_line_error(provgraph(folder, "ingest", str(many), limits={resource.RLIMIT_FSIZE: 100_000}))
    assert "cannot append to the journal" in err and "File too large" in err
    assert journal(folder) == before
    verified = provgraph(folder, "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("journal OK: 1 entries"), verified.stdout
    again = provgraph(folder, "ingest", str(many))  # room again: everything goes in
    assert again.returncode == 0 and "ingested 400 events" in again.stdout, again.stderr
    assert provgraph(folder, "verify").stdout.startswith("journal OK: 401 entries")


def test_a_body_that_never_finishes_is_a_408(tmp_path: Path) -> None:
    """A client that sends part of a body and then waits held its connection (and the server's memory of
    the bytes) for ever."""
    with LiveServer(ServerConfig(project=tmp_path, body_timeout_s=1.0)) as live:
        with socket.create_connection((HOST, live.port), timeout=30) as sock:
            sock.sendall(b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n" + line(run_event())[:50])
            answer = sock.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert json.loads(body) == {"error": "the request body did not arrive within 1 s", "status": 408}
    assert journal(tmp_path) == b""


def test_serve_refuses_a_body_timeout_that_is_not_positive(tmp_path: Path) -> None:
    done = provgraph(tmp_path, "serve", "--port", "0", "--body-timeout", "0")
    assert one_line_error(done) == "provgraph: error: the body time limit must be positive, not 0.0\n"


def test_init_refuses_a_malformed_store_uri_and_writes_nothing(tmp_path: Path) -> None:
    """``init`` wrote any URI into the config, so every later command failed; and it printed the password."""
    uri = "sparql+http://ann:Hunter2-secret@127.0.0.1:1/query?tokn=x"
    done = provgraph(tmp_path, "init", "--store", uri)
    assert one_line_error(done).startswith("provgraph: error: unknown option 'tokn' in the store URI")
    assert not (tmp_path / ".provgraph" / "config.json").exists()
    ftp = provgraph(tmp_path, "init", "--store", "ftp://ann:Hunter2-secret@host/x")
    assert "unknown store URI 'ftp://***@host/x'" in one_line_error(ftp)
    assert not (tmp_path / ".provgraph" / "config.json").exists()


def test_no_command_prints_the_store_password(tmp_path: Path, oxigraph_server: OxigraphServer) -> None:
    """``init``, ``sync``, ``push`` and ``pull`` printed a store URI with its password (Oxigraph takes any)."""
    secret = "Hunter2-secret"
    remote = oxigraph_server.store_uri.replace("http://", f"http://ann:{secret}@") + "?retries=0"
    outputs = [provgraph(tmp_path, "init", "--store", remote)]
    events = tmp_path / "events.jsonl"
    events.write_bytes(line(run_event(id="pw-1", run={"id": "pw-run", "step": "s", "kind": "other"})) + b"\n")
    outputs.append(provgraph(tmp_path, "ingest", str(events)))
    outputs.append(provgraph(tmp_path, "sync"))
    local = tmp_path / "local"
    local.mkdir()
    assert provgraph(local, "init").returncode == 0
    outputs += [provgraph(local, "pull", "--from", remote), provgraph(local, "push", "--to", remote)]
    for done in outputs:
        assert done.returncode == 0, done.stderr
        assert secret not in done.stdout + done.stderr
    assert "(store: sparql+http://***@127.0.0.1:" in outputs[0].stdout
    assert outputs[2].stdout.startswith("applied 0 event(s) to sparql+http://***@127.0.0.1:")
    assert " from sparql+http://***@127.0.0.1:" in outputs[3].stdout


def test_a_failed_run_with_terminal_codes_and_undecodable_bytes_in_its_error_still_ends(tmp_path: Path) -> None:
    """An exception text with ESC sequences was journaled as is (PROV-XML export then died with a traceback:
    XML cannot carry ESC); one with a file name that is not UTF-8 (a lone surrogate) made the run's end
    unrecordable, so the user saw InvalidEvent instead of their error and the run stayed 'running'."""
    project = Project.init(tmp_path)
    with pytest.raises(ValueError, match="red"), run("load", project=project, capture_environment=False):
        raise ValueError("\x1b[31mred\x1b[0m in caf\udce9.csv")
    ended = [e.event for e in project.journal.entries() if e.event["type"] == "run.end"]
    assert [e["run"]["status"] for e in ended] == ["failed"]
    assert ended[0]["run"]["error"]["message"] == "\\x1b[31mred\\x1b[0m in caf\\udce9.csv"
    project.close()
    out = tmp_path / "lineage.provx"
    done = provgraph(tmp_path, "export", "--format", "prov-xml", "-o", str(out))
    assert done.returncode == 0, done.stderr
    texts = [node.text for node in ET.parse(out).iter() if node.text and "red" in node.text]
    assert texts == ["\\x1b[31mred\\x1b[0m in caf\\udce9.csv"]


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"params": {f"p{i}": i for i in range(100_000)}}, "params", "has too many properties"),
    ({"params": {"p": "x" * 1_000_000}}, "params.p", "is too long"),
    ({"labels": ["l"] * 200}, "labels", "is too long"),
], ids=["100k-params", "1MB-param", "200-labels"])
def test_an_error_about_a_long_value_keeps_its_reason(changes: dict[str, object], field: str, reason: str) -> None:
    """The message was cut at 300 characters, inside the quoted value, so the reason was lost."""
    with pytest.raises(InvalidEvent) as caught:
        ev.validate(run_event(**changes))
    assert caught.value.field == field
    assert str(caught.value).endswith(reason) and len(str(caught.value)) < 300, str(caught.value)


def test_the_unsafe_text_check_and_the_escape_agree() -> None:
    """Every character the check refuses is one the escape rewrites, and nothing else changes."""
    unsafe = [chr(c) for c in range(0x110000) if ev.UNSAFE_TEXT.match(chr(c))]
    # the explicit directional embeddings, overrides and isolates, by their Unicode bidirectional class
    bidi = [c for c in map(chr, range(0x110000)) if unicodedata.bidirectional(c) in
            ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI")]
    assert bidi == [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
    expected = sorted([chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF)
                       if chr(c) not in "\t\n\r"] + bidi)
    assert [c for c in expected if unicodedata.category(c) == "Cc"] == [c for c in map(chr, range(0x110000))
                                                                        if unicodedata.category(c) == "Cc"
                                                                        and c not in "\t\n\r"]
    assert unsafe == expected
    assert ev.escape_unsafe("tab\tok \x00\x1b\udcff\ufffe é \u202e") == \
        "tab\tok \\x00\\x1b\\udcff\\ufffe é \\u202e"
    for char in unsafe:  # the quick look at an event's ASCII JSON sees every one
        with pytest.raises(InvalidEvent):
            ev.validate(run_event(params={"p": f"a{char}b"}))


def test_a_journal_written_before_these_rules_still_verifies_and_rebuilds(tmp_path: Path) -> None:
    """Events an older provgraph accepted (a NUL in a parameter, an offset of 23:59) are refused now, but a
    journal that holds them is not broken: ``verify`` says OK and ``rebuild`` restores them."""
    project = Project.init(tmp_path)
    old = [run_event(id="old-1", params={"p": "a\x00b"}),
           run_event(id="old-2", time="2026-01-01T00:00:00+23:59", run={"id": "r2", "step": "s", "kind": "other"})]
    for event in old:
        with pytest.raises(InvalidEvent):
            ev.validate(event)
    project.journal.append_many(old, check=lambda event: event)  # as an older provgraph wrote them
    project.close()
    verified = provgraph(tmp_path, "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("journal OK: 2 entries"), verified.stdout
    rebuilt = provgraph(tmp_path, "rebuild")
    assert rebuilt.returncode == 0 and "rebuilt the store from 2 journal entries" in rebuilt.stdout, rebuilt.stderr
    runs = json.loads(provgraph(tmp_path, "runs", "--format", "json").stdout)
    assert sorted(r["run"] for r in runs) == ["hostile-run", "r2"]


USE_SCRIPT = """
import sys
from provgraph.capture.run import run
from provgraph.errors import InvalidEvent
from provgraph.project import Project
project = Project.init(sys.argv[1])
try:
    with run("load", project=project, capture_environment=False) as r:
        r.use(sys.argv[2])
except InvalidEvent as exc:
    print(exc)
else:
    print("used", [a for a in r.used][0]["sha256"])
"""


def test_the_capture_api_never_reads_a_fifo_or_device_to_hash_it(tmp_path: Path) -> None:
    """``r.use()`` of a FIFO blocked for ever, of ``/dev/zero`` read for ever; inside a used folder, a FIFO
    blocked the hash of the folder. Now the first two are refused and a folder lists such a file unread."""
    os.mkfifo(tmp_path / "pipe")
    data = tmp_path / "data"
    data.mkdir()
    content = b"x,y\n1,2\n"
    (data / "a.csv").write_bytes(content)
    os.mkfifo(data / "pipe")

    def use(target: Path) -> str:
        done = subprocess.run([sys.executable, "-c", USE_SCRIPT, str(tmp_path / "project"), str(target)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    for target in (tmp_path / "pipe", Path("/dev/zero")):
        assert use(target) == f"{target}: not a regular file or folder; only files and folders can be hashed"
    listing = sorted([f"a.csv\0{hashlib.sha256(content).hexdigest()}\0{len(content)}\n", "pipe\0special\0" + "0\n"])
    assert use(data) == f"used {hashlib.sha256(''.join(listing).encode()).hexdigest()}"


def test_a_client_that_hangs_up_mid_body_leaves_no_traceback_in_the_log(tmp_path: Path) -> None:
    """A body cut short (the client hung up, or sent a broken chunk) logged two tracebacks and a 500 each time."""
    partial = line(run_event(id="cut"))[:40]
    requests = [
        b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + partial,
        b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n28\r\n" + partial + b"\r\nzz\r\n",
    ]
    with ProvgraphServer(tmp_path, "--log-level", "warning") as server:
        host, port = server.url.removeprefix("http://").split(":")
        for request in requests:
            with socket.create_connection((host, int(port)), timeout=30) as sock:
                sock.sendall(request)
                if b"chunked" in request:
                    sock.recv(65536)  # the parser's own 400
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post("/api/events", json=run_event(id="after")).status_code == 201
    assert b"Traceback" not in server.output and b"unexpectedly" not in server.output, server.output[-3000:]
    assert [json.loads(row)["event"]["id"] for row in journal(tmp_path).splitlines()] == ["after"]


def test_an_openlineage_failure_with_colour_codes_is_kept_escaped(tmp_path: Path) -> None:
    """Stack traces in an ErrorMessageRunFacet often carry terminal colour codes: the FAIL event is recorded
    with them escaped (refusing it would lose the run's end), and its PROV-XML export parses."""
    run_id = "0190c1a0-0000-7000-8000-0000000000ff"
    facet = {"_producer": "https://example.org/p", "message": "\x1b[31mboom\x1b[0m", "programmingLanguage": "python",
             "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
             "stackTrace": "Traceback\x0c"}
    body = {"eventType": "FAIL", "eventTime": "2026-01-01T00:00:00Z", "job": {"namespace": "ns", "name": "job"},
            "run": {"runId": run_id, "facets": {"errorMessage": facet}}, "producer": "https://example.org/p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
    with LiveServer(ServerConfig(project=tmp_path)) as live, httpx.Client(base_url=live.url, timeout=60) as http:
        assert http.post("/api/v1/lineage", json=body).status_code in (201, 202)
        exported = http.get("/api/export", params={"format": "prov-xml"})
        assert exported.status_code == 200, exported.text
    texts = [node.text for node in ET.fromstring(exported.content).iter() if node.text and "boom" in node.text]
    assert texts == ["\\x1b[31mboom\\x1b[0m\n\nTraceback\\x0c"]


@pytest.mark.parametrize(("record", "field"), [
    (lambda r: r.param("p", "a\x00b"), "params.p"),
    (lambda r: r.log_params(p={"nested": 1}), "params.p"),
    (lambda r: r.annotate(note="\x1b[2J"), "annotations.note"),
    (lambda r: r.label("not a label!"), "labels[0]"),
], ids=["param-nul", "param-object", "annotation-escape", "label"])
def test_a_bad_value_is_refused_where_it_is_given_and_the_run_still_ends(tmp_path: Path, record: Any,
                                                                         field: str) -> None:
    """A bad parameter, annotation or label was only found when the run ended: its end event was refused, so
    the run stayed 'running' for ever and the error surfaced far from the call that made it."""
    project = Project.init(tmp_path)
    with pytest.raises(InvalidEvent) as caught, run("train", project=project, capture_environment=False) as r:
        record(r)
        pytest.fail("the bad value was accepted")
    assert caught.value.field == field
    ended = [e.event["run"] for e in project.journal.entries() if e.event["type"] == "run.end"]
    assert [(e["status"], e["error"]["type"]) for e in ended] == [("failed", "InvalidEvent")]


@pytest.mark.parametrize("kind", ["fifo", "manifest-bomb", "member-bomb"])
def test_audit_check_never_holds_a_bundle_member_in_memory(folder: Path, tmp_path: Path, kind: str) -> None:
    """``audit --check`` read every member of the bundle into memory: a 2.5 MB zip inflating to 2.5 GiB took
    that much memory (here: a MemoryError under the 2 GiB limit), and a FIFO blocked it."""
    path = tmp_path / "bundle.zip"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            if kind == "manifest-bomb":
                bundle.writestr("manifest.json", b" " * (64 << 20))
            else:
                bundle.writestr("manifest.json", json.dumps({"format": "provgraph-audit/1", "files": {}}))
                with bundle.open("huge.bin", "w", force_zip64=True) as member:
                    for _ in range(2560):
                        member.write(bytes(1 << 20))
    done = provgraph(folder, "audit", "--check", str(path), limits=MEMORY)
    if kind == "member-bomb":  # hashed as it inflated: the answer is about the bundle, not memory
        assert done.returncode == 1 and done.stdout.startswith(f"{path}: ") and "Traceback" not in done.stderr
        assert "huge.bin: not listed in the manifest" in done.stdout, (done.stdout, done.stderr[-500:])
        return
    reason = "larger than the limit of 16777216 bytes" if kind == "manifest-bomb" else "not a regular file"
    assert one_line_error(done) == f"provgraph: error: {path} is not a readable audit bundle: [Errno " \
                                   f"{27 if kind == 'manifest-bomb' else 22}] {reason}\n"


def test_a_store_that_fills_the_disk_after_the_journal_took_the_events_is_caught_up_later(folder: Path,
                                                                                          tmp_path: Path) -> None:
    """The events fit in the journal, the store's write then failed (a full disk): ingest said it would catch
    up, then failed anyway with exit 1 and an error line when closing the store."""
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(line(run_event(id=f"e{i}", run={"id": f"r{i}", "step": "s", "kind": "other"}))
                                + b"\n" for i in range(100)))
    done = provgraph(folder, "ingest", str(events), limits={resource.RLIMIT_FSIZE: 200_000})
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.startswith(f"recorded 100 events from {events} in the journal; the store is not available")
    assert done.stdout.rstrip().endswith("it will catch up on next use")
    assert len(journal(folder).splitlines()) == 100
    stats = json.loads(provgraph(folder, "stats", "--format", "json").stdout)
    assert (stats["runs_by_status"], stats["journal_entries"]) == ({"running": 100}, 100)
    assert provgraph(folder, "verify").stdout.startswith("journal OK: 100 entries")
