"""Runs by step kind, agent, parameter, metric, label, time window or commit; who did what; run diffs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode

from ..errors import QueryError
from ..events import RUN_KINDS, parse_time
from ..store import Store
from ..vocab import PROV, PROVML, RDF, RUN_CLASSES, bundle_iri, local_of
from .nodes import _AT, _RUN_KINDS, node_labels, run_kind
from .resolve import resolve
from .results import DiffResult, RunsResult, WhoResult
from .runinfo import duration_seconds
from .sparql import fill_values, load, moment, select, select_many, solutions, term, text_of

OPERATORS = (">=", "<=", "!=", "=", ">", "<")
Condition = tuple[str, str, Any]
Conditions = Mapping[str, Any] | Iterable[str | Condition] | None


def parse_condition(text: str) -> Condition:
    """``"n_estimators>=50"`` -> ``("n_estimators", ">=", 50)``; values are read as JSON scalars."""
    for op in OPERATORS:
        name, found, value = text.partition(op)
        if found and name.strip() and value.strip() and value.strip()[0] not in "<>=!":
            return name.strip(), op, _scalar(value.strip())
        if found:
            break
    raise QueryError(f"{text!r} is not a condition; write NAME=VALUE or NAME>=VALUE (= != < <= > >=)")


def _scalar(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


def _conditions(given: Conditions) -> list[Condition]:
    if given is None:
        return []
    if isinstance(given, Mapping):
        return [(str(name), "=", value) for name, value in given.items()]
    conditions = []
    for item in given:
        if isinstance(item, str):
            conditions.append(parse_condition(item))
        else:
            name, op, value = item
            if op not in OPERATORS:
                raise QueryError(f"unknown operator {op!r}; use one of {' '.join(OPERATORS)}")
            conditions.append((name, op, value))
    return conditions


def runs(store: Store, kind: str | None = None, agent: str | None = None, params: Conditions = None,
         metrics: Conditions = None, label: str | None = None, since: str | datetime | None = None,
         until: str | datetime | None = None, commit: str | None = None, step: str | None = None,
         limit: int | None = None) -> RunsResult:
    """Runs, newest first, with status, step, kind, agents, start, end and duration in seconds.

    ``params`` and ``metrics`` are conditions: ``{"n_estimators": 100}`` or
    ``["n_estimators>=50", ("accuracy", ">", 0.9)]`` (a metric condition tests the final value).
    """
    wanted: list[set[str]] = []
    if kind is not None:
        if kind not in RUN_CLASSES:
            raise QueryError(f"unknown run kind {kind!r}; choose one of {', '.join(RUN_KINDS)}")
        wanted.append(_matching(store, "runs-having", property=RDF.type, value=PROVML[RUN_CLASSES[kind]]))
    if step is not None:
        wanted.append(_matching(store, "runs-having", property=PROVML.stepName, value=step))
    if label is not None:
        wanted.append(_matching(store, "runs-having", property=PROVML.hasLabel, value=label))
    if agent is not None:
        wanted.append(_matching(store, "runs-agent", agent=resolve(store, agent)))
    if since is not None or until is not None:
        wanted.append(_matching(store, "runs-time", since=since and moment(since, "--since"),
                                until=until and moment(until, "--until")))
    if commit is not None:
        wanted.append(_matching(store, "runs-commit", commit=commit))
    for name, op, value in _conditions(params):
        wanted.append(_matching(store, "runs-param", param_name=name, param_op=op, param_value=term(value)))
    for name, op, value in _conditions(metrics):
        wanted.append(_matching(store, "runs-metric", metric_name=name, metric_op=op, metric_value=term(value)))
    iris = sorted(set.intersection(*wanted)) if wanted else None
    rows = sorted((_finish(r) for r in _describe_runs(store, iris)),
                  key=lambda r: (_instant(r["start"] or r["end"]), r["run"]), reverse=True)
    return RunsResult(rows=rows[:limit] if limit is not None else rows)


def _instant(text: str | None) -> float:
    """Where a run sorts in time: its timestamp as a number, not its text, which puts ``10.2Z`` after
    ``10.25Z`` and ``10Z`` after ``10.2Z``; a run without a time (or with one we cannot read) sorts first."""
    try:
        return parse_time(text).timestamp() if text else float("-inf")
    except ValueError:
        return float("-inf")


def _matching(store: Store, query: str, **bindings: Any) -> set[str]:
    return {text_of(s["run"]) or "" for s in select(store, query, **bindings)}


#: The run classes in IRI order, numbered as ``runs.rq`` is told.
_RUN_CLASSES = tuple(sorted(_RUN_KINDS))


def _describe_runs(store: Store, iris: list[str] | None) -> list[dict[str, Any]]:
    """One record per run of ``iris`` (every run when ``None``): a node stated to be a provml:Run with a run
    id, described by the store's lineage index or else by ``queries/runs.rq``."""
    index = store.lineage_index(rebuild=False)  # runs.rq answers in seconds where a rebuild takes minutes
    held = index.runs(iris) if index is not None else None
    if held is None:
        return _queried_runs(store, iris)
    return [{"run": record[_AT["runId"]], "iri": iri, "kind": run_kind(record[0]), "agents": set(agents),
             **{field: record[_AT[name]] for field, name in _INDEXED_FIELDS.items() if record[_AT[name]] is not None}}
            for iri, (record, agents) in held.items()]


