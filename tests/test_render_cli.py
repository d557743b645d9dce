"""``provgraph render`` on a real project: options reach the diagram, files come out in each format."""

from __future__ import annotations

import json
from pathlib import Path

import graphviz
import pytest
from test_render_pipelines import C, F, M, R, pipeline_events, sweep_events

from provgraph.cli import main
from provgraph.project import Project

RAW, CLEAN, FEAT, MODEL = (f"data/sha256-{h}" for h in (R, C, F, M))


def laid_nodes(dot_file: Path) -> dict[str, dict[str, str]]:
    """Nodes of a DOT file as the real ``dot`` reads them back."""
    data = json.loads(graphviz.Source(dot_file.read_text()).pipe(format="json"))
    return {o["name"]: o for o in data["objects"] if "nodes" not in o and not o["name"].startswith("legend/")}


@pytest.fixture
def recorded(project: Project) -> Project:
    project.record_many(pipeline_events())
    return project


def render(project: Project, *args: str) -> int:
    return main(["-C", str(project.root), "render", *args])


def test_render_whole_project_to_svg(recorded: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "all.svg"
    assert render(recorded, "-o", str(out)) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text()
    assert text.startswith("<?xml") and "<title>run/train&#45;1</title>" in text


def test_focus_depth_direction_and_highlight(recorded: Project, tmp_path: Path) -> None:
    out = tmp_path / "model.dot"
    assert render(recorded, "models/model.pkl", "--direction", "up", "--depth", "1",
                  "--highlight-impact", "data/features.parquet", "-o", str(out)) == 0
    nodes = laid_nodes(out)
    assert set(nodes) - {"agent/alice", "agent/ci-bot"} == {MODEL, "run/train-1", FEAT}
    assert nodes[MODEL]["color"] == "#D62728" and nodes["run/train-1"]["color"] == "#D62728"
    assert nodes[FEAT]["color"] == "#D62728"  # the highlighted source itself
    assert nodes["agent/alice"]["color"] != "#D62728"


def test_run_scope_and_explicit_format(recorded: Project, tmp_path: Path) -> None:
    out = tmp_path / "diagram.out"
    assert render(recorded, "--run", "clean-1", "--format", "png", "-o", str(out)) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_expand_and_flat(project: Project, tmp_path: Path) -> None:
    project.record_many([*pipeline_events(), *sweep_events(12)])
    folded, expanded, flat = tmp_path / "f.dot", tmp_path / "e.dot", tmp_path / "flat.dot"
    assert render(project, "-o", str(folded)) == 0
    assert render(project, "--expand", "-o", str(expanded)) == 0
    assert render(project, "--flat", "-o", str(flat)) == 0
    assert not [n for n in laid_nodes(folded) if n.startswith("run/trial-")]
    assert len([n for n in laid_nodes(expanded) if n.startswith("run/trial-")]) == 12
    assert len([n for n in laid_nodes(flat) if n.startswith("run/trial-")]) == 12
    assert "cluster_run/sweep-1" in expanded.read_text() and "cluster_run/sweep-1" not in flat.read_text()
    assert "partOfRun" in flat.read_text()


def test_reduce_drops_implied_derivation(recorded: Project, tmp_path: Path) -> None:
    full, reduced = tmp_path / "full.dot", tmp_path / "reduced.dot"
    assert render(recorded, "-o", str(full)) == 0 and render(recorded, "--reduce", "-o", str(reduced)) == 0

    def derived_from_features(path: Path) -> int:
        return sum(1 for line in path.read_text().splitlines()
                   if f'-> "{FEAT}"' in line and "label=wasDerivedFrom" in line)

    assert derived_from_features(full) == 2  # the model and the evaluation report
    assert derived_from_features(reduced) == 0  # train and evaluate used the features: implied


def test_user_errors_are_one_line(recorded: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render(recorded, "no/such/file.csv", "-o", str(tmp_path / "x.svg")) == 1
    assert "no/such/file.csv" in capsys.readouterr().err
    assert render(recorded, "-o", str(tmp_path / "x.bmp"), "--format", "svg") == 0  # explicit format wins
    assert render(recorded, "--run", "data/raw.csv", "-o", str(tmp_path / "y.svg")) == 1
    assert "is not a run" in capsys.readouterr().err
    assert not (tmp_path / "y.svg").exists()
    with pytest.raises(SystemExit):
        render(recorded, "--direction", "sideways", "-o", str(tmp_path / "z.svg"))


def test_the_suffix_picks_any_format_dot_writes(recorded: Project, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    magic = {"x.jpg": b"\xff\xd8\xff", "x.png": b"\x89PNG", "x.pdf": b"%PDF", "x.gif": b"GIF8", "x.ps": b"%!PS"}
    for name, start in magic.items():
        assert render(recorded, "models/model.pkl", "-o", str(tmp_path / name)) == 0, name
        assert (tmp_path / name).read_bytes().startswith(start), name
    assert render(recorded, "-o", str(tmp_path / "x.docx")) == 1
    err = capsys.readouterr().err
    assert "cannot tell a diagram format from 'x.docx'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.docx").exists()


def test_depth_needs_a_reference(recorded: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render(recorded, "--depth", "2", "-o", str(tmp_path / "x.svg")) == 1
    assert "--depth counts edges from REF" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()


def test_flow_turns_the_arrows_and_the_legend_says_which_way(recorded: Project, tmp_path: Path) -> None:
    prov, flow = tmp_path / "prov.dot", tmp_path / "flow.dot"
    assert render(recorded, "-o", str(prov)) == 0 and render(recorded, "--flow", "-o", str(flow)) == 0
    assert "from the later thing to the earlier (PROV)" in prov.read_text()
    assert "the way data flowed" in flow.read_text()
    data = json.loads(graphviz.Source(flow.read_text()).pipe(format="json"))
    drawn = [e for e in data["edges"] if e.get("style") != "invis"]
    assert drawn and all(e.get("dir") == "back" for e in drawn)


def test_one_agent_is_a_legend_line_not_a_node(project: Project, tmp_path: Path) -> None:
    from test_render_pipelines import art, run_events

    bob = [{"id": "bob", "kind": "person", "name": "Bob"}]
    project.record_many([
        *run_events("a-1", "prepare", "cleaning", agents=bob, generated=[art("data/a.csv", "a" * 64)]),
        *run_events("b-1", "train", "training", agents=bob, minute=2, used=[art("data/a.csv", "a" * 64)],
                    generated=[art("models/b.pkl", "b" * 64, "model")]),
    ])
    out = tmp_path / "one.dot"
    assert render(project, "-o", str(out)) == 0
    nodes = laid_nodes(out)
    assert not [n for n in nodes if n.startswith("agent/")]
    assert "every activity: Bob" in out.read_text()
    assert not [line for line in out.read_text().splitlines() if "wasAssociatedWith" in line]
