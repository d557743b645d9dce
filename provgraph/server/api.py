"""The read endpoints: runs, one run, impact, lineage, who, exports and diagrams.

Each parameter is checked here (a bad one is a 400 naming it) and handed to the query, export and
render layers as a value; nothing is pasted into SPARQL. Store work runs in a worker thread.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pyoxigraph import NamedNode
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import QueryError
from ..export import FORMATS as EXPORT_FORMATS
from ..export import export
from ..query import impact, lineage, resolve
from ..query.runinfo import describe_run
from ..query.runs import runs, who
from ..render import diagram
from ..render.diagram import pipe
from ..store import Store
from .auth import authorize
from .problems import ApiError

DIAGRAM_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf", "dot": "text/vnd.graphviz"}
DIRECTIONS = {"up": "up", "down": "down", "both": "both", "lineage": "up", "impact": "down"}
RUN_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")  # the event schema's identifier
RUN_FILTERS = ("kind", "step", "agent", "label", "since", "until", "commit")


def _one(request: Request, name: str, required: bool = False) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ApiError(400, f"give {name} once, not {len(values)} times", name)
    if not values or not values[0].strip():
        if required:
            raise ApiError(400, f"the {name} parameter is required", name)
        return None
    return values[0].strip()


def _int(request: Request, name: str, low: int, high: int) -> int | None:
    text = _one(request, name)
    if text is None:
        return None
    if not text.isdigit() or len(text) > 18 or not low <= int(text) <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}, not {text[:40]!r}", name)
    return int(text)


def locate(store: Store, ref: str) -> NamedNode:
    """The node ``ref`` names; a reference that names nothing (or several things) is a 404."""
    try:
        return resolve(store, ref)
    except QueryError as exc:
        raise ApiError(404, str(exc), "ref") from exc


async def _store(request: Request, role: str = "reader") -> Store:
    authorize(request, role)
    store: Store = await run_in_threadpool(lambda: request.app.state.backend.store)
    return store


def _json(payload: Any) -> Response:
    """JSON as the query layer's ``to_json`` writes it (any non-JSON value, such as a date, as text)."""
    body = json.dumps(payload, default=str, ensure_ascii=False, allow_nan=False)
    return Response(body, media_type="application/json")


async def list_runs(request: Request) -> Response:
    store = await _store(request)
    options: dict[str, Any] = {name: _one(request, name) for name in RUN_FILTERS}
    options["params"] = request.query_params.getlist("param") or None
    options["metrics"] = request.query_params.getlist("metric") or None
    options["limit"] = _int(request, "limit", 1, 100_000)
    result = await run_in_threadpool(lambda: runs(store, **options))
    return _json({"runs": result.rows, "count": len(result.rows)})


def _describe(store: Store, run_id: str, field: str) -> dict[str, Any]:
    """The run, or a 404 (run ids that cannot exist are not looked up)."""
    if not RUN_ID.match(run_id):
        raise ApiError(404, f"no run {run_id[:128]!r}: run ids are up to 128 letters, digits, '_', '.' and '-'",
                       field)
    try:
        return describe_run(store, run_id)
    except QueryError as exc:
        raise ApiError(404, str(exc), field) from exc


async def show_run(request: Request) -> Response:
    store = await _store(request)
    info = await run_in_threadpool(_describe, store, request.path_params["run_id"], "run_id")
    return _json(info)


async def _graph(request: Request, direction: str) -> Response:
    store = await _store(request)
    ref = _one(request, "ref", required=True)
    as_of = _one(request, "as_of")
    walk = impact if direction == "impact" else lineage
    result = await run_in_threadpool(lambda: walk(store, locate(store, str(ref)), as_of=as_of))
    return _json(result.payload())


async def get_impact(request: Request) -> Response:
    return await _graph(request, "impact")


async def get_lineage(request: Request) -> Response:
    return await _graph(request, "lineage")


async def get_who(request: Request) -> Response:
    store = await _store(request)
    ref = _one(request, "ref", required=True)
    result = await run_in_threadpool(lambda: who(store, locate(store, str(ref))))
    return _json({"ref": ref, "rows": result.rows})


async def get_export(request: Request) -> Response:
    store = await _store(request)
    fmt = _one(request, "format") or "trig"
    if fmt not in EXPORT_FORMATS:
        raise ApiError(400, f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}", "format")
    scopes = {name: _one(request, name) for name in ("run", "lineage", "impact")}
    given = [name for name, value in scopes.items() if value]
    if len(given) > 1:
        raise ApiError(400, f"give at most one of run, lineage, impact (got {', '.join(given)})", given[1])

    def build() -> bytes:
        if scopes["run"]:
            _describe(store, str(scopes["run"]), "run")
            return export(store, fmt, run=scopes["run"])
        if scopes["lineage"] or scopes["impact"]:
            walk = lineage if scopes["lineage"] else impact
            nodes = walk(store, str(scopes["lineage"] or scopes["impact"])).nodes
            return export(store, fmt, nodes=nodes)
        return export(store, fmt)

    data = await run_in_threadpool(build)
    spec = EXPORT_FORMATS[fmt]
    name = f"provenance{spec.extension}"
    return Response(data, media_type=spec.media_type, headers={"Content-Disposition": f'inline; filename="{name}"'})


async def get_diagram(request: Request) -> Response:
    store = await _store(request)
    fmt = _one(request, "format") or "svg"
    if fmt not in DIAGRAM_TYPES:
        raise ApiError(400, f"unknown diagram format {fmt!r}; choose one of {', '.join(DIAGRAM_TYPES)}", "format")
    direction = _one(request, "direction") or "both"
    if direction not in DIRECTIONS:
        raise ApiError(400, f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}", "direction")
    options: dict[str, Any] = {
        "focus": _one(request, "ref"), "run": _one(request, "run"), "depth": _int(request, "depth", 0, 1000),
        "direction": DIRECTIONS[direction], "highlight_impact": _one(request, "highlight"),
    }
    if options["focus"] and options["run"]:
        raise ApiError(400, "give ref or run, not both", "run")
    data = await run_in_threadpool(lambda: pipe(diagram(store, **options), fmt))
    return Response(data, media_type=DIAGRAM_TYPES[fmt])
