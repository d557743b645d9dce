"""OpenLineage import: accept/reject agreement with the upstream test material, and the mapping to runs.

Expectations come from the upstream files' names and tests: OpenLineage's fluentd proxy test
(proxy/fluentd/test/plugin/test_parser_openlineage.rb: event_full and event_simple parse; no runId,
invalid run/job/dataset/output facets fail; the invalid input-dataset facet fails only when input facet
validation is switched on, which is off by default), the Python client's serde examples (valid run,
dataset and job events; a NominalTimeRunFacet without an end), and the spec's facet examples
(spec/tests/<Facet>/*.json, each valid against spec/facets/<Facet>.json).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import TESTDATA
from pyoxigraph import Literal

from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.export.document import prov_document
from provgraph.importers.openlineage import (
    OpenLineageSpec,
    events_from_openlineage,
    events_from_openlineage_payload,
)
from provgraph.importers.openlineage_spec import event_kind
from provgraph.project import Project
from provgraph.validate import check_document

OL = TESTDATA / "openlineage"
SPEC = OpenLineageSpec(OL / "spec")
STRICT = OpenLineageSpec(OL / "spec", check_input_facets=True)

#: file -> (accepted?, for a rejection: the field named and a text in the message)
EVENTS: dict[str, tuple[bool, str, str]] = {
    "fluentd-events/event_full.json": (True, "", ""),
    "fluentd-events/event_simple.json": (True, "", ""),
    "fluentd-events/event_no_run_id.json": (False, "run", "'runId' is a required property"),
    "fluentd-events/event_invalid_run_facet.json": (False, "run.facets.parent.run", "'runId' is a required property"),
    "fluentd-events/event_invalid_job_facet.json": (False, "job.facets.ownership.owners[0]",
                                                    "'name' is a required property"),
    "fluentd-events/event_invalid_dataset_facet.json": (False, "outputs[0].facets.ownership.owners[0]",
                                                        "'name' is a required property"),
    "fluentd-events/event_invalid_output_dataset_facet.json": (
        False, "outputs[0].outputFacets.outputStatistics.rowCount", "OutputStatisticsOutputDatasetFacet"),
    "fluentd-events/event_invalid_input_dataset_facet.json": (True, "", ""),  # input facets unchecked by default
    "python-client-tests/example_full_event.json": (True, "", ""),
    "python-client-tests/serde_example_run_event.json": (True, "", ""),
    "python-client-tests/serde_example_dataset_event.json": (True, "", ""),
    "python-client-tests/serde_example_job_event.json": (True, "", ""),
    "spec/tests/example_full_event.json": (True, "", ""),
}
FACET_EXAMPLES = sorted((OL / "spec" / "tests").glob("*/*.json"))


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OL / name).read_text())
    return loaded


def test_the_table_covers_every_event_file() -> None:
    files = {p.relative_to(OL).as_posix() for p in (OL / "fluentd-events").glob("*.json")}
    files |= {p.relative_to(OL).as_posix() for p in (OL / "python-client-tests").glob("*.json")}
    files.add("spec/tests/example_full_event.json")
    assert files - set(EVENTS) == {"python-client-tests/nominal_time_without_end.json"}  # a facet, tested below
    assert len(FACET_EXAMPLES) == 46


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_events_accepted_or_rejected_as_upstream(name: str) -> None:
    accepted, field, text = EVENTS[name]
    if accepted and event_kind(_load(name)) == "RunEvent":
        events_from_openlineage(_load(name), spec=SPEC)
        return
    if accepted:  # valid, but a DatasetEvent or JobEvent records no run: refused, not silently dropped
        with pytest.raises(InvalidEvent, match="describes no run"):
            events_from_openlineage(_load(name), spec=SPEC)
        return
    with pytest.raises(InvalidEvent) as caught:
        events_from_openlineage(_load(name), spec=SPEC)
    assert caught.value.field == field
    assert text in str(caught.value)


def test_input_facets_are_checked_on_request() -> None:
    event = _load("fluentd-events/event_invalid_input_dataset_facet.json")
    with pytest.raises(InvalidEvent, match="DataQualityMetricsInputDatasetFacet") as caught:
        events_from_openlineage(event, spec=STRICT)
    assert caught.value.field.startswith("inputs[0].inputFacets.dataQualityMetrics")


@pytest.mark.parametrize("example", FACET_EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_spec_facet_examples_are_valid(example: Path) -> None:
    SPEC.validate_facets(example.parent.name, json.loads(example.read_text()))


def test_nominal_time_facet_without_end_is_valid() -> None:
    facet = _load("python-client-tests/nominal_time_without_end.json")
    SPEC.validate_facets("NominalTimeRunFacet", {"nominalTime": facet})
    with pytest.raises(InvalidEvent, match="'nominalStartTime' is a required property"):
        SPEC.validate_facets("NominalTimeRunFacet", {"nominalTime": {k: v for k, v in facet.items()
                                                                     if k != "nominalStartTime"}})


def test_agreement_counts() -> None:
    agree = 0
    for name, (accepted, _, _) in EVENTS.items():
        try:
            events_from_openlineage(_load(name), spec=SPEC)
            agree += accepted
        except InvalidEvent as error:  # a valid DatasetEvent or JobEvent is refused as describing no run
            agree += not accepted or "describes no run" in str(error)
    assert (agree, len(EVENTS)) == (13, 13)


def test_complete_event_maps_to_a_finished_run() -> None:
    source = _load("fluentd-events/event_full.json")
    (event,) = events_from_openlineage(source, spec=SPEC)
    assert event["type"] == "run.end" and event["time"] == source["eventTime"]
    assert event["run"] == {"id": source["run"]["runId"], "step": "my-scheduler-namespace/myjob.mytask",
                            "kind": "other", "status": "completed",
                            "parent": source["run"]["facets"]["parent"]["run"]["runId"]}
    uri = "my-datasource-namespace:instance.schema.table"
    assert [(a["location"], a["name"]) for a in event["used"]] == [(uri, uri)]
    assert event["generated"][0]["size"] == source["outputs"][0]["outputFacets"]["outputStatistics"]["size"]
    assert event["annotations"]["openlineage.sql"] == source["job"]["facets"]["sql"]["query"]
    assert event["annotations"]["openlineage.nominalStartTime"] == "2020-12-17T03:00:00.001Z"
    assert event["agents"][0]["name"] == source["producer"]


def _variant(event_type: str, **run_facets: Any) -> dict[str, Any]:
    event = copy.deepcopy(_load("fluentd-events/event_simple.json"))
    event["eventType"] = event_type
    if run_facets:
        event["run"]["facets"] = run_facets
    return event


BASE = {"_producer": "https://example.org/producer", "_schemaURL": "https://example.org/schema"}


def test_fail_abort_start_running() -> None:
    error = {**BASE, "message": "Table or view not found", "programmingLanguage": "JAVA", "stackTrace": "at x.y()"}
    (failed,) = events_from_openlineage(_variant("FAIL", errorMessage=error), spec=SPEC)
    assert failed["run"]["status"] == "failed"
    assert failed["run"]["error"] == {"type": "JAVA error", "message": "Table or view not found\n\nat x.y()"}
    (aborted,) = events_from_openlineage(_variant("ABORT"), spec=SPEC)
    assert aborted["run"]["status"] == "aborted"
    (started,) = events_from_openlineage(_variant("START"), spec=SPEC)
    assert started["type"] == "run.start" and "status" not in started["run"]
    (running,) = events_from_openlineage(_variant("RUNNING"), spec=SPEC)
    source = _variant("RUNNING")
    # an update: no status, no kind (its START states it), the job as the step, what it saw
    assert running["type"] == "run.update" and running["run"] == {
        "id": source["run"]["runId"], "step": f"{source['job']['namespace']}/{source['job']['name']}"}
    (other,) = events_from_openlineage(_variant("OTHER"), spec=SPEC)  # additional metadata for the run: the same
    assert other["type"] == "run.update" and other["run"] == running["run"]


def test_facets_to_agents_labels_code_params_and_versions() -> None:
    event = _variant("COMPLETE", tags={**BASE, "tags": [{"key": "team", "value": "ml ops", "source": "USER"}]},
                     processing_engine={**BASE, "version": "3.5.0", "name": "spark"},
                     executionParameters={**BASE, "parameters": [{"key": "lr", "value": "0.1"}]})
    event["job"]["facets"] = {
        "ownership": {**BASE, "owners": [{"name": "user:jdoe", "type": "MAINTAINER"}, {"name": "team:data"}]},
        "sourceCodeLocation": {**BASE, "type": "git", "url": "https://github.com/o/r/blob/main/dag.py",
                               "repoUrl": "https://github.com/o/r.git", "version": "a" * 40, "branch": "main"},
        "jobType": {**BASE, "processingType": "BATCH", "integration": "AIRFLOW", "jobType": "DAG"},
    }
    event["outputs"][0]["facets"] = {"version": {**BASE, "datasetVersion": "v42"}}
    (mapped,) = events_from_openlineage(event, spec=SPEC)
    assert mapped["run"]["kind"] == "pipeline"
    assert mapped["labels"] == ["team:ml_ops-" + mapped["labels"][0].rsplit("-", 1)[1]]
    assert mapped["environment"] == {"packages": {"spark": "3.5.0"}}
    assert mapped["params"] == {"lr": "0.1"}
    assert mapped["code"] == {"git": {"commit": "a" * 40, "branch": "main", "remote": "https://github.com/o/r.git"}}
    people = {(a["id"], a["kind"], a.get("role")) for a in mapped["agents"] if a["kind"] != "software"}
    assert people == {("user-jdoe", "person", "MAINTAINER"), ("team-data", "organization", None)}
    output = mapped["generated"][0]
    assert output["location"] == output["name"] == "my-datasource-namespace:instance.schema.output-1"
    assert output["digests"] == {"openlineage-version": "v42"}


def test_run_ids_are_kept_or_sanitised_deterministically() -> None:
    event = _variant("START")
    event["run"]["runId"] = "not a uuid/but allowed?"
    first = events_from_openlineage(event)[0]["run"]["id"]
    assert first == events_from_openlineage(event)[0]["run"]["id"]
    assert first.startswith("not_a_uuid_but_allowed-") and len(first) <= 128


def test_start_and_complete_recorded_as_one_run(project: Project) -> None:
    complete = _load("fluentd-events/event_simple.json")
    start = {**copy.deepcopy(complete), "eventType": "START", "eventTime": "2020-12-28T19:50:00.001+10:00"}
    project.record_many(events_from_openlineage_payload([start, complete], spec=SPEC))
    rows = list(project.synced_store().query("""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX provml: <https://w3id.org/provgraph/provml#>
        SELECT ?status ?start ?end (COUNT(DISTINCT ?in) AS ?inputs) (COUNT(DISTINCT ?out) AS ?outputs) WHERE {
          ?run provml:runId ?id ; provml:status ?status ; prov:startedAtTime ?start ; prov:endedAtTime ?end ;
               prov:used ?in . ?in a provml:Artifact . ?out prov:wasGeneratedBy ?run ; a provml:Artifact .
        } GROUP BY ?status ?start ?end""", bindings={"id": Literal(complete["run"]["runId"])}))
    assert [(r["status"].value, r["inputs"].value, r["outputs"].value) for r in rows] == [("completed", "2", "1")]


def test_payload_errors_name_the_event_and_nothing_is_returned() -> None:
    good, bad = _load("fluentd-events/event_simple.json"), _load("fluentd-events/event_no_run_id.json")
    with pytest.raises(InvalidEvent) as caught:
        events_from_openlineage_payload(json.dumps([good, bad]), spec=SPEC)
    assert caught.value.field == "[1].run"
    with pytest.raises(InvalidEvent, match="not valid JSON"):
        events_from_openlineage_payload(b"{not json", spec=SPEC)


def test_without_a_spec_the_fields_we_read_are_still_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROVGRAPH_OPENLINEAGE_SPEC", raising=False)
    monkeypatch.setattr("provgraph.importers.openlineage_spec.PACKAGED_SPEC", tmp_path / "no-spec")
    with pytest.raises(InvalidEvent) as caught:
        events_from_openlineage(_load("fluentd-events/event_no_run_id.json"))
    assert caught.value.field == "run.runId"


def test_cli_imports_a_folder_all_or_nothing(project: Project, capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    spec = str(OL / "spec")
    assert main(["import-runs", "--from", "openlineage", str(OL / "fluentd-events"), "--spec", spec]) == 1
    assert "event_invalid_dataset_facet.json" in capsys.readouterr().err
    assert not project.journal.path.exists() or project.journal.path.stat().st_size == 0
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(_load(n)) for n in ("fluentd-events/event_simple.json",
                                                               "python-client-tests/serde_example_run_event.json")))
    assert main(["import-runs", "--from", "openlineage", str(lines), "--spec", spec]) == 0
    assert "recorded 3 events, 2 runs (2 OpenLineage events)" in capsys.readouterr().out  # + the implied start
    folder = tmp_path / "client"
    folder.mkdir()
    for name in ("serde_example_run_event.json", "serde_example_dataset_event.json", "serde_example_job_event.json"):
        (folder / name).write_text((OL / "python-client-tests" / name).read_text())
    assert main(["import-runs", "--from", "openlineage", str(folder), "--spec", spec, "--dry-run"]) == 1
    assert "serde_example_dataset_event.json: a DatasetEvent describes no run" in capsys.readouterr().err


def test_imported_graph_satisfies_prov_constraints(project: Project) -> None:
    complete = _load("fluentd-events/event_full.json")
    start = {**copy.deepcopy(complete), "eventType": "START", "eventTime": "2020-12-28T19:50:00Z"}
    project.record_many(events_from_openlineage_payload([start, complete], spec=SPEC))
    assert check_document(prov_document(project.synced_store())).violations == []


def test_cli_checks_input_facets_on_request(project: Project, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    event = str(OL / "fluentd-events" / "event_invalid_input_dataset_facet.json")
    spec = str(OL / "spec")
    assert main(["import-runs", "--from", "openlineage", event, "--spec", spec, "--dry-run"]) == 0
    assert main(["import-runs", "--from", "openlineage", event, "--spec", spec, "--check-input-facets"]) == 1
    assert "DataQualityMetricsInputDatasetFacet" in capsys.readouterr().err
    monkeypatch.delenv("PROVGRAPH_OPENLINEAGE_SPEC", raising=False)
    monkeypatch.setattr("provgraph.importers.openlineage_spec.PACKAGED_SPEC", tmp_path / "no-spec")
    assert main(["import-runs", "--from", "openlineage", event, "--check-input-facets"]) == 1
    assert "needs the OpenLineage spec" in capsys.readouterr().err
