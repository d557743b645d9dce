"""The reviewer report: one self-contained HTML file (inline SVG and CSS, no script, no network) that
opens with its verdict (hashes, PROV-CONSTRAINTS, SHACL, invalidated data upstream), then the diagram
at its natural size, the runs in pipeline order (parameters, metrics, environment, code), the data
(hashes), validation details and the impact list of one node.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
from pyoxigraph import NamedNode

from ..errors import ProvgraphError, RenderError
from ..query import invalidated, lineage, resolve, who
from ..query.runinfo import describe_run
from ..query.traverse import impact
from ..render.diagram import pipe
from ..render.dot import to_digraph
from ..render.graph import FLOW, Node
from ..render.scope import View, build_view
from ..store import Store
from ..version import __version__
from ..vocab import PROV, PROVML

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
.diagram svg{max-width:none;height:auto}
.verdict{font-size:16px}#verdict td{font-size:14px}#verdict td:first-child{white-space:nowrap}
.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}
.muted{color:#777}details summary{cursor:pointer;color:#23395d}.tag{display:inline-block;padding:0 6px;
border-radius:3px;background:#eef;margin-right:4px;font-size:12px}
"""


@dataclass
class Check:
    """One line of the verdict: what was checked, whether it passed (``None``: could not be checked)."""

    title: str
    ok: bool | None
    detail: str = ""
    body: str = field(default="", repr=False)


def build_report(store: Store, ref: str, depth: int | None = None, root: str | Path | None = None,
                 journal: tuple[bool, str] | None = None) -> str:
    """The report about ``ref`` (any reference :func:`provgraph.query.resolve` understands) as HTML.

    It opens with its verdict: the journal's hash chain (``journal``: ok and summary, when given), the
    recorded sha256 of the files still on disk under ``root``, PROV-CONSTRAINTS, the SHACL shapes and,
    in words, any invalidated data upstream.
    """
    node = resolve(store, ref)
    view = build_view(store, node.value, depth, "both", node.value, reduce=True)
    picture = _inline_svg(pipe(to_digraph(view, f"provenance of {ref}"), "svg").decode("utf-8"))
    focus = view.nodes.get(node.value)
    title = focus.name if focus else ref
    checks = [_hashes(view, Path(root) if root is not None else None), *_validation(store, view),
              _upstream(store, node, focus)]
    if journal is not None:
        checks.insert(0, Check("Journal hash chain", journal[0], journal[1]))
    parts = [
        f"<header><h1>Provenance report: {_e(title)}</h1><p>{_e(node.value)} · generated "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by provgraph {__version__} from {_e(store.uri)}</p>"
        "</header><main>",
        _verdict(checks),
        _section("Lineage and impact", f'<div class="diagram">{picture}</div><p class="muted">Entities are '
                 "yellow ellipses, activities blue rectangles, agents orange houses; arrows point from the later "
                 "thing to the earlier (PROV's direction); everything derived from the subject is outlined in "
                 "red. Hover a node for its full record.</p>"),
        _section("Runs, in pipeline order", _runs(store, view)),
        _section("Data", _data(view)),
        _section("Validation", "".join(c.body for c in checks if c.body) or '<p class="ok">No violations.</p>'),
        _section("Impact", _impact(store, node)),
        "</main>",
    ]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Provenance report: '
            f"{_e(title)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def write_report(store: Store, ref: str, path: str | Path, depth: int | None = None, root: str | Path | None = None,
                 journal: tuple[bool, str] | None = None) -> Path:
    """Write the report about ``ref`` to ``path`` (one HTML file) and return the path."""
    text = build_report(store, ref, depth, root, journal)
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc}") from exc
    return target


def _verdict(checks: list[Check]) -> str:
    failed = [c for c in checks if c.ok is False]
    headline = ('<p class="verdict ok">Verdict: every check passed.</p>' if not failed else
                f'<p class="verdict bad">Verdict: {len(failed)} of {len(checks)} checks need attention: '
                f"{_e(', '.join(c.title for c in failed))}.</p>")
    marks = {True: '<span class="ok">✔ passed</span>', False: '<span class="bad">✘ failed</span>',
             None: '<span class="muted">not checked</span>'}
    rows = "".join(f"<tr><td>{marks[c.ok]}</td><td><b>{_e(c.title)}</b></td><td>{c.detail}</td></tr>" for c in checks)
    return f'<section id="verdict"><h2>Verdict</h2>{headline}<table>{rows}</table></section>'


