"""Content hashes of files and directories: sha256, streamed, cached by path, size and mtime.

The cache is a small SQLite table in the project folder (safe for several processes), so re-hashing an
unchanged 1 GB file costs one ``stat`` and one lookup. A directory's hash is the sha256 of its sorted
listing ``relative/path\\0sha256\\0size\\n`` (symlinks listed by target text, never followed; FIFOs, sockets
and devices listed as ``special``, never read).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


@dataclass(frozen=True)
class Digest:
    """The sha256 and size of a file or tree."""

    sha256: str
    size: int
    directory: bool = False


def sha256_file(path: str | Path) -> str:
    """Stream a file through sha256."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashCache:
    """A persistent ``(path, size, mtime_ns, inode) -> sha256`` cache; ``path=None`` keeps it in memory."""

    def __init__(self, path: str | Path | None) -> None:
        self._db = sqlite3.connect(str(path) if path else ":memory:", timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
            " inode INTEGER, sha256 TEXT)"
        )

    def file(self, path: str | Path) -> Digest:
        """The digest of one file, from the cache when its size, mtime and inode are unchanged."""
        real = os.path.realpath(path)
        st = os.stat(real)
        row = self._db.execute(
            "SELECT sha256 FROM hashes WHERE path=? AND size=? AND mtime_ns=? AND inode=?",
            (real, st.st_size, st.st_mtime_ns, st.st_ino),
        ).fetchone()
        if row:
            return Digest(row[0], st.st_size)
        sha = sha256_file(real)
        self._db.execute("INSERT OR REPLACE INTO hashes VALUES (?,?,?,?,?)",
                         (real, st.st_size, st.st_mtime_ns, st.st_ino, sha))
        return Digest(sha, st.st_size)

    def tree(self, root: str | Path) -> Digest:
        """The digest of a directory tree (see the module docstring)."""
        base = Path(root)
        lines, total = [], 0
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            for name in sorted(files):
                full = Path(folder) / name
                rel = full.relative_to(base).as_posix()
                if full.is_symlink():
                    lines.append(f"{rel}\0link:{os.readlink(full)}\0" + "0\n")
                    continue
                if not full.is_file():  # a FIFO, socket or device: listed, never read (that could block)
                    lines.append(f"{rel}\0special\0" + "0\n")
                    continue
                digest = self.file(full)
                total += digest.size
                lines.append(f"{rel}\0{digest.sha256}\0{digest.size}\n")
        listing = "".join(sorted(lines)).encode()
        return Digest(hashlib.sha256(listing).hexdigest(), total, directory=True)

    def digest(self, path: str | Path) -> Digest:
        """File or directory, whichever ``path`` is."""
        return self.tree(path) if os.path.isdir(path) else self.file(path)

    def close(self) -> None:
        self._db.close()
