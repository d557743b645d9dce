"""``provgraph validate``: PROV-CONSTRAINTS on a file, the store or one run; SHACL shapes on the store.

Exit codes: 0 valid, 1 violations found, 2 nothing could be validated (usage error, unreadable file,
unknown run).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ProvgraphError, ValidationError
from ..project import Project

EXIT_VALID, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


def register(sub: Any) -> None:
    p = sub.add_parser("validate", help="check a PROV document, the store or a run against PROV-CONSTRAINTS "
                                        "(and the store against the ML profile's SHACL shapes)")
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="a PROV document (PROV-N, PROV-JSON, PROV-XML, Turtle, TriG, ...); "
                        "default: the project's store")
    p.add_argument("--run", help="only this run's bundle")
    p.add_argument("--format", help="FILE's format, as for 'provgraph import' (default: from its extension)")
    p.add_argument("--no-shapes", action="store_true", help="skip the SHACL shapes (store and run only)")
    p.add_argument("--flatten", action="store_true",
                   help="validate all bundles (runs) as one instance, to find conflicts between them")
    p.add_argument("--json", action="store_true", help="print the report as JSON (default: text)")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes checking the whole store (default: one per processor)")
    p.set_defaults(func=cmd_validate)


def _read_file(path: str, fmt: str | None) -> Any:
    from ..provdoc.read import guess_format, read_document

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return read_document(data, fmt or guess_format(path, data), path)


def _reports(args: argparse.Namespace) -> list[tuple[str, Any]]:
    from ..validate import check_document, check_store
    from ..validate.workers import cores

    if args.file:
        return [(args.file, check_document(_read_file(args.file, args.format), flatten=args.flatten))]
    scope = f"run {args.run}" if args.run else "store"
    with Project.find(args.project) as project:
        reports = check_store(project.synced_store(), run=args.run, shapes=not args.no_shapes, flatten=args.flatten,
                              workers=cores() if args.jobs is None else args.jobs)
    return [(scope, report) for report in reports]


def cmd_validate(args: argparse.Namespace) -> int:
    if args.file and args.run:
        print("provgraph: error: give a FILE or --run RUN, not both", file=sys.stderr)
        return EXIT_USAGE
    if args.format and not args.file:
        print("provgraph: error: --format names FILE's format; give a FILE", file=sys.stderr)
        return EXIT_USAGE
    if args.file and args.no_shapes:
        print("provgraph: error: --no-shapes applies to the store; shapes are not checked on files",
              file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print(f"provgraph: error: --jobs must be at least 1, not {args.jobs}", file=sys.stderr)
        return EXIT_USAGE
    try:
        reports = _reports(args)
    except ProvgraphError as exc:
        print(f"provgraph: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ok = all(report.ok for _, report in reports)
    if args.json:
        payload = {"ok": ok, "reports": [{"scope": scope, **report.to_dict()} for scope, report in reports]}
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for scope, report in reports:
            print(f"{scope}: {report.text()}")
    return EXIT_VALID if ok else EXIT_VIOLATIONS
