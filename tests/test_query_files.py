"""The shipped questions: every ``queries/*.rq`` file the query layer uses parses, says what it answers
and its parameters in a header comment, and declares prefixes that agree with ``provgraph.vocab``."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from provgraph import query
from provgraph.resources import query_path
from provgraph.vocab import PREFIXES

OURS = ["impact", "lineage", "who", "runs", "runs-param", "runs-metric", "diff", "as-of", "invalidated",
        "labels", "resolve", "resolve-hash", "candidate", "exists", "edges"]


@pytest.mark.parametrize("name", OURS)
def test_query_file_is_documented_and_consistent(name):
    text = query_path(name).read_text()
    header = text.split("PREFIX")[0] if "PREFIX" in text else text.split("ASK")[0]
    assert header.startswith(f"# {name}: ")
    assert "Parameters" in header
    for prefix, iri in re.findall(r"PREFIX (\w+): <([^>]+)>", text):
        assert PREFIXES[prefix] == iri
    ox.Store().query(text)  # parses


def test_public_names():
    assert set(query.__all__) >= {"resolve", "impact", "lineage", "runs", "who", "diff", "sparql",
                                  "invalidated", "labels", "shortest_path", "layers",
                                  "cycles", "critical_path"}
