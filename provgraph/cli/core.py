"""Core commands: init, show, ingest, stats, verify, head, rebuild, demo."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from .. import events as ev
from ..admission import admit
from ..errors import InvalidEvent, JournalError, ProvgraphError, StoreError
from ..journal import LOCAL_AGENT, Head, Signer
from ..limits import open_regular, parse_json, read_bounded
from ..mapping import event_to_quads
from ..project import Project, embedded_path
from ..query.runinfo import describe_run, store_stats
from ..redaction import redact
from ..store import open_store
from ..tables import table
from .output import add_format_option, catch_up, emit, progress_bar


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a .provgraph/ project here")
    p.add_argument("--store", help="store URI (default: embedded Oxigraph in .provgraph/store)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("show", help="everything recorded about one run")
    p.add_argument("run", metavar="RUN", help="run id (see 'provgraph runs')")
    add_format_option(p, ("table", "json"))
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("ingest", help="record events from a JSON Lines file ('-' for stdin)")
    p.add_argument("file", metavar="FILE", help="events as JSON Lines, one event a line ('-': standard input)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("stats", help="counts of runs, artifacts, agents and quads")
    add_format_option(p, ("table", "json"))
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("verify", help="re-check the journal's hash chain against its recorded heads")
    p.add_argument("--head", action="append", default=[], metavar="FILE",
                   help="a head kept from 'provgraph head' (JSON) or an audit bundle (.zip) to check against; "
                        "repeatable")
    add_key_option(p)
    add_format_option(p, ("table", "json"))
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("head", help="print the journal's current head (seq, hash, time, signature) to keep")
    p.add_argument("--reset", action="store_true",
                   help="accept the journal as it now stands (after a repair): cut a torn last line and "
                        "record its head anew")
    add_key_option(p)
    p.set_defaults(func=cmd_head)

    p = sub.add_parser("rebuild", help="rebuild the store from the journal")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("demo", help="record a realistic ML pipeline in this folder and query it")
    p.add_argument("--quiet", action="store_true", help="print only the final summary")
    p.set_defaults(func=cmd_demo)


def cmd_init(args: argparse.Namespace) -> int:
    if args.store and embedded_path(args.store) is None:
        open_store(args.store).close()  # a malformed URI is refused before the config names it
    project = Project.init(args.project, args.store)
    store = Project(project.root).store_uri  # what the config names: an existing project keeps its store
    print(f"initialised provgraph project in {project.dir} (store: {redact(store)})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        info = describe_run(project.synced_store(), args.run)
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
        parts = [f"Python {env['python']}" if env.get("python") else None, env.get("platform"),
                 env.get("hostname"), env.get("container"),
                 f"{len(env['packages'])} packages" if env.get("packages") else None]
        if any(parts):
            out.write(f"{'environment:':<12} {', '.join(p for p in parts if p)}\n")
    for title, values in (("parameters", info["params"]), ("seeds", info["seeds"]), ("metrics", info["metrics"]),
                          ("annotations", info["annotations"])):
        if values:
            out.write(f"\n{title}:\n" + table([{"name": k, "value": v} for k, v in values.items()], ["name", "value"]))
    for title in ("used", "generated"):
        if info[title]:
            rows = [{**a, "sha256": (a["sha256"] or "")[:12]} for a in info[title]]
            out.write(f"\n{title}:\n" + table(rows, ["location", "kind", "role", "sha256", "size"]))
    return 0


def add_key_option(parser: Any) -> None:
    parser.add_argument("--key", metavar="PEM", help="Ed25519 key that signs (private) or checks (public) journal "
                                                     "heads (default: $PROVGRAPH_SIGNING_KEY)")


def _read_events(source: str) -> list[ev.Event]:
    """Every event of a JSON Lines file, validated and mapped; the first bad line is an error naming it."""
    handle = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    found: list[ev.Event] = []
    try:
        lines = iter(lambda: handle.readline(ev.MAX_EVENT_BYTES + 1), b"")  # a line without end is cut, not read
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    if len(line) > ev.MAX_EVENT_BYTES:
                        raise InvalidEvent(f"event is {len(line)} bytes; the limit is {ev.MAX_EVENT_BYTES}")
                    found.append(admit(parse_json(line), event_to_quads))
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
        raise ProvgraphError(f"{args.file}: {'not a regular file' if Path(args.file).exists() else 'no such file'}")
    found = _read_events(args.file)
    project = Project.find(args.project, create=True)
    try:
        fresh, duplicates = project.record_new(found, by=LOCAL_AGENT)
        skipped = f" ({len(duplicates)} duplicate id(s) skipped: {', '.join(duplicates[:5])}" \
                  f"{', ...' if len(duplicates) > 5 else ''})" if duplicates else ""
        quads = catch_up(project, len(fresh), "ingest")
        if isinstance(quads, str):
            print(f"recorded {len(fresh)} events from {args.file} in the journal{skipped}; {quads}")
        else:
            print(f"ingested {len(fresh)} events from {args.file}{skipped}; store has {quads} quads")
        return 0
    finally:
        with contextlib.suppress(StoreError):  # the store's failure was reported; the journal holds the events
            project.close()


def cmd_stats(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        stats = store_stats(project.synced_store())
        taken = project.watermark()  # the store has caught up: its watermark is the journal's end
        stats["journal_entries"] = int(taken["seq"]) + 1
        stats["unapplied_entries"] = list(taken.get("skipped", ()))
    if args.format == "json":
        emit([], [], "json", payload=stats)
        return 0
    print(f"quads: {stats['quads']}   named graphs (run bundles and shared descriptions): {stats['graphs']}   "
          f"journal entries: {stats['journal_entries']}")
    for skipped in stats["unapplied_entries"]:
        print(f"warning: journal entry {skipped['seq']} (event {skipped['id']}) is not in the store: "
              f"{skipped['problem']}")
    print("runs: " + (", ".join(f"{k} {v}" for k, v in stats["runs_by_status"].items()) or "none"))
    emit([{"type": k, "count": v} for k, v in stats["nodes_by_type"].items()], ["type", "count"])
    return 0


MAX_HEAD_BYTES = 1 << 20  # a kept head (or a bundle's manifest) is a few hundred bytes


def _kept_head(path: str) -> tuple[str, Head]:
    """A head the user kept: a ``provgraph head`` JSON file, or the journal check inside an audit bundle."""
    try:
        with open_regular(path) as handle:
            if zipfile.is_zipfile(handle):
                with zipfile.ZipFile(handle) as bundle, bundle.open("manifest.json") as manifest:
                    data = parse_json(read_bounded(manifest, MAX_HEAD_BYTES))["journal"]
                return f"the audit bundle {path}", Head.from_dict(data, path)
            handle.seek(0)
            return f"the head file {path}", Head.from_dict(parse_json(read_bounded(handle, MAX_HEAD_BYTES)), path)
    except (OSError, KeyError, TypeError, ValueError, InvalidEvent, zipfile.BadZipFile) as exc:
        raise JournalError(f"cannot read a journal head from {path}: {exc}") from exc


def _project_with_key(args: argparse.Namespace) -> Project:
    project = Project.find(args.project)
    if args.key:
        project.journal.signer = Signer(args.key)
    return project


def cmd_verify(args: argparse.Namespace) -> int:
    project = _project_with_key(args)
    result = project.verify([_kept_head(path) for path in args.head])
    if args.format == "json":
        emit([], [], "json", payload=result.as_dict())
    else:
        print(result.summary())
    return 0 if result.ok and not result.unapplied else 1


def cmd_head(args: argparse.Namespace) -> int:
    journal = _project_with_key(args).journal
    head = journal.reset_head() if args.reset else journal.head()
    print(json.dumps({k: v for k, v in head.as_dict().items() if k != "offset"}))
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        check = project.verify()
        if not check.ok:
            raise ProvgraphError(f"refusing to rebuild from a broken journal: {check.summary()}")
        with progress_bar(check.entries, "event", "rebuild") as bar:
            count = project.rebuild(progress=bar.update)
        print(f"rebuilt the store from {count} journal entries: {len(project.store)} quads")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    summary = run_demo(Path(args.project), quiet=args.quiet)
    if args.quiet:
        print(json.dumps(summary, indent=2))
    return 0
