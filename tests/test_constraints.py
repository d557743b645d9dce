"""PROV-CONSTRAINTS validator on small hand-written documents, one per constraint family.

Each expected verdict and constraint name is worked out by hand from the Recommendation.
"""

from __future__ import annotations

import prov.model as pm
import pytest

from provgraph.validate import check_document


def _doc(body: str) -> pm.ProvDocument:
    text = f"document\nprefix ex <http://example.org/>\n{body}\nendDocument\n"
    return pm.ProvDocument.deserialize(content=text, format="provn")


def _constraints(body: str) -> list[str]:
    return sorted({v.constraint for v in check_document(_doc(body)).violations})


VALID = {
    "chain": """
        entity(ex:data) activity(ex:train, 2024-01-01T10:00:00, 2024-01-01T11:00:00) entity(ex:model)
        used(ex:u; ex:train, ex:data, -) wasGeneratedBy(ex:g; ex:model, ex:train, -)
        wasDerivedFrom(ex:model, ex:data, ex:train, ex:g, ex:u)
        agent(ex:alice) wasAssociatedWith(ex:train, ex:alice, -) wasAttributedTo(ex:model, ex:alice)""",
    "activity-times-match-events": """
        activity(ex:a, 2024-01-01T10:00:00, -) wasStartedBy(ex:s; ex:a, -, -, 2024-01-01T10:00:00)""",
    "agent-may-be-entity": "entity(ex:x) agent(ex:x)",
    "derivation-id-may-name-an-entity": "entity(ex:d) entity(ex:a) entity(ex:b) wasDerivedFrom(ex:d; ex:b, ex:a)",
    "same-generation-twice-without-id": """
        entity(ex:e) activity(ex:a) wasGeneratedBy(ex:e, ex:a, -) wasGeneratedBy(ex:g; ex:e, ex:a, -)""",
    "specialization-chain": """
        entity(ex:a) entity(ex:b) entity(ex:c) specializationOf(ex:a, ex:b) specializationOf(ex:b, ex:c)""",
    # Constraints 24-27 unify the events of one (entity, activity) or (activity, starter) pair only.
    "generated-by-two-activities": """
        entity(ex:e) activity(ex:a) activity(ex:b) wasGeneratedBy(ex:e, ex:a, -) wasGeneratedBy(ex:e, ex:b, -)""",
    "started-by-two-triggers-unknown-starters": """
        activity(ex:a) entity(ex:t1) entity(ex:t2) wasStartedBy(ex:a, ex:t1, -, -) wasStartedBy(ex:a, ex:t2, -, -)""",
    "non-strict-cycle": """
        activity(ex:a1) activity(ex:a2) wasInformedBy(ex:a1, ex:a2) wasInformedBy(ex:a2, ex:a1)""",
}

INVALID = {
    "entity-and-activity": ("entity(ex:x) activity(ex:x)", ["Constraint 55 (entity-activity-disjoint)"]),
    "typed-by-relations": ("used(ex:a, ex:x, -) wasInformedBy(ex:x, ex:b)",
                           ["Constraint 55 (entity-activity-disjoint)"]),
    "specialization-of-itself": ("entity(ex:e) specializationOf(ex:e, ex:e)",
                                 ["Constraint 52 (impossible-specialization-reflexive)"]),
    "specialization-loop": ("specializationOf(ex:a, ex:b) specializationOf(ex:b, ex:c) specializationOf(ex:c, ex:a)",
                            ["Constraint 52 (impossible-specialization-reflexive)"]),
    "derivation-loop": ("entity(ex:a) entity(ex:b) wasDerivedFrom(ex:a, ex:b) wasDerivedFrom(ex:b, ex:a)",
                        ["Constraint 42 (derivation-generation-generation-ordering)"]),
    "derived-from-itself": ("entity(ex:a) wasDerivedFrom(ex:a, ex:a)",
                            ["Constraint 42 (derivation-generation-generation-ordering)"]),
    "derivation-against-attribution-order": (
        # b derived from a (gen a < gen b), but a attributed to agent b (gen b <= gen a)
        "entity(ex:a) entity(ex:b) agent(ex:b) wasDerivedFrom(ex:b, ex:a) wasAttributedTo(ex:a, ex:b)",
        ["Constraint 42 (derivation-generation-generation-ordering)"]),
    "two-ids-one-relation-kind-each": ("activity(ex:a) entity(ex:e) used(ex:r; ex:a, ex:e, -) "
                                       "wasGeneratedBy(ex:r; ex:e, ex:a, -)",
                                       ["Constraint 23 (key-properties)",
                                        "Constraint 53 (impossible-property-overlap)"]),
    "element-id-is-relation-id": ("entity(ex:e) activity(ex:a) used(ex:e; ex:a, ex:e, -)",
                                  ["Constraint 54 (impossible-object-property-overlap)"]),
    "empty-collection-member": ("entity(ex:c, [prov:type='prov:EmptyCollection']) entity(ex:m) hadMember(ex:c, ex:m)",
                                ["Constraint 56 (membership-empty-collection)"]),
    "empty-collection-under-another-prefix": (
        "prefix p <http://www.w3.org/ns/prov#> entity(ex:c, [prov:type='p:EmptyCollection']) hadMember(ex:c, ex:m)",
        ["Constraint 56 (membership-empty-collection)"]),
    "derivation-generation-without-activity": ("entity(ex:a) entity(ex:b) wasDerivedFrom(ex:b, ex:a, -, ex:g, -)",
                                               ["Constraint 51 (impossible-unspecified-derivation-generation-use)"]),
    "activity-start-time-conflict": ("activity(ex:a, 2024-01-01T10:00:00, -) "
                                     "wasStartedBy(ex:s; ex:a, -, -, 2024-01-01T09:00:00)",
                                     ["Constraint 28 (unique-startTime)"]),
    "two-generations-by-one-activity": ("entity(ex:e) activity(ex:a) wasGeneratedBy(ex:g1; ex:e, ex:a, -) "
                                        "wasGeneratedBy(ex:g2; ex:e, ex:a, -)", ["Constraint 24 (unique-generation)"]),
    "two-starts-by-one-starter-at-two-times": (
        "activity(ex:a) activity(ex:b) wasStartedBy(ex:a, -, ex:b, 2024-01-01T10:00:00) "
        "wasStartedBy(ex:a, -, ex:b, 2024-01-01T11:00:00)",
        ["Constraint 26 (unique-wasStartedBy)", "Constraint 28 (unique-startTime)"]),
    "derivation-generation-elsewhere": (
        # Inference 11: ex:g is the generation of ex:b by ex:act; it is declared as generating ex:c.
        "entity(ex:a) entity(ex:b) entity(ex:c) activity(ex:act) wasGeneratedBy(ex:g; ex:c, ex:act, -) "
        "wasDerivedFrom(ex:b, ex:a, ex:act, ex:g, ex:u)", ["Constraint 23 (key-properties)"]),
    "influence-disagrees-with-usage": (
        # Inference 15: used(ex:r; a, e) is wasInfluencedBy(ex:r; a, e).
        "activity(ex:a) entity(ex:e) entity(ex:f) used(ex:r; ex:a, ex:e, -) wasInfluencedBy(ex:r; ex:a, ex:f)",
        ["Constraint 23 (key-properties)"]),
    "malformed-attribution": ("entity(ex:e) wasAttributedTo(ex:e, -)", ["PROV-DM well-formedness"]),
}


