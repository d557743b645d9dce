"""Export: PROV-JSON, PROV-N, Turtle and TriG of the whole store and of one lineage, against the ``prov``
package's serializers (``ProvDocument.serialize``: json, provn, rdf/turtle, rdf/trig) and, for the whole
store's Turtle and TriG, against pyoxigraph writing the same store itself.

provgraph starts from the store on disk (:func:`provgraph.export.export`; a lineage is the node set of
:func:`provgraph.query.lineage`, found before timing). The ``prov`` package starts from a document of
the same runs built in memory before timing (:func:`benchmarks.baselines.prov_document`; the lineage
document holds the runs of that lineage). Peak memory counts what each needs resident to write the
output: the opened store or the document, plus the growth while writing.

pyoxigraph opens the same store on disk (read-only) and writes TriG with ``Store.dump``; Turtle, which
has no named graphs, it writes with ``pyoxigraph.serialize`` of the store's triples (what provgraph's
Turtle holds: the union of the graphs), since ``Store.dump`` writes Turtle of one graph only.
"""

from __future__ import annotations

import io
from typing import Any

from .harness import Meter, rss_mb
from .workspace import Workspace

AREA = "export"
FORMATS = ("prov-json", "provn", "turtle", "trig")
TASKS = tuple(f"{scope}-{fmt}" for scope in ("store", "lineage") for fmt in FORMATS)
_PROV_ARGS = {"prov-json": {"format": "json"}, "provn": {"format": "provn"},
              "turtle": {"format": "rdf", "rdf_format": "turtle"}, "trig": {"format": "rdf", "rdf_format": "trig"}}


def provgraph(meter: Meter, workspace: str) -> None:
    from pyoxigraph import NamedNode

    from provgraph import open_store
    from provgraph.export import export
    from provgraph.query import lineage

    space = Workspace(workspace)
    marks = space.landmarks()
    before = rss_mb()
    with open_store(space.store_uri()) as store:
        nodes = lineage(store, NamedNode(marks["lineage_large"])).nodes
        held = rss_mb() - before
        for task in TASKS:
            scope, fmt = task.split("-", 1)
            options: dict[str, Any] = {"nodes": nodes} if scope == "lineage" else {}

            def op(_: Any, fmt: str = fmt, options: dict[str, Any] = options) -> dict[str, float]:
                return {"MB": len(export(store, fmt, **options)) / 2**20}

            meter.measure(task, op, resident_mb=held, note="from the store on disk")


def prov_package(meter: Meter, workspace: str) -> None:
    from pyoxigraph import NamedNode

    from provgraph import open_store
    from provgraph.query import lineage
    from provgraph.vocab import run_iri

    from .baselines import prov_document

    space = Workspace(workspace)
    marks = space.landmarks()
    events = space.events()
    with open_store(space.store_uri()) as store:
        wanted = {n.value for n in lineage(store, NamedNode(marks["lineage_large"])).nodes}
    for scope in ("store", "lineage"):
        chosen = events if scope == "store" else [e for e in events if run_iri(e["run"]["id"]).value in wanted]
        before = rss_mb()
        document = prov_document(chosen)
        held = rss_mb() - before
        for fmt in FORMATS:
            def op(_: Any, fmt: str = fmt, document: Any = document) -> dict[str, float]:
                buffer = io.BytesIO()
                document.serialize(buffer, **_PROV_ARGS[fmt])
                return {"MB": len(buffer.getvalue()) / 2**20}

            meter.measure(f"{scope}-{fmt}", op, resident_mb=held,
                          note=f"ProvDocument.serialize of {len(chosen) // 2} runs' records")
        del document


def pyoxigraph_dump(meter: Meter, workspace: str) -> None:
    from pyoxigraph import RdfFormat, Store, serialize

    space = Workspace(workspace)
    before = rss_mb()
    store = Store.read_only(str(space.project_path / ".provgraph" / "store"))
    held = rss_mb() - before

    def trig(_: Any) -> dict[str, float]:
        return {"MB": len(store.dump(format=RdfFormat.TRIG) or b"") / 2**20}

    def turtle(_: Any) -> dict[str, float]:
        return {"MB": len(serialize(dict.fromkeys(q.triple for q in store), format=RdfFormat.TURTLE) or b"") / 2**20}

    meter.measure("store-turtle", turtle, resident_mb=held, note="pyoxigraph.serialize of the store's triples")
    meter.measure("store-trig", trig, resident_mb=held, note="pyoxigraph Store.dump")


TOOLS = {"provgraph": ("provgraph", TASKS), "prov package": ("prov_package", TASKS),
         "pyoxigraph dump": ("pyoxigraph_dump", ("store-turtle", "store-trig"))}
