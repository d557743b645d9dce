"""The committed history of a DVC file, for dating what it records by the commit that wrote it and for the
stage runs that only older versions of a dvc.lock record.

:class:`Versions` walks the commits that changed a ``dvc.lock`` (or ``.dvc`` file), newest first, and
finds the oldest since which one stage's entry (or the whole file) is as it is now.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import InvalidEvent
from . import gitlog, naming
from .dvc_yaml import parse_yaml, path_entries

__all__ = ["Versions", "as_ran", "lock_stages"]


def lock_stages(data: Any) -> dict[str, Any] | None:
    """The stages of a parsed dvc.lock (schema 2 under ``stages``, schema 1 at the top), or None."""
    stages = data.get("stages", data) if isinstance(data, dict) and "schema" in data else data
    return stages if isinstance(stages, dict) else None


def as_ran(spec: dict[str, Any], locked: dict[str, Any]) -> dict[str, Any]:
    """The stage as an older lock entry says it ran: its deps and outs, each out in the section (with the
    flags) today's ``spec`` gives it, else an out; today's ``wdir``."""
    sections = {path: (key, flags) for key in ("outs", "metrics", "plots")
                for path, flags in path_entries(spec.get(key))}
    deps = [e["path"] for e in locked.get("deps") or () if isinstance(e, dict) and isinstance(e.get("path"), str)]
    ran: dict[str, Any] = {"wdir": spec.get("wdir", "."), "deps": deps}
    for entry in locked.get("outs") or ():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            key, flags = sections.get(entry["path"], ("outs", {}))
            ran.setdefault(key, []).append({entry["path"]: flags})
    return ran


_STAGES = b"\nstages:\n"
_NEXT_KEY = re.compile(rb"\n  \S")


def _block(text: bytes, stage: str) -> bytes | None:
    """The text of ``stage``'s entry in a dvc.lock as DVC writes it (``  name:`` under ``stages:``), or None."""
    top = text.find(_STAGES)
    start = text.find(f"\n  {stage}:\n".encode(), top) if top >= 0 else -1
    if start < 0:
        return None
    end = _NEXT_KEY.search(text, start + 1)
    return text[start:end.start() if end else len(text)]


class Versions:
    """The committed versions of one file, newest first, read as far as a walk goes. DVC writes a stage it
    left alone as the same text, so a version is parsed only where the record's text differs from now."""

    def __init__(self, file: Path) -> None:
        self.file, self.pending, self.now = file, gitlog.versions(file), file.read_bytes()
        self.read: list[tuple[gitlog.Commit, bytes | None]] = []
        self.parsed: dict[int, Any] = {}

    def unchanged_since(self, current: Any, stage: str | None) -> gitlog.Commit | None:
        """The oldest commit since which the record (``stage``'s lock entry, or the whole file) is ``current``."""
        since, index = None, 0
        while index < len(self.read) or self._more():
            commit, content = self.read[index]
            if content is None or not self._same(index, content, current, stage):
                break
            since, index = commit, index + 1
        return since

    def _more(self) -> bool:
        found = next(self.pending, None)
        if found is not None:
            self.read.append(found)
        return found is not None

    def entries(self) -> dict[tuple[str, str], tuple[gitlog.Commit, dict[str, Any]]]:
        """Every stage entry a committed version of the lock held, by (stage, its canonical text), with the
        oldest commit that held it; a version git cannot parse is left out. Reads the whole history."""
        while self._more():
            pass
        found: dict[tuple[str, str], tuple[gitlog.Commit, dict[str, Any]]] = {}
        for index, (commit, content) in enumerate(self.read):
            stages = lock_stages(self._parsed(index, content)) if content is not None else None
            for stage, entry in (stages or {}).items():
                if isinstance(entry, dict):
                    found[(str(stage), naming.canonical(entry))] = (commit, entry)  # newest first: the oldest stays
        return found

    def documents(self) -> list[tuple[gitlog.Commit, Any]]:
        """Every distinct committed version of the file, parsed, with the oldest commit that held it; a version
        git cannot parse is left out. Reads the whole history."""
        while self._more():
            pass
        found: dict[str, tuple[gitlog.Commit, Any]] = {}
        for index, (commit, content) in enumerate(self.read):
            if content is not None and (document := self._parsed(index, content)) is not None:
                found[naming.canonical(document)] = (commit, document)  # newest first: the oldest stays
        return list(found.values())

    def _same(self, index: int, content: bytes, current: Any, stage: str | None) -> bool:
        if stage is None and content == self.now:
            return True
        if stage is not None and (block := _block(content, stage)) is not None and block == _block(self.now, stage):
            return True
        document = self._parsed(index, content)
        return (document if stage is None else (lock_stages(document) or {}).get(stage)) == current

    def _parsed(self, index: int, content: bytes) -> Any:
        if index not in self.parsed:
            try:
                self.parsed[index] = parse_yaml(content.decode("utf-8"), f"{self.file} at {self.read[index][0].sha}")
            except (InvalidEvent, UnicodeDecodeError):
                self.parsed[index] = None
        return self.parsed[index]
