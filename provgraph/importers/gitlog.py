"""What git knows about an imported project: its identity (remote URL), and the commits that changed a file.

Importers date records by the commit that wrote them (a file's modification time changes with ``touch``
or a fresh clone; its commits do not), and name a project by its remote so that two clones of one
repository are one project.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..gitinfo import git

_SEP = "\x1f"
CHUNK = 64


@dataclass(frozen=True)
class Commit:
    """One commit: its sha, author (name, email) and commit time (RFC 3339)."""

    sha: str
    author: str
    email: str
    time: str


def toplevel(folder: Path) -> Path | None:
    """The root of the git work tree holding ``folder``, or None."""
    found = git(["rev-parse", "--show-toplevel"], folder)
    return Path(found) if found else None


def versions(file: Path) -> Iterator[tuple[Commit, bytes | None]]:
    """The commits that changed ``file``, newest first, each with the file's bytes then (None: deleted).

    Nothing when ``file`` is not in a git repository. Contents are read lazily, a few dozen commits per
    ``git cat-file --batch``.
    """
    folder = file.parent
    log = git(["log", f"--format=%H{_SEP}%an{_SEP}%ae{_SEP}%cI", "--", file.name], folder)
    prefix = git(["rev-parse", "--show-prefix"], folder)
    if not log or prefix is None:
        return
    commits = [Commit(*line.split(_SEP)) for line in log.splitlines()]
    for start in range(0, len(commits), CHUNK):
        part = commits[start:start + CHUNK]
        request = "".join(f"{commit.sha}:{prefix}{file.name}\n" for commit in part).encode()
        try:
            out = subprocess.run(["git", "cat-file", "--batch"], input=request, cwd=folder, capture_output=True,
                                 timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return
        for commit in part:
            header, _, out = out.partition(b"\n")
            if header.endswith(b" missing"):
                yield commit, None
                continue
            size = int(header.rsplit(b" ", 1)[1])
            yield commit, out[:size]
            out = out[size + 1:]
