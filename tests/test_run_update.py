"""run.update events: what a run saw while under way (or after it ended) joins its bundle without touching
its start, end or status; derivations that name their transformations become qualified derivations."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from provgraph import events as ev
from provgraph.errors import InvalidEvent
from provgraph.export.document import prov_document
from provgraph.mapping import event_to_quads
from provgraph.project import Project
from provgraph.query.runinfo import describe_run
from provgraph.validate import check_document
from provgraph.validate.shapes import check_shapes

PROV = "http://www.w3.org/ns/prov#"
PROVML = "https://w3id.org/provgraph/provml#"


def _update(time: str, **fields: object) -> ev.Event:
    return ev.new_event("run.update", time, run={"id": "etl-1", "step": "etl"}, **fields)


@pytest.mark.parametrize(("run", "field"), [
    ({"id": "etl-1", "status": "completed"}, "run.status"),
    ({"id": "etl-1", "error": {"type": "ValueError"}}, "run.error"),
], ids=["status", "error"])
def test_an_update_cannot_end_or_fail_a_run(run: dict, field: str) -> None:
    with pytest.raises(InvalidEvent, match=r"not allowed in a run\.update event") as caught:
        ev.validate(ev.new_event("run.update", run=run))
    assert caught.value.field == field


def test_an_update_names_its_run() -> None:
    with pytest.raises(InvalidEvent, match="'run' is required"):
        ev.validate(ev.new_event("run.update"))


def test_updates_before_the_start_and_after_the_end_keep_times_and_status(project: Project) -> None:
    early = _update("2026-01-01T10:00:30Z", generated=[{"location": "s3://b/early.csv", "kind": "dataset"}],
                    metrics={"rows": 10})
    start = ev.new_event("run.start", "2026-01-01T10:00:00Z", run={"id": "etl-1", "step": "etl", "kind": "cleaning"},
                         used=[{"location": "s3://b/raw.csv", "kind": "dataset", "sha256": "a" * 64}])
    end = ev.new_event("run.end", "2026-01-01T10:05:00Z", run={"id": "etl-1", "status": "failed",
                                                                "error": {"type": "OOM"}})
    late = _update("2026-01-01T10:06:00Z", generated=[{"location": "s3://b/late.csv", "kind": "dataset"}],
                   annotations={"rowCount": 42})
    project.record_many([early, start, end, late])  # as they arrived: the first update before its start
    info = describe_run(project.synced_store(), "etl-1")
    assert (info["status"], info["started"], info["ended"], info["kind"]) == (
        "failed", "2026-01-01T10:00:00Z", "2026-01-01T10:05:00Z", "Cleaning")
    assert sorted(a["location"] for a in info["generated"]) == ["s3://b/early.csv", "s3://b/late.csv"]
    assert info["metrics"]["rows"] == 10 and info["annotations"]["rowCount"] == 42
    assert check_document(prov_document(project.synced_store())).violations == []


def test_a_run_known_only_from_an_update_shows_no_start(project: Project) -> None:
    project.record(_update("2026-01-01T10:00:30Z", generated=[{"location": "s3://b/x.csv"}]))
    info = describe_run(project.synced_store(), "etl-1")
    assert (info["status"], info["started"], info["ended"]) == ("running", None, None)
    assert [a["location"] for a in info["generated"]] == ["s3://b/x.csv"]
    assert check_document(prov_document(project.synced_store())).violations == []


def _column_event(*derived_from: object) -> ev.Event:
    return ev.validate(ev.new_event(
        "run.end", "2026-01-01T10:00:00Z", run={"id": "mask-1", "status": "completed"},
        used=[{"location": "t#email", "sha256": "b" * 64}, {"location": "t#status", "sha256": "c" * 64}],
        generated=[{"location": "u#email_hash", "sha256": "d" * 64, "derived_from": list(derived_from)}]))


def test_a_derivation_with_transformations_is_qualified_once_per_transformation() -> None:
    masked = {"type": "DIRECT", "subtype": "TRANSFORMATION", "description": "sha2(email)", "masking": True}
    event = _column_event({"source": "t#email", "transformations": [masked, {"type": "INDIRECT", "subtype": "SORT"}]},
                          "t#status")
    quads = event_to_quads(event)
    assert event_to_quads(event) == quads  # same event, same quads
    derived, email, status = (NamedNode(f"https://w3id.org/provgraph/id/data/sha256-{c * 64}") for c in "dbc")
    plain = {q.object for q in quads if q.subject == derived and q.predicate.value == PROV + "wasDerivedFrom"}
    assert plain == {email, status}
    qualified = {q.object for q in quads if q.subject == derived and q.predicate.value == PROV + "qualifiedDerivation"}
    said = {(next(q.object for q in quads if q.subject == node and q.predicate.value == PROV + "entity"),
             frozenset((q.predicate.value.removeprefix(PROVML), q.object) for q in quads
                       if q.subject == node and q.predicate.value.startswith(PROVML)))
            for node in qualified}
    true = Literal("true", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    assert said == {
        (email, frozenset({("transformationType", Literal("DIRECT")),
                           ("transformationSubtype", Literal("TRANSFORMATION")),
                           ("transformationDescription", Literal("sha2(email)")), ("masking", true)})),
        (email, frozenset({("transformationType", Literal("INDIRECT")), ("transformationSubtype", Literal("SORT"))})),
    }


@pytest.mark.parametrize(("derivation", "field"), [
    ({"source": "t#email", "transformations": []}, "generated[0].derived_from[0].transformations"),
    ({"source": "t#email", "transformations": [{"subtype": "IDENTITY"}]},
     "generated[0].derived_from[0].transformations[0]"),
    ({"source": "t#email"}, "generated[0].derived_from[0]"),
], ids=["no-transformation", "no-type", "no-transformations-field"])
def test_a_derivation_object_names_how(derivation: dict, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        _column_event(derivation)
    assert caught.value.field == field


def test_the_transformation_shape_holds_for_mapped_events_and_catches_two_types(project: Project) -> None:
    project.record(_column_event({"source": "t#email", "transformations": [{"type": "DIRECT", "masking": True}]}))
    store = project.synced_store()
    assert check_shapes(store).ok
    [row] = store.query(f"SELECT ?how WHERE {{ GRAPH ?g {{ ?d <{PROV}qualifiedDerivation> ?how }} }}").rows
    how = row["how"]
    graph = NamedNode("https://w3id.org/provgraph/id/graph/hand-made")
    store.add([Quad(how, NamedNode(PROVML + "transformationType"), Literal("INDIRECT"), graph),
                       Quad(how, NamedNode(PROVML + "masking"), Literal("yes"), graph)])
    assert sorted((v.constraint, v.records) for v in check_shapes(store).violations) == [
        ("shapes:TransformationShape / masking", (how.value,)),  # two values
        ("shapes:TransformationShape / masking", (how.value, "yes")),  # not a boolean
        ("shapes:TransformationShape / type", (how.value,)),  # two types
    ]
