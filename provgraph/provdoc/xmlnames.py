"""The local-name escaping rule for PROV-XML.

PROV-XML writes identifiers as XML qualified names (``xs:QName``), whose local part must be an
NCName: it cannot start with a digit, ``-`` or ``.``, and cannot hold ``/``, ``=``, ``:`` and the like.
PROV-N, PROV-JSON and RDF have no such limit, and provgraph's own local names often break it (run
``1prep`` gives ``run:1prep``). provgraph follows the rule of ProvToolbox, the reference Java
implementation, so the PROV-XML files it writes and reads agree with that ecosystem (the
openprov test cases were written by it):

* ``_`` is the escape character: a literal ``_`` is written ``__``;
* a character that may not appear in an NCName is written ``_`` and its two upper-case hex digits
  (``=`` is ``_3D``, ``/`` is ``_2F``); beyond U+00FF it is ``_u`` and four hex digits, or ``_U`` and
  eight beyond the BMP;
* when the result does not start with a letter, one ``_`` is put in front (``1prep`` is ``_1prep``,
  ``_a`` is ``___a``).

Reading reverses it: a leading ``_`` is dropped, then ``__``, ``_HH``, ``_uHHHH`` and ``_UHHHHHHHH``
are decoded. Only local names are escaped, never prefixes or namespace IRIs, so the IRI an
identifier stands for survives a PROV-XML round trip unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import prov.model as pm
from prov.identifier import QualifiedName

if TYPE_CHECKING:
    from .decode import Row

_START = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_CHAR = re.compile(f"[{_START}0-9.\\-\u00b7\u0300-\u036f\u203f-\u2040]")
_LETTER = re.compile(f"[{_START}]")
_ESCAPE = re.compile(r"_(_|[0-9A-F]{2}|u[0-9A-F]{4}|U[0-9A-F]{8})")


def _escape_char(char: str) -> str:
    if char == "_":
        return "__"
    if _NAME_CHAR.fullmatch(char):
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"_{code:02X}"
    return f"_u{code:04X}" if code <= 0xFFFF else f"_U{code:08X}"


def escape_local(local: str) -> str:
    """The PROV-XML spelling of a local name (see the module docstring)."""
    escaped = "".join(_escape_char(c) for c in local)
    return escaped if escaped and _LETTER.fullmatch(escaped[0]) else "_" + escaped


def unescape_local(local: str) -> str:
    """The local name a PROV-XML spelling stands for; inverse of :func:`escape_local`."""
    if local.startswith("_"):
        local = local[1:]

    def decode(match: re.Match[str]) -> str:
        code = match.group(1)
        return "_" if code == "_" else chr(int(code.lstrip("uU"), 16))

    return _ESCAPE.sub(decode, local)


def _map_value(value: Any, rename: Callable[[QualifiedName], QualifiedName]) -> Any:
    return rename(value) if isinstance(value, QualifiedName) else value


def _schema_typed(value: Any) -> Any:
    """``value`` with a datatype the PROV-XML schema can check: literals of other datatypes (``rdf:JSON``,
    ``rdf:XMLLiteral``, custom ones) are written as ``xsd:string``, because a validator rejects an
    ``xsi:type`` that names no XML Schema type."""
    typed = isinstance(value, pm.Literal) and value.datatype is not None and value.langtag is None
    if typed and value.datatype.namespace.uri not in (pm.XSD.uri, pm.PROV.uri):
        return pm.Literal(value.value, pm.XSD["string"])
    return value


def _renamer(local: Callable[[str], str]) -> Callable[[QualifiedName], QualifiedName]:
    def rename(name: QualifiedName) -> QualifiedName:
        new = local(name.localpart)
        return name if new == name.localpart else QualifiedName(name.namespace, new)

    return rename


def _renamed(row: Row, rename: Callable[[QualifiedName], QualifiedName], value: Callable[[Any], Any]) -> Row:
    kind, identifier, formal, extra = row
    return (kind, rename(identifier) if identifier is not None else None,
            [(k, _map_value(v, rename)) for k, v in formal],
            [(rename(k), value(_map_value(v, rename))) for k, v in extra])


def map_names(document: pm.ProvDocument, local: Callable[[str], str],
              value: Callable[[Any], Any] = lambda v: v) -> pm.ProvDocument:
    """A copy of ``document`` with ``local`` applied to the local part of every qualified name (and
    ``value`` to every attribute value)."""
    rename = _renamer(local)

    def copy(source: pm.ProvBundle, target: pm.ProvBundle) -> None:
        for namespace in source.namespaces:
            target.add_namespace(namespace)
        for record in source.get_records():
            target.new_record(*_renamed((record.get_type(), record.identifier, list(record.formal_attributes),
                                         list(record.extra_attributes)), rename, value))

    result = pm.ProvDocument()
    copy(document, result)
    for bundle in document.bundles:
        assert bundle.identifier is not None  # named bundles always have one
        copy(bundle, result.bundle(rename(bundle.identifier)))
    return result


def xml_rows(rows: Iterable[Row], local: Callable[[str], str]) -> list[Row]:
    """Records given as rows (type, identifier, formal and extra attributes) ready for PROV-XML, as
    :func:`to_xml_names` makes a document's records; ``local`` is :func:`escape_local` or a cache of it."""
    rename = _renamer(local)
    return [_renamed(row, rename, _schema_typed) for row in rows]


def xml_name(name: QualifiedName, local: Callable[[str], str]) -> QualifiedName:
    """``name`` ready for PROV-XML (a bundle's identifier, say); ``local`` as for :func:`xml_rows`."""
    return _renamer(local)(name)


def to_xml_names(document: pm.ProvDocument) -> pm.ProvDocument:
    """``document`` ready for PROV-XML: every local name escaped, every literal schema-typed."""
    return map_names(document, escape_local, _schema_typed)


def from_xml_names(document: pm.ProvDocument) -> pm.ProvDocument:
    """``document`` read from PROV-XML, with every escaped local name decoded."""
    return map_names(document, unescape_local)
