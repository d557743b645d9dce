"""Nodes sent to a query by position: the answer names each node by its number in the list sent, and
fixed tables (the classes a caller tells apart) fill the query's empty VALUES block. The expected rows
are read off the hand-drawn pipeline of test_render_pipelines, not computed by provgraph."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode
from test_render_pipelines import ENDPOINT, E, M, load, pipeline_events

from provgraph.errors import QueryError
from provgraph.query.nodes import describe_nodes
from provgraph.query.sparql import fill_values, select_numbered
from provgraph.store import Store
from provgraph.vocab import iri

MODEL = iri("data", f"sha256-{M}").value
TRAIN = iri("run", "train-1").value
NOWHERE = "https://example.org/not-in-the-store"


def test_described_by_position_whatever_the_order_sent(store: Store) -> None:
    load(store, pipeline_events())
    described = describe_nodes(store, [NOWHERE, TRAIN, MODEL])
    assert set(described) == {TRAIN, MODEL}  # nothing is known of the third IRI
    model, train = described[MODEL], described[TRAIN]
    assert (model["type"], model["kind"], model["location"], model["sha256"], model["id"]) == (
        "artifact", "model", "models/model.pkl", M, M[:12])
    assert (train["type"], train["kind"], train["id"], train["status"]) == ("run", "training", "train-1", "completed")
    assert (train["started"], train["ended"]) == ("2026-03-01T10:04:00Z", "2026-03-01T10:04:30Z")


def test_a_walk_step_names_the_node_it_started_from(store: Store) -> None:
    load(store, pipeline_events())
    # impact one step from the model, numbered 1 as sent: the runs that used it (eval-1, deploy-1) and
    # what they made from it (eval.json, and the endpoint's version)
    step = list(select_numbered(store, "impact", "from", [NOWHERE, MODEL]))
    assert {at for at, _ in step} == {1}
    reached = {row["node"].value for _, row in step}
    assert len(reached) == 4
    assert {iri("run", "deploy-1").value, iri("run", "eval-1").value, iri("data", f"sha256-{E}").value} < reached
    assert describe_nodes(store, [ENDPOINT]) == {}  # the endpoint is a location, not a node IRI


def test_fill_values_writes_the_table_and_refuses_a_query_without_its_block() -> None:
    text = "SELECT ?x WHERE { OPTIONAL { VALUES (?object ?class) { } } }"
    filled = fill_values(text, ("object", "class"), [(NamedNode("https://example.org/A"), Literal(0))])
    assert filled == ('SELECT ?x WHERE { OPTIONAL { VALUES (?object ?class) '
                      '{ (<https://example.org/A> "0"^^<http://www.w3.org/2001/XMLSchema#integer>) } } }')
    with pytest.raises(QueryError, match=r"no empty VALUES \(\?object \?kind\)"):
        fill_values(text, ("object", "kind"), [])
