"""The Store contract: every backend (memory, embedded Oxigraph, a real SPARQL server on loopback and,
behind the ``virtuoso`` marker, Virtuoso) must give the same answers to the same calls. Expected
answers are written out by hand; dumps are read back with rdflib, an implementation independent of
the stores."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from helpers import CONTRACT_BACKENDS, open_backend
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, parse
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from provgraph.errors import ProvgraphError, QueryError
from provgraph.store import Solutions, Store

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"


def ex(local: str) -> NamedNode:
    return NamedNode(EX + local)


G1, G2 = ex("graph/one"), ex("graph/two")
QUOTED = 'multi\nline "quoted" \\ tab\t'
DATA = [
    Quad(ex("a"), ex("p"), ex("b"), G1),
    Quad(ex("a"), ex("name"), Literal("Alice", language="en"), G1),
    Quad(ex("a"), ex("age"), Literal("42", datatype=NamedNode(XSD + "integer")), G1),
    Quad(ex("b"), ex("p"), ex("c"), G2),
    Quad(ex("c"), ex("label"), Literal(QUOTED), G2),
]
# The same five quads, written by hand in N-Quads.
DATA_NQUADS = f"""
<{EX}a> <{EX}p> <{EX}b> <{EX}graph/one> .
<{EX}a> <{EX}name> "Alice"@en <{EX}graph/one> .
<{EX}a> <{EX}age> "42"^^<{XSD}integer> <{EX}graph/one> .
<{EX}b> <{EX}p> <{EX}c> <{EX}graph/two> .
<{EX}c> <{EX}label> "multi\\nline \\"quoted\\" \\\\ tab\\t" <{EX}graph/two> .
"""

# Strings that would break a query built by pasting text.
HOSTILE = [
    '" } ; DROP ALL ; #',
    "'> } INSERT DATA { <x> <y> <z> } #",
    "\\u0022 } DROP ALL #",
    "line\nbreak\r\n} #",
    "?s ?p ?o . } UNION { ?s ?p ?o",
    "é ✓ \U0001f600 <>&",
    "",
]


def rdflib_quads(data: bytes | str) -> set[tuple[str, str, str, str]]:
    """Quads as N-Triples strings, parsed by rdflib (``""`` stands for the default graph)."""
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format="nquads")
    found = set()
    for s, p, o, g in dataset.quads((None, None, None, None)):
        ident = getattr(g, "identifier", g)
        name = "" if ident is None or ident == DATASET_DEFAULT_GRAPH_ID else ident.n3()
        found.add((s.n3(), p.n3(), o.n3(), name))
    return found


def rdflib_triples(data: bytes, fmt: str) -> set[tuple[str, str, str]]:
    graph = rdflib.Graph()
    graph.parse(data=data, format=fmt)
    return {(s.n3(), p.n3(), o.n3()) for s, p, o in graph}


def select(store: Store, sparql: str, **bindings: NamedNode | Literal) -> Solutions:
    result = store.query(sparql, bindings)
    assert isinstance(result, Solutions)
    return result


@pytest.fixture(params=CONTRACT_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend, Virtuoso included."""
    opened = open_backend(request.param, tmp_path, request)
    yield opened
    opened.close()


@pytest.fixture
def filled(store: Store) -> Store:
    store.add(DATA)
    return store


# -- size, graphs, dump -----------------------------------------------------------------------------
def test_empty_store(store: Store) -> None:
    assert len(store) == 0
    assert store.graphs() == []
    assert store.dump().strip() == b""
    answer = select(store, f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}")
    assert answer.variables == ["s", "o"] and answer.rows == []


def test_add_counts_quads_and_graphs(filled: Store) -> None:
    assert len(filled) == 5
    assert set(filled.graphs()) == {G1, G2}


def test_adding_the_same_quads_again_changes_nothing(filled: Store) -> None:
    filled.add(DATA[:3])
    filled.add([])
    assert len(filled) == 5


def test_dump_nquads_reads_back_as_the_hand_written_quads(filled: Store) -> None:
    assert rdflib_quads(filled.dump()) == rdflib_quads(DATA_NQUADS)


def test_dump_one_graph_as_turtle(filled: Store) -> None:
    expected = {(f"<{EX}b>", f"<{EX}p>", f"<{EX}c>"),
                (f"<{EX}c>", f"<{EX}label>", rdflib.Literal(QUOTED).n3())}
    assert rdflib_triples(filled.dump(RdfFormat.TURTLE, graph=G2), "turtle") == expected


