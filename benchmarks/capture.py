"""Capture: the overhead of ``provgraph.run(...)`` with 3 inputs and 2 outputs whose hashes are already
cached (environment and git state gathered once per process, as in a sweep), hashing throughput
against ``hashlib`` on the same file, and the re-hash of an unchanged 1 GB file (a cache hit).

Each run is recorded durably (two fsync'd journal appends). Files live in a temporary folder that is
deleted afterwards; the 1 GB file is sparse.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .harness import Meter

AREA = "capture"
PER_SIZE = False
RUNS_PER_REPETITION = 50
HASH_MB = 256


def _scratch(workspace: str) -> Path:
    Path(workspace).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="capture-", dir=workspace))


def provgraph(meter: Meter, workspace: str) -> None:
    import provgraph as pg
    from provgraph.capture.hashing import HashCache

    folder = _scratch(workspace)
    try:
        project = pg.Project.init(folder)
        files = []
        for index in range(5):
            path = folder / f"file-{index}.bin"
            path.write_bytes(os.urandom(1 << 20))
            files.append(path)

        def one_run(number: int) -> None:
            with pg.run("train", kind="training", project=project, run_id=f"train-{number:06d}") as r:
                for path in files[:3]:
                    r.use(path)
                for path in files[3:]:
                    r.generate(path, kind="model")

        one_run(0)  # warm: hashes cached, environment and git state gathered
        counter = iter(range(1, 10**9))

        def runs(_: Any) -> None:
            for _ in range(RUNS_PER_REPETITION):
                one_run(next(counter))

        meter.measure("run-3-in-2-out", runs, per=RUNS_PER_REPETITION,
                      note=f"per run, median of {RUNS_PER_REPETITION}-run repetitions; hashes cached")
        project.close()

        big = folder / "big.bin"
        big.write_bytes(os.urandom(HASH_MB << 20))
        HashCache(None).file(big)  # page cache warm for both tools
        meter.measure("hash-file", lambda cache: cache.file(big) and None, setup=lambda: HashCache(None),
                      work={"MB": HASH_MB}, note=f"{HASH_MB} MB file, not yet in the cache")

        huge = folder / "huge.bin"
        with open(huge, "wb") as handle:
            handle.truncate(1 << 30)
        cache = HashCache(folder / "hashcache.sqlite")
        cache.file(huge)
        meter.measure("rehash-1gb-cached", lambda _: cache.file(huge) and None, note="1 GB sparse file, cache hit")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def hashlib_file(meter: Meter, workspace: str) -> None:
    folder = _scratch(workspace)
    try:
        big = folder / "big.bin"
        big.write_bytes(os.urandom(HASH_MB << 20))

        def digest(_: Any) -> None:
            with open(big, "rb") as handle:
                hashlib.file_digest(handle, "sha256").hexdigest()

        digest(None)
        meter.measure("hash-file", digest, work={"MB": HASH_MB}, note="hashlib.file_digest")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


TOOLS = {"provgraph": ("provgraph", ("run-3-in-2-out", "hash-file", "rehash-1gb-cached")),
         "hashlib": ("hashlib_file", ("hash-file",))}
