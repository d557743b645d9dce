"""Event validation: valid events pass unchanged; every invalid one is rejected naming its field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from provgraph import InvalidEvent
from provgraph import events as ev

SHA = "ab" * 32


def start_event(**extra: object) -> dict:
    event = {
        "schema": "provgraph.event/1", "id": "e1", "type": "run.start", "time": "2026-01-02T03:04:05Z",
        "run": {"id": "r1", "step": "train", "kind": "training"},
    }
    event.update(extra)
    return event


def test_published_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(ev.schema())


def test_valid_event_passes_unchanged() -> None:
    event = start_event(used=[{"location": "data/a.csv", "sha256": SHA, "size": 3, "kind": "dataset"}],
                        params={"lr": 0.1, "layers": 3, "opt": "adam", "nesterov": True, "clip": None},
                        agents=[{"id": "alice", "kind": "person", "on_behalf_of": "acme"},
                                {"id": "acme", "kind": "organization"}])
    before = copy.deepcopy(event)
    assert ev.validate(event) == before


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"colour": "red"}, "(event)", "unknown field"),
        ({"type": "run.paused"}, "type", "run.paused"),
        ({"time": "2026-01-02 03:04:05"}, "time", "does not match"),
        ({"time": "2026-01-02T03:04:05"}, "time", "does not match"),  # no time zone
        ({"run": {"id": "r1", "step": "train"}}, "run", "'kind' is required"),
        ({"run": {"id": "bad id!", "step": "s", "kind": "training"}}, "run.id", "does not match"),
        ({"used": [{"location": "a", "sha256": "XYZ"}]}, "used[0].sha256", "does not match"),
        ({"used": [{"sha256": SHA}]}, "used[0]", "'location' is required"),
        ({"used": [{"location": "a", "size": -1}]}, "used[0].size", "less than the minimum"),
        ({"used": [{"location": "a", "kind": "spreadsheet"}]}, "used[0].kind", "spreadsheet"),
        ({"params": {"lr": [1, 2]}}, "params.lr", "not of type"),
        ({"params": {"lr": float("nan")}}, "params.lr", "not a finite number"),
        ({"metrics": {"acc": "high"}}, "metrics.acc", ""),
        ({"agents": [{"id": "a", "kind": "robot"}]}, "agents[0].kind", "robot"),
        ({"agents": [{"id": "a", "kind": "person", "on_behalf_of": "a"}]}, "agents[0].on_behalf_of", "itself"),
        ({"labels": ["ok", "not ok"]}, "labels[1]", "does not match"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_invalid_event_names_the_field(change: dict, field: str, words: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ev.validate(start_event(**change))
    assert caught.value.field == field
    assert words in str(caught.value)


def test_failed_run_must_say_its_error() -> None:
    event = start_event(type="run.end", run={"id": "r1", "status": "failed"})
    with pytest.raises(InvalidEvent, match=r"run\.error"):
        ev.validate(event)


def test_loads_rejects_bad_json_and_non_standard_constants() -> None:
    with pytest.raises(InvalidEvent, match="not valid JSON"):
        ev.loads('{"schema": ')
    with pytest.raises(InvalidEvent, match="NaN is not valid JSON"):
        ev.loads('{"x": NaN}')
    with pytest.raises(InvalidEvent, match="limit"):
        ev.loads(b"{" + b" " * ev.MAX_EVENT_BYTES + b"}")


def test_new_event_fills_id_time_and_drops_empty_fields() -> None:
    event = ev.new_event("run.start", run={"id": "r", "step": "s", "kind": "other"}, used=[], params={})
    assert set(event) == {"schema", "id", "type", "time", "run"}
    assert ev.parse_time(event["time"]).tzinfo is not None
    ev.validate(event)


def test_the_schema_enums_are_the_vocabulary_tables() -> None:
    """Kinds are defined once, in vocab (each with its class); the published schema and the server's token
    table must list exactly those."""
    from provgraph import vocab
    from provgraph.server.config import AGENT_KINDS

    schema = json.loads((Path(ev.__file__).parent / "schemas" / "event-1.schema.json").read_text())
    defs = schema["$defs"]
    assert defs["run"]["properties"]["kind"]["enum"] == list(vocab.RUN_CLASSES)
    assert defs["artifact"]["properties"]["kind"]["enum"] == list(vocab.ARTIFACT_KINDS)
    assert defs["agent"]["properties"]["kind"]["enum"] == list(vocab.AGENT_CLASSES) == list(AGENT_KINDS)
    assert set(vocab.ARTIFACT_KINDS) - set(vocab.ARTIFACT_CLASSES) == {"other"}  # "other" is a plain entity
