"""Audit bundles: one zip a reviewer can check without provgraph.

``provgraph audit REF -o bundle.zip`` writes the lineage of ``REF`` (or its impact) in every export
format, the rendered diagram, a readable summary, the journal verification result, and a manifest
with the sha256 of every file (``manifest.json``, and the same list as ``SHA256SUMS`` so that
``sha256sum -c SHA256SUMS`` works too). :func:`check_audit` re-reads a bundle and reports every file
whose bytes no longer match, every file missing and every file added.

A manifest proves that the files agree with it, not who wrote it: keep the manifest's own sha256
(printed when the bundle is made) somewhere the bundle's recipient cannot change.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from pyoxigraph import NamedNode

from ..errors import ExportError, InvalidEvent
from ..export.document import scoped_quads
from ..export.formats import FORMATS, serialize_document, serialize_quads
from ..limits import open_regular, parse_json, read_bounded
from ..project import Project
from ..provdoc.decode import document_from_quads
from ..store import Store
from ..version import __version__

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
BUNDLE_FORMAT = "provgraph-audit/1"
MAX_MANIFEST_BYTES = 16 << 20  # the manifest and SHA256SUMS: read whole, so bounded


@dataclass
class AuditResult:
    """What :func:`build_audit` wrote: the archive, its files with their sha256, and the manifest's hash."""

    path: Path
    files: dict[str, str]
    manifest_sha256: str
    notes: list[str] = field(default_factory=list)


@dataclass
class AuditCheck:
    """Outcome of :func:`check_audit`: ``ok`` when every listed file is present and unchanged."""

    path: Path
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            journal = self.manifest.get("journal", {})
            return (f"{self.path}: all {self.checked} files match the manifest "
                    f"(journal verified at creation: {journal.get('entries')} entries, head {journal.get('head')})")
        return f"{self.path}: {len(self.problems)} problem(s):\n" + "\n".join(f"  {p}" for p in self.problems)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _member_sha256(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """The sha256 of a bundle member, hashed as it inflates."""
    with archive.open(info) as member:
        return hashlib.file_digest(cast(io.BufferedIOBase, member), "sha256").hexdigest()  # a ZipExtFile is one


def _select(store: Store, ref: str, direction: str, root: Path) -> tuple[NamedNode, Any]:
    from ..query import impact, lineage

    if direction not in ("lineage", "impact"):
        raise ExportError(f"an audit covers the lineage or the impact of a node, not {direction!r}")
    answer = (lineage if direction == "lineage" else impact)(store, ref, root=root)
    return answer.nodes[0], answer


def _diagram(store: Store, focus: NamedNode, direction: str) -> tuple[str, bytes, str]:
    """The rendered diagram: SVG from provgraph.render, or its DOT source when Graphviz is missing."""
    from ..errors import RenderError
    from ..render import diagram, svg

    way = "up" if direction == "lineage" else "down"
    try:
        return "diagram.svg", svg(store, focus=focus.value, direction=way).encode("utf-8"), ""
    except RenderError as exc:
        dot = diagram(store, focus=focus.value, direction=way).source.encode("utf-8")
        return "diagram.dot", dot, f"the diagram is Graphviz DOT source, not SVG: {exc}"


def _summary(ref: str, focus: NamedNode, direction: str, answer: Any, verification: dict[str, Any],
             created: str, files: dict[str, str], notes: list[str]) -> bytes:
    rows = list(answer.rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row.get("type", "?"))] = counts.get(str(row.get("type", "?")), 0) + 1
    journal = f"OK: {verification.get('entries')} entries, head `{verification.get('head')}`"
    lines = [
        f"# Audit bundle: {direction} of `{ref}`",
        "",
        f"- Subject: `{focus.value}`",
        f"- Created: {created} by provgraph {__version__}",
        f"- Journal verification at creation: {journal}",
    ]
    lines += ["- Nodes in scope: " + (", ".join(f"{n} {t}" for t, n in sorted(counts.items())) or "none"), "",
              f"## The {direction}", "", "| depth | type | label | id |", "|---|---|---|---|"]
    for row in rows:
        label = str(row.get("label") or "").replace("|", "\\|")
        lines.append(f"| {row.get('depth', '')} | {row.get('type', '')} | {label} | `{row.get('iri', '')}` |")
    lines += ["", "## Files", "", "| file | sha256 |", "|---|---|"]
    lines += [f"| {name} | `{digest}` |" for name, digest in sorted(files.items())]
    lines += [f"\nNote: {note}" for note in notes]
    lines += ["", f"Check with `provgraph audit --check BUNDLE.zip` or `sha256sum -c {SUMS}` after unzipping.", ""]
    return "\n".join(lines).encode("utf-8")


