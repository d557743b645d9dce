"""PROV-Dictionary relations in PROV-XML (the elements of ``prov-dictionary.xsd``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import prov.model as pm

from .model import (
    _DUMMY,
    _SUBJECT,
    KINDS,
    MEMBERSHIP,
    Attribute,
    DictionaryRecord,
    _attributes_of,
    _named,
    _prefix_doc,
    _read,
)

_P = "{http://www.w3.org/ns/prov#}"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def pop_xml(container: Any, bundle: pm.QualifiedName | None) -> list[DictionaryRecord]:
    """Remove the dictionary elements under one PROV-XML document or bundleContent element."""
    found = []
    for element in list(container):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.startswith(_P) and tag[len(_P):] in KINDS:
            found.append(_xml_record(tag[len(_P):], element, bundle))
            container.remove(element)
    return found


def _xml_values(element: Any, children: list[Any]) -> list[Attribute]:
    from lxml import etree

    nsmap = {"xsd": "http://www.w3.org/2001/XMLSchema", **element.nsmap}
    nsmap.update({"prov": "http://www.w3.org/ns/prov#", _DUMMY.prefix: _DUMMY.uri,
                  "xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    root = etree.Element(f"{_P}document", nsmap=nsmap)
    entity = etree.SubElement(root, f"{_P}entity")
    entity.set(f"{_P}id", str(_SUBJECT))
    for child in children:
        entity.append(child)
    from ..xmlnames import from_xml_names

    return _attributes_of(from_xml_names(_read(etree.tostring(root), "xml")))


def _xml_record(kind: str, element: Any, bundle: pm.QualifiedName | None) -> DictionaryRecord:
    from copy import deepcopy

    from lxml import etree

    renamed: list[Any] = []
    attrs: list[Any] = []
    counts = {"k": 0, "e": 0, "r": 0}

    def dummy(name: str, text: str, xsi_type: str | None, lang: str | None = None) -> None:
        """A stand-in attribute element; ``xsi_type`` ``None`` is a plain string, ``"ref"`` a reference."""
        child = etree.Element(f"{{{_DUMMY.uri}}}{name}")
        child.text = text
        if lang is not None:
            child.set(_XML_LANG, lang)
        elif xsi_type is not None:
            child.set(_XSI_TYPE, "xsd:QName" if xsi_type == "ref" else xsi_type)
        renamed.append(child)

    for child in element:
        if not isinstance(child.tag, str):
            continue
        local = child.tag[len(_P):] if child.tag.startswith(_P) else None
        if local in ("newDictionary", "oldDictionary", "dictionary"):
            dummy({"newDictionary": "after", "oldDictionary": "before", "dictionary": "after"}[local],
                  child.get(f"{_P}ref"), "ref")
        elif local == "keyEntityPair":
            key = child.find(f"{_P}key")
            ent = child.find(f"{_P}entity")
            dummy(f"k{counts['k']}", key.text or "", key.get(_XSI_TYPE), key.get(_XML_LANG))
            dummy(f"e{counts['e']}", ent.get(f"{_P}ref"), "ref")
            counts["k"] += 1
            counts["e"] += 1
        elif local == "key":
            dummy(f"r{counts['r']}", child.text or "", child.get(_XSI_TYPE), child.get(_XML_LANG))
            counts["r"] += 1
        else:
            attrs.append(deepcopy(child))
    decoded = dict(_xml_values(element, renamed))
    identifier = element.get(f"{_P}id")
    ident = None
    if identifier is not None:
        scratch = _xml_values(element, [_qname_element(identifier)])
        ident = scratch[0][1] if scratch else None
    get = decoded.get
    pairs = tuple((get(_DUMMY[f"k{i}"]), _named(get(_DUMMY[f"e{i}"]))) for i in range(counts["k"]))
    keys = tuple(get(_DUMMY[f"r{i}"]) for i in range(counts["r"]))
    values = tuple(_xml_values(element, attrs)) if attrs else ()
    return DictionaryRecord(kind, ident, get(_DUMMY["after"]), get(_DUMMY["before"]), pairs, keys, values, bundle)


def _qname_element(text: str) -> Any:
    from lxml import etree

    child = etree.Element(f"{{{_DUMMY.uri}}}id")
    child.text = text
    child.set(_XSI_TYPE, "xsd:QName")
    return child


def to_xml(records: Iterable[DictionaryRecord], document: pm.ProvDocument) -> dict[Any, list[Any]]:
    """PROV-XML elements for ``records``, by bundle (``None`` for the document); names escaped."""
    from lxml import etree

    from ..xmlnames import to_xml_names

    out: dict[Any, list[Any]] = {}
    for record in records:
        scratch = _prefix_doc(document.namespaces)
        attrs: list[Attribute] = list(record.attributes)
        refs = [("after", record.dictionary), ("before", record.before)]
        attrs += [(_DUMMY[n], v) for n, v in refs if v is not None]
        if record.identifier is not None:
            attrs.append((_DUMMY["id"], record.identifier))
        for index, (key, entity) in enumerate(record.pairs):
            attrs += [(_DUMMY[f"k{index}"], key), (_DUMMY[f"e{index}"], entity)]
        for index, key in enumerate(record.keys):
            attrs.append((_DUMMY[f"r{index}"], key))
        scratch.entity(_SUBJECT, attrs)
        tree = etree.fromstring(str(to_xml_names(scratch).serialize(format="xml")).encode())
        entity = tree.find(f"{_P}entity")
        made = {c.tag[len(_DUMMY.uri) + 2:]: c for c in entity if c.tag.startswith(f"{{{_DUMMY.uri}}}")}
        element = etree.Element(f"{_P}{record.kind}", nsmap=tree.nsmap)
        if "id" in made:
            element.set(f"{_P}id", made["id"].text)

        def ref(tag: str, source: Any, parent: Any = element) -> None:
            etree.SubElement(parent, f"{_P}{tag}").set(f"{_P}ref", source.text)

        if record.kind == MEMBERSHIP:
            ref("dictionary", made["after"])
        else:
            ref("newDictionary", made["after"])
            ref("oldDictionary", made["before"])
        for index in range(len(record.pairs)):
            pair = etree.SubElement(element, f"{_P}keyEntityPair")
            key = made[f"k{index}"]
            key.tag = f"{_P}key"
            pair.append(key)
            ref_el = etree.SubElement(pair, f"{_P}entity")
            ref_el.set(f"{_P}ref", made[f"e{index}"].text)
        for index in range(len(record.keys)):
            key = made[f"r{index}"]
            key.tag = f"{_P}key"
            element.append(key)
        for child in entity:
            if not child.tag.startswith(f"{{{_DUMMY.uri}}}"):
                element.append(child)
        out.setdefault(record.bundle, []).append(element)
    return out


def pop_xml_document(root: Any) -> list[DictionaryRecord]:
    """:func:`pop_xml` on a PROV-XML document and each of its ``bundleContent`` elements."""
    found = pop_xml(root, None)
    for content in root.findall(f"{_P}bundleContent"):
        values = _xml_values(content, [_qname_element(content.get(f"{_P}id", ""))])
        found += pop_xml(content, values[0][1] if values else None)
    return found
