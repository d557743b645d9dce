"""The web explorer: its page, its vendored scripts and the read-only JSON it asks for.

The page (``page.html`` with ``static/explorer.js``) browses runs, artifacts and agents, draws an
interactive lineage graph (cytoscape.js with the dagre layout, vendored under ``static/vendor/`` with
their licences) and runs SPARQL. Everything here reads through the query, render and validate layers;
a reference nothing matches answers 404.
"""

from __future__ import annotations

from collections import defaultdict
from importlib.resources import files
from typing import Any

from pyoxigraph import NamedNode
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from ..errors import ProvgraphError
from ..query import invalidated, runs, who
from ..query.nodes import describe, describe_nodes
from ..render.graph import LineageGraph, Node
from ..render.scope import build_view
from ..resources import resource_dir
from ..store import Store
from ..store.bindings import is_update
from ..vocab import PROV, PROVML
from .api import RUN_FILTERS, _describe, _int, _json, _one, _store, locate
from .openapi import NOT_FOUND, ApiRoute, Operation, json_ok, operation, query_param
from .problems import ApiError

#: No script or style from another host; the graph library needs inline styles on its canvas.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; frame-ancestors 'none'")
STATUSES = ("completed", "failed", "aborted", "running")


async def page(request: Request) -> Response:
    """The explorer page (everything else it shows comes from the JSON routes below)."""
    text = files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    return HTMLResponse(text, headers={"Content-Security-Policy": CSP})


def _kind_of(store: Store, node: NamedNode) -> dict[str, Any]:
    """The node's description row (type run, artifact, dataset, agent, ...) from ``describe.rq``."""
    return describe_nodes(store, [node.value]).get(node.value) or describe(node.value)


def _page_of(row: dict[str, Any]) -> str:
    if row["type"] == "run":
        return "run"
    return "agent" if row["type"] == "agent" else "artifact"


async def search(request: Request) -> Response:
    """Which page shows ``ref``: ``{"page": "run"|"artifact"|"agent", "id": ..., "iri": ...}``."""
    store = await _store(request)
    ref = str(_one(request, "ref", required=True))

    def find() -> dict[str, Any]:
        row = _kind_of(store, locate(store, ref))
        return {"page": _page_of(row), "id": row["id"] if row["type"] == "run" else row["iri"],
                "iri": row["iri"], "label": row["label"], "type": row["type"]}

    return _json(await run_in_threadpool(find))


async def list_runs(request: Request) -> Response:
    """Runs, newest first, filtered like ``provgraph runs`` plus ``status``."""
    store = await _store(request)
    options: dict[str, Any] = {name: _one(request, name) for name in RUN_FILTERS}
    options["params"] = request.query_params.getlist("param") or None
    options["metrics"] = request.query_params.getlist("metric") or None
    status = _one(request, "status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}, not {status!r}", "status")
    limit = _int(request, "limit", 1, 100_000)
    result = await run_in_threadpool(lambda: runs(store, **options))
    rows = [r for r in result.rows if status is None or r["status"] == status][:limit]
    return _json({"runs": rows, "count": len(rows)})


async def validate_run(request: Request) -> Response:
    """PROV-CONSTRAINTS on the run's bundle and the ML profile's SHACL shapes on it."""
    from ..validate import check_store

    store = await _store(request)
    run_id = request.path_params["run_id"]
    await run_in_threadpool(_describe, store, run_id, "run_id")

    def check() -> dict[str, Any]:
        try:
            reports = check_store(store, run=run_id)
        except ProvgraphError as exc:
            return {"ok": None, "error": str(exc), "reports": []}
        return {"ok": all(r.ok for r in reports), "reports": [r.to_dict() for r in reports]}

    return _json(await run_in_threadpool(check))


def _version(lineage: LineageGraph, node: Node, runs_of: dict[str, str]) -> dict[str, Any]:
    return {
        "iri": node.iri, "name": node.name, "kind": node.artifact_kind, "sha256": node.one(PROVML.sha256),
        "location": node.one(PROVML.location), "size": node.one(PROVML.sizeBytes),
        "generated_at": node.one(PROV.generatedAtTime), "invalidated_at": node.one(PROV.invalidatedAtTime),
        "made_by": [runs_of.get(r, r) for r in lineage.targets(node.iri, "wasGeneratedBy")],
        "used_by": sorted({runs_of.get(r, r) for r in lineage.sources(node.iri, "used")}),
    }


def _run_ids(lineage: LineageGraph, details: dict[str, Node]) -> dict[str, str]:
    return {iri: str(n.one(PROVML.runId)) for iri, n in details.items() if n.kind == "activity" and n.one(PROVML.runId)}