def build_audit(project: Project, ref: str, path: str | Path, direction: str = "lineage",
                progress: Callable[[str], object] | None = None) -> AuditResult:
    """Write the audit bundle of ``ref``'s ``direction`` (``"lineage"`` or ``"impact"``) to ``path``."""
    verification = project.verify()
    if not verification.ok:
        raise ExportError(f"refusing to certify a lineage whose history is damaged: {verification.summary()}")
    store = project.synced_store()
    focus, answer = _select(store, ref, direction, project.root)
    quads = scoped_quads(store, nodes=answer.nodes)
    document = document_from_quads(quads)
    created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    contents: dict[str, bytes] = {}
    notes: list[str] = []
    for name, spec in FORMATS.items():
        if progress:
            progress(spec.label)
        try:
            data = serialize_document(document, name) if spec.prov_dm else serialize_quads(quads, name)
        except ExportError as exc:  # e.g. PROV-JSONLD has no form for PROV-Dictionary relations
            notes.append(f"no {spec.label} file: {exc}")
            continue
        contents[f"{direction}{spec.extension}"] = data
    diagram_name, diagram_bytes, note = _diagram(store, focus, direction)
    contents[diagram_name] = diagram_bytes
    notes += [note] if note else []
    contents["journal-verification.json"] = json.dumps(verification.as_dict(), indent=2).encode("utf-8")
    files = {name: _sha256(data) for name, data in contents.items()}
    contents["summary.md"] = _summary(ref, focus, direction, answer, verification.as_dict(), created, files, notes)
    files["summary.md"] = _sha256(contents["summary.md"])
    manifest = {
        "format": BUNDLE_FORMAT, "created": created, "generator": f"provgraph {__version__}",
        "subject": {"ref": ref, "iri": focus.value, "scope": direction, "nodes": len(answer.nodes)},
        "journal": verification.as_dict(), "notes": notes,
        "files": {n: {"sha256": files[n], "bytes": len(contents[n])} for n in sorted(files)},
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    contents[MANIFEST] = manifest_bytes
    contents[SUMS] = "".join(f"{files[n]}  {n}\n" for n in sorted(files)).encode("utf-8")
    target = Path(path)
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in contents.items():
                archive.writestr(name, data)
    except OSError as exc:
        raise ExportError(f"cannot write the audit bundle {target}: {exc}") from exc
    return AuditResult(target, files, _sha256(manifest_bytes), notes)


def check_audit(path: str | Path) -> AuditCheck:
    """Re-verify an audit bundle's checksums against its manifest (and ``SHA256SUMS``)."""
    result = AuditCheck(Path(path))
    try:  # members are hashed as they inflate, never held: a bomb costs time, not memory
        with open_regular(result.path) as handle, zipfile.ZipFile(handle) as archive:
            digests = {info.filename: _member_sha256(archive, info) for info in archive.infolist()
                       if not info.is_dir()}
            if MANIFEST not in digests:
                raise ExportError(f"{result.path} has no {MANIFEST}; it is not a provgraph audit bundle")
            texts = {name: read_bounded(archive.open(name), MAX_MANIFEST_BYTES) for name in (MANIFEST, SUMS)
                     if name in digests}
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise ExportError(f"{result.path} is not a readable audit bundle: {exc}") from exc
    try:
        manifest = parse_json(texts[MANIFEST])
        listed = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    except (InvalidEvent, KeyError, TypeError, AttributeError) as exc:
        result.problems.append(f"{MANIFEST} is unreadable: {exc}")
        return result
    result.manifest = manifest
    if manifest.get("format") != BUNDLE_FORMAT:
        result.problems.append(f"{MANIFEST}: unknown bundle format {manifest.get('format')!r}")
    for name, digest in sorted(listed.items()):
        if name not in digests:
            result.problems.append(f"{name}: listed in the manifest but missing")
        elif digests[name] != digest:
            result.problems.append(f"{name}: sha256 {digests[name]} does not match the manifest ({digest})")
        else:
            result.checked += 1
    for name in sorted(set(digests) - set(listed) - {MANIFEST, SUMS}):
        result.problems.append(f"{name}: not listed in the manifest")
    sums = "".join(f"{listed[n]}  {n}\n" for n in sorted(listed)).encode("utf-8")
    if texts.get(SUMS) != sums:
        result.problems.append(f"{SUMS} does not agree with {MANIFEST}")
    return result
