"""Mapping events to PROV-O quads: exact triples for hand-written events, identity rules, idempotence."""

from __future__ import annotations

import rdflib
from pyoxigraph import RdfFormat, serialize

from provgraph import events as ev
from provgraph.mapping import event_to_quads
from provgraph.store import open_store

ID = "https://w3id.org/provgraph/id/"
PROV = "http://www.w3.org/ns/prov#"
ML = "https://w3id.org/provgraph/provml#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
SHA_A, SHA_B = "a" * 64, "b" * 64


def as_rdflib(quads: list) -> set[tuple]:
    """Quads re-read by rdflib (an independent parser) as (s, p, o, graph) tuples."""
    data = rdflib.Dataset()
    data.parse(data=serialize(quads, format=RdfFormat.N_QUADS).decode(), format="nquads")
    return {(s, p, o, g) for s, p, o, g in data.quads((None, None, None, None)) if g is not None}


def expected(nquads: str) -> set[tuple]:
    data = rdflib.Dataset()
    data.parse(data=nquads, format="nquads")
    return {(s, p, o, g) for s, p, o, g in data.quads((None, None, None, None)) if g is not None}


def test_run_start_maps_to_exactly_these_quads() -> None:
    event = ev.validate({"schema": "provgraph.event/1", "id": "e1", "type": "run.start",
                         "time": "2026-01-02T03:04:05Z", "run": {"id": "r1", "step": "clean", "kind": "cleaning"}})
    g = f"<{ID}bundle/r1>"
    r = f"<{ID}run/r1>"
    assert as_rdflib(event_to_quads(event)) == expected(f"""
{g} <{TYPE}> <{PROV}Bundle> {g} .
{r} <{TYPE}> <{PROV}Activity> {g} .
{r} <{TYPE}> <{ML}Run> {g} .
{r} <{TYPE}> <{ML}Cleaning> {g} .
{r} <{ML}runId> "r1" {g} .
{r} <{ML}stepName> "clean" {g} .
{r} <{RDFS}label> "clean" {g} .
{r} <{PROV}startedAtTime> "2026-01-02T03:04:05Z"^^<{XSD}dateTime> {g} .
""")


def test_run_end_with_usage_generation_agents_params_and_metrics() -> None:
    event = ev.validate({
        "schema": "provgraph.event/1", "id": "e2", "type": "run.end", "time": "2026-01-02T04:00:00Z",
        "run": {"id": "r1", "status": "failed", "error": {"type": "ValueError", "message": "bad"}},
        "used": [{"location": "data/a.csv", "sha256": SHA_A, "size": 10, "kind": "dataset", "role": "train",
                  "name": "loans"}],
        "generated": [{"location": "m.pkl", "sha256": SHA_B, "kind": "model"}],
        "params": {"n_estimators": 100},
        "metrics": {"acc": 0.5},
        "agents": [{"id": "alice", "kind": "person", "on_behalf_of": "acme"}, {"id": "acme", "kind": "organization"}],
    })
    got = as_rdflib(event_to_quads(event))
    g = rdflib.URIRef(f"{ID}bundle/r1")
    run, a, b = (rdflib.URIRef(f"{ID}{x}") for x in ("run/r1", f"data/sha256-{SHA_A}", f"data/sha256-{SHA_B}"))
    alice, acme = rdflib.URIRef(f"{ID}agent/alice"), rdflib.URIRef(f"{ID}agent/acme")
    loans = rdflib.URIRef(f"{ID}dataset/loans")
    P, M = rdflib.Namespace(PROV), rdflib.Namespace(ML)
    asserted = {  # what the run states: in its bundle
        (run, M.status, rdflib.Literal("failed")),
        (run, M.errorType, rdflib.Literal("ValueError")),
        (run, M.errorMessage, rdflib.Literal("bad")),
        (run, P.endedAtTime, rdflib.Literal("2026-01-02T04:00:00Z", datatype=rdflib.XSD.dateTime)),
        (run, P.used, a),
        (b, P.wasGeneratedBy, run),
        (b, P.wasDerivedFrom, a),
        (b, P.wasAttributedTo, alice),
        (b, P.wasAttributedTo, acme),
        (run, P.wasAssociatedWith, alice),
    }
    described = {  # content-addressed descriptions: once, in the shared graph
        (a, M.sha256, rdflib.Literal(SHA_A)),
        (a, M.sizeBytes, rdflib.Literal("10", datatype=rdflib.XSD.long)),
        (a, rdflib.RDF.type, M.DataVersion),
        (a, P.specializationOf, loans),
        (loans, rdflib.RDF.type, M.Dataset),
        (b, rdflib.RDF.type, M.Model),
        (alice, rdflib.RDF.type, P.Person),
        (acme, rdflib.RDF.type, P.Organization),
        (alice, P.actedOnBehalfOf, acme),  # a delegation between two agents: a fact about them
    }
    triples = {(s, p, o) for s, p, o, graph in got if graph == g}
    shared = {(s, p, o) for s, p, o, graph in got if graph == rdflib.URIRef(f"{ID}graph/shared")}
    assert asserted <= triples and not asserted & shared
    assert described <= shared and not described & triples
    # qualified usage carries the role (the role's name is a shared description)
    usage = {s for s, p, o in triples if p == P.entity and o == a}
    assert len(usage) == 1
    role = {o for s, p, o in triples if s in usage and p == P.hadRole}
    assert {(r, rdflib.RDFS.label, rdflib.Literal("train")) for r in role} <= shared
    # the hyperparameter is an entity the run used, with its typed value
    params = {s for s, p, o in shared if p == M.name and o == rdflib.Literal("n_estimators")}
    assert len(params) == 1 and (run, P.used, next(iter(params))) in triples
    assert (next(iter(params)), M.value, rdflib.Literal(100)) in shared
    metric = {s for s, p, o in triples if p == M.name and o == rdflib.Literal("acc")}
    assert metric and {(m, P.wasGeneratedBy, run) for m in metric} <= triples  # a metric value is the run's own
    assert len(got) == len(triples) + len(shared)  # nothing else anywhere


