"""PROV-Dictionary relations in PROV-N: ``prov:derivedByInsertionFrom(...)`` and friends, read out of a
document's text before the ``prov`` package parses the rest, and written back."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import prov.model as pm

from .model import (
    _DUMMY,
    _KEY,
    _SUBJECT,
    INSERTION,
    MEMBERSHIP,
    Attribute,
    DictionaryRecord,
    _attributes_of,
    _prefix_doc,
    _read,
)


def provn_statement(record: DictionaryRecord, document: pm.ProvDocument) -> str:
    """The PROV-N statement of ``record``."""
    scratch = _prefix_doc(document.namespaces)

    def value(v: Any) -> str:
        text = scratch.entity(_DUMMY[f"v{len(scratch.records)}"], [(_KEY, v)]).get_provn()
        return text[text.index("=", text.index("[")) + 1: text.rindex("]")].strip()

    ident = f"{record.identifier}; " if record.identifier is not None else ""
    if record.kind == MEMBERSHIP:
        (key, entity), = record.pairs
        return f"prov:hadDictionaryMember({record.dictionary}, {entity}, {value(key)})"
    if record.kind == INSERTION:
        inner = ", ".join(f"({value(k)}, {e})" for k, e in record.pairs)
    else:
        inner = ", ".join(value(k) for k in record.keys)
    attrs = ""
    if record.attributes:
        text = scratch.entity(_SUBJECT, list(record.attributes)).get_provn()
        attrs = ", " + text[text.index("["): text.rindex("]") + 1]
    before = record.before if record.before is not None else "-"
    return f"prov:{record.kind}({ident}{record.dictionary}, {before}, {{{inner}}}{attrs})"


def provn_values(items: list[str], prefix_lines: str) -> list[Any]:
    """Decode PROV-N literals (``"a" %% xsd:string``, ``'ex:a'``, ``"x"@en``) with prov's own parser."""
    if not items:
        return []
    attrs = ", ".join(f"pgdict:v{i} = {text}" for i, text in enumerate(items))
    decoded = dict(provn_attributes(f"[{attrs}]", prefix_lines))
    return [decoded[_DUMMY[f"v{i}"]] for i in range(len(items))]


def provn_attributes(text: str, prefix_lines: str) -> list[Attribute]:
    """Decode a PROV-N attribute list ``[a = v, ...]``."""
    scratch = f"document\n{prefix_lines}\nprefix pgdict <{_DUMMY.uri}>\nentity(pgdict:record, {text})\nendDocument\n"
    return _attributes_of(_read(scratch, "provn"))


_OPEN, _CLOSE = "([{", ")]}"


def _skip_string(text: str, i: int) -> int:
    """Index just past the string or qualified-name literal starting at ``text[i]``."""
    if text.startswith('"""', i):
        end = text.find('"""', i + 3)
        return len(text) if end < 0 else end + 3
    quote = text[i]
    j = i + 1
    while j < len(text) and text[j] != quote:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _split(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` at nesting depth 0, outside literals."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        if char in "\"'":
            i = _skip_string(text, i)
            continue
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    parts.append(text[start:].strip())
    return parts


def _statements(text: str) -> Iterable[tuple[int, int, str, str, str | None]]:
    """``(start, end, keyword, inner text, bundle)`` of each dictionary statement in PROV-N ``text``."""

    keyword = re.compile(r"(?:prov:)?(derivedByInsertionFrom|derivedByRemovalFrom|hadDictionaryMember)\s*\(")
    bundle_start = re.compile(r"bundle\s+([^\s]+)")
    i, bundle = 0, None
    while i < len(text):
        char = text[i]
        if char in "\"'":
            i = _skip_string(text, i)
            continue
        if text.startswith("//", i):
            i = text.find("\n", i) if text.find("\n", i) >= 0 else len(text)
            continue
        if text.startswith("/*", i):
            i = text.find("*/", i) + 2 if text.find("*/", i) >= 0 else len(text)
            continue
        at_word = i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:")
        match = keyword.match(text, i) if at_word else None
        if match:
            depth, j = 1, match.end()
            while j < len(text) and depth:
                if text[j] in "\"'":
                    j = _skip_string(text, j)
                    continue
                depth += 1 if text[j] in _OPEN else -1 if text[j] in _CLOSE else 0
                j += 1
            yield i, j, match.group(1), text[match.end(): j - 1], bundle
            i = j
            continue
        if at_word and text.startswith("endBundle", i):
            bundle = None
        elif at_word and (found := bundle_start.match(text, i)):
            bundle = found.group(1)
        i += 1


def pop_provn(text: str) -> tuple[str, list[DictionaryRecord]]:
    """PROV-N ``text`` with its dictionary statements blanked out, and those statements as records."""

    prefix_lines = "\n".join(m.group(0) for m in re.finditer(r"(?m)^\s*(?:prefix\s+\S+|default)\s*<[^>]*>", text))
    records: list[DictionaryRecord] = []
    pieces, last = [], 0
    for start, end, kind, inner, bundle in _statements(text):
        pieces.append(text[last:start])
        pieces.append("".join(c if c == "\n" else " " for c in text[start:end]))
        last = end
        records.append(_provn_record(kind, inner, bundle, prefix_lines))
    pieces.append(text[last:])
    return "".join(pieces), records


def _provn_record(kind: str, inner: str, bundle: str | None, prefix_lines: str) -> DictionaryRecord:
    head = _split(inner, ";")
    ident_text = head[0] if len(head) == 2 else None
    args = _split(head[-1], ",")
    attrs = provn_attributes(args.pop(), prefix_lines) if args and args[-1].startswith("[") else []

    def names(items: list[str]) -> list[Any]:
        return provn_values([f"'{t}'" for t in items], prefix_lines)

    bundle_id = names([bundle])[0] if bundle else None
    ident = names([ident_text])[0] if ident_text and ident_text != "-" else None
    if kind == MEMBERSHIP:
        dictionary, entity = names(args[:2])
        (key,) = provn_values([args[2]], prefix_lines)
        return DictionaryRecord(kind, ident, dictionary, None, ((key, entity),), (), tuple(attrs), bundle_id)
    after, before = (None if t == "-" else names([t])[0] for t in args[:2])
    members = _split(args[2].strip()[1:-1], ",") if args[2].strip() not in ("{}", "") else []
    if kind == INSERTION:
        split_pairs = [_split(m.strip()[1:-1], ",") for m in members]
        keys = provn_values([p[0] for p in split_pairs], prefix_lines)
        entities = names([p[1] for p in split_pairs])
        return DictionaryRecord(kind, ident, after, before, tuple(zip(keys, entities, strict=True)), (),
                                tuple(attrs), bundle_id)
    return DictionaryRecord(kind, ident, after, before, (), tuple(provn_values(members, prefix_lines)),
                            tuple(attrs), bundle_id)
