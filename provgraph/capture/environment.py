"""What is captured with no call from the user: code version, script, machine, packages, user, container.

Package lists and git state are gathered once per process (a sweep of hundreds of runs in one process
would otherwise spend most of its time here); see :func:`clear_cache`.
"""

from __future__ import annotations

import getpass
import os
import platform
import re
import socket
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..gitinfo import git_state
from ..vocab import slug


def script_path() -> Path | None:
    """The script or notebook that is running, if it is a file."""
    notebook = os.environ.get("JPY_SESSION_NAME")
    if notebook and os.path.isfile(notebook):
        return Path(notebook).resolve()
    main = sys.modules.get("__main__")
    candidate = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else None)
    if candidate and os.path.isfile(candidate):
        return Path(candidate).resolve()
    return None


@cache
def packages() -> dict[str, str]:
    """Installed distributions, name -> version."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and dist.version:
            found.setdefault(name, dist.version)
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def container_id() -> str | None:
    """A container image or id when running inside a container, else ``None``."""
    image = os.environ.get("CONTAINER_IMAGE") or os.environ.get("PROVGRAPH_CONTAINER_IMAGE")
    if image:
        return image
    in_container = os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv")
    try:
        cgroup = Path("/proc/self/cgroup").read_text()
    except OSError:
        cgroup = ""
    match = re.search(r"(?:docker|containerd|crio|libpod)[-/]([0-9a-f]{12,64})", cgroup)
    if match:
        return f"container:{match.group(1)[:12]}"
    return f"container:{socket.gethostname()}" if in_container else None


@cache
def environment() -> dict[str, Any]:
    """Python version, platform, hostname, container and packages of this process."""
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "packages": packages(),
    }
    container = container_id()
    if container:
        env["container"] = container
    return env


def default_agents() -> list[dict[str, str]]:
    """The person running the code (``PROVGRAPH_USER`` overrides the login name) and, when
    ``PROVGRAPH_ON_BEHALF_OF`` is set, the organisation they act for."""
    name = os.environ.get("PROVGRAPH_USER")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    person = {"id": slug(name)[:128], "kind": "person", "name": name}
    principal = os.environ.get("PROVGRAPH_ON_BEHALF_OF")
    if not principal:
        return [person]
    org = {"id": slug(principal)[:128], "kind": "organization", "name": principal}
    return [{**person, "on_behalf_of": org["id"]}, org]


def clear_cache() -> None:
    """Forget the per-process git state, package list and environment (e.g. after ``pip install``)."""
    git_state.cache_clear()
    packages.cache_clear()
    environment.cache_clear()
