"""Core commands: init, show, ingest, stats, verify, rebuild, demo."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .. import events as ev
from ..errors import InvalidEvent, ProvgraphError
from ..project import Project
from ..runinfo import describe_run, store_stats
from ..tables import table
from .output import add_format_option, emit


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a .provgraph/ project here")
    p.add_argument("--store", help="store URI (default: embedded Oxigraph in .provgraph/store)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("show", help="everything recorded about one run")
    p.add_argument("run", help="run id (see 'provgraph runs')")
    add_format_option(p, ("table", "json"))
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("ingest", help="record events from a JSON Lines file ('-' for stdin)")
    p.add_argument("file")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("stats", help="counts of runs, artifacts, agents and quads")
    add_format_option(p, ("table", "json"))
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("verify", help="re-check the journal's hash chain")
    add_format_option(p, ("table", "json"))
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("rebuild", help="rebuild the store from the journal")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("demo", help="record a realistic ML pipeline in this folder and query it")
    p.add_argument("--quiet", action="store_true", help="print only the final summary")
    p.set_defaults(func=cmd_demo)


def cmd_init(args: argparse.Namespace) -> int:
    project = Project.init(args.project, args.store)
    print(f"initialised provgraph project in {project.dir} (store: {project.store_uri})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        info = describe_run(project.store, args.run)
    if args.format == "json":
        emit([], [], "json", payload=info)
        return 0
    out = sys.stdout
    for key in ("run", "step", "kind", "status", "started", "ended", "duration_s", "parent"):
        if info[key] is not None:
            out.write(f"{key + ':':<12}{info[key]}\n")
    if info["error"]:
        out.write(f"{'error:':<12}{info['error']['type']}: {info['error']['message'] or ''}\n")
    if info["labels"]:
        out.write(f"{'labels:':<12}{', '.join(info['labels'])}\n")
    for agent in info["agents"]:
        behalf = f" on behalf of {agent['on_behalf_of']}" if agent["on_behalf_of"] else ""
        out.write(f"{'agent:':<12}{agent['agent']} ({agent['kind']}){behalf}\n")
    code = info["code"] or {}
    if code.get("commit"):
        out.write(f"{'code:':<12}git {code['commit'][:12]} {code.get('branch') or ''}"
                  f"{' (dirty)' if code.get('dirty') else ''}\n")
    if code.get("script"):
        digest = f" sha256:{code['script_sha256'][:12]}" if code.get("script_sha256") else ""
        out.write(f"{'script:':<12}{code['script']}{digest}\n")
    env = info["environment"]
    if env:
        out.write(f"{'python:':<12}{env['python']} on {env['platform']} ({env['hostname']}), "
                  f"{len(env['packages'])} packages\n")
    for title, values in (("parameters", info["params"]), ("seeds", info["seeds"]), ("metrics", info["metrics"])):
        if values:
            out.write(f"\n{title}:\n" + table([{"name": k, "value": v} for k, v in values.items()], ["name", "value"]))
    for title in ("used", "generated"):
        if info[title]:
            rows = [{**a, "sha256": (a["sha256"] or "")[:12]} for a in info[title]]
            out.write(f"\n{title}:\n" + table(rows, ["location", "kind", "role", "sha256", "size"]))
    return 0


def _read_events(source: str) -> list[ev.Event]:
    """Every event of a JSON Lines file, validated; the first bad line is an error naming it."""
    handle = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    found: list[ev.Event] = []
    try:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    found.append(ev.loads(line))
                except InvalidEvent as exc:
                    raise InvalidEvent(f"line {number}: {exc}") from exc
    except OSError as exc:
        raise ProvgraphError(f"cannot read {source}: {exc}") from exc
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    return found


def cmd_ingest(args: argparse.Namespace) -> int:
    if args.file != "-" and not Path(args.file).is_file():
        raise ProvgraphError(f"{args.file}: no such file")
    found = _read_events(args.file)
    with Project.find(args.project, create=True) as project:
        project.record_many(found)
        with tqdm(total=len(found), unit="event", disable=len(found) < 1000 or None, file=sys.stderr) as bar:
            project.sync(progress=bar.update)
        print(f"ingested {len(found)} events from {args.file}; store has {len(project.store)} quads")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        stats = store_stats(project.store)
        stats["journal_entries"] = project.verify().entries
    if args.format == "json":
        emit([], [], "json", payload=stats)
        return 0
    print(f"quads: {stats['quads']}   runs (named graphs): {stats['graphs']}   "
          f"journal entries: {stats['journal_entries']}")
    print("runs: " + (", ".join(f"{k} {v}" for k, v in stats["runs_by_status"].items()) or "none"))
    emit([{"type": k, "count": v} for k, v in stats["nodes_by_type"].items()], ["type", "count"])
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    project = Project.find(args.project)
    result = project.verify()
    if args.format == "json":
        emit([], [], "json", payload=result.as_dict())
    else:
        print(result.summary())
    return 0 if result.ok else 1


def cmd_rebuild(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        check = project.verify()
        if not check.ok:
            raise ProvgraphError(f"refusing to rebuild from a broken journal: {check.summary()}")
        with tqdm(total=check.entries, unit="event", disable=check.entries < 1000 or None, file=sys.stderr) as bar:
            count = project.rebuild(progress=bar.update)
        print(f"rebuilt the store from {count} journal entries: {len(project.store)} quads")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    summary = run_demo(Path(args.project), quiet=args.quiet)
    if args.quiet:
        print(json.dumps(summary, indent=2))
    return 0