def test_dump_in_a_triples_format_merges_the_graphs(filled: Store) -> None:
    triples = rdflib_triples(filled.dump(RdfFormat.N_TRIPLES), "nt")
    assert triples == {(s, p, o) for s, p, o, _ in rdflib_quads(DATA_NQUADS)}


def test_dump_trig_round_trips_through_rdflib(filled: Store) -> None:
    dataset = rdflib.Dataset()
    dataset.parse(data=filled.dump(RdfFormat.TRIG), format="trig")
    found = {(s.n3(), p.n3(), o.n3(), getattr(g, "identifier", g).n3()) for s, p, o, g in dataset.quads()}
    assert found == rdflib_quads(DATA_NQUADS)


def test_default_graph_quads_are_counted_and_dumped(store: Store) -> None:
    if "scope=" in store.uri:
        pytest.skip("a store scoped to some named graphs leaves the default graph out")
    store.add([Quad(ex("d"), ex("p"), ex("e"), DefaultGraph()), DATA[0]])
    assert len(store) == 2
    assert store.graphs() == [G1]
    assert rdflib_quads(store.dump()) == {
        (f"<{EX}d>", f"<{EX}p>", f"<{EX}e>", ""),
        (f"<{EX}a>", f"<{EX}p>", f"<{EX}b>", f"<{EX}graph/one>"),
    }


def test_write_turtle_holds_the_union_each_triple_once(store: Store) -> None:
    shared = Quad(ex("a"), ex("p"), ex("b"), G2)  # DATA states it in G1 too
    default = [] if "scope=" in store.uri else [Quad(ex("d"), ex("p"), ex("e"), DefaultGraph())]
    store.add([*DATA, shared, *default])
    out = io.BytesIO()
    store.write(out, RdfFormat.TURTLE, {"ex": EX})
    expected = {(s, p, o) for s, p, o, _ in rdflib_quads(DATA_NQUADS)}
    expected |= {(f"<{EX}d>", f"<{EX}p>", f"<{EX}e>")} if default else set()
    assert rdflib_triples(out.getvalue(), "turtle") == expected
    assert len(list(parse(out.getvalue(), RdfFormat.TURTLE))) == len(expected)  # no triple written twice
    assert b"@prefix ex: <http://example.org/>" in out.getvalue()


def test_write_trig_holds_every_quad(filled: Store) -> None:
    out = io.BytesIO()
    filled.write(out, RdfFormat.TRIG, {"ex": EX})
    dataset = rdflib.Dataset()
    dataset.parse(data=out.getvalue(), format="trig")
    found = {(s.n3(), p.n3(), o.n3(), getattr(g, "identifier", g).n3()) for s, p, o, g in dataset.quads()}
    assert found == rdflib_quads(DATA_NQUADS)


# -- queries ---------------------------------------------------------------------------------------
def test_default_graph_is_the_union_of_named_graphs(filled: Store) -> None:
    answer = select(filled, f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s")
    assert answer.rows == [{"s": ex("a"), "o": ex("b")}, {"s": ex("b"), "o": ex("c")}]
    chain = select(filled, f"SELECT ?end WHERE {{ <{EX}a> <{EX}p>+ ?end }} ORDER BY ?end")
    assert chain.column("end") == [ex("b"), ex("c")]


def test_graph_clause_names_the_graph(filled: Store) -> None:
    answer = select(filled, f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s <{EX}label> ?o }} }}")
    assert answer.rows == [{"g": G2}]


def test_select_keeps_variable_order_and_leaves_unbound_out(filled: Store) -> None:
    answer = select(filled, f"""SELECT ?name ?s ?age WHERE {{
        ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}name> ?name }} OPTIONAL {{ ?s <{EX}age> ?age }} }} ORDER BY ?s""")
    assert answer.variables == ["name", "s", "age"]
    assert answer.rows == [
        {"s": ex("a"), "name": Literal("Alice", language="en"),
         "age": Literal("42", datatype=NamedNode(XSD + "integer"))},
        {"s": ex("b")},
    ]
    assert answer.column("name") == [Literal("Alice", language="en"), None]


def test_literals_come_back_unchanged(filled: Store) -> None:
    answer = select(filled, f"SELECT ?l WHERE {{ <{EX}c> <{EX}label> ?l }}")
    assert answer.column("l") == [Literal(QUOTED)]


