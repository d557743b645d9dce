"""``provgraph import-runs --from mlflow|dvc|openlineage PATH``: other tools' run records as events.

Every record is read and validated first; then all events are recorded at once, or none is. Imported
events have ids derived from their content, so importing the same records again records nothing new.
``--dry-run`` only reports how many events and runs would be recorded.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import InvalidEvent, ProvgraphError
from ..importers.dvc import events_from_dvc
from ..importers.mlflow import events_from_mlflow
from ..importers.naming import Imported
from ..importers.openlineage import events_from_openlineage_payload
from ..importers.openlineage_spec import SPEC_ENV, find_spec
from ..project import Project

SOURCES = ("mlflow", "dvc", "openlineage")


def register(sub: Any) -> None:
    p = sub.add_parser("import-runs", help="record runs from MLflow exports, DVC pipelines or OpenLineage events")
    p.add_argument("--from", dest="source", choices=SOURCES, required=True, help="the tool that wrote PATH")
    p.add_argument("path", metavar="PATH",
                   help="mlflow: a run.json/model.json export or a folder of them; dvc: dvc.yaml or its folder; "
                        "openlineage: a JSON event, a JSON array, JSON Lines, or a folder of those")
    p.add_argument("--dry-run", action="store_true", help="report what would be recorded; record nothing")
    p.add_argument("--spec", help="openlineage: folder of the OpenLineage spec (OpenLineage.json + facets/)")
    p.add_argument("--check-input-facets", action="store_true",
                   help="openlineage: also validate input-dataset facets (off by default, as in OpenLineage's proxy)")
    p.add_argument("--schema", help="dvc: the dvc.yaml JSON Schema file")
    p.set_defaults(func=cmd_import_runs)


def _openlineage(path: Path, folder: str | None, check_input_facets: bool) -> Imported:
    spec = find_spec(folder, check_input_facets)
    if spec is None and check_input_facets:
        raise ProvgraphError(f"--check-input-facets needs the OpenLineage spec: pass --spec or set {SPEC_ENV}")
    files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl", ".ndjson")) if path.is_dir() \
        else [path]
    if not files or not files[0].is_file():
        raise ProvgraphError(f"{path}: no such file, or no OpenLineage events in it")
    found, received = [], 0
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProvgraphError(f"{file}: cannot be read: {exc}") from exc
        if file.suffix in (".jsonl", ".ndjson"):
            payloads: list[Any] = [(f"{file}, line {n}", line) for n, line in enumerate(text.splitlines(), 1)
                                   if line.strip()]
        else:
            payloads = [(str(file), text)]
        for where, payload in payloads:
            try:
                parsed = json.loads(payload)
            except ValueError as exc:
                raise InvalidEvent(f"{where}: not valid JSON: {exc}") from exc
            received += len(parsed) if isinstance(parsed, list) else 1
            try:
                found += events_from_openlineage_payload(parsed, spec=spec)
            except InvalidEvent as exc:
                raise InvalidEvent(f"{where}: {exc}") from exc
    counts = {"OpenLineage events": received}
    if received > len(found):  # RUNNING/OTHER run events, dataset and job events: no run starts or ends
        counts["without a run start or end"] = received - len(found)
    return Imported(found, counts)


def cmd_import_runs(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise ProvgraphError(f"{path}: no such file or folder")
    if args.source == "mlflow":
        result = events_from_mlflow(path)
    elif args.source == "dvc":
        root = None
        if not args.dry_run:
            project_root = Project.find(args.project, create=True).root
            root = project_root if path.resolve().is_relative_to(project_root) else None
        result = events_from_dvc(path, root=root, schema=args.schema)
    else:
        result = _openlineage(path, args.spec, args.check_input_facets)
    if args.dry_run:
        print(f"would record {result.summary()} from {path}")
        return 0
    with Project.find(args.project, create=True) as project:
        seen = {entry.event.get("id") for entry in project.journal.entries()}
        fresh = [event for event in result.events if event["id"] not in seen]
        project.record_many(fresh)
        skipped = len(result.events) - len(fresh)
        note = f" ({skipped} of its events were already recorded and were skipped)" if skipped else ""
        print(f"recorded {result.summary()} from {path}{note}; store has {len(project.store)} quads")
    return 0
