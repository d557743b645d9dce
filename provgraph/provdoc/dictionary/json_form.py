"""PROV-Dictionary relations in PROV-JSON: the ``derivedByInsertionFrom``, ``derivedByRemovalFrom`` and
``hadDictionaryMember`` sections of a document or bundle."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import prov.model as pm

from .model import (
    _DUMMY,
    _SUBJECT,
    KINDS,
    MEMBERSHIP,
    REMOVAL,
    Attribute,
    DictionaryRecord,
    _attributes_of,
    _named,
    _prefix_doc,
    _qname,
    _read,
)


def pop_json(obj: dict[str, Any], prefixes: dict[str, str], bundle: pm.QualifiedName | None) -> list[DictionaryRecord]:
    """Remove the dictionary sections from one PROV-JSON document or bundle object; return their records."""
    found = []
    for kind in KINDS:
        section = obj.pop(kind, None)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ValueError(f'the "{kind}" value must be a JSON object')
        for ident, body in section.items():
            for item in body if isinstance(body, list) else [body]:
                found.append(_json_record(kind, ident, dict(item), prefixes, bundle))
    return found


def _json_values(prefixes: dict[str, str], attrs: dict[str, Any]) -> list[Attribute]:
    doc = {"prefix": {**prefixes, _DUMMY.prefix: _DUMMY.uri}, "entity": {str(_SUBJECT): attrs}}
    return _attributes_of(_read(json.dumps(doc), "json"))


def _json_record(kind: str, ident: str, body: dict[str, Any], prefixes: dict[str, str],
                 bundle: pm.QualifiedName | None) -> DictionaryRecord:
    names = {"prov:after", "prov:before", "prov:dictionary", "prov:key-entity-set", "prov:key-set"}
    refs = {k: body.pop(k) for k in names & set(body)}
    raw: dict[str, Any] = {}
    pairs_raw: list[tuple[Any, str]] = []
    kes = refs.get("prov:key-entity-set", [])
    if isinstance(kes, dict):
        datatype = kes.pop("$key-datatype", None)
        pairs_raw = [({"$": k, "type": datatype} if datatype else k, v) for k, v in kes.items()]
    else:
        pairs_raw = [(item["key"], item["$"]) for item in kes]
    keys_raw = refs.get("prov:key-set", [])
    for index, (key, entity) in enumerate(pairs_raw):
        raw[f"pgdict:k{index}"] = key
        raw[f"pgdict:e{index}"] = {"$": entity, "type": "prov:QUALIFIED_NAME"}
    for index, key in enumerate(keys_raw):
        raw[f"pgdict:r{index}"] = key
    for ref in ("prov:after", "prov:before", "prov:dictionary"):
        if ref in refs:
            raw[f"pgdict:{ref[5:]}"] = {"$": refs[ref], "type": "prov:QUALIFIED_NAME"}
    decoded = dict(_json_values(prefixes, raw))
    attrs = _json_values(prefixes, body) if body else []
    get = decoded.get
    pairs = tuple((get(_DUMMY[f"k{i}"]), _named(get(_DUMMY[f"e{i}"]))) for i in range(len(pairs_raw)))
    keys = tuple(get(_DUMMY[f"r{i}"]) for i in range(len(keys_raw)))
    identifier = None if ident.startswith("_:") else _qname(ident, prefixes)
    dictionary = get(_DUMMY["after"]) or get(_DUMMY["dictionary"])
    return DictionaryRecord(kind, identifier, dictionary, get(_DUMMY["before"]), pairs, keys, tuple(attrs), bundle)


def to_json(records: Iterable[DictionaryRecord], document: pm.ProvDocument) -> dict[Any, dict[str, Any]]:
    """The PROV-JSON sections of ``records``, by bundle (``None`` for the document)."""
    out: dict[Any, dict[str, Any]] = {}
    for n, record in enumerate(records):
        attrs: list[Attribute] = list(record.attributes)
        refs = (("prov:after", record.dictionary), ("prov:before", record.before)) if record.kind != MEMBERSHIP \
            else (("prov:dictionary", record.dictionary),)
        scratch = _prefix_doc(document.namespaces)
        for index, (key, entity) in enumerate(record.pairs):
            attrs += [(_DUMMY[f"k{index}"], key), (_DUMMY[f"e{index}"], entity)]
        for index, key in enumerate(record.keys):
            attrs.append((_DUMMY[f"r{index}"], key))
        scratch.entity(_SUBJECT, attrs)
        body = json.loads(str(scratch.serialize(format="json")))["entity"][str(_SUBJECT)]
        entry: dict[str, Any] = {name: str(ref) for name, ref in refs if ref is not None}
        pairs = [{"key": body.pop(f"pgdict:k{i}"), "$": _plain(body.pop(f"pgdict:e{i}"))}
                 for i in range(len(record.pairs))]
        keys = [body.pop(f"pgdict:r{i}") for i in range(len(record.keys))]
        if record.kind != REMOVAL:
            entry["prov:key-entity-set"] = pairs
        else:
            entry["prov:key-set"] = keys
        entry.update(body)
        ident = str(record.identifier) if record.identifier is not None else f"_:pgd{n}"
        out.setdefault(record.bundle, {}).setdefault(record.kind, {})[ident] = entry
    return out


def _plain(value: Any) -> Any:
    return value["$"] if isinstance(value, dict) and "$" in value else value


def pop_json_document(obj: dict[str, Any]) -> list[DictionaryRecord]:
    """:func:`pop_json` on a PROV-JSON document and each of its bundles."""
    prefixes = obj.get("prefix", {})
    if not isinstance(prefixes, dict):
        return []
    found = pop_json(obj, prefixes, None)
    bundles = obj.get("bundle", {})
    for ident, body in bundles.items() if isinstance(bundles, dict) else ():
        if isinstance(body, dict):
            scope = {**prefixes, **(body.get("prefix") or {})}
            found += pop_json(body, scope, _qname(ident, scope))
    return found
