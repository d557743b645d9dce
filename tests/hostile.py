"""The hostile corpus: inputs that must be refused with a clear error and change nothing.

Each case is ``(id, payload)``; the ids are readable and grouped by class (the part before ``/``).
Event lines go through ``provgraph ingest`` and ``POST /api/events``; OpenLineage bodies through
``POST /api/v1/lineage``; references and SPARQL texts through the query commands, ``/api/*`` and
``/sparql``. Nothing here is derived from the code under test: every payload is wrong by construction.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from servers import ProvgraphServer

TIME = "2026-01-01T00:00:00Z"
BAD_IRIS = ["x:foo bar", "x:<script>", "a:%zz", "http://[zz/", "http://[::1/x", "a:%", "a:%g1", "x:a\tb", "urn:a b",
            "http://a b", "mailto:x y", "x:a{b}", "x:a|b", "x:a^b", "x:a`b", "x:a\\b", 'x:a"b', "http://[1::2::3]/",
            "http://%zz/", "ab:c\u0000d", "x:\u007f", "http://a:b:c/", "x:%2", "http://a/%%", "x:a\nb", "http://[/",
            "x:%e", "https://h/p?q=%zz", "x:\ufffe"]
DOCUMENT_FORMATS = ["provn", "prov-json", "prov-xml", "prov-jsonld", "turtle", "trig", "nquads", "rdfxml", "jsonld"]


def run_event(**changes: Any) -> dict[str, Any]:
    """A valid ``run.start`` event with ``changes`` applied (a value of ``...`` deletes the key)."""
    event: dict[str, Any] = {
        "schema": "provgraph.event/1", "id": "hostile-1", "type": "run.start", "time": TIME,
        "run": {"id": "hostile-run", "step": "train", "kind": "training"},
        "used": [{"location": "data/x.csv", "sha256": "a" * 64, "kind": "dataset"}],
        "params": {"lr": 0.1},
    }
    for key, value in changes.items():
        if value is ...:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def invalidation(spec: dict[str, str]) -> dict[str, Any]:
    return {"schema": "provgraph.event/1", "id": "hostile-inv", "type": "artifact.invalidate", "time": TIME,
            "invalidation": {"reason": "hostile", **spec}}


def document(fmt: str, content: str) -> dict[str, Any]:
    return {"schema": "provgraph.event/1", "id": f"hostile-doc-{fmt}", "type": "document.import", "time": TIME,
            "document": {"source": "hostile.doc", "format": fmt, "content": content,
                         "sha256": hashlib.sha256(content.encode()).hexdigest()}}


def line(event: Any) -> bytes:
    return json.dumps(event).encode()


def _nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def _with_raw(field: str, raw: str) -> bytes:
    """A run event whose ``params[field]`` is the raw JSON text ``raw`` (for what json.dumps cannot write)."""
    return line(run_event(params={field: "@RAW@"})).replace(b'"@RAW@"', raw.encode())


def _structural() -> list[tuple[str, bytes]]:
    cases = []
    for depth in (65, 1_000, 100_000):
        cases += [(f"json-depth/array-{depth}", _nested(depth).encode()),
                  (f"json-depth/object-{depth}", ('{"a":' * depth + "1" + "}" * depth).encode()),
                  (f"json-depth/in-params-{depth}", _with_raw("p", _nested(depth)))]
    surrogates = {"id": run_event(id="a\ud800"), "step": run_event(run={"id": "r", "step": "s\udfff", "kind": "other"}),
                  "param-key": run_event(params={"k\ud800": 1}), "param-value": run_event(params={"k": "\udc00"}),
                  "label": run_event(labels=["\ud834"]), "location": run_event(
                      used=[{"location": "data/\ud800.csv", "sha256": "a" * 64, "kind": "dataset"}]),
                  "annotation": run_event(annotations={"note": "\udbff"}),
                  "agent-name": run_event(agents=[{"id": "a", "kind": "person", "name": "\ud800"}])}
    cases += [(f"lone-surrogate/{name}", line(event)) for name, event in surrogates.items()]
    for digits in (65, 4_300, 5_000, 100_000):
        sized = line(run_event(used=[{"location": "d", "sha256": "a" * 64, "size": 0}]))
        cases += [(f"huge-integer/param-{digits}", _with_raw("n", "9" * digits)),
                  (f"huge-integer/size-{digits}", sized.replace(b'"size": 0', b'"size": ' + b"9" * digits))]
    cases += [(f"non-finite/{name}", _with_raw("x", name)) for name in ("NaN", "Infinity", "-Infinity", "1e999")]
    raw = {"invalid-utf8": b'{"id": "\xff\xfe"}', "truncated": line(run_event())[:40],
           "trailing": line(run_event()) + b"}", "nul": b"\x00", "not-json": b"hello", "array": b"[1, 2]",
           "string": b'"event"', "number": b"42", "null": b"null", "true": b"true", "empty-object": b"{}",
           "single-quotes": b"{'id': 'x'}", "comment": b"// no\n"}
    cases += [(f"not-an-event/{name}", body) for name, body in raw.items()]
    return cases


def _schema() -> list[tuple[str, bytes]]:
    run = {"id": "r", "step": "s", "kind": "other"}
    events: dict[str, dict[str, Any]] = {
        "no-id": run_event(id=...), "no-type": run_event(type=...), "no-time": run_event(time=...),
        "no-run": run_event(run=...), "unknown-type": run_event(type="run.explode"),
        "unknown-field": run_event(extra=1), "other-schema": run_event(schema="provgraph.event/9"),
        "bad-time": run_event(time="yesterday"), "time-31-feb": run_event(time="2026-02-31T00:00:00Z"),
        "id-too-long": run_event(id="i" * 129), "id-slash": run_event(id="a/b"), "id-empty": run_event(id=""),
        "run-id-space": run_event(run={**run, "id": "a b"}), "run-id-iri": run_event(run={**run, "id": "x:<y>"}),
        "run-kind": run_event(run={**run, "kind": "nap"}), "own-parent": run_event(run={**run, "parent": "r"}),
        "failed-without-error": run_event(type="run.end", run={**run, "status": "failed"}),
        "end-without-status": run_event(type="run.end", run=run),
        "sha256-short": run_event(used=[{"location": "d", "sha256": "abc", "kind": "dataset"}]),
        "sha256-upper-x": run_event(used=[{"location": "d", "sha256": "X" * 64, "kind": "dataset"}]),
        "artifact-kind": run_event(used=[{"location": "d", "kind": "weird"}]),
        "artifact-no-location": run_event(used=[{"sha256": "a" * 64, "kind": "dataset"}]),
        "size-negative": run_event(used=[{"location": "d", "size": -1}]),
        "used-not-list": run_event(used={"location": "d"}), "params-list": run_event(params=[1, 2]),
        "param-object": run_event(params={"p": {"nested": 1}}), "metrics-string": run_event(metrics={"m": "high"}),
        "agent-self": run_event(agents=[{"id": "a", "kind": "person", "on_behalf_of": "a"}]),
        "agent-twice": run_event(agents=[{"id": "a", "kind": "person"}, {"id": "a", "kind": "person"}]),
        "agent-kind": run_event(agents=[{"id": "a", "kind": "robot"}]),
        "text-too-long": run_event(run={**run, "step": "s" * 5000}),
        "label-empty": run_event(labels=[""]), "annotations-nested": run_event(annotations={"a": {"b": 1}}),
        "namespace-slash": run_event(namespace="a/b"),
        "invalidation-no-reason": {**invalidation({"target": "data/x"}), "invalidation": {"target": "data/x"}},
        "document-sha-mismatch": {**document("turtle", "<a:b> <a:c> <a:d> ."),
                                  "document": {**document("turtle", "x")["document"], "content": "y"}},
        "document-format": document("word", "x"),
    }
    return [(f"schema/{name}", line(event)) for name, event in events.items()]


def _cannot_carry() -> list[tuple[str, bytes]]:
    """Texts PROV-XML, Graphviz or a terminal cannot carry or shows reordered (controls but tab, newline, CR;
    bidirectional overrides and isolates; U+FFFE/FFFF), times xsd:dateTime cannot carry, and objects that
    name a key twice (parsers disagree on which value wins)."""
    failed = {"id": "r", "step": "s", "kind": "other", "status": "failed"}
    events = {
        "unsafe-text/param-nul": run_event(params={"p": "a\x00b"}),
        "unsafe-text/annotation-bell": run_event(annotations={"note": "ding\x07"}),
        "unsafe-text/annotation-fffe": run_event(annotations={"note": "x\ufffe"}),
        "unsafe-text/param-c1-csi": run_event(params={"p": "\x9b31mred"}),
        "unsafe-text/error-message-ansi": run_event(type="run.end", run={
            **failed, "error": {"type": "ValueError", "message": "\x1b[2J\x1b[31mfake\x1b[0m"}}),
        # shown as 'model_exe.pkl' while it reads 'model_lkp.exe' (U+202E RIGHT-TO-LEFT OVERRIDE), and an isolate
        "unsafe-text/location-bidi-override": run_event(used=[{"location": "model_\u202elkp.exe", "kind": "model"}]),
        "unsafe-text/agent-name-bidi-isolate": run_event(agents=[{"id": "eve", "kind": "person",
                                                                  "name": "\u2067eve\u2069 (admin)"}]),
    }
    events |= {  # RFC 3339 allows offsets to 23:59; xsd:dateTime (and every time zone) stops at 14:00
        "time-offset/event-23:59": run_event(time="2026-01-01T00:00:00+23:59"),
        "time-offset/used-minus-14:01": run_event(used=[{"location": "d", "kind": "dataset",
                                                          "time": "2026-01-01T00:00:00-14:01"}]),
    }
    cases = [(case_id, line(event)) for case_id, event in events.items()]
    good = line(run_event()).decode()
    cases += [("duplicate-key/id", good.replace('"id": "hostile-1"', '"id": "hostile-1", "id": "hostile-2"').encode()),
              ("duplicate-key/params", good.replace('{"lr": 0.1}', '{"lr": 0.1, "lr": 9}').encode())]
    return cases


def _poison() -> list[tuple[str, bytes]]:
    cases = []
    for index, iri in enumerate(BAD_IRIS):
        cases.append((f"poison-target/{index:02d}-{iri[:12]!r}", line(invalidation({"target": iri}))))
        cases.append((f"poison-target-iri/{index:02d}-{iri[:12]!r}",
                      line(invalidation({"target": "data/x", "target_iri": iri}))))
    garbage = "<<< not a document >>> {{ ] \u00e9"
    cases += [(f"poison-document/{fmt}", line(document(fmt, garbage))) for fmt in DOCUMENT_FORMATS]
    escaped = {  # well-formed documents whose escapes make a value PROV-XML cannot carry
        "turtle": '<http://ex.org/a> a <http://www.w3.org/ns/prov#Entity> ; <http://www.w3.org/ns/prov#value> '
                  '"a\\u0000b" .\n',
        "provn": 'document\nprefix ex <http://ex.org/>\nentity(ex:b, [prov:label="x\\u001by"])\nendDocument\n',
        "prov-json": '{"prefix": {"ex": "http://ex.org/"}, "entity": {"ex:c": {"prov:label": "a\\u0007b"}}}',
    }
    cases += [(f"control-escape-document/{fmt}", line(document(fmt, text))) for fmt, text in escaped.items()]
    return cases


#: Single-line bodies for ``provgraph ingest`` and ``POST /api/events``.
EVENT_LINES: list[tuple[str, bytes]] = _structural() + _schema() + _cannot_carry() + _poison()


def _openlineage() -> list[tuple[str, bytes]]:
    run_event_ol = {"eventType": "START", "eventTime": TIME, "run": {"runId": "0190c1a0-0000-7000-8000-000000000001"},
                    "job": {"namespace": "ns", "name": "job"}, "producer": "https://example.org/p",
                    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
    bodies: dict[str, bytes] = {
        "empty-object": b"{}", "empty-array": b"[]", "nested-100k": _nested(100_000).encode(),
        "nested-object-100k": ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(),
        "no-run": line({k: v for k, v in run_event_ol.items() if k != "run"}),
        "no-job": line({k: v for k, v in run_event_ol.items() if k != "job"}),
        "bad-time": line({**run_event_ol, "eventTime": "never"}), "bad-type": line({**run_event_ol, "eventType": 7}),
        "run-id-object": line({**run_event_ol, "run": {"runId": {"x": 1}}}),
        "surrogate-job": line({**run_event_ol, "job": {"namespace": "ns", "name": "\ud800"}}),
        "huge-int": line({**run_event_ol, "eventTime": "@"}).replace(b'"@"', b"9" * 5000),
        "not-json": b"{eventType: START", "string": b'"START"', "null": b"null", "array-of-null": b"[null]",
        "invalid-utf8": b'{"eventType": "\xff"}',
        "nan": line({**run_event_ol, "eventTime": "@"}).replace(b'"@"', b"NaN"),
        "inputs-not-list": line({**run_event_ol, "inputs": {"namespace": "a"}}),
        "dataset-no-name": line({**run_event_ol, "inputs": [{"namespace": "a"}]}),
    }
    return [(f"openlineage/{name}", body) for name, body in bodies.items()]


#: Bodies for ``POST /api/v1/lineage``.
OPENLINEAGE_BODIES = _openlineage()

#: References for ``impact``/``lineage``/``who`` (CLI and ``/api/*``): each names nothing that exists.
BAD_REFS: list[tuple[str, str]] = [
    ("ref/100k-chars", "r" * 100_000), ("ref/iri-space", "x:foo bar"), ("ref/iri-script", "x:<script>"),
    ("ref/bad-percent", "a:%zz"), ("ref/bad-host", "http://[zz/"), ("ref/nul", "a\x00b"),
    ("ref/sparql-injection", '"} DELETE WHERE { ?s ?p ?o } #'), ("ref/braces", "{" * 5000),
    ("ref/unknown-sha", "f" * 64), ("ref/unknown-path", "data/never.csv"),
]


def _sparql() -> list[tuple[str, str]]:
    deep = 5_000
    return [
        ("sparql/nested-groups-5000", "SELECT * WHERE " + "{" * deep + "?s ?p ?o" + "}" * deep),
        ("sparql/nested-parens-5000", "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * deep + "1" + ")" * deep + ") }"),
        ("sparql/nested-groups-3000", "SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000),
        ("sparql/nested-65", "SELECT * WHERE " + "{" * 65 + "?s ?p ?o" + "}" * 65),
        ("sparql/nested-bnodes-1000", "SELECT * WHERE { ?s <a:b> " + "[<a:b> " * 1000 + "?o" + "]" * 1000 + " }"),
        ("sparql/nested-path-5000", "SELECT * WHERE { ?s " + "(" * deep + "<a:b>" + ")" * deep + " ?o }"),
        ("sparql/not-chain-20000", "SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * 20_000 + "true) }"),
        ("sparql/plus-chain-20000", "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["1"] * 20_000) + ") }"),
        ("sparql/union-chain-20000", "SELECT * WHERE {" + " UNION ".join(["{?s ?p ?o}"] * 20_000) + "}"),
        ("sparql/too-long", "SELECT * WHERE { ?s ?p ?o } #" + "x" * 200_000),
        ("sparql/syntax-error", "SELEC * WHERE { ?s ?p ?o }"), ("sparql/update", "INSERT DATA { <a:b> <a:c> <a:d> }"),
        ("sparql/drop", "DROP ALL"),
        ("sparql/service", "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"),
        ("sparql/empty", " "), ("sparql/bad-iri", "SELECT * WHERE { <x:a b> ?p ?o }"),
    ]


#: SPARQL texts for ``provgraph sparql`` and ``/sparql``.
SPARQL_QUERIES = _sparql()


def count_by_class(*lists: list[tuple[str, Any]]) -> Counter[str]:
    """How many cases each class (the id before ``/``) has."""
    return Counter(case_id.split("/")[0] for cases in lists for case_id, _ in cases)


def ids(cases: list[tuple[str, Any]]) -> list[str]:
    return [case_id for case_id, _ in cases]


@contextmanager
def serve(folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], httpx.Client]]:
    """A real ``provgraph serve`` process over ``folder`` on a loopback port, and a client for it."""
    with ProvgraphServer(folder, "--log-level", "warning") as server, \
            httpx.Client(base_url=server.url, timeout=120) as http:
        assert server.process is not None
        yield server.process, http
