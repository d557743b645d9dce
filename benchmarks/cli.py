"""Timing ``provgraph`` as a user types it in a shell: each command a fresh process (interpreter start,
imports, opening the store and the answer), its wall time measured from outside and its peak memory
read from the kernel's accounting of that process (``wait4``). The kernel counts a spawned process's
peak from the spawn, so it is at least the measuring process's resident set at that moment: the
measuring children of the harness stay small (about 15 MB, a bare ``python -c pass``) for that."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from .harness import Figure, Meter

PROVGRAPH = (sys.executable, "-m", "provgraph")


def run(command: Sequence[str], cwd: Path, answered: Collection[int] = (0,)) -> dict[str, float]:
    """Run ``command`` in ``cwd`` (``PROVGRAPH_*`` variables removed): lines and KB of its answer
    (standard output, or the file after ``-o``; none if empty) and its peak resident memory in MB. An
    exit status not in ``answered`` raises with the command's last line of error."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # stopped by the harness's time limit: the command must not outlive it
            process.kill()
            process.wait()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        answer, problem = out.read(), err.read()
    if process.returncode not in answered:
        last = (problem or answer).decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"exited {process.returncode}: {' '.join(last)}")
    if "-o" in command:
        answer = (cwd / command[list(command).index("-o") + 1]).read_bytes()
    shown = {"answer": answer.count(b"\n"), "KB": round(len(answer) / 1024, 1)} if answer else {}
    return {**shown, "peak": usage.ru_maxrss / 1024}


def measure(meter: Meter, task: str, argv: Sequence[str], folder: Path, note: str = "",
            setup: Callable[[], Path] | None = None, teardown: Callable[[Path], None] | None = None,
            command: Sequence[str] = PROVGRAPH, answered: Collection[int] = (0,)) -> Figure:
    """Wall time of ``provgraph ARGV`` (or of ``command + argv``) run in ``folder``, or in the folder
    ``setup`` returns for each repetition; the figure's peak memory is the command's own. ``answered``:
    the exit statuses that are an answer (``validate`` finding violations answers too)."""
    peaks: list[float] = []

    def op(state: Any) -> dict[str, float]:
        found = run([*command, *argv], state or folder, answered)
        peaks.append(found.pop("peak"))
        return found

    shown = f"`provgraph {' '.join(argv)}`" if tuple(command) == PROVGRAPH else ""
    figure = meter.measure(task, op, setup, note="; ".join(filter(None, [shown, note])), teardown=teardown)
    figure.peak_mb = statistics.median(peaks) if peaks and figure.times else None
    return figure
