"""What git knows about an imported project: its identity (remote URL), and the commit that last changed a file.

Importers date records by the commit that wrote them (a file's modification time changes with ``touch``
or a fresh clone; its last commit does not), and name a project by its remote so that two clones of one
repository are one project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..gitinfo import git

_SEP = "\x1f"


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


def last_commit(file: Path) -> Commit | None:
    """The commit that last changed ``file``, when ``file`` is committed and unchanged since; else None."""
    folder = file.parent
    if git(["status", "--porcelain", "--", file.name], folder) != "":
        return None  # not in a repository, untracked or modified: git does not know this content
    found = git(["log", "-1", f"--format=%H{_SEP}%an{_SEP}%ae{_SEP}%cI", "--", file.name], folder)
    if not found:
        return None
    sha, author, email, time = found.split(_SEP)
    return Commit(sha, author, email, time)
