"""Every IRI provgraph writes, in one place.

``PROV``, ``RDF``, ``RDFS``, ``XSD`` and ``MLS`` are open namespaces; ``PROVML`` is checked against
``ontologies/provml.ttl`` on first use, so a misspelt term fails loudly instead of writing a stray IRI.
Instance IRIs (runs, data versions, agents, ...) are minted by :func:`iri` in per-kind namespaces so
that every local name is a valid PROV-N and XML qualified name.
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property

from pyoxigraph import NamedNode, RdfFormat, parse

from .resources import ontology_path

PROVML_IRI = "https://w3id.org/provgraph/provml#"
ID_BASE = "https://w3id.org/provgraph/id/"


class Namespace:
    """A namespace whose attributes are :class:`NamedNode` terms (``PROV.used``)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._terms: dict[str, NamedNode] = {}

    def __getattr__(self, local: str) -> NamedNode:
        if local.startswith("__"):
            raise AttributeError(local)
        term = self._terms.get(local)
        if term is None:
            term = self._terms[local] = NamedNode(self.base + local)
        return term

    def __getitem__(self, local: str) -> NamedNode:
        return self.__getattr__(local)


class CheckedNamespace(Namespace):
    """A namespace that only hands out the terms its ontology file defines."""

    def __init__(self, base: str, ontology_file: str) -> None:
        super().__init__(base)
        self._file = ontology_file

    @cached_property
    def terms(self) -> frozenset[str]:
        with open(ontology_path(self._file), "rb") as handle:
            subjects = {t.subject.value for t in parse(handle, RdfFormat.TURTLE)}
        return frozenset(s[len(self.base):] for s in subjects if s.startswith(self.base))

    def __getattr__(self, local: str) -> NamedNode:
        if local.startswith("_"):
            raise AttributeError(local)
        term = self._terms.get(local)
        if term is None:
            if local not in self.terms:
                raise AttributeError(f"{local!r} is not defined in {self._file}")
            term = self._terms[local] = NamedNode(self.base + local)
        return term


PROV = Namespace("http://www.w3.org/ns/prov#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
MLS = Namespace("http://www.w3.org/ns/mls#")
PROVML = CheckedNamespace(PROVML_IRI, "provml.ttl")

#: Instance namespaces, by kind. The prefix doubles as the PROV-N / XML prefix in exports.
ID_KINDS = ("run", "bundle", "data", "dataset", "agent", "env", "pkg", "code", "param", "metric", "role")
ID_NAMESPACES = {kind: f"{ID_BASE}{kind}/" for kind in ID_KINDS}
PREFIXES = {
    "prov": PROV.base,
    "provml": PROVML_IRI,
    "mls": MLS.base,
    "rdf": RDF.base,
    "rdfs": RDFS.base,
    "xsd": XSD.base,
    **ID_NAMESPACES,
}

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def slug(text: str) -> str:
    """A local name for ``text``: itself when already safe, else a readable slug plus a short hash.

    Local names start with a letter or underscore and hold only ``[A-Za-z0-9_.-]``, which is valid in
    PROV-N, Turtle and XML qualified names alike.
    """
    cleaned = _UNSAFE.sub("_", text).strip(".") or "_"
    if not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    if cleaned == text:
        return text
    return f"{cleaned[:60]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def iri(kind: str, local: str) -> NamedNode:
    """The IRI of an instance: ``iri("run", "train-1")`` -> ``<.../id/run/train-1>``."""
    return NamedNode(ID_NAMESPACES[kind] + local)


def local_of(node: NamedNode | str) -> tuple[str, str] | None:
    """Split an instance IRI back into ``(kind, local)``; ``None`` for any other IRI."""
    value = node.value if isinstance(node, NamedNode) else node
    if not value.startswith(ID_BASE):
        return None
    kind, _, local = value[len(ID_BASE):].partition("/")
    return (kind, local) if kind in ID_NAMESPACES and local else None
