"""The capture API on real files: hashes, cache, trees, git state, failures, nesting, decorator."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

import provgraph
from provgraph import InvalidEvent, ProvgraphError
from provgraph.capture.hashing import HashCache
from provgraph.project import Project
from provgraph.query.runinfo import describe_run


def events_of(project: Project, run_id: str) -> list[dict]:
    return [e.event for e in project.journal.entries() if e.event.get("run", {}).get("id") == run_id]


def test_a_run_records_real_hashes_sizes_params_metrics_and_times(project: Project, tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_bytes(b"a,b\n1,2\n3,4\n")
    with provgraph.run("clean", kind="cleaning", project=project) as r:
        r.use(raw, role="input", labels=["pii"])
        r.param("dropna", True)
        (tmp_path / "clean.csv").write_bytes(b"a,b\n1,2\n")
        r.generate(tmp_path / "clean.csv")
        r.metric("rows", 1)
        r.metric("loss", 0.9, step=1)
        r.metric("loss", 0.4, step=2)
    start, end = events_of(project, r.id)
    assert start["type"] == "run.start" and end["type"] == "run.end"
    assert start["time"] <= end["time"]
    used = end["used"][0]
    assert used["sha256"] == hashlib.sha256(raw.read_bytes()).hexdigest()
    assert used["size"] == 12 and used["location"] == "raw.csv" and used["labels"] == ["pii"]
    info = describe_run(project.synced_store(), r.id)
    assert info["status"] == "completed" and info["kind"] == "Cleaning"
    assert info["params"] == {"dropna": True}
    assert info["metrics"] == {"rows": 1, "loss": 0.4}
    assert [g["sha256"] for g in info["generated"]] == [hashlib.sha256(b"a,b\n1,2\n").hexdigest()]
    assert info["environment"]["python"] and "pyoxigraph" in info["environment"]["packages"]
    assert info["agents"][0]["kind"] == "Person"


def test_a_failing_block_records_a_failed_run_and_reraises(project: Project) -> None:
    with pytest.raises(ZeroDivisionError), provgraph.run("train", kind="training", project=project) as r:
        1 / 0  # noqa: B018
    info = describe_run(project.synced_store(), r.id)
    assert info["status"] == "failed"
    assert info["error"] == {"type": "ZeroDivisionError", "message": "division by zero"}


def test_nested_runs_keep_their_parent_and_the_decorator_records_a_run(project: Project) -> None:
    @provgraph.step("featurize", kind="feature_engineering", project=project)
    def featurize() -> str:
        current = provgraph.current_run()
        assert current is not None
        return current.id

    with provgraph.run("pipeline", kind="pipeline", project=project) as outer:
        inner_id = featurize()
    assert provgraph.current_run() is None
    assert describe_run(project.synced_store(), inner_id)["parent"] == outer.id
    assert describe_run(project.synced_store(), outer.id)["parent"] is None


def test_missing_file_and_bad_kind_are_clear_errors(project: Project) -> None:
    with provgraph.run("x", project=project) as r:
        with pytest.raises(ProvgraphError, match="no such file"):
            r.use("does/not/exist.csv")
        with pytest.raises(InvalidEvent, match="unknown artifact kind"):
            r.use(__file__, kind="spreadsheet")
    with pytest.raises(InvalidEvent, match="unknown run kind"):
        provgraph.run("x", kind="napping", project=project)


def test_uris_are_recorded_without_hashing(project: Project) -> None:
    with provgraph.run("ingest", kind="ingestion", project=project) as r:
        r.use("s3://bucket/raw/2026-01.parquet", name="raw-events")
    used = events_of(project, r.id)[-1]["used"][0]
    assert used["location"] == "s3://bucket/raw/2026-01.parquet" and "sha256" not in used


def test_hash_cache_hits_when_size_and_mtime_are_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 100_000)
    cache = HashCache(tmp_path / "cache.sqlite")
    first = cache.file(path)
    assert first.sha256 == hashlib.sha256(b"x" * 100_000).hexdigest()
    stat = path.stat()
    with open(path, "r+b") as handle:  # same size, same mtime, different bytes: only a cache would miss it
        handle.write(b"y")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cache.file(path).sha256 == first.sha256
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache.file(path).sha256 == hashlib.sha256(b"y" + b"x" * 99_999).hexdigest()


def test_directories_are_hashed_as_trees(tmp_path: Path) -> None:
    root = tmp_path / "shards"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")
    (root / "sub" / "b.txt").write_bytes(b"beta")
    listing = "".join(sorted(
        f"{rel}\0{hashlib.sha256(data).hexdigest()}\0{len(data)}\n"
        for rel, data in (("a.txt", b"alpha"), ("sub/b.txt", b"beta"))
    ))
    digest = HashCache(None).digest(root)
    assert digest.directory and digest.size == 9
    assert digest.sha256 == hashlib.sha256(listing.encode()).hexdigest()
    (root / "sub" / "b.txt").write_bytes(b"BETA")
    assert HashCache(None).digest(root).sha256 != digest.sha256


def test_git_commit_branch_and_dirty_state_are_captured(project: Project, tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    (tmp_path / "train.py").write_text("print('hi')\n")
    git("add", "train.py")
    git("commit", "-qm", "first")
    git("remote", "add", "origin", "https://user:secret@example.org/team/repo.git")
    commit = git("rev-parse", "HEAD").strip()
    from provgraph.capture.environment import clear_cache

    clear_cache()
    with provgraph.run("train", kind="training", project=project) as r:
        pass
    code = events_of(project, r.id)[0]["code"]["git"]
    assert code == {"commit": commit, "branch": "main", "remote": "https://example.org/team/repo.git",
                    "dirty": False}
    (tmp_path / "train.py").write_text("print('changed')\n")
    clear_cache()
    with provgraph.run("train", kind="training", project=project) as r2:
        pass
    assert events_of(project, r2.id)[0]["code"]["git"]["dirty"] is True
    assert describe_run(project.synced_store(), r2.id)["code"]["dirty"] is True
    clear_cache()


def test_seed_sets_the_generator_and_is_recorded(project: Project) -> None:
    import random

    with provgraph.run("split", kind="splitting", project=project) as r:
        r.seed(7)
        drawn = random.random()
    random.seed(7)
    assert drawn == random.random()
    assert describe_run(project.synced_store(), r.id)["seeds"]["python"] == 7
