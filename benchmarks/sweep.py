"""Sweep: a hyperparameter sweep recorded through the capture API with real files, as a new user would:
raw -> clean -> split -> T training runs -> T evaluations (2 + 2T runs) in one git repository, every
environment this interpreter's real package list. Then the commands a user types afterwards, each a
fresh ``provgraph`` process timed from outside: ``provgraph sync`` applies the journal to the store
(``catch-up``: what the first command after the sweep does first; ``stats`` would add a verification
of the whole journal), then ``runs --param``, impact, lineage, who, show, store-wide exports and ``--version``.

Side by side: the catch-up against a fresh process bulk-loading the same quads with pyoxigraph, the
store-wide TriG export against a fresh process dumping the store with pyoxigraph, and ``--version``
against a bare interpreter start. The sweep is recorded once per workspace (its capture time, quads
and KB of store per run are in the catch-up figure's note) and each catch-up repetition starts from a
copy of the recorded project.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import cli
from .harness import Meter
from .workspace import database_bytes, index_bytes

AREA = "sweep"
PER_SIZE = False
N = 402  # the sweep of the graph-model issue: 200 trainings
QUICK_N = 42  # CI's smoke run
CATCH_UP = "catch-up"
COMMANDS = {
    "runs --param": ["runs", "--param", "n_estimators=100"],
    "impact": ["impact", "data/raw.csv"],
    "lineage": ["lineage", "models/model-7.pkl"],
    "who": ["who", "data/raw.csv"],
    "show": ["show", "RUN"],
    "export prov-json (store)": ["export", "--format", "prov-json", "-o", "out.provjson"],
    "export trig (store)": ["export", "--format", "trig", "-o", "out.trig"],
    "--version": ["--version"],
}
SCRIPT = '''
import json, sys
from importlib import metadata
from pathlib import Path
import provgraph
trainings = int(sys.argv[1])
Path("data").mkdir(exist_ok=True); Path("models").mkdir(exist_ok=True)
Path("data/raw.csv").write_text("x,y\\n" + "".join(f"{i},{i % 2}\\n" for i in range(5000)))
with provgraph.run("clean", kind="cleaning") as r:
    r.use("data/raw.csv", kind="dataset")
    Path("data/clean.csv").write_text(Path("data/raw.csv").read_text())
    r.generate("data/clean.csv", kind="dataset")
with provgraph.run("split", kind="splitting") as r:
    r.use("data/clean.csv", kind="dataset")
    Path("data/train.csv").write_text("train"); Path("data/test.csv").write_text("test")
    r.generate("data/train.csv", kind="split"); r.generate("data/test.csv", kind="split")
for i in range(trainings):
    with provgraph.run("train", kind="training", params={"n_estimators": (50, 100, 200)[i % 3], "seed": i}) as r:
        r.use("data/train.csv", kind="split")
        Path(f"models/model-{i}.pkl").write_text(f"model {i}")
        r.metric("loss", 1 / (i + 1))
        r.generate(f"models/model-{i}.pkl", kind="model")
    with provgraph.run("evaluate", kind="evaluation") as r:
        r.use(f"models/model-{i}.pkl", kind="model"); r.use("data/test.csv", kind="split")
        r.metric("accuracy", 0.5 + i / (4 * trainings))
print(len({d.metadata["Name"] for d in metadata.distributions()}))
'''
#: ``python -c BULK_LOAD STORE QUADS``, ``python -c DUMP STORE OUTPUT FORMAT``
BULK_LOAD = ("import sys, pyoxigraph as ox; store = ox.Store(sys.argv[1]); "
             "store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS); store.flush()")
DUMP = ("import sys, pyoxigraph as ox; "
        "ox.Store.read_only(sys.argv[1]).dump(output=sys.argv[2], format=getattr(ox.RdfFormat, sys.argv[3]))")


def _sweep(workspace: str, runs: int) -> Path:
    """The recorded sweep of ``runs`` runs under ``workspace`` (made on first use): ``recorded/`` as the
    sweep left it, ``caught-up/`` after its first command, ``quads.nq`` and ``sweep.json`` (figures)."""
    base = Path(workspace) / f"sweep-{runs}"
    if (base / "sweep.json").exists() and "index_kb_per_run" in json.loads((base / "sweep.json").read_text()):
        return base
    shutil.rmtree(base, ignore_errors=True)
    recorded = base / "recorded"
    recorded.mkdir(parents=True)
    git = ["git", "-c", "user.email=bench@example.org", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], cwd=recorded, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "sweep"], cwd=recorded, check=True)
    cli.run([*cli.PROVGRAPH, "init"], recorded)
    (recorded / "sweep.py").write_text(SCRIPT)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "sweep.py", str((runs - 2) // 2)], cwd=recorded, check=True,
                          capture_output=True, text=True)
    capture = time.perf_counter() - start
    caught = base / "caught-up"
    shutil.copytree(recorded, caught)
    stats = json.loads(subprocess.run([*cli.PROVGRAPH, "stats", "--format", "json"], cwd=caught, check=True,
                                      capture_output=True, text=True).stdout)
    store = caught / ".provgraph" / "store"
    size, index = database_bytes(store), index_bytes(store)
    subprocess.run([sys.executable, "-c", DUMP, str(store), str(base / "quads.nq"), "N_QUADS"], check=True)
    (base / "sweep.json").write_text(json.dumps({
        "runs": runs, "packages": int(done.stdout.split()[-1]), "capture_ms_per_run": 1000 * capture / runs,
        "quads": stats["quads"], "quads_per_run": stats["quads"] / runs, "kb_per_run": size / runs / 1024,
        "index_kb_per_run": index / runs / 1024}))
    return base


def _scratch(base: Path) -> Path:
    """An empty ``project`` folder in a new temporary folder under ``base`` (see :func:`_remove`)."""
    folder = Path(tempfile.mkdtemp(prefix="scratch-", dir=base)) / "project"
    folder.mkdir()
    return folder


def _copy(base: Path) -> Path:
    folder = _scratch(base)
    shutil.copytree(base / "recorded", folder, dirs_exist_ok=True)
    return folder


def _remove(folder: Path) -> None:
    shutil.rmtree(folder.parent)


def provgraph(meter: Meter, workspace: str) -> None:
    base = _sweep(workspace, meter.n)
    facts = json.loads((base / "sweep.json").read_text())
    figure = cli.measure(meter, CATCH_UP, ["sync"], base, setup=lambda: _copy(base),
                         teardown=_remove,
                         note=(f"the first command after the sweep applies {meter.n} runs' events: "
                               f"{facts['quads_per_run']:.0f} quads and {facts['kb_per_run']:.1f} KB of store "
                               f"per run (+ {facts['index_kb_per_run']:.1f} KB of lineage index); "
                               f"capture {facts['capture_ms_per_run']:.1f} ms per run; "
                               f"{facts['packages']} packages in the environment"))
    figure.work.update(quads_per_run=round(facts["quads_per_run"], 1), kb_per_run=round(facts["kb_per_run"], 1))
    caught = base / "caught-up"
    run_id = json.loads(subprocess.run([*cli.PROVGRAPH, "runs", "--format", "json", "--limit", "1"], cwd=caught,
                                       check=True, capture_output=True, text=True).stdout)[0]["run"]
    for task, argv in COMMANDS.items():
        cli.measure(meter, task, [run_id if a == "RUN" else a for a in argv], caught)


def pyoxigraph_bulk(meter: Meter, workspace: str) -> None:
    base = _sweep(workspace, meter.n)

    cli.measure(meter, CATCH_UP, [BULK_LOAD, "store", str(base / "quads.nq")], base, setup=lambda: _scratch(base),
                teardown=_remove, command=(sys.executable, "-c"),
                note="fresh process: Store.bulk_load of the same quads (N-Quads file) into a new store")


def pyoxigraph_dump(meter: Meter, workspace: str) -> None:
    base = _sweep(workspace, meter.n)
    store = base / "caught-up" / ".provgraph" / "store"
    cli.measure(meter, "export trig (store)", [DUMP, str(store), "out.trig", "TRIG"], base,
                command=(sys.executable, "-c"),
                note="fresh process: Store.read_only(...).dump(TriG) of the same store")


def interpreter(meter: Meter, workspace: str) -> None:
    cli.measure(meter, "--version", ["pass"], Path(workspace), command=(sys.executable, "-c"),
                note="fresh process: `python -c pass`, the floor of any command")


TOOLS = {"provgraph": ("provgraph", (CATCH_UP, *COMMANDS)),
         "pyoxigraph bulk_load": ("pyoxigraph_bulk", (CATCH_UP,)),
         "pyoxigraph dump": ("pyoxigraph_dump", ("export trig (store)",)),
         "python start": ("interpreter", ("--version",))}
