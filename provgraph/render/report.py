"""The reviewer report: one self-contained HTML file (inline SVG and CSS, no script, no network) with
the diagram, the runs (parameters, metrics, environment, code), the data (hashes), validation results
and the impact list of one node.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode

from .. import __version__
from ..errors import ProvgraphError, RenderError
from ..query.resolve import resolve
from ..query.runinfo import describe_run
from ..query.traverse import impact
from ..store import Store
from ..vocab import PROV, PROVML
from .diagram import pipe
from .dot import to_digraph
from .scope import View, build_view

MAX_RUNS = 300
CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;margin:0;background:#fafafa}
header{background:#23395d;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85;font-size:13px}main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;margin:18px 0;padding:12px 18px}
h2{font-size:17px;margin:4px 0 10px;color:#23395d}h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0 8px}
th,td{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f7;font-weight:600}code,.hash{font-family:Menlo,Consolas,monospace;font-size:12px}
.hash{word-break:break-all}.diagram{overflow:auto;border:1px solid #eee;background:#fff}
.diagram svg{max-width:100%;height:auto}.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}
.muted{color:#777}details summary{cursor:pointer;color:#23395d}.tag{display:inline-block;padding:0 6px;
border-radius:3px;background:#eef;margin-right:4px;font-size:12px}
"""


def build_report(store: Store, ref: str, depth: int | None = None) -> str:
    """The report about ``ref`` (any reference :func:`provgraph.query.resolve` understands) as HTML."""
    node = resolve(store, ref)
    view = build_view(store, node.value, depth, "both", node.value, reduce=True)
    picture = _inline_svg(pipe(to_digraph(view, f"provenance of {ref}"), "svg").decode("utf-8"))
    focus = view.nodes.get(node.value)
    title = focus.name if focus else ref
    parts = [
        f"<header><h1>Provenance report: {_e(title)}</h1><p>{_e(node.value)} · generated "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by provgraph {__version__} from {_e(store.uri)}</p>"
        "</header><main>",
        _section("Lineage and impact", f'<div class="diagram">{picture}</div><p class="muted">Entities are '
                 "yellow ellipses, activities blue rectangles, agents orange houses; everything derived from "
                 "the subject is outlined in red. Hover a node for its full record.</p>"),
        _section("Runs", _runs(store, view)),
        _section("Data", _data(view)),
        _section("Validation", _validation(store, view)),
        _section("Impact", _impact(store, node)),
        "</main>",
    ]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Provenance report: '
            f"{_e(title)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def write_report(store: Store, ref: str, path: str | Path, depth: int | None = None) -> Path:
    """Write the report about ``ref`` to ``path`` (one HTML file) and return the path."""
    text = build_report(store, ref, depth)
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc}") from exc
    return target


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>"


def _inline_svg(svg: str) -> str:
    """Graphviz SVG without its XML prolog, doctype and comments, ready to sit inside HTML."""
    start = svg.find("<svg")
    return re.sub(r"<!--.*?-->", "", svg[start:], flags=re.DOTALL)


def _table(rows: list[list[str]], head: list[str]) -> str:
    if not rows:
        return '<p class="muted">(none)</p>'
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(values: dict[str, Any]) -> str:
    return "<br>".join(f"<code>{_e(k)}</code> = {_e(v)}" for k, v in values.items()) or '<span class="muted">-</span>'


def _runs(store: Store, view: View) -> str:
    ids = sorted(str(n.one(PROVML.runId)) for n in view.nodes.values() if n.is_run and n.one(PROVML.runId))
    rows = [_run_row(describe_run(store, run_id)) for run_id in ids[:MAX_RUNS]]
    more = f'<p class="muted">... and {len(ids) - MAX_RUNS} more runs</p>' if len(ids) > MAX_RUNS else ""
    head = ["run", "status", "started", "seconds", "agents", "parameters", "metrics", "environment", "code"]
    return _table(rows, head) + more


