"""The server's SPARQL results writing, side by side with pyoxigraph writing its own answer.

``provgraph`` is what ``/sparql`` does on the embedded store: the query's rows read into the store
contract's :class:`~provgraph.store.Solutions`, turned into a pyoxigraph answer by
:func:`provgraph.server.sparql.native` and serialized. ``pyoxigraph native`` serializes the answer of
pyoxigraph's own query as it is evaluated: the floor. Both include the query on the same in-memory
store. Run ``python -m benchmarks.sparql_results [--rows N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import pyoxigraph as ox

from provgraph.server.sparql import native
from provgraph.store import Solutions

QUERY = "SELECT ?s ?name ?size ?label WHERE { ?s <http://x.example/name> ?name ; <http://x.example/size> ?size ; " \
        "<http://x.example/label> ?label }"
FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
           "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}


def workload(rows: int) -> ox.Store:
    """``rows`` subjects, each with a plain, a typed and a language-tagged literal (quotes and tabs included)."""
    store = ox.Store()
    p = [ox.NamedNode(f"http://x.example/{name}") for name in ("name", "size", "label")]
    store.extend(q for i in range(rows) for q in (
        ox.Quad(ox.NamedNode(f"http://x.example/item/{i}"), p[0], ox.Literal(f'item "{i}"\twith tab')),
        ox.Quad(ox.NamedNode(f"http://x.example/item/{i}"), p[1], ox.Literal(str(i), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))),
        ox.Quad(ox.NamedNode(f"http://x.example/item/{i}"), p[2], ox.Literal(f"étiquette {i}", language="fr")),
    ))
    return store


def median_s(op: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        op()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    store = workload(args.rows)
    names = ["s", "name", "size", "label"]

    def ours(fmt: ox.QueryResultsFormat) -> bytes | None:
        solutions = Solutions(names, [dict(zip(names, row, strict=True)) for row in store.query(QUERY)])
        return native(solutions).serialize(format=fmt)

    print(f"{args.rows} rows x 4 variables, median of {args.repeat}")
    print(f"{'format':<6} {'provgraph ms':>13} {'pyoxigraph native ms':>21} {'ratio':>6}")
    for name, fmt in FORMATS.items():
        mine = median_s(lambda f=fmt: ours(f), args.repeat)
        floor = median_s(lambda f=fmt: store.query(QUERY).serialize(format=f), args.repeat)
        print(f"{name:<6} {mine * 1000:>13.1f} {floor * 1000:>21.1f} {mine / floor:>6.2f}")


if __name__ == "__main__":
    main()
