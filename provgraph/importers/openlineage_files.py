"""Importing files of OpenLineage events: a JSON event, a JSON array, JSON Lines, or a folder of those.

Files hold a run's whole story, so what single events cannot say is completed here. RUNNING events
carry outputs and statistics seen only while the run ran (OTHER events, metadata added to the run, are
taken alike): their inputs and outputs are folded into the
run's terminal event (COMPLETE, FAIL, ABORT) in the same files, else into its START, else into its first
RUNNING, which alone stays (a run without START starts at it). Then :func:`.openlineage.implied` adds
what the events imply, as for the HTTP endpoint, knowing that the files are the whole story: a run seen
first running or only ending starts at that event's time; a parent run known only from its children's
ParentRunFacet is a run of its job (kind ``pipeline``), started at its first child's event.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent, ProvgraphError
from ..limits import parse_json
from .naming import Imported
from .openlineage import STATUS, UPDATES, events_from_openlineage, implied
from .openlineage_spec import SPEC_ENV, find_spec
from .registry import ImportOptions

SUFFIXES = (".json", ".jsonl", ".ndjson")


def _payloads(path: Path) -> list[tuple[str, Any]]:
    """Every OpenLineage event in ``path`` (a file or folder), with where it was read."""
    files = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES) if path.is_dir() else [path]
    if not files or not files[0].is_file():
        raise ProvgraphError(f"{path}: no such file, or no OpenLineage events in it")
    found: list[tuple[str, Any]] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProvgraphError(f"{file}: cannot be read: {exc}") from exc
        # JSON Lines end lines with \n only: U+2028, U+0085 and the like are text inside a string
        lines = enumerate(text.split("\n"), 1) if file.suffix in (".jsonl", ".ndjson") else [(0, text)]
        for number, line in lines:
            if not line.strip():
                continue
            where = f"{file}, line {number}" if number else str(file)
            try:
                parsed = parse_json(line)
            except InvalidEvent as exc:
                raise InvalidEvent(f"{where}: {exc}") from exc
            found += [(f"{where}: event {i}", item) for i, item in enumerate(parsed)] if isinstance(parsed, list) \
                else [(where, parsed)]
    return found


def _run_key(item: Any) -> Any:
    run = item.get("run") if isinstance(item, dict) else None
    return run.get("runId") if isinstance(run, dict) else None


def _fold_running(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """RUNNING events' inputs and outputs moved into the run's terminal event, else its START, else its first
    RUNNING; of a run without START, the first RUNNING stays. What the target event says of a dataset stands;
    of what only RUNNING events say, the latest's (a streaming job's output grows from checkpoint to checkpoint)."""
    by_run: dict[Any, list[int]] = {}
    for index, (_, item) in enumerate(items):
        by_run.setdefault(_run_key(item), []).append(index)
    folded = list(items)
    kept: set[int] = set()
    for indexes in by_run.values():
        running = [i for i in indexes if _is_update(items[i][1])]
        if not running or _run_key(items[running[0]][1]) is None:
            continue
        types = {items[i][1].get("eventType"): i for i in indexes if isinstance(items[i][1], dict)}
        first = min(running, key=lambda i: str(items[i][1].get("eventTime")))
        target = next((types[t] for t in (*STATUS, "START") if t in types), first)
        if "START" not in types:  # the first RUNNING stays: the run starts at it (see .openlineage.implied)
            kept.add(first)
            if target != first:  # what it saw goes to the end, as every RUNNING's
                folded[first] = (items[first][0], {key: value for key, value in items[first][1].items()
                                                   if key not in ("inputs", "outputs")})
        merged = copy.deepcopy(folded[target][1])
        if target in running:  # a RUNNING's statistics give way to a later one's, as any RUNNING's
            merged = {key: value for key, value in merged.items() if key not in ("inputs", "outputs")}
        for i in sorted(running, key=lambda i: str(items[i][1].get("eventTime")), reverse=True):  # latest first
            if i != target or target in running:
                _merge(merged, items[i][1])
        folded[target] = (folded[target][0], merged)
    return [pair for i, pair in enumerate(folded) if i in kept or not _is_update(pair[1])]


def _is_update(item: Any) -> bool:
    """Whether ``item`` is a RUNNING or OTHER event (or one without eventType, taken as OTHER)."""
    return isinstance(item, dict) and "run" in item and item.get("eventType", "OTHER") in UPDATES


def _merge(target: dict[str, Any], running: dict[str, Any]) -> None:
    """Add a RUNNING event's datasets, and the facets it saw of datasets ``target`` has, to ``target``."""
    for key in ("inputs", "outputs"):
        mine = {(d.get("namespace"), d.get("name")): d for d in target.get(key) or () if isinstance(d, dict)}
        for dataset in running.get(key) or ():
            if not isinstance(dataset, dict):
                continue
            known = mine.get((dataset.get("namespace"), dataset.get("name")))
            if known is None:
                target[key] = [*(target.get(key) or ()), dataset]
                continue
            for facets in ("facets", "inputFacets", "outputFacets"):
                if isinstance(dataset.get(facets), dict):
                    known[facets] = {**dataset[facets], **(known.get(facets) or {})}


def read_files(source: str, options: ImportOptions) -> Imported:
    """The events of OpenLineage files (see the module docstring); all are validated before any is returned."""
    spec = find_spec(options.spec, options.check_input_facets)
    if spec is None and options.check_input_facets:
        raise ProvgraphError(f"--check-input-facets needs the OpenLineage spec: pass --spec or set {SPEC_ENV}")
    items = _payloads(Path(source))
    found: list[ev.Event] = []
    for done, (where, item) in enumerate(_fold_running(items), 1):
        try:
            found += events_from_openlineage(item, spec=spec)
        except InvalidEvent as exc:
            raise InvalidEvent(f"{where}: {exc}") from exc
        if options.progress:
            options.progress(done, None)
    recorded, extra = implied(found)
    found = extra + recorded  # implied starts first, as the endpoint records them
    counts = {"OpenLineage events": len(items)}
    running = sum(_is_update(item) for _, item in items)
    if running:
        counts["RUNNING and OTHER folded into their runs"] = running
    return Imported(found, counts)
