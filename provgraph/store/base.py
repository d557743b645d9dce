"""The store contract: a handful of methods every backend implements, and opening a store by URI.

The default graph of every query is the union of all named graphs (one named graph per run), so a
query sees the whole lineage without ``GRAPH`` clauses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, TYPE_CHECKING

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple

if TYPE_CHECKING:
    from .lineage import LineageIndex

#: An RDF term in a query answer or binding (RDF-star quoted triples are not used by provgraph).
Term = NamedNode | BlankNode | Literal

#: Optional capabilities a backend may declare in ``Store.capabilities``.
DURABLE = "durable"  # survives the process
TRANSACTIONS = "transactions"  # add() is all-or-nothing
BULK_LOAD = "bulk_load"  # bulk_add() loads large batches outside a transaction


@dataclass
class Solutions:
    """The rows of a SELECT query: ``variables`` and, per row, a dict of bound terms."""

    variables: list[str]
    rows: list[dict[str, Term]] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Term]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Term | None]:
        """All values of one variable, ``None`` where unbound."""
        return [row.get(name) for row in self.rows]


QueryResult = Solutions | bool | list[Triple]


class Store(ABC):
    """A quad store: add quads in one transaction, query, update, drop a graph, dump, close.

    Stores are context managers. ``uri`` is the address the store was opened with.
    """

    #: Which optional capabilities (``DURABLE``, ``TRANSACTIONS``, ``BULK_LOAD``) this store has.
    capabilities: frozenset[str] = frozenset()
    #: Why nothing can be written to this store here ("" when it can): an embedded store on a read-only file
    #: system is opened for reading only.
    read_only: str = ""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    @abstractmethod
    def add(self, quads: Iterable[Quad]) -> None:
        """Add ``quads`` all at once: either every quad is stored or none is."""

    def bulk_add(self, quads: Iterable[Quad]) -> None:
        """Load many quads fast; backends without a bulk path fall back to :meth:`add`."""
        self.add(quads)

    @abstractmethod
    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        """Run a SPARQL query with ``bindings`` (variable name -> term) substituted safely.

        Returns :class:`Solutions` for SELECT, ``bool`` for ASK and a list of triples for
        CONSTRUCT/DESCRIBE. The default graph is the union of all named graphs.
        """

    @abstractmethod
    def update(self, sparql: str, touching: Iterable[NamedNode] | None = None) -> None:
        """Run a SPARQL update in one transaction. ``touching`` names the nodes it can change statements
        of (as subject or object), so that the store's lineage index reads only those again."""

    def lineage_index(self, rebuild: bool = True) -> LineageIndex | None:
        """The store's lineage index (:mod:`.lineage`), in step with the store; None for a store without
        one (a SPARQL endpoint, which others may write), and, with ``rebuild=False``, while it needs
        rebuilding: for a question SPARQL answers sooner than a rebuild (minutes at 100,000 runs) would."""
        return None

    @abstractmethod
    def drop_graph(self, graph: NamedNode) -> None:
        """Remove one named graph and its quads; a missing graph is not an error."""

    @abstractmethod
    def graphs(self) -> list[NamedNode]:
        """The named graphs in the store."""

    @abstractmethod
    def dump(self, fmt: RdfFormat = RdfFormat.N_QUADS, graph: NamedNode | None = None) -> bytes:
        """Serialize the whole store (or one graph) in ``fmt``."""

    @abstractmethod
    def write(self, out: IO[bytes], fmt: RdfFormat, prefixes: dict[str, str] | None = None) -> None:
        """Write the whole store to ``out`` in ``fmt`` as it is read, not built in memory first; a format
        without named graphs gets the union of the graphs, each triple once."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every quad."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of quads."""

    def close(self) -> None:
        """Release the store; it cannot be used afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uri}>"
