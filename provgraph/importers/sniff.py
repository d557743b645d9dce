"""Which tool wrote a file or folder: ``sniff(path) -> "kfp" | "pachyderm" | ... | None``.

The CLI asks before importing, so that ``import-runs --from dvc`` on a compiled KFP pipeline is an error
naming the right ``--from`` instead of "recorded 0 events". It only answers when the evidence is clear
(a file's own markers, a folder's tell-tale files); anything else is ``None`` and left to the importer.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

__all__ = ["sniff"]

_HEAD = 256 * 1024
_MLMD_TABLES = {"Artifact", "Execution", "Event", "Context"}


def _json_kind(obj: Any) -> str | None:
    if isinstance(obj, list):
        return _json_kind(obj[0]) if obj else None
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("mlflow"), dict):
        return "mlflow"
    if isinstance(obj.get("pipelineInfo"), dict) and "root" in obj:
        return "kfp"
    if (isinstance(obj.get("pipeline"), dict) and "transform" in obj) or \
            (isinstance(obj.get("commit"), dict) and isinstance(obj["commit"].get("repo"), dict)):
        return "pachyderm"
    if "eventType" in obj or (isinstance(obj.get("run"), dict) and isinstance(obj.get("job"), dict)):
        return "openlineage"
    return None


def _sqlite_kind(path: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return None
    return "mlmd" if tables >= _MLMD_TABLES else None


def _file_kind(path: Path) -> str | None:
    if path.name in ("dvc.yaml", "dvc.lock"):
        return "dvc"
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
    if head.startswith(b"SQLite format 3"):
        return _sqlite_kind(path)
    text = head.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return _json_kind(json.JSONDecoder().raw_decode(stripped)[0])
        except (ValueError, RecursionError):  # RecursionError: nested too deep to tell
            first = stripped.split("\n", 1)[0]  # a JSON line may hold U+2028 and the like in its strings
            try:
                return _json_kind(json.loads(first))  # JSON Lines
            except (ValueError, RecursionError):
                return None
    lines = {line.split(":", 1)[0] for line in text.splitlines() if line and not line[0].isspace()}
    if {"pipelineInfo", "root"} <= lines and ("components" in lines or "deploymentSpec" in lines):
        return "kfp"
    if path.suffix in (".pbtxt", ".textproto") and any(f"{db} {{" in text or f"{db}{{" in text
                                                       for db in ("sqlite", "mysql")):
        return "mlmd"
    return None


def sniff(path: str | Path) -> str | None:
    """The ``--from`` kind of the records at ``path`` when it is clear, else ``None``."""
    target = Path(path)
    try:
        if target.is_file():
            return _file_kind(target)
        if target.is_dir():
            if (target / "dvc.yaml").is_file():
                return "dvc"
            if target.name == ".neptune" or ((target / "metadata.json").is_file() and any(target.glob("data-*.log"))):
                return "neptune"
    except OSError:
        return None
    return None
