"""Every identifier provgraph prints is accepted back as a reference: the label a table shows, the
``sha256-…`` and ``sha256:…`` forms of a hash, a run's step name when one run has it, and a unique prefix
of a run id; an ambiguous one lists the candidates."""

from __future__ import annotations

import pytest
from test_render_pipelines import C, F, R, pipeline_events, sweep_events

from provgraph.errors import QueryError
from provgraph.mapping import event_to_quads
from provgraph.query import resolve
from provgraph.store import Store
from provgraph.vocab import iri


@pytest.fixture
def pipeline(store: Store) -> Store:
    for event in [*pipeline_events(), *sweep_events(12)]:
        store.add(event_to_quads(event))
    return store


@pytest.mark.parametrize("printed, expected", [
    (f"sha256-{R[:12]}", ("data", f"sha256-{R}")),      # the short form `who` prints
    (f"sha256:{C}", ("data", f"sha256-{C}")),           # the digest form of `digests`
    ("features.parquet", ("data", f"sha256-{F}")),      # the label `impact` prints
    ("featurize", ("run", "feat-1")),                   # a step name one run has
    ("deplo", ("run", "deploy-1")),                     # a unique prefix of a run id
], ids=["sha256-short", "sha256-colon", "label", "step", "run-prefix"])
def test_printed_identifiers_resolve(pipeline: Store, printed: str, expected: tuple[str, str]) -> None:
    assert resolve(pipeline, printed) == iri(*expected)


@pytest.mark.parametrize("printed, how", [("train", "step"), ("trial-", "run prefix")])
def test_an_ambiguous_one_lists_the_candidates(pipeline: Store, printed: str, how: str) -> None:
    with pytest.raises(QueryError, match=rf"ambiguous \(1[23] {how} matches\).*trial-0"):
        resolve(pipeline, printed)
