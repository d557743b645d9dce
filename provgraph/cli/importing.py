"""``provgraph import-runs --from TOOL SOURCE``: other tools' run records as events.

Every record is read and validated first; then all events are recorded at once, or none is. Imported
events have ids derived from their content, so importing the same records again records nothing new.
``--dry-run`` only reports how many events and runs would be recorded. The importers come from
:mod:`provgraph.importers.registry`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..errors import ProvgraphError, StoreError
from ..importers.registry import MODULES, ImportOptions, Progress, importer
from ..importers.sniff import sniff
from ..project import Project
from .output import catch_up, progress_bar


def register(sub: Any) -> None:
    p = sub.add_parser("import-runs", help="record runs from other tools: " + ", ".join(MODULES))
    p.add_argument("--from", dest="source", choices=tuple(MODULES), required=True, help="the tool that wrote SOURCE")
    p.add_argument("path", metavar="SOURCE", help="what the tool wrote: a file, a folder or a URI (see README)")
    p.add_argument("--dry-run", action="store_true", help="report what would be recorded; record nothing")
    p.add_argument("--spec", help="openlineage: folder of the OpenLineage spec (OpenLineage.json + facets/)")
    p.add_argument("--check-input-facets", action="store_true",
                   help="openlineage: also validate input-dataset facets (off by default, as in OpenLineage's proxy)")
    p.add_argument("--schema", help="dvc: the dvc.yaml JSON Schema file")
    p.add_argument("--experiment", help="mlflow: only this experiment (name or id)")
    p.add_argument("--since", help="mlflow: only runs started at or after this time (RFC 3339)")
    p.set_defaults(func=cmd_import_runs)


def cmd_import_runs(args: argparse.Namespace) -> int:
    chosen = importer(args.source)
    if ":" not in args.path and not Path(args.path).exists():
        raise ProvgraphError(f"{args.path}: no such file or folder")
    found = sniff(args.path)
    if found is not None and found != args.source:
        raise ProvgraphError(f"{args.path} holds {found} records, not {args.source}: use --from {found}")
    project = None if args.dry_run else Project.find(args.project, create=True)
    with _progress(args.path) as progress:
        options = ImportOptions(project_root=project.root if project else None, spec=args.spec,
                                check_input_facets=args.check_input_facets, schema=args.schema,
                                experiment=args.experiment, since=args.since, progress=progress)
        result = chosen.read(args.path, options)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if project is None:
        print(f"would record {result.summary()} from {args.path}")
        return 0
    try:
        fresh, _ = project.record_new(result.events, source=args.source)
        quads = catch_up(project, len(fresh), f"import {args.source}")
        store = quads if isinstance(quads, str) else f"store has {quads} quads"
        print(f"{_recorded(result.summary(), len(result.events), len(fresh), args.path)}; {store}")
    finally:
        with suppress(StoreError):  # the store's failure was reported; the journal holds the events
            project.close()
    return 0


def _recorded(summary: str, read: int, fresh: int, path: str) -> str:
    """What an import added: all it read, the new part of it, or nothing."""
    if fresh == read:
        return f"recorded {summary} from {path}"
    if not fresh:
        return f"nothing new in {path}: its {summary} were all recorded before"
    return f"recorded {fresh} new of the {summary} from {path} ({read - fresh} were recorded before)"


@contextmanager
def _progress(source: str) -> Iterator[Progress]:
    """Reading progress: the shared progress bar (drawn only on a terminal), fed by the importer."""
    with progress_bar(None, "record", f"reading {source}") as bar:
        def update(done: int, total: int | None) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        yield update
