"""Writing a :class:`View` as a Graphviz digraph in the W3C PROV visual convention.

Entities are yellow ellipses, activities blue rectangles, agents orange houses; every edge is labelled
with its PROV relation (a derivation also with its transformations, from column lineage) and points from
effect to cause, so with ``rankdir=BT`` time flows downward.
Labels carry what a reviewer looks for first; the SVG tooltip carries everything else.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

import graphviz

from ..vocab import PROV, PROVML, local_of
from .graph import Node
from .scope import Group, View

ENTITY = {"shape": "ellipse", "fillcolor": "#FFFC87", "color": "#808080"}
ACTIVITY = {"shape": "box", "fillcolor": "#9FB1FC", "color": "#0000FF"}
AGENT = {"shape": "house", "fillcolor": "#FED37F", "color": "#000000"}
STYLES = {"entity": ENTITY, "activity": ACTIVITY, "agent": AGENT}
IMPACT_COLOR = "#D62728"  # the impact set asked for
TAINT_COLOR = "#9467BD"  # derived from an invalidated artifact
INVALID_COLOR = "#7F0000"
FONT = "Helvetica"
MAX_PARAMS, MAX_METRICS, MAX_MEMBERS = 4, 3, 25


def node_id(iri: str) -> str:
    """The DOT name of a node: ``kind/local`` for provgraph IRIs, else the IRI without ``:``."""
    parts = local_of(iri)
    name = f"{parts[0]}/{parts[1]}" if parts else iri
    return name.replace(":", "%3A")


def to_digraph(view: View, title: str = "provenance", flow: bool = False) -> graphviz.Digraph:
    """The Graphviz digraph of a view, with a legend.

    Edges point the PROV way, from the later thing to the earlier (``model wasGeneratedBy train``);
    ``flow`` draws their arrowheads the other way, in the direction data flowed (the layout is the same).
    """
    dot = graphviz.Digraph(name=title)
    dot.attr(rankdir="BT", fontname=FONT, fontsize="11", nodesep="0.35", ranksep="0.45", tooltip=title)
    dot.attr("node", style="filled", fontname=FONT, fontsize="10", penwidth="1")
    dot.attr("edge", fontname=FONT, fontsize="8", color="#555555", fontcolor="#333333", arrowsize="0.7")
    ids = {iri: node_id(iri) for iri in view.nodes} | {gid: gid for gid in view.groups}
    placed = _clusters(dot, view, ids) if view.clusters else set()
    for item in view.shown():
        if item not in placed:
            _add(dot, view, item, ids[item])
    for (tail, head, relation), count in sorted(view.edges.items()):
        attrs = {"label": relation, "tooltip": f"{relation} ({count} statements)" if count > 1 else relation}
        how = view.transformations.get((tail, head), []) if relation == "wasDerivedFrom" else []
        if how:  # column lineage: how the derived column was computed
            attrs["label"] = _escape_tooltip([relation, *(t if len(t) <= 40 else t[:37] + "..." for t in how)])
            attrs["tooltip"] = _escape_tooltip([relation, *how])
        if tail in view.impact and head in view.impact | {view.impact_source}:
            attrs.update(color=IMPACT_COLOR, penwidth="1.6")
        if relation in ("specializationOf", "actedOnBehalfOf", "partOfRun"):
            attrs["style"] = "dashed"
        if relation in ("wasAssociatedWith", "wasAttributedTo", "actedOnBehalfOf"):
            attrs.update(constraint="false", color="#A0A0A0", fontcolor="#808080")
        if relation == "wasInvalidatedBy":
            attrs.update(color=INVALID_COLOR, fontcolor=INVALID_COLOR)
        if flow:
            attrs["dir"] = "back"
        dot.edge(ids[tail], ids[head], **attrs)
    if view.reduced:
        dot.attr(comment=f"{view.reduced} implied edges dropped (reduce)")
    _legend(dot, view, flow)
    return dot


def _clusters(dot: graphviz.Digraph, view: View, ids: dict[str, str]) -> set[str]:
    """Draw the runs of each pipeline (runs sharing a parent) inside a box; returns the ids placed."""
    children: dict[str, list[str]] = {}
    for item in view.shown():
        parent = view.parents.get(item)
        if parent is not None:
            children.setdefault(parent, []).append(item)
    makers = {tail: head for tail, head, relation in view.edges if relation == "wasGeneratedBy"}
    for item, maker in sorted(makers.items()):
        home = maker if maker in children else view.parents.get(maker)
        if home is not None:
            children[home].append(item)
    roots = [p for p in children if view.parents.get(p) not in children]
    placed: set[str] = set()

    def fill(graph: graphviz.Digraph, parent: str) -> None:
        group = view.groups.get(parent)
        title = f"{group.name} ×{len(group.members)}" if group else (
            f"{view.parent_nodes[parent].name} ({_short_id(view.parent_nodes[parent])})")
        with graph.subgraph(name=f"cluster_{ids.get(parent) or node_id(parent)}") as box:
            box.attr(label=title, style="rounded,dashed", color="#3355AA", fontcolor="#3355AA",
                     tooltip=f"runs that are provml:partOfRun {parent}")
            if parent in view.nodes or group:
                _add(box, view, parent, ids[parent])
                placed.add(parent)
            for child in children[parent]:
                if child in children:
                    fill(box, child)
                elif child not in placed:
                    _add(box, view, child, ids[child])
                    placed.add(child)

    for root in sorted(roots):
        fill(dot, root)
    return placed


def _add(graph: graphviz.Digraph, view: View, item: str, name: str) -> None:
    group = view.groups.get(item)
    if group is not None:
        members = {m.iri for m in group.members}
        kind = group.kind
        attrs: dict[str, Any] = {**STYLES[kind], "peripheries": "2", "label": _group_label(group),
                                 "tooltip": _group_tooltip(group)}
        impact, tainted = bool(members & view.impact), bool(members & view.tainted)
    else:
        node = view.nodes[item]
        kind = node.kind
        attrs = {**STYLES[kind], "label": _label(node, view.agents.get(item, [])), "tooltip": _tooltip(node)}
        impact, tainted = item in view.impact, item in view.tainted
        if item in view.invalidated:
            attrs.update(color=INVALID_COLOR, style="filled,dashed", penwidth="2.5")
    if tainted:
        attrs.update(color=TAINT_COLOR, penwidth="2.5")
    if impact:
        attrs.update(color=IMPACT_COLOR, penwidth="3")
    if item in (view.focus, view.impact_source):
        attrs["penwidth"] = "4"
    graph.node(name, **attrs)


# -- labels -------------------------------------------------------------------------------------------
def _short_id(node: Node) -> str:
    parts = local_of(node.iri)
    return parts[1] if parts else node.iri


def _html(lines: list[tuple[str, str]]) -> str:
    """An HTML-like label: (style, text) lines; style is "b" (bold), "s" (small) or "w" (warning)."""
    out = []
    for style, text in lines:
        escaped = html.escape(text if len(text) <= 60 else text[:57] + "...")
        if style == "b":
            out.append(f"<B>{escaped}</B>")
        elif style == "w":
            out.append(f'<FONT COLOR="{INVALID_COLOR}"><B>{escaped}</B></FONT>')
        else:
            out.append(f'<FONT POINT-SIZE="8">{escaped}</FONT>')
    return "<" + "<BR/>".join(out) + ">"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _when(node: Node, prop: Any) -> str:
    value = node.one(prop)
    return value[:16].replace("T", " ") if value else ""


def _label(node: Node, agents: list[str]) -> Any:
    if node.kind == "agent":
        kinds = [_type_name(t) for t in node.types if t != PROV.Agent.value]
        return _html([("b", node.name), ("s", kinds[0] if kinds else "agent")])
    if node.kind == "activity":
        return _html(_run_lines(node, agents))
    lines = [("b", node.name)]
    sha = node.one(PROVML.sha256)
    kind = node.artifact_kind or ("logical artifact" if node.is_logical else "entity")
    lines.append(("s", f"{kind} · {sha[:12]}" if sha else kind))
    when = " · ".join(x for x in (_when(node, PROV.generatedAtTime), ", ".join(agents[:2])) if x)
    if when:
        lines.append(("s", when))
    if node.one(PROV.invalidatedAtTime):
        lines.append(("w", f"INVALIDATED {_when(node, PROV.invalidatedAtTime)}"))
    return _html(lines)


def _run_lines(node: Node, agents: list[str]) -> list[tuple[str, str]]:
    if node.has_type(PROVML.Invalidation):
        return [("w", "invalidation"), ("s", node.one(PROVML.reason) or ""), ("s", _when(node, PROV.startedAtTime))]
    kinds = [_type_name(t) for t in node.types if t.startswith(PROVML.base) and t != PROVML.Run.value]
    lines = [("b", node.name), ("s", f"{kinds[0] if kinds else 'activity'} · {_short_id(node)}")]
    params = [f"{k}={_fmt(v)}" for k, v in sorted(node.params.items())[:MAX_PARAMS]]
    if params:
        lines.append(("s", ", ".join(params)))
    metrics = [f"{k}={_fmt(v)}" for k, v in sorted(node.metrics.items())[:MAX_METRICS]]
    if metrics:
        lines.append(("s", ", ".join(metrics)))
    started = _when(node, PROV.startedAtTime) or _when(node, PROV.endedAtTime)
    when = " · ".join(x for x in (started, ", ".join(agents[:2])) if x)
    if when:
        lines.append(("s", when))
    status = node.one(PROVML.status)
    if status and status != "completed":
        lines.append(("w", f"{status.upper()} {node.one(PROVML.errorType) or ''}".strip()))
    return lines


def _type_name(iri: str) -> str:
    """``provml:FeatureEngineering`` -> ``feature engineering``."""
    name = iri.rsplit("#", 1)[-1]
    name = {"DeploymentRun": "Deployment", "OtherRun": "Run", "SoftwareAgent": "Software"}.get(name, name)
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _tooltip(node: Node) -> str:
    lines = [node.iri]
    for prop, values in sorted(node.props.items()):
        short = prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        lines += [f"{short}: {v}" for v in sorted(values)]
    lines += [f"param {k} = {v}" for k, v in sorted(node.params.items())]
    lines += [f"metric {k} = {v}" for k, v in sorted(node.metrics.items())]
    lines += [f"{k}: {v}" for k, v in sorted(node.facts.items())]
    lines += [f"type: {t.rsplit('#', 1)[-1]}" for t in sorted(node.types)]
    return _escape_tooltip(lines)


def _escape_tooltip(lines: list[str]) -> str:
    return "\\n".join(line.replace("\\", "\\\\")[:300] for line in lines)


def _group_label(group: Group) -> Any:
    count = len(group.members)
    if group.kind == "activity":
        lines = [("b", f"{group.name} ×{count}"), ("s", f"{count} sibling runs (collapsed)")]
        lines += [("s", text) for text in _ranges([m.params for m in group.members])[:MAX_PARAMS]]
        lines += [("s", text) for text in _ranges([m.metrics for m in group.members])[:MAX_METRICS]]
        return _html(lines)
    kinds = sorted({m.artifact_kind or "entity" for m in group.members})
    return _html([("b", f"{group.name} ×{count}"), ("s", f"{count} artifacts · {', '.join(kinds)} (collapsed)")])


def _ranges(dicts: list[dict[str, Any]]) -> list[str]:
    """``name: min–max`` for numbers, ``name: N values`` otherwise, over the members of a group."""
    names = sorted({k for d in dicts for k in d})
    out = []
    for name in names:
        values = [d[name] for d in dicts if name in d]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers and len(numbers) == len(values):
            low, high = min(numbers), max(numbers)
            out.append(f"{name}: {_fmt(low)}" if low == high else f"{name}: {_fmt(low)}–{_fmt(high)}")
        else:
            out.append(f"{name}: {len({str(v) for v in values})} values")
    return out


def _group_tooltip(group: Group) -> str:
    lines = [f"{len(group.members)} collapsed nodes (expand to show all):"]
    lines += [m.iri for m in group.members[:MAX_MEMBERS]]
    if len(group.members) > MAX_MEMBERS:
        lines.append(f"... and {len(group.members) - MAX_MEMBERS} more")
    return _escape_tooltip(lines)


ARROWS = {False: "arrows: from the later thing to the earlier (PROV)",
          True: "arrows: the way data flowed (input to output)"}


def _legend(dot: graphviz.Digraph, view: View, flow: bool = False) -> None:
    entries: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
        ("legend/entity", "Entity", ENTITY, {}), ("legend/activity", "Activity", ACTIVITY, {}),
        ("legend/agent", f"every activity: {view.sole_agent}" if view.sole_agent else "Agent", AGENT, {}),
        ("legend/arrows", ARROWS[flow], {"shape": "plaintext", "fillcolor": "#FFFFFF"}, {}),
    ]
    if view.impact:
        source = view.nodes.get(view.impact_source or "")
        what = f"impact of {source.name}" if source else "impact"
        entries.append(("legend/impact", what, ENTITY, {"color": IMPACT_COLOR, "penwidth": "3"}))
    if view.invalidated:
        entries.append(("legend/invalidated", "invalidated", ENTITY,
                        {"color": INVALID_COLOR, "style": "filled,dashed", "penwidth": "2.5"}))
    if view.tainted:
        entries.append(("legend/tainted", "derived from invalidated", ENTITY,
                        {"color": TAINT_COLOR, "penwidth": "2.5"}))
    if view.groups:
        entries.append(("legend/group", "collapsed group ×N", ACTIVITY, {"peripheries": "2"}))
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="Legend (W3C PROV)", style="rounded", color="#999999", fontcolor="#555555",
                    fontsize="9")
        for name, text, style, extra in entries:
            legend.node(name, label=text, fontsize="8", height="0.3", **{**style, **extra})
        for (tail, _, _, _), (head, _, _, _) in itertools.pairwise(entries):
            legend.edge(tail, head, style="invis")