def test_same_bytes_in_two_runs_are_one_node_and_ingest_is_idempotent() -> None:
    def used(run_id: str, location: str) -> dict:
        return ev.validate(ev.new_event("run.end", run={"id": run_id, "status": "completed"},
                                        used=[{"location": location, "sha256": SHA_A}]))

    store = open_store("memory:")
    first, second = used("r1", "data/a.csv"), used("r2", "copy/of/a.csv")
    store.add(event_to_quads(first))
    store.add(event_to_quads(second))
    size = len(store)
    store.add(event_to_quads(first))  # ingesting again changes nothing
    assert len(store) == size
    assert event_to_quads(first) == event_to_quads(first)
    rows = store.query(
        "SELECT DISTINCT ?v ?run WHERE { ?run <http://www.w3.org/ns/prov#used> ?v . "
        "?v <https://w3id.org/provgraph/provml#sha256> ?h }")
    assert {r["v"].value for r in rows} == {f"{ID}data/sha256-{SHA_A}"}
    assert {r["run"].value for r in rows} == {f"{ID}run/r1", f"{ID}run/r2"}
    # two locations give two logical artifacts the single version specializes
    logical = store.query(f"SELECT ?l WHERE {{ <{ID}data/sha256-{SHA_A}> <{PROV}specializationOf> ?l }}")
    assert len(logical) == 2


def test_explicit_derivation_restricts_sources() -> None:
    event = ev.validate(ev.new_event(
        "run.end", run={"id": "r", "status": "completed"},
        used=[{"location": "a.csv", "sha256": SHA_A}, {"location": "b.csv", "sha256": SHA_B}],
        generated=[{"location": "c.csv", "sha256": "c" * 64, "derived_from": ["b.csv"]}]))
    derived = {(q.subject.value, q.object.value) for q in event_to_quads(event)
               if q.predicate.value == f"{PROV}wasDerivedFrom"}
    assert derived == {(f"{ID}data/sha256-{'c' * 64}", f"{ID}data/sha256-{SHA_B}")}


def test_invalidation_maps_to_was_invalidated_by() -> None:
    event = ev.validate(ev.new_event("artifact.invalidate", time="2026-03-01T00:00:00Z",
                                     invalidation={"target": SHA_A, "reason": "label leak"}))
    quads = {(q.subject.value, q.predicate.value, q.object.value) for q in event_to_quads(event)}
    act = f"{ID}run/invalidate-{event['id']}"
    assert (f"{ID}data/sha256-{SHA_A}", f"{PROV}wasInvalidatedBy", act) in quads
    assert (act, f"{ML}reason", "label leak") in quads
