"""Printing results for people (aligned tables) and scripts (JSON, CSV)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..tables import cell, table

if TYPE_CHECKING:
    from tqdm import tqdm

    from ..project import Project

FORMATS = ("table", "json", "csv")


def add_format_option(parser: Any, formats: Sequence[str] = FORMATS) -> None:
    parser.add_argument("--format", choices=formats, default="table", help="output format (default: table)")


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str = "table",
         out: TextIO | None = None, payload: Any = None) -> None:
    """Print ``rows`` (dicts) as a table, JSON (``payload`` if given, else the rows) or CSV."""
    out = out or sys.stdout
    if fmt == "json":
        json.dump(payload if payload is not None else list(rows), out, indent=2, default=str,
                  ensure_ascii=False)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: cell(row.get(c)) for c in columns})
    else:
        out.write(table(rows, columns))


def file_name_for(prefix: str, ref: str, suffix: str) -> str:
    """A default output file named after a reference: ``audit-data_raw.csv.zip``."""
    return f"{prefix}-{''.join(c if c.isalnum() or c in '-_.' else '_' for c in ref)}{suffix}"


def progress_bar(total: int | None, unit: str, desc: str | None = None) -> tqdm:
    """A progress bar on standard error, drawn only when standard error is a terminal."""
    from tqdm import tqdm  # a hundredth of a second, for the commands that show progress only

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)


def catch_up(project: Project, events: int, what: str) -> int | str:
    """The store brought up to the journal after recording ``events`` (a progress bar named ``what``) and
    the project closed: the store's size in quads, or, if the store is not available (down, a full disk,
    which can fail the close too), what to tell the user: the events wait in the journal."""
    from ..errors import StoreError
    from ..redaction import redact

    try:
        with progress_bar(events, "event", what) as bar:
            project.sync(progress=bar.update)
        quads = len(project.store)
        project.close()  # flushes the store
    except StoreError as exc:
        return f"the store is not available now ({redact(str(exc))}): it will catch up on next use"
    return quads
