"""Pachyderm pipeline specs and commits (the upstream edges and montage example) import as runs.

The fixtures in tests/data/pachyderm are hand-written (pachctl needs a cluster; see its README);
they are parsed with the pachyderm-sdk message classes. Expectations are read from the JSON here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from provgraph.cli import main
from provgraph.errors import InvalidEvent
from provgraph.importers.pachyderm import events_from_pachyderm
from provgraph.project import Project

DATA = Path(__file__).parent / "data" / "pachyderm"


def _commits() -> list[dict[str, Any]]:
    text, decoder, found, position = (DATA / "commits.json").read_text(), json.JSONDecoder(), [], 0
    while text[position:].strip():
        position += len(text[position:]) - len(text[position:].lstrip())
        obj, position = decoder.raw_decode(text, position)
        found.append(obj)
    return found


def _location(commit: dict[str, Any]) -> str:
    return f"pfs://{commit['repo']['project']['name']}/{commit['repo']['name']}@{commit['id']}"


def test_output_commits_are_runs_of_their_pipeline() -> None:
    imported = events_from_pachyderm(DATA)
    ends = {e["run"]["step"]: e for e in imported.events if e["type"] == "run.end"}
    commits = {c["commit"]["repo"]["name"]: c for c in _commits()}
    assert set(ends) == {name for name, c in commits.items() if c["origin"]["kind"] == "AUTO"}
    for name, end in ends.items():
        info = commits[name]
        user_provenance = {_location(c) for c in info["direct_provenance"] if c["repo"]["type"] == "user"}
        assert {a["location"] for a in end["used"]} == user_provenance
        assert end["generated"] == [{"location": _location(info["commit"]), "kind": "dataset",
                                     "name": f"pfs://default/{name}", "size": int(info["details"]["size_bytes"]),
                                     "digests": {"pachyderm-commit": info["commit"]["id"]}}]
    montage = json.loads((DATA / "montage.json").read_text())
    assert ends["montage"]["params"]["transform.image"] == montage["transform"]["image"]
    assert imported.counts == {"pipeline specs": 2, "commits": 3, "output commits": 2}


def test_impact_of_the_images_commit_reaches_the_montage(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-runs", "--from", "pachyderm", str(DATA)]) == 0
    commits = {c["commit"]["repo"]["name"]: c for c in _commits()}
    capsys.readouterr()
    assert main(["impact", _location(commits["images"]["commit"]), "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert _location(commits["montage"]["commit"]) in text and _location(commits["edges"]["commit"]) in text


def test_a_wrongly_typed_field_names_the_record(tmp_path: Path) -> None:
    shutil.copy(DATA / "edges.json", tmp_path / "edges.json")
    (tmp_path / "commit.json").write_text(json.dumps({"commit": {"repo": {"name": "x"}, "id": "1"},
                                                      "started": "yesterday"}))
    with pytest.raises(InvalidEvent, match=r"commit.json: object 0: not a valid Pachyderm CommitInfo"):
        events_from_pachyderm(tmp_path)


def test_something_else_is_rejected(tmp_path: Path) -> None:
    other = tmp_path / "run.json"
    other.write_text(json.dumps({"mlflow": {"info": {}}}))
    with pytest.raises(InvalidEvent, match="neither a Pachyderm pipeline spec"):
        events_from_pachyderm(other)


@pytest.mark.parametrize("name", ["edges.json", "commits.json"])
def test_dvc_on_pachyderm_records_names_the_right_importer(project: Project, name: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-runs", "--from", "dvc", str(DATA / name)]) != 0
    err = capsys.readouterr().err
    assert "use --from pachyderm" in err and "Traceback" not in err
    assert list(project.journal.entries()) == []


def test_an_output_commit_without_times_is_refused_and_bare_commits_are_no_runs(tmp_path: Path) -> None:
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"commit": {"repo": {"name": "images"}, "id": "abc"}}))
    assert events_from_pachyderm(bare).events == []
    spec = json.loads((DATA / "edges.json").read_text())
    output = {"commit": {"repo": {"name": "edges"}, "id": "def"},
              "direct_provenance": [{"repo": {"name": "images"}, "id": "abc"}]}
    records = tmp_path / "records.json"
    records.write_text(json.dumps(spec) + "\n" + json.dumps(output))
    with pytest.raises(InvalidEvent, match="needs its started or finished time"):
        events_from_pachyderm(records)
