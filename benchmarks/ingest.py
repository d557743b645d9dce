"""Ingest: events -> journal -> PROV-O -> durable embedded store, against loading the same statements
with raw pyoxigraph (``Store.bulk_extend`` of pre-built quads, the engine's limit), rdflib
(``Dataset.add`` per statement of pre-built terms) and the ``prov`` package (building the same runs as
``ProvDocument`` records). Inputs are in memory before timing starts; each repetition writes a fresh
store."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from .harness import Meter
from .workspace import Workspace, size_note, store_bytes

AREA = "ingest"
TASK = "ingest"


def _work(space: Workspace) -> dict[str, float]:
    marks = space.landmarks()
    return {"triples": marks["quads"], "runs": marks["runs"], "events": marks["events"]}


def _size_note(space: Workspace) -> str:
    """Quads and bytes of store per run of the prepared workspace (its environments list 105 packages)."""
    marks = space.landmarks()
    return size_note(marks["quads"], marks["runs"], *store_bytes(space))


def _tmp(space: Workspace) -> str:
    return tempfile.mkdtemp(prefix="ingest-", dir=space.path)


def provgraph(meter: Meter, workspace: str) -> None:
    from provgraph import Project

    space = Workspace(workspace)
    events = space.events()

    def setup() -> Any:
        folder = _tmp(space)
        return folder, Project.init(folder)

    def op(state: Any) -> None:
        _, project = state
        project.record_many(events)
        project.sync()
        project.close()

    meter.measure(TASK, op, setup, _work(space),
                  f"record_many + sync into oxigraph on disk, fsync'd journal; {_size_note(space)}",
                  teardown=lambda state: shutil.rmtree(state[0]))


def _pyoxigraph(meter: Meter, workspace: str, method: str, note: str) -> None:
    import pyoxigraph as ox

    space = Workspace(workspace)
    quads = space.quads()

    def op(folder: str) -> None:
        store = ox.Store(folder)
        getattr(store, method)(quads)
        store.flush()
        del store

    meter.measure(TASK, op, lambda: _tmp(space), _work(space), note, teardown=shutil.rmtree)


def pyoxigraph_bulk(meter: Meter, workspace: str) -> None:
    _pyoxigraph(meter, workspace, "bulk_extend", "Store.bulk_extend of pre-built quads, on disk")


def pyoxigraph_extend(meter: Meter, workspace: str) -> None:
    _pyoxigraph(meter, workspace, "extend", "Store.extend (one transaction) of pre-built quads")


def rdflib_add(meter: Meter, workspace: str) -> None:
    from .baselines import rdflib_dataset, rdflib_quads

    space = Workspace(workspace)
    rows = rdflib_quads(space.quads())
    def op(_: Any) -> None:
        rdflib_dataset(rows)

    meter.measure(TASK, op, None, _work(space), "Dataset.add per statement, in memory")


def prov_document(meter: Meter, workspace: str) -> None:
    from .baselines import prov_document as build

    space = Workspace(workspace)
    events = space.events()
    def op(_: Any) -> None:
        build(events)

    meter.measure(TASK, op, None, _work(space), "ProvDocument records, in memory")


TOOLS = {"provgraph": ("provgraph", (TASK,)), "pyoxigraph bulk_extend": ("pyoxigraph_bulk", (TASK,)),
         "pyoxigraph extend": ("pyoxigraph_extend", (TASK,)),
         "rdflib Dataset.add": ("rdflib_add", (TASK,)), "prov ProvDocument": ("prov_document", (TASK,))}
