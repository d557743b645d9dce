"""PROV-Dictionary relations (W3C Note, 2013), which the ``prov`` package does not model.

``derivedByInsertionFrom(id; d2, d1, {(key, entity)...}, attrs)``, ``derivedByRemovalFrom(id; d2, d1,
{key...}, attrs)`` and ``hadDictionaryMember(d, entity, key)`` are kept beside a ``ProvDocument`` as
:class:`DictionaryRecord` values, read from and written to every format here: PROV-N, PROV-JSON,
PROV-XML and the PROV-O patterns of the Note (``prov:qualifiedInsertion`` / ``prov:Insertion`` /
``prov:insertedKeyEntityPair``, ``prov:qualifiedRemoval`` / ``prov:removedKey``,
``prov:hadDictionaryMember`` / ``prov:pairKey`` / ``prov:pairEntity``).

Keys and attribute values are decoded by the ``prov`` package itself (through a throw-away entity),
so a key such as ``"1" %% xsd:int`` or ``'ex:a'`` means the same here as anywhere else in prov.
A qualified-name key is stored in RDF as ``"<full IRI>"^^prov:QUALIFIED_NAME``.

One module per form: :mod:`.json_form`, :mod:`.xml_form`, :mod:`.provn_form`, :mod:`.rdf_form`.
"""

from __future__ import annotations

from .json_form import pop_json_document, to_json
from .model import INSERTION, KINDS, MEMBERSHIP, REMOVAL, DictionaryRecord, attach, mint, of, rebase
from .provn_form import pop_provn, provn_statement
from .rdf_form import PREDICATES, TYPES, split_quads, to_quads
from .xml_form import pop_xml_document, to_xml

__all__ = ["INSERTION", "KINDS", "MEMBERSHIP", "PREDICATES", "REMOVAL", "TYPES", "DictionaryRecord", "attach",
           "mint", "of", "pop_json_document", "pop_provn", "pop_xml_document", "provn_statement", "rebase",
           "split_quads", "to_json", "to_quads", "to_xml"]