#: The fields of a run's record, by the name the lineage index gives them.
_INDEXED_FIELDS = {"step": "step", "status": "status", "start": "started", "end": "ended", "parent": "parent"}


def _queried_runs(store: Store, iris: list[str] | None) -> list[dict[str, Any]]:
    """The records of :func:`_describe_runs`, as ``queries/runs.rq`` finds them."""
    text = fill_values(load("runs"), ("class", "number"),
                       ((NamedNode(cls), Literal(number)) for number, cls in enumerate(_RUN_CLASSES)))
    if iris is None:
        found = solutions(store.query(text), "runs").rows
    else:
        found = select_many(store, "runs", "run", [NamedNode(iri) for iri in iris], text)
    records: dict[str, dict[str, Any]] = {}
    for row in found:
        iri = row["run"].value
        record = records.setdefault(iri, {"run": row["id"].value, "iri": iri, "agents": set()})
        numbers = [int(number) for number in row["kinds"].value.split()] if "kinds" in row else []
        if numbers and "kind" not in record:  # the first run class in IRI order, as the index names the kind
            record["kind"] = _RUN_KINDS[_RUN_CLASSES[min(numbers)]]
        for field in _INDEXED_FIELDS:
            if field in row:
                record.setdefault(field, text_of(row[field]))
        record["agents"].update(agent for agent in row["agents"].value.split("\n") if agent)
    named = node_labels(store, sorted({agent for record in records.values() for agent in record["agents"]}))
    for record in records.values():  # each agent by its label, as the index's answer names it
        record["agents"] = {named[agent] for agent in record["agents"] if agent in named}
    return list(records.values())


def _finish(record: dict[str, Any]) -> dict[str, Any]:
    start, end = record.get("start"), record.get("end")
    duration = duration_seconds(start, end)
    return {
        "run": record["run"], "iri": record["iri"], "step": record.get("step"), "kind": record.get("kind"),
        "status": record.get("status") or ("running" if start else None), "agents": sorted(record["agents"]),
        "start": start, "end": end, "duration": duration, "parent": _local(record.get("parent")),
    }


