"""PROV translation: documents to PROV-O quads and back, with no store and no ML.

The floor below mapping, export and the PROV importer: :mod:`.read` parses any PROV format into a
``prov`` document, :mod:`.encode` turns a document into quads, :mod:`.decode` turns quads into a
document, :mod:`.dictionary` carries PROV-Dictionary both ways, :mod:`.xmlnames` the PROV-XML
local-name rule. It imports only errors and vocab.
"""
