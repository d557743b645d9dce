"""Validation work spread over worker processes: the parent reads the store, the workers check.

An embedded store is opened by one process at a time, and the checks (decoding PROV documents,
PROV-CONSTRAINTS, pyshacl) are pure Python, so a large store is validated with one task per chunk: the
parent reads the chunk's statements and sends them as N-Quads text, a worker decodes and checks them
and sends back a :class:`~.report.Report`. A few tasks are in flight at a time (memory holds a few
chunks, never the store) and the reports come back in the order of the tasks, so the result is the
one a single process gives.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

from pyoxigraph import Quad, RdfFormat, Triple, parse, serialize

from ..errors import ValidationError

Task = TypeVar("Task")
Result = TypeVar("Result")


def cores() -> int:
    """How many processors this process may run on: the default number of workers."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def in_order(work: Callable[[Task], Result], tasks: Iterable[Task], workers: int) -> Iterator[Result]:
    """``work(task)`` for each task, in ``workers`` processes (in this one when ``workers`` is 1), results
    in the order of ``tasks``. At most two tasks per worker are waiting or running: a long task (the
    store's top level) does not stop the others, and memory holds a few tasks. ``work`` must be a
    module-level function (it is pickled by name)."""
    if workers < 1:
        raise ValidationError(f"validation needs at least one worker, not {workers}")
    if workers == 1:
        yield from map(work, tasks)
        return
    # spawned, not forked: the parent holds the store open, and its threads must not be copied
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        submitted: deque[Future[Result]] = deque()
        for task in tasks:
            while len(running := [future for future in submitted if not future.done()]) >= 2 * workers:
                wait(running, return_when=FIRST_COMPLETED)
            while submitted and submitted[0].done():
                yield submitted.popleft().result()
            submitted.append(pool.submit(work, task))
        while submitted:
            yield submitted.popleft().result()


def pack(statements: Iterable[Quad] | Iterable[Triple]) -> bytes:
    """Statements as N-Quads text, to send to a worker."""
    return serialize(statements, format=RdfFormat.N_QUADS) or b""


def unpack(text: bytes) -> list[Quad]:
    """The statements :func:`pack` wrote (a triple comes back in the default graph)."""
    return list(parse(text, format=RdfFormat.N_QUADS))
