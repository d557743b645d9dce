"""What a diagram shows: the scope (whole store, one run, or one node's lineage and impact), the
decorations (agents, invalidations, logical artifacts), highlights, collapsed groups and reduced edges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from ..errors import RenderError
from ..query.resolve import resolve
from ..store import Store
from .graph import LineageGraph, Node

#: A group of at least this many sibling runs or versions collapses into one node (unless expanded).
COLLAPSE_AT = 6
DIRECTIONS = ("up", "down", "both")


@dataclass
class Group:
    """Several runs or artifact versions drawn as one node with a count."""

    id: str
    kind: str
    members: list[Node]
    title: str = ""

    @property
    def name(self) -> str:
        return self.title or self.members[0].name


@dataclass
class View:
    """Everything the DOT writer needs; node ids are IRIs or group ids."""

    nodes: dict[str, Node]
    groups: dict[str, Group] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], int] = field(default_factory=dict)
    transformations: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    agents: dict[str, list[str]] = field(default_factory=dict)
    parent_nodes: dict[str, Node] = field(default_factory=dict)
    focus: str | None = None
    impact_source: str | None = None
    impact: set[str] = field(default_factory=set)
    invalidated: set[str] = field(default_factory=set)
    tainted: set[str] = field(default_factory=set)
    clusters: bool = True
    reduced: int = 0
    sole_agent: str | None = None
    #: the graph the view was read from, to ask about edges it does not draw (report: pipeline order)
    lineage: LineageGraph | None = field(default=None, repr=False)

    def shown(self) -> list[str]:
        """Ids of the drawn nodes: ungrouped nodes, then groups."""
        grouped = {m.iri for g in self.groups.values() for m in g.members}
        return [iri for iri in self.nodes if iri not in grouped] + list(self.groups)


def build_view(
    store: Store,
    focus: str | None = None,
    depth: int | None = None,
    direction: str = "both",
    highlight_impact: str | None = None,
    run: str | None = None,
    collapse: bool = True,
    expand: bool = False,
    reduce: bool = False,
) -> View:
    """Read the store and decide what a diagram with these options shows (see :func:`diagram`)."""
    if direction not in DIRECTIONS:
        raise RenderError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if depth is not None and depth < 0:
        raise RenderError(f"depth must be 0 or more, not {depth}")
    if focus is not None and run is not None:
        raise RenderError("give a focus node or a run to draw, not both")
    lineage = LineageGraph(store, lazy=focus is not None or run is not None)
    focus_iri = resolve(store, focus).value if focus is not None else None
    source = resolve(store, highlight_impact).value if highlight_impact is not None else None
    if focus_iri is not None:
        scope = _focus_scope(lineage, focus_iri, depth, direction)
    elif run is not None:
        scope = _run_scope(lineage, resolve(store, run).value)
    else:
        scope = {n for n, kind in lineage.kinds.items() if kind != "agent" and not lineage.versions(n)}
    lineage.load(scope)  # in one go: the steps below ask node by node
    scope = _decorate(lineage, scope, keep={x for x in (focus_iri, source) if x})
    lineage.load(scope)
    parents = _parents(lineage, scope)
    details = lineage.details(scope | set(parents.values()))
    agents = {n for n in scope if lineage.kind(n) == "agent"}
    sole = next(iter(agents)) if len(agents) == 1 and focus_iri not in agents else None
    if sole is not None:  # one agent did everything: a legend line says so, no node and no edges
        scope = scope - agents
    view = View({iri: details[iri] for iri in sorted(scope)}, focus=focus_iri, impact_source=source,
                clusters=collapse, parents=parents, sole_agent=details[sole].name if sole else None,
                lineage=lineage)
    view.parent_nodes = {iri: details[iri] for iri in set(parents.values())}
    for iri in scope:
        names = {details[a].name for relation in ("wasAssociatedWith", "wasAttributedTo")
                 for a in lineage.targets(iri, relation) if a in details}
        view.agents[iri] = [] if sole else sorted(names)
    view.invalidated = {n for n in scope if lineage.targets(n, "wasInvalidatedBy")}
    view.tainted = set(lineage.impact(_seeds(lineage, view.invalidated))) & scope - view.invalidated
    if source is not None:
        view.impact = set(lineage.impact(_seeds(lineage, [source]))) & scope | ({source} & scope)
    if collapse and not expand:
        view.groups = _groups(lineage, view, keep={x for x in (focus_iri, source) if x})
    view.edges = _edges(lineage, view, scope, draw_nesting=not collapse)
    view.transformations = lineage.transformations
    if reduce:
        view.reduced = _reduce(view)
    return view


def _seeds(lineage: LineageGraph, nodes: Iterable[str]) -> list[str]:
    """Nodes to start a traversal from: a logical artifact stands for all its versions."""
    seeds: list[str] = []
    for node in nodes:
        seeds += [node, *lineage.versions(node)]
    return seeds


def _focus_scope(lineage: LineageGraph, focus: str, depth: int | None, direction: str) -> set[str]:
    if lineage.kind(focus) is None:
        raise RenderError(f"{focus} is not a run, artifact or agent a diagram can show")
    if lineage.kind(focus) == "agent":
        return _agent_scope(lineage, focus)
    seeds = _seeds(lineage, [focus])
    scope = set(seeds)
    if direction in ("up", "both"):
        scope |= set(lineage.lineage(seeds, depth))
    if direction in ("down", "both"):
        scope |= set(lineage.impact(seeds, depth))
    return scope


def _run_scope(lineage: LineageGraph, run: str) -> set[str]:
    if lineage.kind(run) != "activity":
        raise RenderError(f"{run} is not a run")
    runs, todo = {run}, [run]
    while todo:
        children = [c for c in lineage.sources(todo.pop(), "partOfRun") if c not in runs]
        runs.update(children)
        todo += children
    scope = set(runs)
    for member in runs:
        scope.update(lineage.targets(member, "used"))
        scope.update(lineage.sources(member, "wasGeneratedBy"))
    return scope


def _agent_scope(lineage: LineageGraph, agent: str) -> set[str]:
    """An agent, its delegates, the runs they were associated with and what those used and generated."""
    agents = {agent, *lineage.sources(agent, "actedOnBehalfOf")}
    scope = set(agents)
    for member in agents:
        for run in lineage.sources(member, "wasAssociatedWith"):
            scope |= _run_scope(lineage, run)
        scope.update(lineage.sources(member, "wasAttributedTo"))
    return scope


def _decorate(lineage: LineageGraph, scope: set[str], keep: set[str]) -> set[str]:
    """Add the agents, delegations and invalidations of the scope, and logical artifacts of 2+ versions."""
    shown = set(scope)
    for node in scope:
        kind = lineage.kind(node)
        if kind == "activity":
            shown.update(lineage.targets(node, "wasAssociatedWith"))
        elif kind == "entity":
            shown.update(lineage.targets(node, "wasAttributedTo"))
            for invalidation in lineage.targets(node, "wasInvalidatedBy"):
                shown.add(invalidation)
                shown.update(lineage.targets(invalidation, "wasAssociatedWith"))
    todo = [n for n in shown if lineage.kind(n) == "agent"]
    while todo:
        for principal in lineage.targets(todo.pop(), "actedOnBehalfOf"):
            if principal not in shown:
                shown.add(principal)
                todo.append(principal)
    logical: dict[str, int] = defaultdict(int)
    for node in scope:
        for target in lineage.targets(node, "specializationOf"):
            logical[target] += 1
    shown.update(n for n, count in logical.items() if count >= 2 or n in keep)
    return shown


def _parents(lineage: LineageGraph, scope: set[str]) -> dict[str, str]:
    """Run -> parent run (``provml:partOfRun``), for every run of the scope and their ancestors."""
    parents: dict[str, str] = {}
    todo = [n for n in scope if lineage.kind(n) == "activity"]
    while todo:
        node = todo.pop()
        for parent in lineage.targets(node, "partOfRun")[:1]:
            if node not in parents:
                parents[node] = parent
                todo.append(parent)
    return parents


def _groups(lineage: LineageGraph, view: View, keep: set[str]) -> dict[str, Group]:
    """Collapse many sibling runs and many versions into counted nodes.

    Runs are siblings when they share a step name, run kind and parent, where a parent that was
    itself collapsed counts as one: 100 runs of a pipeline fold into one pipeline whose steps fold too.
    Artifacts fold when one collapsed group generated them (by kind), or when they are many versions of
    one logical artifact.
    """
    groups: dict[str, Group] = {}
    member_of: dict[str, str] = {}
    runs = [(iri, node) for iri, node in view.nodes.items() if node.is_run and iri not in keep]
    for level in sorted({_level(view.parents, iri) for iri, _ in runs}):
        run_keys: dict[tuple[str, ...], list[Node]] = defaultdict(list)
        for iri, node in runs:
            if _level(view.parents, iri) == level:
                parent = view.parents.get(iri, "")
                run_keys[(member_of.get(parent, parent), node.name, *sorted(node.types))].append(node)
        for members in run_keys.values():
            if len(members) >= COLLAPSE_AT:
                group = Group(f"group/{len(groups) + 1}", "activity", members)
                groups[group.id] = group
                member_of.update((m.iri, group.id) for m in members)
    entity_keys: dict[tuple[str, ...], list[Node]] = defaultdict(list)
    for iri, node in view.nodes.items():
        if node.kind != "entity" or node.is_logical or iri in keep or iri in view.invalidated:
            continue
        makers = {member_of.get(m, m) for m in lineage.targets(iri, "wasGeneratedBy")}
        logical = lineage.targets(iri, "specializationOf")
        if len(makers) == 1 and next(iter(makers)) in groups:
            entity_keys[("made", next(iter(makers)), node.artifact_kind or "")].append(node)
        elif logical:
            entity_keys[("versions", logical[0])].append(node)
    for key, members in entity_keys.items():
        if len(members) >= COLLAPSE_AT:
            title = f"{key[2] or 'artifact'} outputs" if key[0] == "made" else ""
            group = Group(f"group/{len(groups) + 1}", "entity", members, title)
            groups[group.id] = group
    for group in groups.values():
        for member in group.members:
            if member.iri in view.parents:
                view.parents[group.id] = view.parents[member.iri]
    view.parents = {child: member_of.get(parent, parent) for child, parent in view.parents.items()}
    return groups


def _level(parents: dict[str, str], node: str) -> int:
    """How deeply a run is nested (0 for a run with no parent)."""
    level, seen = 0, {node}
    while node in parents and parents[node] not in seen:
        node = parents[node]
        seen.add(node)
        level += 1
    return level


def _edges(lineage: LineageGraph, view: View, scope: set[str], draw_nesting: bool) -> dict[tuple[str, str, str], int]:
    """Drawn edges (tail, head, relation) -> how many store edges each stands for."""
    member_of = {m.iri: g.id for g in view.groups.values() for m in g.members}
    edges: dict[tuple[str, str, str], int] = defaultdict(int)
    for u, v, relation in lineage.edges_among(scope):
        if relation == "partOfRun" and not draw_nesting:
            continue
        tail, head = member_of.get(u, u), member_of.get(v, v)
        if tail != head:
            edges[(tail, head, relation)] += 1
    return dict(edges)


def _reduce(view: View) -> int:
    """Drop implied edges; returns how many were dropped.

    A derivation goes when the activity that generated the derived entity used the source (``used`` plus
    ``wasGeneratedBy`` already say it) or when a chain of other derivations implies it (transitive
    reduction); an attribution goes when the generating activity was associated with the same agent.
    """
    makers: dict[str, list[str]] = defaultdict(list)
    for tail, head, relation in view.edges:
        if relation == "wasGeneratedBy":
            makers[tail].append(head)
    dropped = [(derived, source, relation) for derived, source, relation in view.edges
               if relation == "wasDerivedFrom"
               and any((activity, source, "used") in view.edges for activity in makers[derived])]
    derivations = nx.DiGraph([(u, v) for u, v, rel in view.edges if rel == "wasDerivedFrom"])
    if nx.is_directed_acyclic_graph(derivations):
        kept = set(nx.transitive_reduction(derivations).edges())
        dropped += [e for e in view.edges if e[2] == "wasDerivedFrom" and (e[0], e[1]) not in kept
                    and e not in dropped]
    for entity, agent, relation in view.edges:
        if relation == "wasAttributedTo" and any(
            (activity, agent, "wasAssociatedWith") in view.edges for activity in makers[entity]
        ):
            dropped.append((entity, agent, relation))
    for edge in dropped:
        del view.edges[edge]
    return len(dropped)