def test_select_star_lists_variables_in_the_same_order(filled: Store) -> None:
    answer = select(filled, f"SELECT * WHERE {{ ?s <{EX}name> ?n }}")
    assert sorted(answer.variables) == ["n", "s"]
    assert answer.rows == [{"s": ex("a"), "n": Literal("Alice", language="en")}]


def test_aggregates(filled: Store) -> None:
    answer = select(filled, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{EX}')) }}")
    assert answer.rows == [{"n": Literal("5", datatype=NamedNode(XSD + "integer"))}]


def test_ask_returns_a_bool(filled: Store) -> None:
    assert filled.query(f"ASK {{ <{EX}a> <{EX}p> <{EX}b> }}") is True
    assert filled.query(f"ASK {{ <{EX}b> <{EX}p> <{EX}a> }}") is False


def test_construct_returns_triples(filled: Store) -> None:
    result = filled.query(f"CONSTRUCT {{ ?o <{EX}inverse> ?s }} WHERE {{ ?s <{EX}p> ?o }}")
    assert isinstance(result, list)
    assert set(result) == {Triple(ex("b"), ex("inverse"), ex("a")), Triple(ex("c"), ex("inverse"), ex("b"))}


# -- bindings --------------------------------------------------------------------------------------
def test_binding_an_iri(filled: Store) -> None:
    answer = select(filled, f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}", s=ex("b"))
    assert answer.rows == [{"s": ex("b"), "o": ex("c")}]


def test_binding_a_variable_that_is_not_selected(filled: Store) -> None:
    answer = select(filled, f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}", s=ex("a"))
    assert answer.rows == [{"o": ex("b")}]


def test_binding_a_variable_an_aggregate_hides(filled: Store) -> None:
    answer = select(filled, "SELECT (COUNT(?o) AS ?n) WHERE { ?s ?p ?o }", s=ex("a"))
    assert answer.rows == [{"n": Literal("3", datatype=NamedNode(XSD + "integer"))}]


def test_binding_starts_a_property_path(filled: Store) -> None:
    query = f"SELECT ?start ?end WHERE {{ ?start <{EX}p>+ ?end }} ORDER BY ?end"
    assert select(filled, query, start=ex("a")).column("end") == [ex("b"), ex("c")]
    assert select(filled, f"SELECT ?end WHERE {{ ?start <{EX}p>+ ?end }}", start=ex("b")).column("end") == [ex("c")]


def test_binding_a_graph_variable(filled: Store) -> None:
    answer = select(filled, "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s", g=G2)
    assert answer.column("s") == [ex("b"), ex("c")]


def test_binding_does_not_reach_into_a_subquery(filled: Store) -> None:
    answer = select(filled, f"SELECT ?s ?o WHERE {{ {{ SELECT ?o WHERE {{ ?s <{EX}p> ?o }} }} }} ORDER BY ?o",
                    s=ex("nobody"))
    assert answer.rows == [{"s": ex("nobody"), "o": ex("b")}, {"s": ex("nobody"), "o": ex("c")}]


def test_binding_in_ask_and_construct(filled: Store) -> None:
    assert filled.query(f"ASK {{ ?s <{EX}p> ?o }}", {"s": ex("c")}) is False
    assert filled.query(f"ASK {{ ?s <{EX}p> ?o }}", {"s": ex("a")}) is True
    result = filled.query(f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o }}", {"o": ex("c")})
    assert result == [Triple(ex("b"), ex("q"), ex("c"))]


@pytest.mark.parametrize("text", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_strings_are_only_data(store: Store, text: str) -> None:
    store.add([Quad(ex("victim"), ex("label"), Literal(text), G1), *DATA])
    answer = select(store, f"SELECT ?s WHERE {{ ?s <{EX}label> ?l }}", l=Literal(text))
    assert answer.rows == [{"s": ex("victim")}]
    assert select(store, "SELECT ?l WHERE { ?s ?p ?l }", s=ex("victim")).column("l") == [Literal(text)]
    missing = select(store, f"SELECT ?s WHERE {{ ?s <{EX}label> ?l }}", l=Literal(text + "x", language="en"))
    assert missing.rows == []
    assert len(store) == 6
    assert rdflib_quads(store.dump()) == rdflib_quads(DATA_NQUADS) | {
        (f"<{EX}victim>", f"<{EX}label>", rdflib.Literal(text).n3(), f"<{EX}graph/one>")}


@pytest.mark.parametrize("name", ["s x", "s) { } DROP ALL", "", "?s"])
def test_invalid_variable_names_are_refused(filled: Store, name: str) -> None:
    with pytest.raises(QueryError):
        filled.query(f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }}", {name: ex("a")})
    assert len(filled) == 5


