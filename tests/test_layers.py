"""The house follows its data flow (DESIGN.md): no import cycle in provgraph/, and each layer imports only
the layers below it.

Every import counts for the layer rules, at module level or inside a function. The cycle check reads what
runs when a module is imported: its module-level imports and the packages they pass through (importing
``provgraph.capture.environment`` runs ``provgraph/capture/__init__.py`` first); a function-level import
runs later, once every module is loaded (the Jupyter display of a query answer draws through render)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "provgraph"

#: The reading side: they only read the store (and translate PROV), never record.
READERS = ("provgraph.query", "provgraph.export", "provgraph.render", "provgraph.validate", "provgraph.provdoc")
#: The writing side and the doors: what a reader must never import.
WRITERS = ("provgraph.capture", "provgraph.journal", "provgraph.cursor", "provgraph.forwarding",
           "provgraph.mapping", "provgraph.project", "provgraph.usecases",
           "provgraph.importers", "provgraph.cli", "provgraph.server", "provgraph.admission")
#: What some floors may import at all (besides themselves).
ALLOWED = {
    "provgraph.provdoc": ("provgraph.errors", "provgraph.vocab", "provgraph.resources"),
    "provgraph.mapping": ("provgraph.errors", "provgraph.events", "provgraph.vocab", "provgraph.provdoc",
                          "provgraph.resources"),
    # vocab: the lineage index reads which relations and fields to keep from it (the one place for IRIs)
    "provgraph.store": ("provgraph.errors", "provgraph.version", "provgraph.limits", "provgraph.redaction",
                        "provgraph.vocab"),
    "provgraph.vocab": ("provgraph.resources",),
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(at_import: bool) -> nx.DiGraph:
    """Module -> the provgraph modules it imports (``from . import x`` counts as the submodule x).

    ``at_import``: only what runs when the module is imported, with the packages each import passes
    through; otherwise every import statement anywhere in the module."""
    modules = {_module(path): path for path in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = _module_level(tree) if at_import else ast.walk(tree)
        for node in nodes:
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                origin = ".".join([*base, node.module] if node.module else base)
                targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in modules else origin for a in node.names]
            if at_import:  # importing a.b.c runs a/__init__ and a/b/__init__ first
                targets += [".".join(t.split(".")[:i]) for t in targets for i in range(2, t.count(".") + 1)]
            graph.add_edges_from((name, t) for t in targets
                                 if t in modules and t != name and not name.startswith(t + "."))
    return graph


def _module_level(tree: ast.Module) -> list[ast.stmt]:
    """The statements that run at import: the module body and its if/try blocks (not TYPE_CHECKING)."""
    found: list[ast.stmt] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, ast.If):
            if not (isinstance(statement.test, ast.Name) and statement.test.id == "TYPE_CHECKING"):
                pending += [*statement.body, *statement.orelse]
        elif isinstance(statement, ast.Try):
            pending += [*statement.body, *statement.orelse, *statement.finalbody,
                        *(s for handler in statement.handlers for s in handler.body)]
        else:
            found.append(statement)
    return found


GRAPH = import_graph(at_import=False)
AT_IMPORT = import_graph(at_import=True)


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_graph_is_read_from_the_source() -> None:
    assert GRAPH.has_edge("provgraph.project", "provgraph.journal")  # a rule that holds, seen by the reader
    assert len(GRAPH) > 80


def test_no_import_cycle() -> None:
    assert list(nx.simple_cycles(AT_IMPORT)) == []


@pytest.mark.parametrize("reader", READERS)
def test_readers_never_import_the_writing_side(reader: str) -> None:
    found = sorted((a, b) for a, b in GRAPH.edges if _within(a, (reader,)) and _within(b, WRITERS))
    assert found == []


@pytest.mark.parametrize("floor", sorted(ALLOWED))
def test_floors_import_only_what_lies_below(floor: str) -> None:
    allowed = (floor, *ALLOWED[floor])
    found = sorted((a, b) for a, b in GRAPH.edges if _within(a, (floor,)) and not _within(b, allowed))
    assert found == []
