"""What git says about a work tree: its commit, branch, origin remote (credentials removed) and dirty state.

Read by the capture API (the code version of a run) and by ``provgraph init`` (a project's namespace).
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

_CREDENTIALS = re.compile(r"(?<=://)[^/@]+@")


def git(args: list[str], cwd: Path) -> str | None:
    """The output of ``git ARGS`` in ``cwd``, or ``None`` when git fails or is missing."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_remote(path: Path) -> str | None:
    """The URL of the ``origin`` remote of the repository at ``path``, credentials removed."""
    remote = git(["config", "--get", "remote.origin.url"], path)
    return _CREDENTIALS.sub("", remote) if remote else None


@cache
def git_state(cwd: str) -> dict[str, Any] | None:
    """Commit, branch, remote (credentials removed) and dirty state of the work tree at ``cwd``."""
    path = Path(cwd)
    commit = git(["rev-parse", "HEAD"], path)
    if not commit or not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", commit):
        return None
    state: dict[str, Any] = {"commit": commit}
    branch = git(["rev-parse", "--abbrev-ref", "HEAD"], path)
    if branch and branch != "HEAD":
        state["branch"] = branch
    remote = git_remote(path)
    if remote:
        state["remote"] = remote
    status = git(["status", "--porcelain", "--untracked-files=no"], path)
    state["dirty"] = bool(status)
    return state
