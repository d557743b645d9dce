"""A journal written before events were admitted by their mapping may hold entries no store can apply.
The store skips each with a warning naming it, stays usable, and ``verify`` and ``stats`` report it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from hostile import BAD_IRIS, document, invalidation, run_event

from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.journal import Journal
from provgraph.project import Project

POISON = [invalidation({"target": BAD_IRIS[0]}), invalidation({"target": "data/x", "target_iri": BAD_IRIS[2]}),
          document("turtle", "<<< not turtle")]


@pytest.fixture
def poisoned(tmp_path: Path) -> Path:
    """A project whose journal (written straight to the file, as an old provgraph did) holds three poison
    entries between good ones."""
    Project.init(tmp_path)
    good = [run_event(id=f"good-{i}", run={"id": f"run-{i}", "step": "s", "kind": "other"}) for i in range(3)]
    Journal(tmp_path / ".provgraph" / "journal.jsonl").append_many(
        [good[0], POISON[0], good[1], POISON[1], POISON[2], good[2]])
    return tmp_path


def test_the_store_skips_entries_it_cannot_apply_and_stays_usable(poisoned: Path, caplog: pytest.LogCaptureFixture,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with caplog.at_level(logging.WARNING, logger="provgraph"), Project(poisoned) as project:
        runs = project.synced_store().query("SELECT ?id WHERE { ?r <https://w3id.org/provgraph/provml#runId> ?id }")
        assert sorted(row["id"].value for row in runs.rows) == ["run-0", "run-1", "run-2"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split(" (event")[0] for w in warnings] == ["journal entry 1", "journal entry 3", "journal entry 4"]
    assert "hostile-inv" in warnings[0] and "cannot be applied" in warnings[0]
    capsys.readouterr()
    assert main(["-C", str(poisoned), "verify"]) == 1
    out = capsys.readouterr().out
    assert "journal OK: 6 entries" in out and out.count("could not be applied to the store") == 3
    assert main(["-C", str(poisoned), "stats", "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert [s["seq"] for s in stats["unapplied_entries"]] == [1, 3, 4]
    assert main(["-C", str(poisoned), "rebuild"]) == 0  # a rebuild skips them too, and says so again
    assert main(["-C", str(poisoned), "runs", "--format", "json"]) == 0


@pytest.mark.parametrize("poison", POISON, ids=["target", "target-iri", "document"])
def test_recording_refuses_an_event_that_does_not_map(poisoned: Path, poison: dict) -> None:
    before = (poisoned / ".provgraph" / "journal.jsonl").read_bytes()
    with Project(poisoned) as project, pytest.raises(InvalidEvent, match="cannot be mapped"):
        project.record_many([run_event(id="fine"), poison])
    assert (poisoned / ".provgraph" / "journal.jsonl").read_bytes() == before


def test_a_long_catch_up_is_one_streamed_bulk_load_with_the_same_result(poisoned: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import provgraph.project as project_module

    copy = tmp_path / "copy"
    shutil.copytree(poisoned, copy)
    with Project(poisoned) as batched:
        expected = sorted(batched.synced_store().dump().splitlines())
    monkeypatch.setattr(project_module, "STREAM_BYTES", 0)  # every catch-up counts as long
    steps: list[int] = []
    with Project(copy) as streamed:
        assert streamed.sync(progress=steps.append) == 6 and sum(steps) == 6
        assert sorted(streamed.store.dump().splitlines()) == expected
        assert streamed.pending() == 0
        assert [s["seq"] for s in streamed.verify().unapplied] == [1, 3, 4]
