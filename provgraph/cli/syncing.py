"""Keeping stores in step: ``sync`` (journal -> store), ``push --to URI`` and ``pull --from URI``."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import StoreError
from ..project import Project
from ..redaction import redact
from ..store import open_store
from ..store.transfer import Copied, copy_store


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="apply journal events the store has not seen (after the store was down)")
    p.add_argument("--store", metavar="URI", help="catch up this store instead of the configured one")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("push", help="copy the project's store into another store (e.g. a SPARQL endpoint)")
    p.add_argument("--to", required=True, metavar="URI", help="target store, e.g. sparql+http://host:7878")
    p.add_argument("--replace", action="store_true", help="empty the target first")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("pull", help="copy another store into the project's store",
                       description="Copy another store into the project's store. Pulled quads are not in "
                                   "the journal: 'provgraph rebuild' drops them.")
    p.add_argument("--from", dest="source", required=True, metavar="URI", help="source store")
    p.add_argument("--replace", action="store_true", help="empty the project's store first")
    p.set_defaults(func=cmd_pull)


def cmd_sync(args: argparse.Namespace) -> int:
    project = Project.find(args.project)
    if args.store:
        project = Project(project.root, args.store)
    with project:
        try:
            applied = project.sync()
        except StoreError as exc:
            raise StoreError(f"{exc}\n{project.pending()} event(s) wait in the journal; run "
                             "'provgraph sync' again once the store is reachable") from exc
        print(f"applied {applied} event(s) to {redact(project.store_uri)}; 0 pending")
    return 0


def _report(copied: Copied, source: str, target: str) -> None:
    print(f"copied {copied.quads} quad(s) in {copied.graphs} named graph(s) from {redact(source)} to {redact(target)} "
          f"({copied.transactions} transaction(s))")


def cmd_push(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project, open_store(args.to) as target:
        copied = copy_store(project.synced_store(), target, replace=args.replace)
        _report(copied, project.store_uri, target.uri)
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project, open_store(args.source) as source:
        copied = copy_store(source, project.synced_store(), replace=args.replace)
        _report(copied, source.uri, project.store_uri)
    return 0
