"""The public face of rendering: build a diagram, write it in a format, show it in Jupyter."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import graphviz

from ..errors import RenderError
from ..store import Store
from .dot import to_digraph
from .scope import build_view

#: Output formats by file suffix: every format Graphviz writes (``.jpg``, ``.webp``, ``.ps``, ...) under its
#: own name; DOT (``.dot``, ``.gv``) needs no Graphviz binary.
FORMATS = {f".{fmt}": fmt for fmt in sorted(graphviz.FORMATS)} | {".dot": "dot", ".gv": "dot"}
_MISSING_DOT = (
    "the Graphviz 'dot' program is not installed or not on PATH; install Graphviz "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; conda: conda install graphviz) "
    "or write DOT source instead (-o FILE.dot)"
)


def diagram(
    store: Store,
    focus: str | None = None,
    depth: int | None = None,
    direction: str = "both",
    highlight_impact: str | None = None,
    run: str | None = None,
    collapse: bool = True,
    expand: bool = False,
    reduce: bool = False,
    flow: bool = False,
) -> graphviz.Digraph:
    """The lineage diagram of ``store`` as a :class:`graphviz.Digraph`.

    Scope: the whole store; one ``run`` (with its nested runs and the data they used and generated);
    or one ``focus`` node (run id, sha256, path, name or IRI) with its lineage (``direction="up"``),
    impact (``"down"``) or both, ``depth`` edges deep (``None``: all the way). ``highlight_impact``
    outlines everything derived from that node in red; artifacts derived from an invalidated one are
    outlined in purple. ``collapse`` boxes the runs of each pipeline (``provml:partOfRun``) together
    and folds six or more sibling runs (same step, kind and parent), the artifacts such a group made,
    or the versions of one dataset into one counted node (a sweep of 200 runs becomes "train ×200");
    ``expand`` keeps the boxes but shows every member. ``reduce`` drops ``wasDerivedFrom`` edges
    implied by ``used`` plus ``wasGeneratedBy`` or by a chain of other derivations, and
    ``wasAttributedTo`` edges implied by generation plus association. Arrows point the PROV way, from
    the later thing to the earlier; ``flow`` turns them to the direction data flowed.
    """
    view = build_view(store, focus, depth, direction, highlight_impact, run, collapse, expand, reduce)
    title = f"provenance of {focus}" if focus else (f"run {run}" if run else "provenance")
    return to_digraph(view, title, flow)


def pipe(dot: graphviz.Digraph, fmt: str) -> bytes:
    """Lay out ``dot`` with the Graphviz binary; :class:`RenderError` if it is missing or fails."""
    if fmt == "dot":
        return dot.source.encode("utf-8")
    try:
        data: bytes = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:
        raise RenderError(_MISSING_DOT) from exc
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        text = detail.decode("utf-8", "replace").strip() if isinstance(detail, bytes) else str(detail)
        raise RenderError(f"Graphviz failed to render {fmt}: {text or exc}") from exc
    return data


def svg(store: Store, **options: Any) -> str:
    """The diagram as SVG text (see :func:`diagram` for the options)."""
    return pipe(diagram(store, **options), "svg").decode("utf-8")


def render_to(store: Store, path: str | Path, fmt: str | None = None, **options: Any) -> Path:
    """Write the diagram to ``path`` in ``fmt``, or in the format its suffix names (``.svg``, ``.jpg``, ...)."""
    target = Path(path)
    if fmt is None:
        if target.suffix.lower() not in FORMATS:
            raise RenderError(f"cannot tell a diagram format from {target.name!r}; end the name with one of "
                              f"{', '.join(sorted(FORMATS))} (or give --format)")
        fmt = FORMATS[target.suffix.lower()]
    if fmt not in FORMATS.values():
        raise RenderError(f"unknown diagram format {fmt!r}; choose one of {', '.join(sorted(set(FORMATS.values())))}")
    data = pipe(diagram(store, **options), fmt)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc}") from exc
    return target


class SvgRepr:
    """Mixin for objects Jupyter should draw: define ``_diagram_args()`` -> (store, diagram options)."""

    def _diagram_args(self) -> tuple[Store, dict[str, Any]]:
        raise RenderError(f"{type(self).__name__} does not say what to draw")

    def _repr_svg_(self) -> str:
        store, options = self._diagram_args()
        return svg(store, **options)


class Diagram(SvgRepr):
    """A diagram kept as a store and options, drawn when displayed: ``Diagram(store, focus="model.pkl")``."""

    def __init__(self, store: Store, **options: Any) -> None:
        self.store, self.options = store, options

    def _diagram_args(self) -> tuple[Store, dict[str, Any]]:
        return self.store, self.options

    def save(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the diagram (format from the suffix, as :func:`render_to`)."""
        return render_to(self.store, path, fmt, **self.options)

    @property
    def source(self) -> str:
        """The DOT source."""
        return str(diagram(self.store, **self.options).source)
