"""Everything recorded about one run, and counts over the store: the data behind ``show`` and ``stats``."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from ..errors import QueryError
from ..events import parse_time
from ..store import Store
from ..vocab import PROV, PROVML, RDF, RDFS, bundle_iri, local_of, run_iri
from .sparql import select, select_many, text_of


def _py(term: Any) -> Any:
    """A plain Python value for an RDF term."""
    if isinstance(term, Literal):
        kind = term.datatype.value.rsplit("#", 1)[-1]
        if kind in ("integer", "long", "int"):
            return int(term.value)
        if kind in ("double", "decimal", "float"):
            return float(term.value)
        if kind == "boolean":
            return text_of(term) == "true"
        return text_of(term)
    return term.value if isinstance(term, NamedNode) else str(term)


def duration_seconds(start: str | None, end: str | None) -> float | None:
    """Seconds between two timestamps, or ``None`` if either is missing."""
    if not start or not end:
        return None
    return round((parse_time(end) - parse_time(start)).total_seconds(), 3)


#: How far from a run's bundle descriptions are followed: a used environment (1) names its packages (2).
DESCRIPTION_HOPS = 2


def run_statements(store: Store, run_id: str) -> list[Quad]:
    """What one run asserts (its bundle) with the descriptions of every node it mentions (from the shared
    graph, or wherever an imported document put them), put in the bundle so the result stands on its
    own; what other runs assert about those nodes (their relations and times) stays out."""
    graph = bundle_iri(run_id)
    rows = select(store, "run-graph", graph=graph).rows
    if not rows:  # imported from a document without named graphs: read the graph that has the run
        homes = select(store, "run-home", run=run_iri(run_id)).rows
        if homes:
            graph = homes[0]["graph"]  # type: ignore[assignment]
            rows = select(store, "run-graph", graph=graph).rows
    quads = [Quad(row["s"], row["p"], row["o"], graph) for row in rows]  # type: ignore[arg-type]
    seen: set[NamedNode] = set()
    frontier = quads
    for _ in range(DESCRIPTION_HOPS):
        mentioned = {t for q in frontier for t in (q.subject, q.object) if isinstance(t, NamedNode)} - seen
        seen |= mentioned
        rows = select_many(store, "export-node-quads", "s", sorted(mentioned, key=lambda n: n.value))
        frontier = [Quad(r["s"], r["p"], r["o"], graph) for r in rows  # type: ignore[arg-type]
                    if r["g"] != graph and _describes(r["p"], r["o"])]
        quads += frontier
    return list(dict.fromkeys(quads))


#: Statements that describe a node rather than relate it to another run: its types, what it specializes
#: or holds, on whose behalf it acts, and its literal properties other than PROV's event times.
_STRUCTURE = frozenset({RDF.type, PROV.specializationOf, PROV.alternateOf, PROV.hadMember, PROV.actedOnBehalfOf})
_TIMES = frozenset({PROV.generatedAtTime, PROV.invalidatedAtTime, PROV.startedAtTime, PROV.endedAtTime,
                    PROV.atTime})


def _describes(predicate: Any, value: Any) -> bool:
    return predicate in _STRUCTURE or (isinstance(value, Literal) and predicate not in _TIMES)


def describe_run(store: Store, run_id: str) -> dict[str, Any]:
    """One run as a dict: status, times, parent, agents, params, metrics, used, generated, env, code."""
    triples: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for quad in run_statements(store, run_id):
        triples[getattr(quad.subject, "value", str(quad.subject))][quad.predicate.value].append(quad.object)
    node = run_iri(run_id).value
    if node not in triples:
        raise QueryError(f"no run {run_id!r} in the store (see 'provgraph runs')")

    def one(subject: str, prop: NamedNode) -> Any:
        values = triples[subject].get(prop.value, [])
        return _py(values[0]) if values else None

    def many(subject: str, prop: NamedNode) -> list[Any]:
        return [_py(v) for v in triples[subject].get(prop.value, [])]

    def types(subject: str) -> set[str]:
        return {t.value for t in triples[subject].get(RDF.type.value, [])}

    def roles(qualified_prop: NamedNode, link: NamedNode, holder: str) -> dict[str, str]:
        found = {}
        for q in many(holder, qualified_prop):
            target = one(q, link)
            role = one(q, PROV.hadRole)
            if target and role:
                found[target] = one(role, RDFS.label) or role
        return found

    start, end = one(node, PROV.startedAtTime), one(node, PROV.endedAtTime)
    kinds = sorted(t.rsplit("#", 1)[-1] for t in types(node) if t.startswith(PROVML.Run.value[:-3]))
    info: dict[str, Any] = {
        "run": run_id, "iri": node, "step": one(node, PROVML.stepName),
        "kind": next((k for k in kinds if k != "Run"), None),
        "status": one(node, PROVML.status) or ("running" if end is None else None),
        "started": start, "ended": end, "duration_s": duration_seconds(start, end),
        "parent": (local_of(p) or ("", p))[1] if (p := one(node, PROVML.partOfRun)) else None,
        "error": {"type": one(node, PROVML.errorType), "message": one(node, PROVML.errorMessage)}
        if one(node, PROVML.errorType) else None,
        "labels": sorted(many(node, PROVML.hasLabel)),
        "agents": [], "params": {}, "seeds": {}, "metrics": {}, "used": [], "generated": [],
        "environment": None, "code": None,
        "annotations": {},
    }
    for notes in sorted(many(node, PROVML.annotations)):  # one object per event of the run (start, updates, end)
        info["annotations"].update(json.loads(notes))
    for agent in many(node, PROV.wasAssociatedWith):
        behalf = one(agent, PROV.actedOnBehalfOf)
        kind = next((t.rsplit("#", 1)[-1] for t in types(agent) if t != PROV.Agent.value), "Agent")
        info["agents"].append({"agent": one(agent, RDFS.label), "kind": kind,
                               "on_behalf_of": one(behalf, RDFS.label) or behalf if behalf else None})
    used_roles = roles(PROV.qualifiedUsage, PROV.entity, node)
    for target in many(node, PROV.used):
        kinds_of = types(target)
        if PROVML.RandomSeed.value in kinds_of:
            info["seeds"][one(target, PROVML.name)] = one(target, PROVML.value)
        elif PROVML.HyperParameterSetting.value in kinds_of:
            info["params"][one(target, PROVML.name)] = one(target, PROVML.value)
        elif PROVML.Environment.value in kinds_of:
            members = [(one(m, PROVML.name), one(m, PROVML.version)) for m in many(target, PROV.hadMember)]
            info["environment"] = {
                "python": one(target, PROVML.pythonVersion), "platform": one(target, PROVML.platform),
                "hostname": one(target, PROVML.hostname), "container": one(target, PROVML.containerImage),
                "packages": dict(sorted(members, key=lambda m: str(m[0]).lower())),
            }
        elif PROVML.CodeVersion.value in kinds_of:
            info["code"] = {**(info["code"] or {}), "commit": one(target, PROVML.gitCommit),
                            "branch": one(target, PROVML.gitBranch), "remote": one(target, PROVML.gitRemote),
                            "dirty": one(target, PROVML.gitDirty)}
        else:
            info["used"].append(_artifact(target, one, many, used_roles.get(target)))
    finals: dict[str, list[tuple[int, Any]]] = {}  # a metric's value, and the points of its history
    history: dict[str, list[tuple[int, Any]]] = {}
    for subject, props in triples.items():
        if node in [v.value for v in props.get(PROV.wasGeneratedBy.value, [])]:
            if PROVML.MetricValue.value in types(subject):
                name, step = one(subject, PROVML.name), one(subject, PROVML.step)
                points = history if PROVML.historyOf.value in props else finals
                points.setdefault(name, []).append((-1 if step is None else step, one(subject, PROVML.value)))
            else:
                info["generated"].append(_artifact(subject, one, many, None))
    info["metrics"] = {name: max(points, key=lambda p: p[0])[1]
                       for name, points in sorted({**history, **finals}.items())}
    info["metric_history"] = {name: sorted(points, key=lambda p: p[0]) for name, points in sorted(history.items())}
    script = next((u for u in info["used"] if u["kind"] == "code"), None)
    if script:
        info["used"].remove(script)
        info["code"] = {**(info["code"] or {}), "script": script["location"], "script_sha256": script["sha256"]}
    info["used"].sort(key=lambda a: a["location"])
    info["generated"].sort(key=lambda a: a["location"])
    return info


def _artifact(node: str, one: Any, many: Any, role: str | None) -> dict[str, Any]:
    return {"location": one(node, PROVML.location), "kind": one(node, PROVML.artifactKind),
            "sha256": one(node, PROVML.sha256), "size": one(node, PROVML.sizeBytes), "role": role,
            "labels": sorted(many(node, PROVML.hasLabel)), "iri": node}


def store_stats(store: Store) -> dict[str, Any]:
    """Counts: quads, named graphs (runs), nodes per type, runs per status."""
    by_type = {}
    for row in select(store, "stats"):
        kind = local_of(row["type"].value)
        name = row["type"].value.rsplit("#", 1)[-1] if kind is None else row["type"].value
        prefix = "prov:" if row["type"].value.startswith(PROV.base) else (
            "provml:" if row["type"].value.startswith(PROVML.base) else "")
        by_type[prefix + name] = int(row["count"].value)
    statuses = {row["status"].value: int(row["count"].value) for row in select(store, "run-status")}
    return {"quads": len(store), "graphs": len(store.graphs()), "runs_by_status": statuses, "nodes_by_type": by_type}
