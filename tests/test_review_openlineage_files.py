"""Review of hostile OpenLineage files: JSON Lines whose strings hold raw line separators (U+2028, U+0085,
as Jackson-based producers write them; Python's json.dumps with ensure_ascii=False writes the same bytes),
and JSON nested too deep, get a recorded run or a one-line error, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provgraph.cli import main
from provgraph.project import Project

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/spark"
RUN_ID = "0191a000-0000-7000-8000-000000000001"
STEP = "load\u2028orders\u0085daily"


def _event(state: str, time: str) -> dict[str, object]:
    return {"eventType": state, "eventTime": time, "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": RUN_ID}, "job": {"namespace": "spark", "name": STEP},
            "outputs": [{"namespace": "s3://lake", "name": "orders\u2029daily"}]}


def test_json_lines_with_raw_unicode_line_separators_import(project: Project, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(_event(state, time), ensure_ascii=False) + "\n" for state, time in
                              (("START", "2026-06-01T10:00:00Z"), ("COMPLETE", "2026-06-01T10:05:00Z"))),
                      encoding="utf-8")
    assert "\u2028" in events.read_text(encoding="utf-8")  # raw, not escaped
    assert main(["-C", str(project.root), "import-runs", "--from", "openlineage", str(events)]) == 0
    assert "2 OpenLineage events" in capsys.readouterr().out
    rows = project.synced_store().query(
        "SELECT ?step WHERE { ?run <https://w3id.org/provgraph/provml#stepName> ?step }")
    # U+0085 (NEL) is a control character, which a name holds as a space; U+2028 stays as it was
    assert [row["step"].value for row in rows] == [f"spark/{STEP}".replace("\u0085", " ")]


def test_json_nested_too_deep_is_one_line_of_error(project: Project, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "deep.jsonl"
    events.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    before = project.journal.path.read_bytes() if project.journal.path.exists() else b""
    assert main(["-C", str(project.root), "import-runs", "--from", "openlineage", str(events)]) != 0
    error = capsys.readouterr().err.strip()
    assert error == f"provgraph: error: {events}, line 1: not valid JSON: nested more than 64 levels deep"
    assert (project.journal.path.read_bytes() if project.journal.path.exists() else b"") == before
