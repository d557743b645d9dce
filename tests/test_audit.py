"""Audit bundles: every format, the diagram, the summary, checksums, journal verification; tampering is caught."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import prov
import pytest
from lxml import etree
from test_export import PREP, SCHEMAS, TRAIN, B, M, sample_events

from provgraph.cli import main
from provgraph.errors import ExportError
from provgraph.export import prov_document
from provgraph.project import Project
from provgraph.usecases.audit import build_audit, check_audit
from provgraph.vocab import iri

FORMAT_FILES = {"lineage.provn", "lineage.json", "lineage.provx", "lineage.prov.jsonld", "lineage.ttl",
                "lineage.trig", "lineage.nq", "lineage.jsonld"}


@pytest.fixture
def bundle(project: Project, tmp_path: Path) -> Path:
    project.record_many(sample_events())
    assert main(["audit", "models/m.pkl", "-o", str(tmp_path / "bundle.zip")]) == 0
    return tmp_path / "bundle.zip"


def _rewrite(path: Path, change: dict[str, bytes | None]) -> None:
    """Rewrite the zip with some members replaced (bytes) or removed (None)."""
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    for name, data in change.items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_bundle_holds_every_format_diagram_summary_and_verification(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        contents = {n: archive.read(n) for n in names}
    assert names == FORMAT_FILES | {"diagram.svg", "summary.md", "journal-verification.json", "manifest.json",
                                    "SHA256SUMS"}
    manifest = json.loads(contents["manifest.json"])
    assert manifest["subject"]["iri"] == iri("data", f"sha256-{M}").value
    # the manifest's checksums are the files' sha256, computed here independently
    assert {n: e["sha256"] for n, e in manifest["files"].items()} == {
        n: hashlib.sha256(d).hexdigest() for n, d in contents.items() if n not in ("manifest.json", "SHA256SUMS")}
    assert json.loads(contents["journal-verification.json"])["ok"] is True
    assert json.loads(contents["journal-verification.json"])["entries"] == 4
    assert contents["diagram.svg"].lstrip().startswith((b"<?xml", b"<svg"))
    summary = contents["summary.md"].decode()
    assert "lineage of `models/m.pkl`" in summary and "prepare" in summary and "raw" in summary
    # the lineage reaches back to raw.csv through 1prep
    provn = contents["lineage.provn"].decode()
    assert f"run:{PREP}" in provn and f"data:sha256-{B}" in provn
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "prov.xsd")))
    assert schema.validate(etree.fromstring(contents["lineage.provx"])), schema.error_log


def test_bundled_prov_json_is_the_lineage_document(bundle: Path, project: Project) -> None:
    from provgraph.query import lineage

    with zipfile.ZipFile(bundle) as archive:
        doc = prov.read(io.BytesIO(archive.read("lineage.json")), format="json")
    nodes = lineage(project.synced_store(), "models/m.pkl", root=project.root).nodes
    assert doc == prov_document(project.synced_store(), nodes=nodes)
    assert {b.identifier.localpart for b in doc.bundles} == {PREP, TRAIN}


def test_check_passes_on_an_untouched_bundle(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = check_audit(bundle)
    assert result.ok and result.checked == 11
    assert main(["audit", "--check", str(bundle)]) == 0
    assert "all 11 files match" in capsys.readouterr().out


@pytest.mark.parametrize(("change", "problem"), [
    ({"lineage.provn": b"document\nendDocument\n"}, "lineage.provn: sha256"),
    ({"diagram.svg": None}, "diagram.svg: listed in the manifest but missing"),
    ({"extra.txt": b"hello"}, "extra.txt: not listed in the manifest"),
    ({"SHA256SUMS": b"0  lineage.provn\n"}, "SHA256SUMS does not agree"),
    ({"manifest.json": b"{"}, "manifest.json is unreadable"),
], ids=["edited", "removed", "added", "sums", "manifest"])
def test_tampering_is_detected(bundle: Path, change: dict[str, bytes | None], problem: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    _rewrite(bundle, change)
    result = check_audit(bundle)
    assert not result.ok
    assert any(p.startswith(problem) for p in result.problems), result.problems
    assert main(["audit", "--check", str(bundle)]) == 1
    assert problem in capsys.readouterr().out


def test_a_broken_journal_refuses_an_audit(project: Project, tmp_path: Path) -> None:
    project.record_many(sample_events())
    project.sync()  # before the journal is damaged
    lines = project.journal.path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["event"]["run"]["status"] = "failed"
    lines[1] = json.dumps(entry)
    project.journal.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ExportError, match="history is damaged: journal BROKEN at entry 1"):
        build_audit(project, "models/m.pkl", tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_bad_requests_are_clear_errors(project: Project, tmp_path: Path) -> None:
    project.record_many(sample_events())
    with pytest.raises(ExportError, match="not a readable audit bundle"):
        (tmp_path / "x.zip").write_bytes(b"not a zip")
        check_audit(tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "y.zip", "w") as archive:
        archive.writestr("a.txt", "a")
    with pytest.raises(ExportError, match=r"no manifest\.json"):
        check_audit(tmp_path / "y.zip")
    assert main(["audit"]) == 1


def test_auditing_twice_gives_the_same_exports(project: Project, tmp_path: Path) -> None:
    project.record_many(sample_events())
    first = build_audit(project, "models/m.pkl", tmp_path / "a.zip").files
    second = build_audit(project, "models/m.pkl", tmp_path / "b.zip").files
    exports = sorted(FORMAT_FILES)
    assert [first[n] for n in exports] == [second[n] for n in exports]