def who(store: Store, ref: str | NamedNode, root: str | Path | None = None) -> WhoResult:
    """Who generated, used, invalidated or ran ``ref``, on whose behalf, in which role, and when."""
    node = ref if isinstance(ref, NamedNode) else resolve(store, ref, root)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    answer = select(store, "who", ref=node).rows
    agents = sorted({agent for agent in (s.get("agent") for s in answer) if isinstance(agent, NamedNode)}, key=str)
    activities = sorted({a for a in (s.get("activity") for s in answer) if isinstance(a, NamedNode)}, key=str)
    role_of: dict[tuple[Any, Any, Any], Any] = {}
    for s in select_many(store, "roles", "activity", activities):
        role_of.setdefault((s["activity"], s["agent"], s["bundle"]), s["role"])
    roles = sorted({role for role in role_of.values() if isinstance(role, NamedNode)}, key=str)
    names: dict[Any, str] = {}
    classes: dict[Any, list[str]] = {}
    for s in select_many(store, "names", "node", agents + roles):
        if "name" in s:
            names.setdefault(s["node"], s["name"].value)
        elif "class" in s:
            classes.setdefault(s["node"], []).append(s["class"].value)
    principals: dict[Any, str | None] = {}
    for s in select_many(store, "delegations", "agent", agents):
        principals.setdefault(s["agent"], text_of(s.get("principal_name")) or _local(text_of(s.get("principal"))))
    for s in answer:
        activity = text_of(s.get("activity")) or ""
        local = local_of(activity)
        entity = text_of(s.get("entity")) or ""
        entity_local = local_of(entity)
        principal = principals.get(s.get("agent"))
        row = {
            "time": text_of(s.get("time")), "action": text_of(s.get("action")),
            "run": local[1] if local else activity, "step": text_of(s.get("step")),
            "agent": names.get(s.get("agent")) or _local(text_of(s.get("agent"))),
            "agent_iri": text_of(s.get("agent")), "agent_kind": _agent_kind(classes.get(s.get("agent"), [])),
            "role": names.get(role_of.get((s.get("activity"), s.get("agent"), s.get("bundle")))),
            "on_behalf_of": principal,
            "entity": _short(entity_local[1]) if entity_local else entity, "entity_iri": entity,
        }
        key = (row["time"], row["action"], row["run"], row["agent_iri"], row["entity"])
        if key in rows:
            for name, value in row.items():
                rows[key][name] = rows[key][name] or value
        else:
            rows[key] = row
    ordered = sorted(rows.values(), key=lambda r: (_instant(r["time"]), r["action"] or "", r["run"] or "",
                                                  r["agent"] or "", r["entity"] or ""))
    return WhoResult(rows=ordered)


def _local(iri: str | None) -> str | None:
    local = local_of(iri) if iri else None
    return local[1] if local else iri


def _short(local: str) -> str:
    return local[:19] if local.startswith("sha256-") else local


def _agent_kind(classes: list[str]) -> str | None:
    """``person``, ``organization`` or ``softwareagent`` from an agent's classes (PROV's own first)."""
    ordered = sorted(classes, key=lambda cls: (not cls.startswith(PROV.base), cls))
    return ordered[0].rpartition("#")[2].lower() if ordered else None


_ASPECTS = ("input", "parameter", "seed", "code", "environment", "package", "metric")


def diff(store: Store, a: str | NamedNode, b: str | NamedNode, root: str | Path | None = None) -> DiffResult:
    """What differs between runs ``a`` and ``b``: inputs (by hash), parameters, seeds, code commit,
    environment and packages, final metrics. One row per differing fact, ``None`` where absent."""
    run_a = a if isinstance(a, NamedNode) else resolve(store, a, root)
    run_b = b if isinstance(b, NamedNode) else resolve(store, b, root)
    facts: dict[str, dict[tuple[str, str], set[str]]] = {run_a.value: {}, run_b.value: {}}
    found = ((node.value, s) for node in (run_a, run_b)
             for s in select(store, "diff", run=node, bundle=_bundle(node)))
    for run, s in found:
        key = (text_of(s["aspect"]) or "", text_of(s["name"]) or "")
        values = facts.setdefault(run, {}).setdefault(key, set())
        value = text_of(s.get("value"))
        if value is not None:
            values.add(value)
    for ref, node in ((a, run_a), (b, run_b)):
        if not _is_run(store, node):
            raise QueryError(f"{ref!r} is not a run")
    rows = []
    keys = set(facts[run_a.value]) | set(facts[run_b.value])
    for aspect, name in sorted(keys, key=lambda k: (_ASPECTS.index(k[0]) if k[0] in _ASPECTS else 99, k[1])):
        left, right = facts[run_a.value].get((aspect, name)), facts[run_b.value].get((aspect, name))
        if left != right:
            rows.append({"aspect": aspect, "name": name, "a": _joined(left), "b": _joined(right)})
    return DiffResult(rows=rows, a=_local(run_a.value) or "", b=_local(run_b.value) or "")


def _bundle(run: NamedNode) -> NamedNode:
    local = local_of(run)
    return bundle_iri(local[1]) if local else run


def _joined(values: set[str] | None) -> str | None:
    if values is None:
        return None
    return ", ".join(sorted(values)) if values else "(none)"


def _is_run(store: Store, node: NamedNode) -> bool:
    return bool(_describe_runs(store, [node.value]))
