"""Runs written by the real neptune 1.x client in offline mode import as runs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import neptune
import pytest

from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.importers.neptune import events_from_neptune
from provgraph.project import Project

LOSSES = [0.9, 0.5, 0.25]


def write_offline_run(folder: Path, fail: bool = False) -> str:
    """A run written by neptune's own client into ./.neptune (``folder`` is the working directory);
    returns its container id, as the client wrote it in metadata.json."""
    assert Path.cwd() == folder
    (folder / "train.py").write_text("print('train')\n")
    (folder / "train.csv").write_text("x,y\n1,2\n")
    (folder / "model.pkl").write_bytes(b"fitted model")
    run = neptune.init_run(mode="offline", project="team/taxi", name="trainer", tags=["baseline", "cpu"],
                           source_files=[str(folder / "train.py")], capture_hardware_metrics=False,
                           capture_stdout=False, capture_stderr=False, capture_traceback=False)
    run["parameters"] = {"lr": 0.01, "epochs": 3, "optimizer": {"name": "adam"}}
    for step, loss in enumerate(LOSSES):
        run["train/loss"].append(loss, step=step)
    run["data/train"].track_files(str(folder / "train.csv"))
    run["model"].upload(str(folder / "model.pkl"))
    if fail:
        run["sys/failed"] = True
    run.stop()
    (metadata,) = folder.glob(".neptune/offline/*/metadata.json")
    return str(json.loads(metadata.read_text())["containerId"])


def test_params_metrics_tags_and_files(project: Project, tmp_path: Path) -> None:
    container = write_offline_run(tmp_path)
    imported = events_from_neptune(tmp_path / ".neptune", project.root)
    start, end = imported.events
    assert end["run"] == {"id": f"neptune-{container}", "step": "trainer", "kind": "training",
                          "status": "completed"}
    assert end["params"] == {"lr": 0.01, "epochs": 3, "optimizer/name": "adam"}
    assert [(p["value"], p["step"]) for p in end["metrics"]["train/loss"]] == list(zip(LOSSES, range(3), strict=True))
    assert set(start["labels"]) == {"tag:baseline", "tag:cpu"}
    assert [(a["location"], a["sha256"], a["kind"]) for a in end["generated"]] == [
        ("model.pkl", hashlib.sha256(b"fitted model").hexdigest(), "model")]
    assert [(a["location"], a["sha256"]) for a in end["used"]] == [
        ("train.csv", hashlib.sha256(b"x,y\n1,2\n").hexdigest())]


def test_import_through_the_cli_links_model_to_data(project: Project, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write_offline_run(tmp_path)
    assert main(["import-runs", "--from", "neptune", str(tmp_path / ".neptune")]) == 0
    capsys.readouterr()
    assert main(["impact", "train.csv", "--format", "json"]) == 0
    assert "model.pkl" in capsys.readouterr().out


def test_failed_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_offline_run(tmp_path, fail=True)
    end = events_from_neptune(tmp_path / ".neptune").events[-1]
    assert end["run"]["status"] == "failed"


def test_not_a_neptune_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidEvent, match="no Neptune run folder"):
        events_from_neptune(tmp_path)


def test_dvc_on_a_neptune_folder_names_the_right_importer(project: Project, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    write_offline_run(tmp_path)
    assert main(["import-runs", "--from", "dvc", str(tmp_path / ".neptune")]) != 0
    err = capsys.readouterr().err
    assert "use --from neptune" in err and "Traceback" not in err
    assert [e.event["type"] for e in project.journal.entries()] == []


def test_a_log_line_nested_too_deep_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_offline_run(tmp_path)
    log = sorted(tmp_path.glob(".neptune/offline/*/data-*.log"))[-1]
    with log.open("a", encoding="utf-8") as handle:
        handle.write("[" * 100_000 + "\n")
    with pytest.raises(InvalidEvent, match=r"line \d+: not a Neptune operation: not valid JSON: nested"):
        events_from_neptune(tmp_path / ".neptune")
