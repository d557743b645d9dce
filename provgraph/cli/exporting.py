"""Standards commands: export, import, audit."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..errors import ExportError
from ..project import Project
from .output import file_name_for, progress_bar


def register(sub: Any) -> None:
    # formats are checked (and listed in the error) by export and import, so building the parser
    # imports neither: every command starts fast
    p = sub.add_parser("export", help="write the store, a run, or a lineage/impact in a W3C PROV or RDF format")
    p.add_argument("--format", "-f",
                   help="provn, prov-json, prov-xml, prov-jsonld (PROV-DM); turtle, trig, nquads, jsonld (PROV-O); "
                        "default: from the suffix of -o (.provn, .provjson, .provx, .ttl, .trig, .nq, .jsonld, ...)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--run", help="only this run's bundle")
    scope.add_argument("--lineage", metavar="REF", help="only what REF came from (path, hash, name, run or IRI)")
    scope.add_argument("--impact", metavar="REF", help="only what was derived from REF")
    p.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="read a PROV document (PROV-N, PROV-JSON, PROV-XML, PROV-JSONLD, Turtle, "
                                      "TriG, N-Quads, JSON-LD) into the store, each bundle a named graph")
    p.add_argument("file", metavar="FILE",
                   help="the document; its format is read from the extension unless --format is given")
    p.add_argument("--format", help="the document's format: provn, prov-json, prov-xml, prov-jsonld, turtle, trig, "
                                    "nquads, rdfxml, jsonld (default: by extension)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("audit", help="write (or --check) an audit bundle: lineage in every format, diagram, "
                                     "summary, checksums and journal verification")
    p.add_argument("ref", nargs="?", metavar="REF", help="the artifact, run or model to audit")
    p.add_argument("-o", "--output", help="the bundle to write (default: audit-<ref>.zip)")
    p.add_argument("--impact", action="store_true", help="audit what was derived from REF instead of its lineage")
    p.add_argument("--check", metavar="BUNDLE", help="re-verify the checksums of an existing bundle")
    p.set_defaults(func=cmd_audit)


@contextmanager
def _output(output: str) -> Iterator[IO[bytes]]:
    """Standard output, or a temporary file beside ``output`` that becomes it once written whole: an
    export that fails leaves no half-written file (and an older one as it was)."""
    if output == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    target = Path(output)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with open(temporary, "wb") as handle:
            yield handle
        os.replace(temporary, target)
    except OSError as exc:
        raise ExportError(f"cannot write {output}: {exc.strerror or exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)


def _export_format(args: argparse.Namespace) -> str:
    """--format, else the format the suffix of -o names."""
    from ..export import FORMATS
    from ..provdoc.read import guess_format

    if args.format:
        return str(args.format)
    if args.output == "-":
        raise ExportError("give --format when writing to standard output (or -o FILE with a known suffix)")
    fmt = guess_format(args.output, b"")
    if fmt not in FORMATS:
        raise ExportError(f"{args.output}: provgraph does not write {fmt}; give --format ({', '.join(FORMATS)})")
    return fmt


def cmd_export(args: argparse.Namespace) -> int:
    from ..export import write
    from ..query import impact, lineage

    args.format = _export_format(args)
    scoped = args.lineage or args.impact
    with Project.find(args.project) as project, progress_bar(2 if scoped else 1, "step", "export") as bar:
        store = project.synced_store()
        nodes = None
        if scoped:
            bar.set_description(f"{'lineage' if args.lineage else 'impact'} of {scoped}")
            ask = lineage if args.lineage else impact
            nodes = ask(store, scoped, root=project.root).nodes
            bar.update()
        bar.set_description(f"writing {args.format}")
        with _output(args.output) as out:
            write(store, args.format, out, run=args.run, nodes=nodes)
        bar.update()
    if args.output != "-":
        print(f"wrote {args.output} ({Path(args.output).stat().st_size} bytes, {args.format})", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..importers import guess_format, import_event
    from ..importers.prov_load import read_file

    data = read_file(args.file)
    event, result = import_event(data, args.format or guess_format(args.file, data), args.file)
    with Project.find(args.project) as project:
        project.record(event)
        project.sync()
    print(result.summary())
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from ..usecases.audit import build_audit, check_audit

    if args.check:
        check = check_audit(args.check)
        print(check.summary())
        return 0 if check.ok else 1
    if not args.ref:
        raise ExportError("name what to audit (provgraph audit REF -o bundle.zip) or give --check BUNDLE")
    output = args.output or file_name_for("audit", args.ref, ".zip")
    from ..export import FORMATS

    with Project.find(args.project) as project, progress_bar(len(FORMATS), "format", "audit") as bar:
        started: list[str] = []

        def writing(label: str) -> None:  # called as each format begins
            bar.update(1 if started else 0)
            started.append(label)
            bar.set_description(label)

        result = build_audit(project, args.ref, output, "impact" if args.impact else "lineage", progress=writing)
        bar.update(1)
    print(f"wrote {result.path}: {len(result.files)} files; manifest sha256 {result.manifest_sha256}")
    for note in result.notes:
        print(f"note: {note}")
    return 0
