"""A hyperparameter sweep recorded through the capture API with real files, as a new user would:
raw -> clean -> split -> N training runs -> N evaluations, in one git repository, every environment a
real virtual environment's package list. Prints quads and bytes of store per run and the wall time of
the commands a user runs afterwards (each a fresh ``provgraph`` process, as typed in a shell).

``python -m benchmarks.sweep --trainings 200`` (402 runs, the sweep of the graph-model issue).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (("runs --param", ["runs", "--param", "n_estimators=100"]),
            ("impact", ["impact", "data/raw.csv"]), ("lineage", ["lineage", "models/model-7.pkl"]),
            ("who", ["who", "data/raw.csv"]), ("show", ["show", "RUN"]), ("--version", ["--version"]),
            ("export prov-json (whole store)", ["export", "--format", "prov-json", "-o", "out.provjson"]))


def record(folder: Path, trainings: int) -> None:
    """The sweep, recorded by a child process in ``folder`` (a git repository)."""
    script = folder / "sweep.py"
    script.write_text(f'''
import provgraph
from pathlib import Path
Path("data").mkdir(exist_ok=True); Path("models").mkdir(exist_ok=True)
Path("data/raw.csv").write_text("x,y\\n" + "".join(f"{{i}},{{i % 2}}\\n" for i in range(5000)))
with provgraph.run("clean", kind="cleaning") as r:
    r.use("data/raw.csv", kind="dataset")
    Path("data/clean.csv").write_text(Path("data/raw.csv").read_text())
    r.generate("data/clean.csv", kind="dataset")
with provgraph.run("split", kind="splitting") as r:
    r.use("data/clean.csv", kind="dataset")
    Path("data/train.csv").write_text("train"); Path("data/test.csv").write_text("test")
    r.generate("data/train.csv", kind="split"); r.generate("data/test.csv", kind="split")
for i in range({trainings}):
    with provgraph.run("train", kind="training", params={{"n_estimators": (50, 100, 200)[i % 3], "seed": i}}) as r:
        r.use("data/train.csv", kind="split")
        Path(f"models/model-{{i}}.pkl").write_text(f"model {{i}}")
        r.metric("loss", 1 / (i + 1))
        r.generate(f"models/model-{{i}}.pkl", kind="model")
    with provgraph.run("evaluate", kind="evaluation") as r:
        r.use(f"models/model-{{i}}.pkl", kind="model"); r.use("data/test.csv", kind="split")
        r.metric("accuracy", 0.5 + i / (4 * {trainings}))
''')
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run(["git", "-c", "user.email=b@e", "-c", "user.name=bench", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=folder, check=True)
    subprocess.run([sys.executable, "-m", "provgraph", "init"], cwd=folder, check=True, capture_output=True)
    subprocess.run([sys.executable, str(script)], cwd=folder, check=True)


def timed(folder: Path, argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "provgraph", *argv], cwd=folder, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"provgraph {' '.join(argv)} failed: {done.stderr.strip()}")
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        record(folder, args.trainings)
        capture = time.perf_counter() - start
        runs = 2 + 2 * args.trainings  # clean, split, then a training and an evaluation each
        catch_up = timed(folder, ["stats", "--format", "json"], 1)  # the first command applies the journal
        stats = json.loads(subprocess.run([sys.executable, "-m", "provgraph", "stats", "--format", "json"],
                                          cwd=folder, capture_output=True, text=True, check=True).stdout)
        store = folder / ".provgraph" / "store"
        size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
        run_id = json.loads(subprocess.run([sys.executable, "-m", "provgraph", "runs", "--format", "json"],
                                           cwd=folder, capture_output=True, text=True, check=True).stdout)[0]["run"]
        figures = {"runs": runs, "quads per run": round(stats["quads"] / runs, 1),
                   "store KB per run": round(size / runs / 1024, 1),
                   "capture, s per run": round(capture / runs, 4), "first command (catch-up), s": round(catch_up, 2)}
        for name, command in COMMANDS:
            figures[f"{name}, s"] = round(timed(folder, [run_id if a == "RUN" else a for a in command],
                                                args.repeat), 3)
        print(json.dumps({"machine_load": os.getloadavg()[0], **figures}, indent=2))


if __name__ == "__main__":
    main()
