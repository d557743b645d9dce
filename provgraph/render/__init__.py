"""Render: lineage diagrams through Graphviz in the W3C PROV visual convention, and reviewer reports.

>>> dot = diagram(store, focus="data/raw.csv", direction="down")   # a graphviz.Digraph
>>> render_to(store, "lineage.svg", focus="model.pkl", depth=3)     # SVG, PNG, PDF or DOT

In Jupyter a ``graphviz.Digraph`` displays itself; :class:`Diagram` and :class:`SvgRepr` give other
objects the same ``_repr_svg_``.
"""

from __future__ import annotations

from .diagram import FORMATS, Diagram, SvgRepr, diagram, render_to, svg

__all__ = ["FORMATS", "Diagram", "SvgRepr", "diagram", "render_to", "svg"]
