"""Measuring: repetitions, medians, peak memory, and one subprocess per (area, tool) so figures don't bleed.

A measured function runs in a fresh interpreter (``python -m benchmarks.child``) and receives a
:class:`Meter`. ``meter.measure(task, op, setup=...)`` runs ``setup`` (untimed) and ``op`` (timed) for
each repetition; before each ``op`` the kernel's resident-set high-water mark is reset
(``/proc/self/clear_refs``), so the peak memory of a figure is what ``op`` itself added to the process
(Rust allocations of pyoxigraph included, which ``tracemalloc`` would miss).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    """One tool's measurement of one task on one workload size."""

    area: str
    task: str
    tool: str
    n: int
    times: list[float] = field(default_factory=list)
    peak_mb: float | None = None
    work: dict[str, float] = field(default_factory=dict)
    note: str = ""
    timed_out: float | None = None  # seconds after which the measurement was stopped

    @property
    def median(self) -> float | None:
        """Median seconds; ``None`` when it never finished (see ``timed_out``)."""
        return statistics.median(self.times) if self.times else None

    @property
    def lower_bound(self) -> float | None:
        """The median, or the time-out as a lower bound on it."""
        return self.median if self.times else self.timed_out

    def rate(self, unit: str) -> float | None:
        """``work[unit]`` per second."""
        seconds = self.median
        if seconds is None or unit not in self.work or seconds <= 0:
            return None
        return self.work[unit] / seconds

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["median"] = self.median
        return data


def rss_mb() -> float:
    """The current resident set of this process in MB."""
    return _status_kb("VmRSS:") / 1024


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


class Meter:
    """Runs repetitions of one operation and records time and peak memory."""

    def __init__(self, area: str, tool: str, n: int, repeat: int, limit: float = 0) -> None:
        self.area, self.tool, self.n, self.repeat, self.limit = area, tool, n, repeat, limit
        self.figures: list[Figure] = []

    @staticmethod
    def _reset_peak() -> int:
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
        except OSError:  # pragma: no cover - not Linux
            pass
        return _status_kb("VmRSS:")

    def measure(self, task: str, op: Callable[[Any], Any], setup: Callable[[], Any] | None = None,
                work: dict[str, float] | None = None, note: str = "",
                teardown: Callable[[Any], None] | None = None, per: int = 1, resident_mb: float = 0.0) -> Figure:
        """Median time and peak memory of ``op(setup())`` over the repetitions.

        ``per``: the operation does that many units (the time is divided). ``resident_mb``: memory the
        tool holds before the operation and needs for it (added to the peak).

        A repetition running past ``self.limit`` seconds is interrupted (pure-Python code only) and the
        figure keeps the limit as a lower bound; one taking more than half of it is not repeated.
        """
        figure = Figure(self.area, task, self.tool, self.n, work=dict(work or {}), note=note)
        peaks = []
        for index in range(self.repeat):
            state = setup() if setup else None
            base = self._reset_peak()
            start = time.perf_counter()
            try:
                with _deadline(self.limit):
                    result = op(state)
            except (_Stopped, Exception) as exc:
                stopped = isinstance(exc, _Stopped) or isinstance(exc.__cause__, _Stopped)
                figure.times, figure.timed_out = [], self.limit if stopped else None
                problem = f"stopped after {self.limit:.0f} s" if stopped else f"failed: {type(exc).__name__}: {exc}"
                figure.note = (figure.note + "; " if figure.note else "") + problem[:300]
                if teardown:
                    teardown(state)
                break
            figure.times.append((time.perf_counter() - start) / per)
            peaks.append(max(0, _status_kb("VmHWM:") - base) / 1024 + resident_mb)
            if isinstance(result, dict):
                figure.work.update(result)
            if teardown:
                teardown(state)
            del state, result
            if self.limit and figure.times[-1] * per > self.limit / 2 and index + 1 < self.repeat:
                figure.note = (figure.note + "; " if figure.note else "") + f"{index + 1} repetition(s): slow"
                break
        figure.peak_mb = statistics.median(peaks) if peaks else None
        self.figures.append(figure)
        return figure


class _Stopped(BaseException):
    """A repetition ran past its time limit (a BaseException, so that code catching ``Exception``
    and re-raising its own error cannot hide the stop)."""


class _deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def _fire(self, signum: int, frame: object) -> None:
        raise _Stopped()

    def __enter__(self) -> None:
        if self.seconds > 0:
            signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)


def run_child(module: str, func: str, area: str, tool: str, n: int, repeat: int, args: dict[str, Any],
              timeout: float, tasks: list[str] | tuple[str, ...], limit: float = 0) -> list[Figure]:
    """Run ``benchmarks.<module>.<func>(meter, **args)`` in a fresh interpreter; its figures.

    On a time-out, each of ``tasks`` gets a figure with ``timed_out`` set (a lower bound).
    """
    spec = {"module": module, "func": func, "area": area, "tool": tool, "n": n, "repeat": repeat, "args": args,
            "limit": limit}
    command = [sys.executable, "-m", "benchmarks.child", json.dumps(spec)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return [Figure(area, task, tool, n, timed_out=timeout, note=f"stopped after {timeout:.0f} s")
                for task in tasks]
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return [Figure(area, task, tool, n, note="failed: " + " | ".join(tail)) for task in tasks]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return [Figure(**{k: v for k, v in f.items() if k != "median"}) for f in figures]
