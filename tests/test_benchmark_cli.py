"""The benchmarks' timing of fresh command processes: answer size, the command's own peak memory,
failures, the time limit, and which areas run by default (no timings asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import cli
from benchmarks.__main__ import parse
from benchmarks.harness import Meter
from benchmarks.workspace import database_bytes

PYTHON = (sys.executable, "-c")


def test_answer_lines_and_kb_come_from_standard_output(tmp_path):
    found = cli.run([*PYTHON, "print('x' * 2047)\nprint('y' * 1023)"], tmp_path)
    assert found["answer"] == 2
    assert found["KB"] == 3.0  # 2048 + 1024 bytes


def test_answer_comes_from_the_file_after_dash_o(tmp_path):
    code = "import sys; open(sys.argv[2], 'w').write('a\\nb\\nc\\n'); print('written')"
    found = cli.run([*PYTHON, code, "-o", "out.txt"], tmp_path)
    assert (tmp_path / "out.txt").read_text() == "a\nb\nc\n"
    assert found["answer"] == 3


def _peak(code: str, folder) -> float:
    """The peak of ``python -c code`` measured from a small process, as the harness's children measure
    (the kernel starts a spawned process's peak at its parent's resident set: pytest's is hundreds of MB)."""
    measure = ("import pathlib, sys; from benchmarks import cli; "
               f"print(cli.run([sys.executable, '-c', {code!r}], pathlib.Path({str(folder)!r}))['peak'])")
    done = subprocess.run([sys.executable, "-c", measure], capture_output=True, text=True, check=True,
                          cwd=Path(cli.__file__).parents[1])
    return float(done.stdout)


def test_peak_memory_is_the_commands_own(tmp_path):
    small = _peak("pass", tmp_path)
    big = _peak("block = bytearray(300 * 2**20); block[::4096] = b'x' * len(block[::4096])", tmp_path)
    assert big >= 300 > small


def test_a_failing_command_raises_with_its_last_error_line(tmp_path):
    failing = [*PYTHON, "import sys; print('first', file=sys.stderr); sys.exit('the reason')"]
    with pytest.raises(RuntimeError, match=r"^exited 1: the reason$"):
        cli.run(failing, tmp_path)
    assert cli.run(failing, tmp_path, answered=(0, 1)) == {"peak": pytest.approx(cli.run(failing, tmp_path,
                                                                                    answered=(1,))["peak"], rel=1)}


def test_the_time_limit_stops_the_command_and_kills_its_process(tmp_path):
    meter = Meter("t", "tool", 0, repeat=2, limit=0.5)
    code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(30)"
    figure = cli.measure(meter, "sleep", [code, str(tmp_path / "pid")], tmp_path, command=PYTHON)
    assert figure.times == [] and figure.timed_out == 0.5
    assert "stopped after 0 s" in figure.note or "stopped after 1 s" in figure.note
    with pytest.raises(ProcessLookupError):
        os.kill(int((tmp_path / "pid").read_text()), 0)


def test_scale_is_opt_in_and_the_sweep_runs_by_default():
    assert "sweep" in parse([]).areas and "scale" not in parse([]).areas
    assert parse(["--areas", "scale", "--sizes", "100_000"]).sizes == [100_000]


def test_store_size_leaves_out_the_info_logs_each_open_adds(tmp_path):
    import pyoxigraph as ox

    folder = tmp_path / "store"
    for number in range(3):  # three read-write opens: three info logs
        store = ox.Store(str(folder))
        store.add(ox.Quad(ox.NamedNode(f"urn:s{number}"), ox.NamedNode("urn:p"), ox.Literal("o" * 1000)))
        store.flush()
        del store
    logs = [path for path in folder.iterdir() if path.name.startswith("LOG")]
    assert len(logs) >= 3
    everything = sum(path.stat().st_size for path in folder.iterdir())
    assert database_bytes(folder) == everything - sum(path.stat().st_size for path in logs) > 0


def test_store_size_and_lineage_index_size_are_told_apart(tmp_path):
    import pyoxigraph as ox

    from benchmarks.workspace import index_bytes
    from provgraph.store import open_store

    folder = tmp_path / "store"
    with open_store(f"oxigraph:{folder}") as store:
        store.add([ox.Quad(ox.NamedNode("urn:run"), ox.NamedNode("http://www.w3.org/ns/prov#used"),
                           ox.NamedNode("urn:data"), ox.NamedNode("urn:g"))])
    index = folder / "provgraph-lineage.sqlite"
    files = [path for path in folder.iterdir() if not path.name.startswith("LOG")]
    assert index in files and index_bytes(folder) == index.stat().st_size > 0
    assert database_bytes(folder) == sum(path.stat().st_size for path in files) - index.stat().st_size > 0