def _run_row(info: dict[str, Any]) -> list[str]:
    code, env = info["code"] or {}, info["environment"] or {}
    code_text = ""
    if code.get("commit"):
        code_text = (f"git <code>{_e(code['commit'][:12])}</code> {_e(code.get('branch') or '')}"
                     + (' <span class="bad">dirty</span>' if code.get("dirty") else ""))
    if code.get("script"):
        code_text += (f"<br><code>{_e(code['script'])}</code><br>"
                      f'<span class="hash">sha256 {_e(code.get("script_sha256"))}</span>')
    env_text = ""
    if env:
        packages = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in env.get("packages", {}).items())
        env_text = f"Python {_e(env.get('python'))}<br>{_e(env.get('platform'))}<br>{_e(env.get('hostname'))}"
        if packages:
            env_text += (f"<details><summary>{len(env['packages'])} packages</summary>"
                         f"<table>{packages}</table></details>")
    status = info["status"] or ""
    status_html = f'<span class="{"ok" if status == "completed" else "bad"}">{_e(status)}</span>'
    if info["error"]:
        status_html += f"<br>{_e(info['error']['type'])}: {_e(info['error']['message'])}"
    parent = f"<br>in {_e(info['parent'])}" if info["parent"] else ""
    return [
        f"<b>{_e(info['step'] or info['run'])}</b><br><span class=tag>{_e(info['run'])}</span><br>"
        f"{_e(info['kind'])}{parent}",
        status_html, _e(info["started"]), _e(info["duration_s"]),
        "<br>".join(f"{_e(a['agent'])} ({_e(a['kind'])})" for a in info["agents"]),
        _pairs({**info["params"], **{f"seed {k}": v for k, v in info["seeds"].items()}}),
        _pairs(info["metrics"]), env_text, code_text,
    ]


def _data(view: View) -> str:
    rows = []
    for node in sorted(view.nodes.values(), key=lambda n: (str(n.artifact_kind), n.name)):
        if node.kind != "entity" or node.is_logical:
            continue
        made_by = sorted(tail.rsplit("/", 1)[-1] for (source, tail, rel) in view.edges
                         if source == node.iri and rel == "wasGeneratedBy")
        invalid = node.one(PROV.invalidatedAtTime)
        rows.append([
            f"<b>{_e(node.name)}</b>" + (' <span class="bad">INVALIDATED</span>' if invalid else ""),
            _e(node.artifact_kind), f"<code>{_e(node.one(PROVML.location))}</code>",
            f'<span class="hash">{_e(node.one(PROVML.sha256) or "-")}</span>', _e(node.one(PROVML.sizeBytes) or ""),
            _e(", ".join(made_by)),
        ])
    return _table(rows, ["artifact", "kind", "location", "sha256", "bytes", "generated by"])


def _validation(store: Store, view: View) -> str:
    try:
        from ..export import prov_document
        from ..validate import Report, check_document, check_shapes
    except ImportError:
        return '<p class="muted">Validation not available: this provgraph has no validate module.</p>'
    checks: list[tuple[str, Report | str]] = []
    nodes = [NamedNode(iri) for iri in view.nodes]
    for title, check in (("PROV-CONSTRAINTS on the statements about these nodes",
                          lambda: check_document(prov_document(store, nodes=nodes))),
                         ("SHACL shapes of the ML profile, whole store", lambda: check_shapes(store))):
        try:
            checks.append((title, check()))
        except ProvgraphError as exc:
            checks.append((title, str(exc)))
    parts = []
    for title, report in checks:
        if isinstance(report, str):
            parts.append(f'<p class="bad">{_e(title)}: could not run ({_e(report)}).</p>')
        elif report.ok:
            parts.append(f'<p class="ok">{_e(title)}: valid (no violations).</p>')
        else:
            rows = [[_e(v.constraint), _e(v.message), "<br>".join(f"<code>{_e(r)}</code>" for r in v.records[:5])]
                    for v in report.violations[:200]]
            parts.append(f'<p class="bad">{_e(title)}: {len(report.violations)} violations.</p>'
                         + _table(rows, ["constraint", "message", "records"]))
    return "".join(parts)


def _impact(store: Store, node: NamedNode) -> str:
    result = impact(store, node)
    rows = [[_e(r.get("depth")), _e(r.get("type")), _e(r.get("kind")), f"<b>{_e(r.get('label'))}</b>",
             f"<code>{_e(r.get('id'))}</code>", _e(r.get("run"))] for r in result.rows]
    models, deployments = len(result.models), len(result.deployments)
    summary = (f"<p>{len(result.rows)} nodes derive from this one, including {models} "
               f"model{'' if models == 1 else 's'} and {deployments} deployment{'' if deployments == 1 else 's'}.</p>")
    return summary + _table(rows, ["depth", "type", "kind", "label", "id", "run"])
