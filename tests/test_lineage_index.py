"""The embedded store's lineage index (provgraph/store/lineage.py): impact and lineage answered from it
equal the SPARQL walk and networkx on the same statements, and the index is never trusted when the
store changed behind it (another writer, a crash, an update, a dropped graph, a damaged file)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest

from benchmarks.workload import generate
from provgraph.project import Project, merge_update
from provgraph.query import impact, lineage, runs
from provgraph.query.nodes import describe_nodes
from provgraph.store import Store, open_store
from provgraph.store.lineage import FILENAME
from provgraph.vocab import PROVML_IRI, iri

PROV = "http://www.w3.org/ns/prov#"
EX = "http://example.org/"
G = ox.NamedNode(EX + "g")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def ex(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def chain(store: Store, *names: str, graph: ox.NamedNode = G) -> None:
    """names[0] used by run names[1], which generated names[2], used by names[3], ...; all typed."""
    quads = []
    for at, name in enumerate(names):
        kind = "Activity" if at % 2 else "Entity"
        quads.append(ox.Quad(ex(name), ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + kind), graph))
        if at:
            before = ex(names[at - 1])
            if at % 2:
                quads.append(ox.Quad(ex(name), ox.NamedNode(PROV + "used"), before, graph))
            else:
                quads.append(ox.Quad(ex(name), ox.NamedNode(PROV + "wasGeneratedBy"), before, graph))
    store.add(quads)


def downstream(store: Store, name: str) -> set[str]:
    return {row["iri"].removeprefix(EX) for row in impact(store, ex(name)).rows}


def _open(folder: Path) -> Store:
    return open_store(f"oxigraph:{folder}")


def _rows(answer: Any) -> list[tuple[Any, ...]]:
    return sorted((r["iri"], r["depth"], r["type"], r["kind"], r["label"], r["id"], r.get("run"), r["status"],
                   r["started"], r["ended"], r["sha256"], r["location"], r.get("transformation")) for r in answer.rows)


class _NoIndex:
    """The same store asked through SPARQL only (as a SPARQL endpoint is): the walk the index replaces."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def lineage_index(self, rebuild: bool = True) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """300 runs of the benchmark workload (chains ~50 deep with fan-out), recorded into an embedded store."""
    root = tmp_path_factory.mktemp("workload")
    work = generate(300, seed=11)
    with Project.init(root) as project:
        project.record_many(work.events)
        project.sync()
    return root, work


def _graphs(store: Store) -> tuple[nx.DiGraph, nx.DiGraph, set[str]]:
    """networkx graphs of the store's named graphs: impact's edges (what used or was made or derived from
    a node), lineage's edges (what a node used, was made by, derived from, associated with...), and the
    activities."""
    quads = [q for q in store._store.quads_for_pattern(None, None, None)  # type: ignore[attr-defined]
             if not isinstance(q.graph_name, ox.DefaultGraph) and isinstance(q.object, ox.NamedNode)]
    down, up = nx.DiGraph(), nx.DiGraph()
    for q in quads:
        p = q.predicate.value.removeprefix(PROV)
        if p in ("used", "wasGeneratedBy", "wasDerivedFrom"):
            down.add_edge(q.object.value, q.subject.value)
        if p in ("used", "wasGeneratedBy", "wasDerivedFrom", "wasAssociatedWith", "wasAttributedTo",
                 "actedOnBehalfOf"):
            up.add_edge(q.subject.value, q.object.value)
    return down, up, {q.subject.value for q in quads if q.predicate.value == RDF_TYPE
                      and q.object.value == PROV + "Activity"}


def test_answers_equal_the_sparql_walk_and_networkx(recorded: tuple[Path, Any]) -> None:
    root, work = recorded
    with Project(root) as project:
        store = project.store
        assert store.lineage_index() is not None
        down, up, _ = _graphs(store)
        nodes = sorted(n for n in down if n.startswith("https://w3id.org/provgraph/id/data/"))
        landmarks = [iri("data", f"sha256-{digest}").value for digest in (work.impact_large, work.lineage_large)]
        plain = _NoIndex(store)
        for chosen in [*landmarks, *random.Random(3).sample(nodes, 12)]:
            node = ox.NamedNode(chosen)
            for ask, graph in ((impact, down), (lineage, up)):
                answer = ask(store, node)
                assert _rows(answer) == _rows(ask(plain, node))  # type: ignore[arg-type]
                reached = {r["iri"] for r in answer.rows}
                # networkx reaches metric histories and nodes without a description too, which answers leave out
                assert reached <= nx.descendants(graph, node.value)
                assert {n for n in nx.descendants(graph, node.value) if n.startswith(
                    ("https://w3id.org/provgraph/id/run/", "https://w3id.org/provgraph/id/data/"))} <= reached
        assert len(impact(store, ox.NamedNode(landmarks[0])).rows) > 100


def test_both_paths_give_one_answer_in_one_order_at_networkx_depths(recorded: tuple[Path, Any]) -> None:
    """The index's walk and the SPARQL walk give the same answer to the last field and in the same order: rows
    by depth, type, label and IRI, edges in IRI order; each depth is networkx's shortest path, an edge leaving
    an activity weighing 0."""
    root, work = recorded
    with Project(root) as project:
        store = project.store
        down, up, activities = _graphs(store)
        nodes = sorted(n for n in down if n.startswith("https://w3id.org/provgraph/id/data/"))
        landmarks = [iri("data", f"sha256-{digest}").value for digest in (work.impact_large, work.lineage_large)]
        plain = _NoIndex(store)
        for chosen in [*landmarks, *random.Random(5).sample(nodes, 8)]:
            for ask, graph in ((impact, down), (lineage, up)):
                answer, asked = ask(store, ox.NamedNode(chosen)), ask(plain, ox.NamedNode(chosen))  # type: ignore[arg-type]
                assert (answer.rows, answer.edge_iris, answer.node_iris) == (asked.rows, asked.edge_iris,
                                                                             asked.node_iris)
                keys = [(r["depth"], r["type"], r["label"], r["iri"]) for r in answer.rows]
                assert keys == sorted(keys)
                assert answer.edge_iris == sorted(set(answer.edge_iris))
                assert set(answer.edge_iris) <= set(graph.edges)
                far = nx.single_source_dijkstra_path_length(
                    graph, chosen, weight=lambda u, v, d: 0 if u in activities else 1)
                assert {r["iri"]: r["depth"] for r in answer.rows} == {r["iri"]: far[r["iri"]] for r in answer.rows}


def test_an_edge_two_relations_make_is_one_edge_of_the_answer(tmp_path: Path) -> None:
    """A run that used a file and was derived from it (imported PROV may say both), stated in two graphs:
    one edge from the run to the file, on both paths, both ways."""
    store = _open(tmp_path / "store")
    chain(store, "file", "run")
    chain(store, "file", "run", graph=ex("g2"))
    store.add([ox.Quad(ex("run"), ox.NamedNode(PROV + "wasDerivedFrom"), ex("file"), G)])
    for ask in (store, _NoIndex(store)):
        assert lineage(ask, ex("run")).edge_iris == [(EX + "run", EX + "file")]  # type: ignore[arg-type]
        assert impact(ask, ex("file")).edge_iris == [(EX + "file", EX + "run")]  # type: ignore[arg-type]
    store.close()


def test_runs_described_by_the_index_equal_runs_rq(recorded: tuple[Path, Any]) -> None:
    root, work = recorded
    starts = [e for e in work.events if e["type"] == "run.start"]
    chosen = {e["run"]["id"] for e in starts if e.get("params", {}).get("n_estimators") == 100}
    with Project(root) as project:
        store, plain = project.store, _NoIndex(project.store)
        assert store.lineage_index() is not None
        every = runs(store).rows
        assert every == runs(plain).rows  # type: ignore[arg-type]
        assert {r["run"] for r in every} == {e["run"]["id"] for e in starts}
        assert all(r["agents"] and r["kind"] and r["start"] for r in every)
        answer = runs(store, params={"n_estimators": 100}).rows
        assert answer == runs(plain, params={"n_estimators": 100}).rows  # type: ignore[arg-type]
        assert {r["run"] for r in answer} == chosen and chosen


def test_a_closed_store_reopens_with_its_index_in_step(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as store:
        chain(store, "raw", "clean", "table", "train", "model")
        assert downstream(store, "raw") == {"clean", "table", "train", "model"}
    assert (tmp_path / "s" / FILENAME).exists()
    with _open(tmp_path / "s") as store:
        index = store._lineage  # type: ignore[attr-defined]
        assert index.fresh  # trusted: nothing was rebuilt
        assert downstream(store, "table") == {"train", "model"}


def test_another_writer_makes_the_index_stale(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as store:
        chain(store, "raw", "clean", "table")
    raw = ox.Store(str(tmp_path / "s"))  # pyoxigraph itself, which knows nothing of the index
    raw.add(ox.Quad(ex("train"), ox.NamedNode(PROV + "used"), ex("table"), G))
    raw.add(ox.Quad(ex("train"), ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Activity"), G))
    raw.flush()
    del raw
    with _open(tmp_path / "s") as store:
        assert not store._lineage.fresh  # type: ignore[attr-defined]
        assert "train" in downstream(store, "raw")


def test_runs_do_not_wait_for_a_rebuild(tmp_path: Path) -> None:
    """A stale index is rebuilt by the first impact or lineage (minutes at 100,000 runs), not by ``runs``
    or a node's description, which SPARQL answers sooner."""
    work = generate(6, seed=2)
    with Project.init(tmp_path) as project:
        project.record_many(work.events)
        project.sync()
    raw = ox.Store(str(tmp_path / ".provgraph" / "store"))  # another writer: the index is stale now
    raw.add(ox.Quad(ex("note"), ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Entity"), G))
    raw.flush()
    del raw
    ids = {e["run"]["id"] for e in work.events if e["type"] == "run.start"}
    with Project(tmp_path) as project:
        store = project.store
        assert {r["run"] for r in runs(store).rows} == ids
        assert describe_nodes(store, [EX + "note"])[EX + "note"]["type"] == "entity"
        assert not store._lineage.fresh  # type: ignore[attr-defined]
        assert impact(store, ex("note")).rows == []
        assert store._lineage.fresh  # type: ignore[attr-defined]


def test_a_crash_makes_the_index_stale(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    with _open(folder) as store:
        chain(store, "raw", "clean", "table")
    code = (f"from provgraph.store import open_store\nimport os, pyoxigraph as ox\n"
            f"s = open_store('oxigraph:{folder}')\n"
            f"s._lineage = None\n"  # a writer that does not keep the index, then dies without closing
            f"s.add([ox.Quad(ox.NamedNode('{EX}train'), ox.NamedNode('{PROV}used'), ox.NamedNode('{EX}table'), "
            f"ox.NamedNode('{EX}g')), ox.Quad(ox.NamedNode('{EX}train'), ox.NamedNode('{RDF_TYPE}'), "
            f"ox.NamedNode('{PROV}Activity'), ox.NamedNode('{EX}g'))])\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
    with _open(folder) as store:
        assert "train" in downstream(store, "raw")


def test_an_update_is_followed(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as store:
        chain(store, "raw", "clean", "table", "train", "model")
        store.update(f"DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}train> <{PROV}used> <{EX}table> }} }}")
        assert downstream(store, "raw") == {"clean", "table"}
        # an update naming the nodes it touches is followed in place
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}train> <{PROV}used> <{EX}table> }} }}",
                     touching=[ex("train"), ex("table")])
        assert store._lineage.fresh  # type: ignore[attr-defined]
        assert downstream(store, "raw") == {"clean", "table", "train", "model"}
        # the merge of a version the mapping makes (a node renamed everywhere), followed in place
        store.update(merge_update(ex("table"), ex("table2")), touching=[ex("table"), ex("table2")])
        assert store._lineage.fresh  # type: ignore[attr-defined]
        assert downstream(store, "raw") == {"clean", "table2", "train", "model"}
        assert _rows(impact(store, ex("clean"))) == _rows(impact(_NoIndex(store), ex("clean")))  # type: ignore[arg-type]