@pytest.mark.parametrize("body", VALID.values(), ids=VALID.keys())
def test_valid_documents(body: str) -> None:
    report = check_document(_doc(body))
    assert report.ok, report.text()


@pytest.mark.parametrize(("body", "expected"), INVALID.values(), ids=INVALID.keys())
def test_invalid_documents_name_the_constraint(body: str, expected: list[str]) -> None:
    assert _constraints(body) == expected


def test_strict_cycle_explains_each_step() -> None:
    [violation] = check_document(_doc("entity(ex:a) entity(ex:b) wasDerivedFrom(ex:a, ex:b) "
                                      "wasDerivedFrom(ex:b, ex:a)")).violations
    assert "generation(ex:b) < generation(ex:a)" in violation.message
    assert "generation(ex:a) < generation(ex:b)" in violation.message
    assert set(violation.records) == {"wasDerivedFrom(ex:a, ex:b, -, -, -)", "wasDerivedFrom(ex:b, ex:a, -, -, -)"}


def test_conflicts_through_inferences_say_so() -> None:
    [violation] = check_document(_doc(INVALID["derivation-generation-elsewhere"][0])).violations
    assert "Inference 11 (derivation-generation-use-inference)" in violation.message
    assert violation.records == ("wasGeneratedBy(ex:g; ex:c, ex:act, -)",
                                 "wasDerivedFrom(ex:b, ex:a, ex:act, ex:g, ex:u)")


def test_bundles_are_validated_separately() -> None:
    doc = _doc("entity(ex:x)\nbundle ex:b1\n activity(ex:x)\nendBundle\n"
               "bundle ex:b2\n entity(ex:x) activity(ex:x)\nendBundle")
    report = check_document(doc)
    assert [(v.constraint, v.bundle) for v in report.violations] == [
        ("Constraint 55 (entity-activity-disjoint)", "ex:b2")]


def test_flatten_finds_conflicts_between_bundles() -> None:
    doc = _doc("bundle ex:run1\n entity(ex:a) entity(ex:b) wasDerivedFrom(ex:b, ex:a)\nendBundle\n"
               "bundle ex:run2\n entity(ex:a) entity(ex:b) wasDerivedFrom(ex:a, ex:b)\nendBundle")
    assert check_document(doc).ok
    [violation] = check_document(doc, flatten=True).violations
    assert violation.constraint == "Constraint 42 (derivation-generation-generation-ordering)"
    assert violation.bundle is None


def test_attributes_of_unified_records_are_merged_without_conflict() -> None:
    report = check_document(_doc("entity(ex:e, [ex:size=1]) entity(ex:e, [ex:size=2])"))
    assert report.ok
    assert report.stats["merges"] == 1


def test_report_dict_is_json_ready() -> None:
    report = check_document(_doc("entity(ex:x) activity(ex:x)"))
    data = report.to_dict()
    assert data["ok"] is False
    assert data["violations"][0]["constraint"] == "Constraint 55 (entity-activity-disjoint)"
    assert data["violations"][0]["records"] == ["entity(ex:x)", "activity(ex:x, -, -)"]
