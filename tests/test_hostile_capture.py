"""The capture API with hostile names: run ids that do not collide in a million-run sweep, and a file name
that is not UTF-8 given to ``r.use()`` (a clear error, nothing of it recorded)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from provgraph.capture.run import Run, run
from provgraph.errors import InvalidEvent
from provgraph.project import Project


def test_run_ids_carry_at_least_96_random_bits(tmp_path: Path) -> None:
    project = Project.init(tmp_path)
    ids = [Run("sweep", project=project).id for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    match = re.fullmatch(r"sweep-\d{8}T\d{6}-([0-9a-f]+)", ids[0])
    assert match, ids[0]
    bits = 4 * len(match.group(1))
    assert bits >= 96
    # Birthday bound: a million runs of one step in the same second collide with probability < 1e-17.
    assert (10**6) ** 2 / 2 / 2**bits < 1e-17
    distinct_digits = {digit for run_id in ids for digit in run_id.rsplit("-", 1)[1]}
    assert len(distinct_digits) == 16


@pytest.mark.parametrize("name", [b"\xff\xfe.csv", b"caf\xe9.csv"], ids=["invalid-bytes", "latin-1"])
def test_a_file_name_that_is_not_utf8_is_a_clear_error(tmp_path: Path, name: bytes) -> None:
    project = Project.init(tmp_path)
    path = os.path.join(os.fsencode(tmp_path), name)
    with open(path, "wb") as handle:
        handle.write(b"data")
    for target in (path, os.fsdecode(path)):
        with pytest.raises(InvalidEvent, match="not valid UTF-8"), run("load", project=project) as r:
            r.use(target)
    recorded = [entry.event for entry in project.journal.entries()]
    assert recorded and all("used" not in event for event in recorded)  # the runs ended failed, file unrecorded
    assert project.verify().ok