def test_a_dropped_graph_and_a_cleared_store(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as store:
        chain(store, "raw", "clean", "table")
        chain(store, "table", "train", "model", graph=ex("g2"))
        assert downstream(store, "raw") == {"clean", "table", "train", "model"}
        store.drop_graph(ex("g2"))
        assert downstream(store, "raw") == {"clean", "table"}
        store.clear()
        chain(store, "other", "run")
        assert downstream(store, "other") == {"run"}
        assert not list(store.query(f"SELECT * WHERE {{ <{EX}raw> ?p ?o }}"))  # type: ignore[arg-type]


def test_a_refused_batch_leaves_no_trace(tmp_path: Path) -> None:
    with _open(tmp_path / "s") as store:
        chain(store, "raw", "clean")
        with pytest.raises(TypeError):
            store.add([ox.Quad(ex("x"), ox.NamedNode(PROV + "used"), ex("clean"), G), "not a quad"])  # type: ignore[list-item]
        assert downstream(store, "clean") == set()


@pytest.mark.parametrize("damage", [b"not a database at all" * 100, b""])
def test_a_damaged_index_file_is_rebuilt(tmp_path: Path, damage: bytes) -> None:
    with _open(tmp_path / "s") as store:
        chain(store, "raw", "clean", "table")
    (tmp_path / "s" / FILENAME).write_bytes(damage)
    with _open(tmp_path / "s") as store:
        assert downstream(store, "raw") == {"clean", "table"}


def test_an_index_of_another_layout_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    with _open(tmp_path / "s") as store:
        chain(store, "raw", "clean", "table")
    db = sqlite3.connect(tmp_path / "s" / FILENAME)
    db.execute("UPDATE meta SET value = '0' WHERE key = 'layout'")
    db.execute("DELETE FROM edge")
    # a layout whose node table has other columns (layout 3 had two fields fewer)
    db.executescript("DROP TABLE node; CREATE TABLE node (id INTEGER PRIMARY KEY, classes INTEGER NOT NULL, f0 TEXT)")
    db.commit()
    db.close()
    with _open(tmp_path / "s") as store:
        assert downstream(store, "raw") == {"clean", "table"}
        assert store.lineage_index() is not None  # answered by the rebuilt index, not by SPARQL


def test_a_copied_project_answers_from_its_own_index(tmp_path: Path) -> None:
    with _open(tmp_path / "a") as store:
        chain(store, "raw", "clean", "table")
    subprocess.run(["cp", "-r", str(tmp_path / "a"), str(tmp_path / "b")], check=True)
    with _open(tmp_path / "b") as store:
        chain(store, "table", "train", "model")
    with _open(tmp_path / "a") as store:
        assert downstream(store, "raw") == {"clean", "table"}
    with _open(tmp_path / "b") as store:
        assert downstream(store, "raw") == {"clean", "table", "train", "model"}


def test_an_unwritable_index_leaves_the_store_working(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    with _open(folder) as store:
        chain(store, "raw", "clean", "table")
    (folder / FILENAME).unlink()
    (folder / FILENAME).mkdir()  # not a file: SQLite cannot open it
    with _open(folder) as store:
        assert store.lineage_index() is None
        assert downstream(store, "raw") == {"clean", "table"}
    assert os.path.isdir(folder / FILENAME)


def test_reads_beside_a_writing_thread_miss_nothing(tmp_path: Path) -> None:
    """A server answers impact while its writer thread adds: the index, even rebuilt meanwhile (it starts
    stale here), ends holding every edge the store holds."""
    import threading

    folder = tmp_path / "s"
    with _open(folder) as store:
        chain(store, "root", "r0", "d0")
    raw = ox.Store(str(folder))  # another writer: the index is stale when the store opens again
    raw.add(ox.Quad(ex("x"), ox.NamedNode(PROV + "used"), ex("d0"), G))
    raw.flush()
    del raw
    with _open(folder) as store:
        done = threading.Event()

        def write() -> None:
            for at in range(1, 200):
                chain(store, f"d{at - 1}", f"r{at}", f"d{at}")
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        answers = 0
        while not done.is_set():
            downstream(store, "root")
            answers += 1
        writer.join()
        assert answers > 0
        expected = {row["iri"] for row in impact(_NoIndex(store), ex("root")).rows}  # type: ignore[arg-type]
        assert len(expected) == 2 * 200 and {f"{EX}d199", f"{EX}r199"} <= expected
        assert {row["iri"] for row in impact(store, ex("root")).rows} == expected


def test_versions_and_transformations_come_from_the_index_in_step(tmp_path: Path) -> None:
    """The walk starts from a logical artifact's versions as the index knows them, and asks how derivations
    were made only where the store stated a transformation: both kept in step with adds and updates, and
    across a close and reopen (the index then read from disk, not rebuilt)."""
    version_of, artifact = ox.NamedNode(PROV + "specializationOf"), ox.NamedNode(PROVML_IRI + "Artifact")

    def version(name: str, run: str, out: str) -> None:
        chain(store, name, run, out)
        store.add([ox.Quad(ex(name), version_of, ex("logical"), G)])

    def transformation() -> None:
        how = ex("how")
        store.add([ox.Quad(ex(n), ox.NamedNode(RDF_TYPE), artifact, G) for n in ("src", "derived")] + [
            ox.Quad(ex("derived"), ox.NamedNode(PROV + "wasDerivedFrom"), ex("src"), G),
            ox.Quad(ex("derived"), ox.NamedNode(PROV + "qualifiedDerivation"), how, G),
            ox.Quad(how, ox.NamedNode(PROV + "entity"), ex("src"), G),
            ox.Quad(how, ox.NamedNode(PROVML_IRI + "transformationType"), ox.Literal("DIRECT"), G)])

    def how_derived(store: Store) -> dict[str, Any]:
        return {r["iri"].removeprefix(EX): r.get("transformation") for r in impact(store, ex("src")).rows}

    with _open(tmp_path / "s") as store:
        version("v1", "r1", "m1")
        version("v2", "r2", "m2")
        chain(store, "src", "other")
        assert downstream(store, "logical") == {"v1", "r1", "m1", "v2", "r2", "m2"}
        assert how_derived(store) == {"other": None}  # a run: no transformation stated anywhere
        version("v3", "r3", "m3")  # written after the index was read
        transformation()
        assert downstream(store, "logical") == {"v1", "r1", "m1", "v2", "r2", "m2", "v3", "r3", "m3"}
        assert how_derived(store) == how_derived(_NoIndex(store)) == {"derived": "DIRECT", "other": None}  # type: ignore[arg-type]
        store.update(f"DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}v2> <{PROV}specializationOf> <{EX}logical> }} }}",
                     touching=[ex("v2")])
        assert downstream(store, "logical") == {"v1", "r1", "m1", "v3", "r3", "m3"}
    with _open(tmp_path / "s") as store:
        assert store._lineage.fresh  # type: ignore[attr-defined]
        assert downstream(store, "logical") == {"v1", "r1", "m1", "v3", "r3", "m3"}
        assert how_derived(store) == {"derived": "DIRECT", "other": None}
        assert _rows(impact(store, ex("logical"))) == _rows(impact(_NoIndex(store), ex("logical")))  # type: ignore[arg-type]
    (tmp_path / "s" / FILENAME).unlink()
    with _open(tmp_path / "s") as store:  # rebuilt from the store
        assert how_derived(store) == {"derived": "DIRECT", "other": None}
        assert downstream(store, "logical") == {"v1", "r1", "m1", "v3", "r3", "m3"}
