"""Render: a focused diagram (depth 3 around the end of the longest chain, both directions) and the
collapsed whole-store diagram, each built from the store and laid out to SVG by Graphviz ``dot``."""

from __future__ import annotations

from typing import Any

from .harness import Meter
from .workspace import Workspace

AREA = "render"
TASKS = ("focused-depth3", "store-collapsed")


def provgraph(meter: Meter, workspace: str) -> None:
    from provgraph import open_store
    from provgraph.render import svg

    space = Workspace(workspace)
    marks = space.landmarks()
    with open_store(space.store_uri()) as store:
        focus = marks["lineage_large"]
        meter.measure("focused-depth3", lambda _: {"MB": len(svg(store, focus=focus, depth=3)) / 2**20},
                      note="diagram(focus, depth=3) + dot -Tsvg")

        def whole(_: Any) -> dict[str, float]:
            return {"MB": len(svg(store)) / 2**20}

        meter.measure("store-collapsed", whole, note="diagram() collapsed + dot -Tsvg")


TOOLS = {"provgraph": ("provgraph", TASKS)}
