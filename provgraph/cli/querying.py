"""Query commands: runs, impact, lineage, who, diff, invalidate, sparql."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode, RdfFormat, serialize

from ..errors import QueryError
from ..limits import check_sparql
from ..project import Project
from ..query import sparql
from ..query.policy import invalidated
from ..query.results import Table
from ..query.runs import diff, runs, who
from ..query.sparql import explain, with_prefixes
from ..query.traverse import impact, lineage
from ..store import Solutions
from ..store.bindings import is_update
from ..usecases.invalidate import invalidate
from .output import add_format_option, emit


def register(sub: Any) -> None:
    p = sub.add_parser("runs", help="list runs, newest first (filter by kind, agent, param, metric, ...)")
    p.add_argument("--kind", help="step kind (training, evaluation, ...)")
    p.add_argument("--step", help="step name")
    p.add_argument("--agent", help="agent id or name (also matches runs done on its behalf)")
    p.add_argument("--param", action="append", default=[], metavar="COND",
                   help="parameter condition, e.g. n_estimators=100 or max_depth>=5 (repeatable)")
    p.add_argument("--metric", action="append", default=[], metavar="COND",
                   help="final metric condition, e.g. accuracy>=0.9 (repeatable)")
    p.add_argument("--label", help="a label on the run")
    p.add_argument("--since", help="started at or after (e.g. 2024-05-01T00:00:00Z)")
    p.add_argument("--until", help="started at or before")
    p.add_argument("--commit", help="git commit (prefix) of the run's code")
    p.add_argument("--limit", type=int, help="show at most this many runs")
    add_format_option(p)
    p.set_defaults(func=cmd_runs)

    for name, text in (("impact", "everything derived from REF: data, models, deployments and their runs"),
                       ("lineage", "everything REF came from: runs, inputs, parameters, code, agents")):
        p = sub.add_parser(name, help=text)
        p.add_argument("ref", metavar="REF", help="path, hash prefix, dataset name, run id or IRI")
        p.add_argument("--as-of", help="answer as the graph stood at this time (e.g. 2024-05-01T12:00:00Z)")
        add_format_option(p)
        p.set_defaults(func=cmd_traverse, direction=name)

    p = sub.add_parser("who", help="who generated, used, invalidated or ran REF, and when")
    p.add_argument("ref", metavar="REF", help="run, artifact, dataset or agent: path, hash prefix, name, id or IRI")
    add_format_option(p)
    p.set_defaults(func=cmd_who)

    p = sub.add_parser("diff", help="what differs between two runs: inputs, parameters, code, packages, metrics")
    p.add_argument("run_a", metavar="RUN_A", help="the first run (its id)")
    p.add_argument("run_b", metavar="RUN_B", help="the run to compare it with")
    add_format_option(p)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("invalidate", help="mark REF invalid and list the models and deployments it affects")
    p.add_argument("ref", metavar="REF", help="the artifact or dataset that is wrong: path, hash prefix, name or IRI")
    p.add_argument("--reason", required=True, help="why it is invalid")
    add_format_option(p)
    p.set_defaults(func=cmd_invalidate)

    p = sub.add_parser("sparql", help="run a SPARQL query (a file or the text itself); read-only unless --update")
    p.add_argument("query", metavar="FILE_OR_QUERY",
                   help="a query file (.rq) or the query itself; prov:, provml:, rdf:, rdfs:, xsd: and the id "
                        "prefixes (run:, data:, ...) are predefined")
    p.add_argument("--bind", action="append", default=[], metavar="NAME=VALUE",
                   help="bind ?NAME to VALUE (a string literal, or an IRI written <...>); repeatable")
    p.add_argument("--update", action="store_true", help="run a SPARQL update (changes the store, not the journal)")
    add_format_option(p)
    p.set_defaults(func=cmd_sparql)


def _show(result: Table, fmt: str) -> None:
    emit(result.rows, result.shown_columns(), fmt, payload=result.payload())


def cmd_runs(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        result = runs(project.synced_store(), kind=args.kind, agent=args.agent, params=args.param, metrics=args.metric,
                      label=args.label, since=args.since, until=args.until, commit=args.commit,
                      step=args.step, limit=args.limit)
        _show(result, args.format)
    return 0


def cmd_traverse(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        query = impact if args.direction == "impact" else lineage
        result = query(project.synced_store(), args.ref, as_of=args.as_of, root=project.root)
        _show(result, args.format)
        if args.format == "table" and args.direction == "impact":
            models, deployed = _names(result.models), _names(result.deployments)
            print(f"\nmodels using it ({len(models)}): {', '.join(models) or '-'}")
            print(f"deployments affected ({len(deployed)}): {', '.join(deployed) or '-'}")
    return 0


def _names(rows: list[dict[str, Any]]) -> list[str]:
    """One name per version: its label, with its location (or id) when two versions share the label
    (``models:/credit-rf/1`` and ``/2`` are two models)."""
    versions = {row["iri"]: row for row in rows}.values()
    shared = Counter(row["label"] for row in versions)
    return sorted(row["label"] if shared[row["label"]] == 1 else f"{row['label']} ({row.get('location') or row['id']})"
                  for row in versions)


def cmd_who(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        _show(who(project.synced_store(), args.ref, root=project.root), args.format)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        result = diff(project.synced_store(), args.run_a, args.run_b, root=project.root)
        _show(result, args.format)
    return 0


def cmd_invalidate(args: argparse.Namespace) -> int:
    with Project.find(args.project) as project:
        target = invalidate(project, args.ref, args.reason)
        result = invalidated(project.synced_store(), target)
        if args.format == "table":
            print(f"recorded: {target.value} is invalid ({args.reason})")
        _show(result, args.format)
    return 0


def _binding(text: str) -> tuple[str, NamedNode | Literal]:
    name, found, value = text.partition("=")
    if not found or not name:
        raise QueryError(f"--bind {text!r}: write NAME=VALUE")
    if value.startswith("<") and value.endswith(">"):
        try:
            return name.lstrip("?$"), NamedNode(value[1:-1])
        except ValueError as exc:
            raise QueryError(f"--bind {text!r}: {value} is not a valid IRI") from exc
    return name.lstrip("?$"), Literal(value)


def _query_text(given: str) -> str:
    """The query: the text itself, or the file it names (a word with no space and no brace)."""
    if any(c.isspace() for c in given) or "{" in given:
        return given
    try:
        return Path(given).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise QueryError(f"{given}: no such file (give a query file or the query text itself)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read {given}: {exc}") from exc


def cmd_sparql(args: argparse.Namespace) -> int:
    text = _query_text(args.query)
    check_sparql(text)
    bindings = dict(_binding(b) for b in args.bind)
    if not args.update and is_update(text):
        raise QueryError("this is an update; add --update")
    with Project.find(args.project) as project:
        if args.update:
            if bindings:
                raise QueryError("--bind works with queries, not with --update")
            try:
                project.synced_store().update(with_prefixes(text))
            except QueryError as exc:
                raise explain(exc, text, "update") from exc
            print("update applied")
            return 0
        result = sparql(project.synced_store(), text, **bindings)
    if isinstance(result, bool):
        emit([{"answer": result}], ["answer"], args.format, payload=result)
    elif isinstance(result, Solutions):
        rows = [{k: v.value if isinstance(v, NamedNode | Literal) else str(v) for k, v in row.items()}
                for row in result]
        emit(rows, result.variables, args.format)
    else:
        data = serialize(result, format=RdfFormat.N_TRIPLES) or b""
        sys.stdout.write(data.decode("utf-8"))
    return 0
