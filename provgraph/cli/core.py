"""Core commands: init, show, ingest, stats, verify, rebuild, demo."""

from __future__ import annotations

import argparse
from typing import Any

from ..project import Project


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a .provgraph/ project here")
    p.add_argument("--store", help="store URI (default: embedded Oxigraph in .provgraph/store)")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    project = Project.init(args.project, args.store)
    print(f"initialised provgraph project in {project.dir} (store: {project.store_uri})")
    return 0