# -- updates, drop, clear --------------------------------------------------------------------------
def test_update_inserts_and_deletes(filled: Store) -> None:
    filled.update(f"INSERT DATA {{ GRAPH <{EX}graph/three> {{ <{EX}x> <{EX}p> <{EX}y> }} }}")
    assert len(filled) == 6 and ex("graph/three") in filled.graphs()
    filled.update(f"DELETE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }} WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }}")
    assert select(filled, f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }}").rows == []
    assert len(filled) == 3


def test_drop_graph_removes_only_that_graph(filled: Store) -> None:
    filled.drop_graph(G1)
    assert filled.graphs() == [G2]
    assert rdflib_quads(filled.dump()) == {q for q in rdflib_quads(DATA_NQUADS) if q[3] == str(G2)}
    filled.drop_graph(ex("graph/never-there"))
    assert len(filled) == 2


def test_clear_removes_everything(filled: Store) -> None:
    filled.clear()
    assert len(filled) == 0 and filled.graphs() == []
    filled.add(DATA[:1])
    assert len(filled) == 1


# -- transactions and errors -----------------------------------------------------------------------
def test_a_batch_that_fails_midway_stores_nothing(filled: Store) -> None:
    def batch():  # type: ignore[no-untyped-def]
        yield Quad(ex("new"), ex("p"), ex("one"), G1)
        yield Quad(ex("new"), ex("p"), ex("two"), G2)
        raise RuntimeError("the producer broke")

    with pytest.raises(RuntimeError, match="producer broke"):
        filled.add(batch())
    assert len(filled) == 5


def test_a_batch_with_a_non_quad_is_refused_whole(filled: Store) -> None:
    with pytest.raises(TypeError):
        filled.add([Quad(ex("new"), ex("p"), ex("one"), G1), "<x> <y> <z> ."])  # type: ignore[list-item]
    assert len(filled) == 5


@pytest.mark.parametrize("sparql", ["SELECT * WHERE { ?s ?p ", "SELEC ?s WHERE { }", "DROP ALL"])
def test_malformed_queries_raise_query_error(filled: Store, sparql: str) -> None:
    with pytest.raises(QueryError):
        filled.query(sparql)
    assert len(filled) == 5


def test_malformed_update_raises_query_error_and_changes_nothing(filled: Store) -> None:
    with pytest.raises(QueryError):
        filled.update(f"INSERT DATA {{ <{EX}x> <{EX}p> }} ; DROP ALL")
    assert len(filled) == 5


def test_errors_are_provgraph_errors(filled: Store) -> None:
    assert issubclass(QueryError, ProvgraphError)
    with pytest.raises(ProvgraphError):
        filled.query("ASK { ?s ?p }")


def test_blank_nodes_survive_within_a_batch(store: Store) -> None:
    node = BlankNode()
    store.add([Quad(ex("a"), ex("has"), node, G1), Quad(node, ex("value"), Literal("v"), G1)])
    answer = select(store, f"SELECT ?v WHERE {{ <{EX}a> <{EX}has> ?n . ?n <{EX}value> ?v }}")
    assert answer.column("v") == [Literal("v")]


def test_store_is_a_context_manager(store: Store) -> None:
    with store as opened:
        assert opened is store


def test_an_embedded_store_does_not_keep_a_log_file_per_open(tmp_path: Path) -> None:
    from provgraph.store import open_store

    quad = Quad(NamedNode("http://example.org/a"), NamedNode("http://example.org/b"), Literal("c"))
    for _ in range(5):  # RocksDB rotates its info log on every open and would keep each old one
        store = open_store(f"oxigraph:{tmp_path / 'store'}")
        store.add([quad])
        store.close()
    logs = sorted(p.name for p in (tmp_path / "store").iterdir() if p.name.startswith("LOG"))
    assert logs == ["LOG"]
    assert len(open_store(f"oxigraph:{tmp_path / 'store'}")) == 1
