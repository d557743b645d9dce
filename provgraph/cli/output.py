"""Printing results for people (aligned tables) and scripts (JSON, CSV)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

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
            writer.writerow({c: _cell(row.get(c)) for c in columns})
    else:
        out.write(table(rows, columns))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """An aligned plain-text table with a header row; ``(none)`` when empty."""
    if not rows:
        return "(none)\n"
    cells = [[_cell(row.get(c)).replace("\n", " ") for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"
