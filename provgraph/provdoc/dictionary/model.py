"""The PROV-Dictionary record model: :class:`DictionaryRecord` and how records travel with a document."""


from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import prov
import prov.model as pm

INSERTION, REMOVAL, MEMBERSHIP = "derivedByInsertionFrom", "derivedByRemovalFrom", "hadDictionaryMember"
KINDS = (INSERTION, REMOVAL, MEMBERSHIP)
_DUMMY = pm.Namespace("pgdict", "urn:provgraph:dictionary#")
_KEY = _DUMMY["key"]
_SUBJECT = _DUMMY["record"]

Attribute = tuple[pm.QualifiedName, Any]


@dataclass(frozen=True)
class DictionaryRecord:
    """One dictionary relation; ``dictionary`` is the new (or member-holding) dictionary."""

    kind: str
    identifier: pm.QualifiedName | None
    dictionary: pm.QualifiedName | None
    before: pm.QualifiedName | None = None
    pairs: tuple[tuple[Any, pm.QualifiedName], ...] = ()
    keys: tuple[Any, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    bundle: pm.QualifiedName | None = None


def _prefix_doc(namespaces: Iterable[pm.Namespace]) -> pm.ProvDocument:
    doc = pm.ProvDocument()
    for namespace in namespaces:
        doc.add_namespace(namespace)
    doc.add_namespace(_DUMMY)
    return doc


def _attributes_of(document: pm.ProvDocument) -> list[Attribute]:
    records = [r for r in document.get_records() if r.identifier == _SUBJECT]
    return list(records[0].extra_attributes) if records else []


def _read(data: str | bytes, fmt: str) -> pm.ProvDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = prov.read(io.BytesIO(data.encode() if isinstance(data, str) else data), format=fmt)
    if document is None:  # pragma: no cover - prov returns None only for unknown formats
        raise ValueError(f"prov could not read {fmt}")
    return document


def _named(value: Any) -> pm.QualifiedName:
    if not isinstance(value, pm.QualifiedName):
        raise ValueError(f"{value!r} does not name an entity")
    return value


def _qname(text: str, prefixes: dict[str, str]) -> pm.QualifiedName:
    prefix, _, local = text.partition(":") if ":" in text else ("default", "", text)
    if prefix not in prefixes:
        raise ValueError(f"unknown prefix {prefix!r} in {text!r}")
    return pm.QualifiedName(pm.Namespace(prefix, prefixes[prefix]), local)


def mint(document: pm.ProvBundle, iri: str) -> pm.QualifiedName:
    """The qualified name of ``iri`` in ``document``, registering a new ``nsN`` prefix if needed."""
    from prov.identifier import Identifier

    found = document.valid_qualified_name(Identifier(iri))
    if found is not None:
        return found
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":")) + 1
    base, local = iri[:cut], iri[cut:]
    taken = {ns.prefix for ns in document.namespaces}
    prefix = next(f"ns{n}" for n in range(1, len(taken) + 2) if f"ns{n}" not in taken)
    document.add_namespace(prefix, base)
    return pm.QualifiedName(pm.Namespace(prefix, base), local)


# -- attaching records to a document ------------------------------------------------------------

_ATTR = "_provgraph_dictionaries"


def attach(document: pm.ProvDocument, records: Iterable[DictionaryRecord]) -> pm.ProvDocument:
    """Keep ``records`` with ``document`` (the prov package has no place for them)."""
    setattr(document, _ATTR, [*of(document), *records])
    return document


def of(document: pm.ProvDocument) -> list[DictionaryRecord]:
    """The dictionary records kept with ``document``."""
    return list(getattr(document, _ATTR, []))


def rebase(record: DictionaryRecord, document: pm.ProvBundle) -> DictionaryRecord:
    """``record`` with every qualified name re-spelt in ``document``'s namespaces (registering new ones)."""

    def name(value: Any) -> Any:
        return mint(document, value.uri) if isinstance(value, pm.QualifiedName) else value

    return DictionaryRecord(
        record.kind, name(record.identifier), name(record.dictionary), name(record.before),
        tuple((name(k), name(e)) for k, e in record.pairs), tuple(name(k) for k in record.keys),
        tuple((name(k), name(v)) for k, v in record.attributes), name(record.bundle))
