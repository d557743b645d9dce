"""What ``dvc status`` would say of a locked stage, computed from the work tree: is it stale, and why.

A stage is stale when its command in ``dvc.yaml`` is not the locked one, a parameter it locked has
another value now, or a dependency present in the work tree has another md5 than the locked one (files
absent from the work tree, as in a fresh clone before ``dvc pull``, are not evidence of change). Hashes
are DVC's: the md5 of a file's bytes, and for a directory the md5 of DVC's listing of its files
(``<md5>.dir``). A frozen stage (``dvc freeze``) is stale only by its command, and staleness upstream does
not reach it.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
_SKIP = frozenset({".dvc", ".git"})


def file_hashes(path: Path) -> tuple[str, str] | None:
    """(md5, sha256) of a regular file, in one pass; None when it is not one (remembered per size and mtime)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _hashes(path, stat.st_size, stat.st_mtime_ns) if path.is_file() else None


@cache
def _hashes(path: Path, size: int, mtime_ns: int) -> tuple[str, str] | None:
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                md5.update(chunk)
                sha256.update(chunk)
    except OSError:
        return None
    return md5.hexdigest(), sha256.hexdigest()


def dir_md5(path: Path) -> str | None:
    """DVC's ``<md5>.dir`` hash of a directory: the md5 of the sorted JSON listing of its files' md5s."""
    if not path.is_dir():
        return None
    entries = []
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in _SKIP]
        for file in files:
            full = Path(folder) / file
            found = file_hashes(full)
            if found is None:
                return None
            entries.append({"md5": found[0], "relpath": full.relative_to(path).as_posix()})
    entries.sort(key=lambda entry: entry["relpath"])
    listing = json.dumps(entries, sort_keys=True).encode()
    return hashlib.md5(listing, usedforsecurity=False).hexdigest() + ".dir"


def current_md5(path: Path, locked: str) -> str | None:
    """The md5 ``path`` has now, in the form of ``locked`` (file or ``.dir``); None when it is absent."""
    if locked.endswith(".dir"):
        return dir_md5(path)
    found = file_hashes(path)
    return found[0] if found else None


def changes(lock_cmd: Any, yaml_cmd: Any, locked_params: dict[str, Any], current_params: dict[str, Any],
            deps: list[tuple[str, Path, str]], frozen: bool = False) -> list[str]:
    """Why a stage is stale (empty when it is not): ``deps`` are (path, file, locked md5). Of a ``frozen``
    stage only the command counts: ``dvc status`` does not check its deps and params."""
    reasons = []
    if yaml_cmd is not None and _cmd(yaml_cmd) != _cmd(lock_cmd):
        reasons.append("changed command")
    if frozen:
        return reasons
    changed = sorted(key for key, value in locked_params.items() if current_params.get(key, value) != value
                     or key not in current_params)
    if changed:
        reasons.append("changed params: " + ", ".join(changed))
    modified = [path for path, file, md5 in deps if (now := current_md5(file, md5)) is not None and now != md5]
    if modified:
        reasons.append("modified deps: " + ", ".join(modified))
    return reasons


def _cmd(cmd: Any) -> str:
    return "\n".join(str(c) for c in cmd) if isinstance(cmd, list) else str(cmd)