def artifacts(store: Store) -> list[dict[str, Any]]:
    """Datasets and models: each logical artifact with its versions, then versions of no logical artifact."""
    lineage = LineageGraph(store)
    wanted = [n for n, kind in lineage.kinds.items() if kind in ("entity", "activity")]
    details = lineage.details(wanted)
    runs_of = _run_ids(lineage, details)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    loose = []
    for iri, node in details.items():
        if node.kind != "entity" or node.is_logical:
            continue
        version = _version(lineage, node, runs_of)
        logical = lineage.targets(iri, "specializationOf")
        if logical:
            grouped[logical[0]].append(version)
        else:
            loose.append({**version, "versions": [version]})
    rows = []
    for iri, versions in grouped.items():
        versions.sort(key=lambda v: v["generated_at"] or "", reverse=True)
        logical_node = details.get(iri)
        rows.append({"iri": iri, "name": logical_node.name if logical_node else iri, "kind": versions[0]["kind"],
                     "location": versions[0]["location"], "versions": versions,
                     "invalidated": any(v["invalidated_at"] for v in versions)})
    rows += [{**r, "invalidated": bool(r["invalidated_at"])} for r in loose]
    return sorted(rows, key=lambda r: (str(r["kind"]), str(r["name"])))


async def list_artifacts(request: Request) -> Response:
    store = await _store(request)
    rows = await run_in_threadpool(artifacts, store)
    return _json({"artifacts": rows, "count": len(rows)})


def artifact(store: Store, node: NamedNode) -> dict[str, Any]:
    """One artifact (a version or a logical dataset): its versions, who made and used it, invalidations."""
    lineage = LineageGraph(store)
    logical = lineage.targets(node.value, "specializationOf")
    home = logical[0] if logical else node.value
    members = lineage.versions(home) or [node.value]
    makers = [r for m in members for rel in ("wasGeneratedBy",) for r in lineage.targets(m, rel)]
    users = [r for m in members for r in lineage.sources(m, "used")]
    details = lineage.details({home, *members, *makers, *users})
    runs_of = _run_ids(lineage, details)
    versions = sorted((_version(lineage, details[m], runs_of) for m in members),
                      key=lambda v: v["generated_at"] or "", reverse=True)
    row = _kind_of(store, node)
    people = [r for m in {node.value, home, *members} for r in who(store, NamedNode(m)).rows]
    targets = {node.value, home, *members}
    reasons = [r for r in invalidated(store).rows if r["target_iri"] in targets]
    return {
        "iri": node.value, "name": details[home].name if home in details else row["label"], "type": row["type"],
        "kind": row["kind"] or (versions[0]["kind"] if versions else None), "logical": home if logical else None,
        "versions": versions, "who": sorted({tuple(sorted(r.items())): r for r in people}.values(),
                                            key=lambda r: r["time"] or ""),
        "invalidations": list({(r["target_iri"], r["reason"], r["affected_iri"]): r for r in reasons}.values()),
    }


async def show_artifact(request: Request) -> Response:
    store = await _store(request)
    ref = str(_one(request, "ref", required=True))
    return _json(await run_in_threadpool(lambda: artifact(store, locate(store, ref))))


def agents(store: Store) -> list[dict[str, Any]]:
    """Every agent with its kind, on whose behalf it acted and how many runs it is associated with."""
    lineage = LineageGraph(store)
    found = [n for n, kind in lineage.kinds.items() if kind == "agent"]
    details = lineage.details(found)
    rows = []
    for iri in found:
        node = details[iri]
        kinds = sorted(t.rsplit("#", 1)[-1] for t in node.types if t != PROV.Agent.value)
        rows.append({"iri": iri, "name": node.name, "kind": kinds[0] if kinds else "Agent",
                     "runs": len(lineage.sources(iri, "wasAssociatedWith")),
                     "on_behalf_of": [details[p].name if p in details else p
                                      for p in lineage.targets(iri, "actedOnBehalfOf")]})
    return sorted(rows, key=lambda r: (-r["runs"], r["name"]))


async def list_agents(request: Request) -> Response:
    store = await _store(request)
    rows = await run_in_threadpool(agents, store)
    return _json({"agents": rows, "count": len(rows)})


