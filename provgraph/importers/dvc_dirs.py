"""A dependency on one file of another stage's directory output: the directory version it came from.

A stage may depend on a file inside a directory that another stage outputs (``deps:
[data/prepared/train.csv]`` where ``prepare`` outputs ``data/prepared``); ``dvc dag`` draws that edge. The
file's version is not the directory's, so lineage through it needs the directory version the file was
part of: the producing stage's locked ``<md5>.dir``, when DVC's cache listing of that directory holds the
file with the md5 the dependency locked (without the listing, as in a fresh clone before ``dvc pull``,
the lock is trusted, as ``dvc dag`` trusts the paths).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["container"]


def _listing(root: Path, md5: str) -> dict[str, str] | None:
    """The files of the directory version ``md5`` (``<hash>.dir``) by relative path, from the project's DVC
    cache (DVC 3's ``files/md5/`` layout, then DVC 2's); None when the cache does not hold it."""
    for cache in (root / ".dvc" / "cache" / "files" / "md5", root / ".dvc" / "cache"):
        try:
            entries = json.loads((cache / md5[:2] / md5[2:]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(entries, list):
            return {str(e.get("relpath")): str(e.get("md5")) for e in entries if isinstance(e, dict)}
    return None


def container(location: str, md5: str, outs: dict[str, str], root: Path,
              trusted: bool = True) -> tuple[str, str] | None:
    """(location, ``<hash>.dir``) of the directory output in ``outs`` (location -> locked md5) whose version
    holds the file ``location`` with ``md5``; without a cache listing, the one holding its path when
    ``trusted``, else None."""
    for out, locked in outs.items():
        if not (locked.endswith(".dir") and location.startswith(out + "/")):
            continue
        files = _listing(root, locked)
        if (files is None and trusted) or (files is not None and files.get(location[len(out) + 1:]) == md5):
            return out, locked
    return None
