"""Typed query results: plain dataclasses holding rows (dicts), printable as tables, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from pyoxigraph import NamedNode

from ..store import Store
from ..tables import table


@dataclass
class Table:
    """Rows (dicts) with the columns a table shows; ``str()`` is an aligned table."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: ClassVar[tuple[str, ...]] = ()

    def __str__(self) -> str:
        return table(self.rows, self.shown_columns())

    def shown_columns(self) -> tuple[str, ...]:
        """The columns a table or CSV shows."""
        return self.columns

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def payload(self) -> Any:
        """What :meth:`to_json` writes."""
        return self.rows

    def to_json(self) -> str:
        """The result as JSON (every field of every row)."""
        return json.dumps(self.payload(), indent=2, default=str, ensure_ascii=False)

    def to_csv(self) -> str:
        """The shown columns as CSV."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(self.shown_columns()), extrasaction="ignore")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({c: "" if row.get(c) is None else row[c] for c in self.shown_columns()})
        return out.getvalue()


@dataclass
class GraphResult(Table):
    """Impact or lineage of ``ref``: one row per node reached, with its path length (``depth``).

    ``node_iris`` holds every node including the reference itself; ``edge_iris`` the (from, to) pairs of
    the traversed graph among them, in the direction of the traversal, in IRI order; ``edge_iris``, ``nodes``
    and ``edges`` (the same as terms) are made when first asked for. A node reached by a derivation whose
    transformations are known (column lineage) says them in ``transformation``, shown when any row has one.
    """

    ref: str = ""
    ref_iri: NamedNode | None = None
    direction: str = ""
    node_iris: list[str] = field(default_factory=list)
    #: the nodes of the walk, in IRI order, and its edges by position in that list (one two relations make
    #: may come twice); ``edge_iris`` names each once
    names: list[str] = field(default_factory=list, repr=False, compare=False)
    edge_at: Collection[tuple[int, int]] = field(default_factory=list, repr=False, compare=False)
    as_of: str | None = None
    store: Store | None = field(default=None, repr=False, compare=False)
    columns: ClassVar[tuple[str, ...]] = ("depth", "type", "kind", "label", "id", "run")

    def shown_columns(self) -> tuple[str, ...]:
        return (*self.columns, "transformation") if any("transformation" in r for r in self.rows) else self.columns

    def _repr_svg_(self) -> str | None:
        """Jupyter draws the answer: the diagram of the reference's impact (red) or lineage."""
        if self.store is None or self.ref_iri is None:
            return None
        from ..render import svg

        impact = self.direction == "impact"
        return svg(self.store, focus=self.ref_iri.value, direction="down" if impact else "up",
                   highlight_impact=self.ref_iri.value if impact else None)

    @cached_property
    def nodes(self) -> list[NamedNode]:
        return [NamedNode(iri) for iri in self.node_iris]

    @cached_property
    def edge_iris(self) -> list[tuple[str, str]]:
        names = self.names
        return [(names[a], names[b]) for a, b in sorted(set(self.edge_at))]

    @cached_property
    def edges(self) -> list[tuple[NamedNode, NamedNode]]:
        return [(NamedNode(a), NamedNode(b)) for a, b in self.edge_iris]

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        """Rows of artifacts whose kind is one of ``kinds`` (``"model"``, ``"deployment"``, ...)."""
        return [r for r in self.rows if r["type"] == "artifact" and r["kind"] in kinds]

    @property
    def models(self) -> list[dict[str, Any]]:
        """The models reached: for impact, "which models used this dataset"."""
        return self.of_kind("model")

    @property
    def deployments(self) -> list[dict[str, Any]]:
        """The deployments reached: for impact, "which deployed models are affected"."""
        return self.of_kind("deployment")

    @property
    def runs(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["type"] == "run"]

    def payload(self) -> Any:
        return {"ref": self.ref, "iri": self.ref_iri.value if self.ref_iri else None,
                "direction": self.direction, "as_of": self.as_of, "rows": self.rows,
                "edges": [list(edge) for edge in self.edge_iris]}


@dataclass
class RunsResult(Table):
    """Runs, newest first."""

    columns: ClassVar[tuple[str, ...]] = ("run", "step", "kind", "status", "agents", "start", "duration")


@dataclass
class WhoResult(Table):
    """Who generated, used, invalidated or ran something, and when."""

    columns: ClassVar[tuple[str, ...]] = ("time", "action", "run", "step", "agent", "role", "on_behalf_of",
                                          "entity")


@dataclass
class DiffResult(Table):
    """What differs between two runs, one row per differing fact."""

    a: str = ""
    b: str = ""
    columns: ClassVar[tuple[str, ...]] = ("aspect", "name", "a", "b")

    def payload(self) -> Any:
        return {"a": self.a, "b": self.b, "differences": self.rows}


@dataclass
class InvalidatedResult(Table):
    """Invalidated artifacts and the downstream models and deployments that need attention."""

    columns: ClassVar[tuple[str, ...]] = ("target", "reason", "invalidated_at", "kind", "affected", "made_by")


@dataclass
class LabelFlowResult(Table):
    """Where labelled data flowed, and which runs used it without the required label."""

    label: str = ""
    required: str = ""
    columns: ClassVar[tuple[str, ...]] = ("source", "via", "run", "step", "compliant")

    @property
    def violations(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if not r["compliant"]]