def graph(store: Store, ref: str, direction: str, depth: int | None, highlight: str | None) -> dict[str, Any]:
    """The lineage around ``ref`` as cytoscape elements (nodes with PROV kind and page, edges with relation)."""
    focus = locate(store, ref)
    source = locate(store, highlight).value if highlight else None
    view = build_view(store, focus.value, depth, direction, source, collapse=False, reduce=True)
    people = [iri for iri, node in view.nodes.items() if node.kind == "agent"]
    single = people[0] if len(people) == 1 and focus.value not in people else None
    nodes = []
    for iri, node in view.nodes.items():
        if iri == single:
            continue
        run_id = node.one(PROVML.runId)
        subtype = node.artifact_kind or next(
            (t.rsplit("#", 1)[-1] for t in sorted(node.types) if t.startswith(PROVML.base) and t != PROVML.Run.value),
            None)
        nodes.append({"data": {
            "id": iri, "label": node.name, "kind": node.kind, "subtype": subtype, "sha256": node.one(PROVML.sha256),
            "page": "run" if run_id else ("agent" if node.kind == "agent" else "artifact"),
            "ref": str(run_id) if run_id else iri, "focus": iri == view.focus, "impact": iri in view.impact,
            "invalidated": iri in view.invalidated, "tainted": iri in view.tainted,
        }})
    edges = [{"data": {"id": f"{tail} {relation} {head}", "source": tail, "target": head, "relation": relation}}
             for (tail, head, relation) in view.edges if relation != "partOfRun" and single not in (tail, head)]
    return {"ref": ref, "focus": focus.value, "direction": direction, "nodes": nodes, "edges": edges,
            "agent": view.nodes[single].name if single else None}


async def get_graph(request: Request) -> Response:
    store = await _store(request)
    ref = str(_one(request, "ref", required=True))
    direction = _one(request, "direction") or "both"
    if direction not in ("up", "down", "both"):
        raise ApiError(400, f"direction must be up, down or both, not {direction!r}", "direction")
    depth = _int(request, "depth", 0, 1000)
    highlight = _one(request, "highlight")
    return _json(await run_in_threadpool(graph, store, ref, direction, depth, highlight))


async def list_queries(request: Request) -> Response:
    """The shipped questions (``queries/*.rq``), as examples for the SPARQL page; not the updates the store
    sink runs, which the read-only endpoint refuses."""
    await _store(request)
    texts = {path.stem: path.read_text(encoding="utf-8") for path in sorted(resource_dir("queries").glob("*.rq"))}
    return _json({"queries": [{"name": name, "text": text} for name, text in texts.items() if not is_update(text)]})


_STATIC = StaticFiles(packages=[(__package__ or "provgraph.server", "static")])


async def static(request: Request) -> Response:
    """The explorer's own files (script, style, vendored libraries); nothing outside ``static/``."""
    response: Response = await _STATIC.get_response(request.path_params["path"], request.scope)
    return response


def _read(summary: str, *parameters: dict[str, Any]) -> Operation:
    return operation(summary, parameters, json_ok("JSON."), {"404": NOT_FOUND})


_FILE = {"description": "The file."}
_REF = query_param("ref", required=True)

ROUTES: list[BaseRoute] = [
    ApiRoute("/", page, get=operation("The explorer (HTML): runs, datasets and models, agents, lineage graph, SPARQL.",
                                      ok=_FILE, public=True)),
    ApiRoute("/api/explorer/search", search,
             get=_read("Which page shows a reference (run, artifact or agent).", _REF)),
    ApiRoute("/api/explorer/runs", list_runs,
             get=_read("Runs, newest first, filtered as /api/runs and by status.",
                       *(query_param(n) for n in (*RUN_FILTERS, "status", "param", "metric", "limit")))),
    ApiRoute("/api/explorer/runs/{run_id}/validation", validate_run,
             get=_read("PROV-CONSTRAINTS and SHACL on one run's bundle.")),
    ApiRoute("/api/explorer/artifacts", list_artifacts, get=_read("Datasets and models with their versions.")),
    ApiRoute("/api/explorer/artifact", show_artifact,
             get=_read("One artifact: versions, who made and used it, invalidations.", _REF)),
    ApiRoute("/api/explorer/agents", list_agents, get=_read("Agents with their kind and number of runs.")),
    ApiRoute("/api/explorer/graph", get_graph,
             get=_read("The lineage around a reference as graph elements.",
                       _REF, *(query_param(n) for n in ("direction", "depth", "highlight")))),
    ApiRoute("/api/explorer/queries", list_queries, get=_read("The shipped SPARQL queries, as examples.")),
    ApiRoute("/static/{path:path}", static,
             get=operation("The explorer's script, style and vendored libraries.", ok=_FILE, public=True)),
]