def _hashes(view: View, root: Path | None) -> Check:
    """Whether the files still on disk have a recorded sha256 of their location."""
    title = "Content hashes of the files on disk"
    if root is None:
        return Check(title, None, "no project folder to compare with")
    recorded: dict[str, set[str]] = defaultdict(set)
    for item in view.nodes.values():
        location, sha = item.one(PROVML.location), item.one(PROVML.sha256)
        if item.kind == "entity" and location and sha and "://" not in location:
            recorded[str(location)].add(str(sha))
    matched, changed, absent = [], [], []
    for location, hashes in sorted(recorded.items()):
        path = root / location
        if not path.is_file():
            absent.append(location)
        elif _sha256(path) in hashes:
            matched.append(location)
        else:
            changed.append(location)
    parts = [f"{len(matched)} of {len(recorded)} recorded files match their sha256"]
    if changed:
        parts.append(f"changed since recorded: {', '.join(changed)}")
    if absent:
        parts.append(f"not on disk (not checked): {', '.join(absent)}")
    return Check(title, not changed if matched or changed else None, _e("; ".join(parts)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _upstream(store: Store, node: NamedNode, focus: Node | None) -> Check:
    """Invalidated data the subject depends on (or the subject itself), said in words."""
    names = {row["iri"]: str(row["label"]) for row in lineage(store, node).rows}
    names[node.value] = focus.name if focus else node.value
    found = {row["target_iri"]: row for row in invalidated(store).rows if row["target_iri"] in names}
    if not found:
        return Check("Invalidated data upstream", True, "nothing it depends on has been invalidated")
    what = "this " + (_subject_kind(focus) if focus else "artifact")
    sentences = []
    for iri, row in sorted(found.items()):
        acts = [r for r in who(store, NamedNode(iri)).rows if r["action"] == "invalidated"]
        by = ", ".join(sorted({str(r["agent"]) for r in acts if r["agent"]})) or "an unknown agent"
        subject = (f"{what} is itself invalidated" if iri == node.value
                   else f"{what} depends on invalidated data {names[iri]}")
        sentences.append(f"{subject} (reason: {row['reason']}; invalidated by {by} at {row['invalidated_at']})")
    return Check("Invalidated data upstream", False, "<br>".join(_e(s[0].upper() + s[1:] + ".") for s in sentences))


def _subject_kind(node: Node) -> str:
    if node.is_run:
        return "run"
    return str(node.artifact_kind or ("dataset" if node.is_logical else "artifact"))


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
    ids = [str(view.nodes[iri].one(PROVML.runId)) for iri in _pipeline_order(view)]
    rows = [_run_row(describe_run(store, run_id)) for run_id in ids[:MAX_RUNS]]
    more = f'<p class="muted">... and {len(ids) - MAX_RUNS} more runs</p>' if len(ids) > MAX_RUNS else ""
    head = ["run", "status", "started", "seconds", "agents", "parameters", "metrics", "environment", "code"]
    return _table(rows, head) + more


def _pipeline_order(view: View) -> list[str]:
    """The runs of the view in pipeline order: a run after every run whose output it used (then by start)."""
    runs = {iri for iri, n in view.nodes.items() if n.is_run and n.one(PROVML.runId)}
    shown = runs | {iri for iri, n in view.nodes.items() if n.kind == "entity"}
    graph = nx.DiGraph()
    graph.add_nodes_from(runs)
    if view.lineage is not None:  # data flows against PROV's edges: used, generated, derived, reversed
        graph.add_edges_from((head, tail) for tail, head, relation in view.lineage.edges_among(shown)
                             if relation in FLOW)
    started = {iri: str(view.nodes[iri].one(PROV.startedAtTime) or "") for iri in shown}
    try:
        order = list(nx.lexicographical_topological_sort(graph, key=lambda iri: (started.get(iri, ""), iri)))
    except nx.NetworkXUnfeasible:  # a cycle: PROV forbids it, validation reports it
        order = sorted(graph, key=lambda iri: (started.get(iri, ""), iri))
    return [iri for iri in order if iri in runs]


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


def _validation(store: Store, view: View) -> list[Check]:
    from ..export import prov_document
    from ..validate import check_document, check_shapes

    nodes = [NamedNode(iri) for iri in view.nodes]
    checks = []
    for title, check in (("PROV-CONSTRAINTS on the statements about these nodes",
                          lambda: check_document(prov_document(store, nodes=nodes))),
                         ("SHACL shapes of the ML profile on these nodes", lambda: check_shapes(store, nodes=nodes))):
        try:
            report = check()
        except ProvgraphError as exc:
            checks.append(Check(title, None, _e(f"could not run: {exc}")))
            continue
        if report.ok:
            checks.append(Check(title, True, "valid (no violations)"))
            continue
        rows = [[_e(v.constraint), _e(v.message), "<br>".join(f"<code>{_e(r)}</code>" for r in v.records[:5])]
                for v in report.violations[:200]]
        body = (f'<p class="bad">{_e(title)}: {len(report.violations)} violations.</p>'
                + _table(rows, ["constraint", "message", "records"]))
        checks.append(Check(title, False, f"{len(report.violations)} violations (listed under Validation)", body))
    return checks


def _impact(store: Store, node: NamedNode) -> str:
    result = impact(store, node)
    rows = [[_e(r.get("depth")), _e(r.get("type")), _e(r.get("kind")), f"<b>{_e(r.get('label'))}</b>",
             f"<code>{_e(r.get('id'))}</code>", _e(r.get("run"))] for r in result.rows]
    models, deployments = len(result.models), len(result.deployments)
    summary = (f"<p>{len(result.rows)} nodes derive from this one, including {models} "
               f"model{'' if models == 1 else 's'} and {deployments} deployment{'' if deployments == 1 else 's'}.</p>")
    return summary + _table(rows, ["depth", "type", "kind", "label", "id", "run"])
