"""The capture API: ``with provgraph.run("train", kind="training") as r:`` and ``@provgraph.step``.

A run writes a ``run.start`` event when it begins and a ``run.end`` event when its block exits
(``completed``, ``failed`` with the exception type and message, or ``aborted`` on KeyboardInterrupt),
both to the project's journal. Times, file hashes and sizes, git state, the script, the machine, the
installed packages and the user are recorded automatically. Runs nest: a run opened inside another
records it as its parent.
"""

from __future__ import annotations

import functools
import json
import os
import random
import secrets
import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from .. import events as ev
from ..errors import InvalidEvent, MissingFile
from ..gitinfo import git_state
from ..project import Project
from ..vocab import slug
from .data import fingerprint, is_data
from .environment import default_agents, environment, script_path
from .hashing import HashCache

_current: ContextVar[Run | None] = ContextVar("provgraph_current_run", default=None)
_caches: dict[Path, HashCache] = {}

P = ParamSpec("P")
R = TypeVar("R")


def current_run() -> Run | None:
    """The innermost run open in this context, if any."""
    return _current.get()


def _hash_cache(project: Project) -> HashCache:
    if project.dir not in _caches:
        project.dir.mkdir(parents=True, exist_ok=True)
        _caches[project.dir] = HashCache(project.dir / "hashcache.sqlite")
    return _caches[project.dir]


def _artifact_kind(kind: str) -> str:
    if kind not in ev.ARTIFACT_KINDS:
        raise InvalidEvent(f"unknown artifact kind {kind!r}; choose one of {', '.join(ev.ARTIFACT_KINDS)}", "kind")
    return kind


def _text(target: str | os.PathLike[str]) -> str:
    """The path or URI as text; a file name that is not valid UTF-8 cannot be recorded (events are JSON)."""
    path = os.fspath(target)
    text = os.fsdecode(path) if isinstance(path, bytes) else path
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEvent(f"{text.encode('utf-8', 'backslashreplace').decode()!r}: the name is not valid UTF-8 and "
                           "cannot be recorded (nothing recorded); rename it") from exc
    return text


def _is_uri(text: str) -> bool:
    head = text.split("/", 1)[0]
    return ":" in head and len(head.split(":", 1)[0]) > 1


class Run:
    """One run of a pipeline step; use it through :func:`run`."""

    def __init__(
        self,
        step: str,
        kind: str = "other",
        *,
        project: Project | str | Path | None = None,
        params: dict[str, Any] | None = None,
        labels: Iterable[str] = (),
        agents: list[dict[str, str]] | None = None,
        parent: str | None = None,
        run_id: str | None = None,
        capture_environment: bool = True,
        script: str | os.PathLike[str] | None = None,
    ) -> None:
        if kind not in ev.RUN_KINDS:
            raise InvalidEvent(f"unknown run kind {kind!r}; choose one of {', '.join(ev.RUN_KINDS)}",
                               "run.kind")
        if isinstance(project, Project):
            self.project = project
        else:
            self.project = Project.find(project or ".", create=True)
        self.step, self.kind = step, kind
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.id = run_id or f"{slug(step)[:40]}-{stamp}-{secrets.token_hex(12)}"  # 96 random bits
        self._named = run_id is not None  # by the caller: the same script run again names it again
        outer = current_run()
        self.parent = parent or (outer.id if outer else None)
        self.params: dict[str, Any] = dict(params or {})
        self.labels: list[str] = list(dict.fromkeys(labels))
        self.agents = agents if agents is not None else default_agents()
        self.capture_environment = capture_environment
        self.script = Path(script).resolve() if script is not None else None
        self.used: list[dict[str, Any]] = []
        self.generated: list[dict[str, Any]] = []
        self.metrics: dict[str, list[dict[str, Any]]] = {}
        self.seeds: dict[str, int] = {}
        self.annotations: dict[str, Any] = {}
        self.status: str | None = None
        self._token: Any = None

    # -- recording inside the block ---------------------------------------------------------------
    def _artifact(self, target: str | os.PathLike[str], kind: str, role: str | None, name: str | None,
                  labels: Iterable[str], derived_from: Iterable[str | os.PathLike[str]] | None) -> dict[str, Any]:
        text = _text(target)
        artifact: dict[str, Any] = {"kind": _artifact_kind(kind), "time": ev.now()}
        if _is_uri(text) and not text.startswith("file:"):
            artifact["location"] = text
        else:
            path = Path(text.removeprefix("file://")).resolve()
            if not path.exists():
                raise MissingFile(f"{text}: no such file or directory; run {self.id} is recorded as aborted, "
                                  "not failed")
            if not (path.is_file() or path.is_dir()):  # reading a FIFO or a device to hash it might never end
                raise InvalidEvent(f"{text}: not a regular file or folder; only files and folders can be hashed")
            digest = _hash_cache(self.project).digest(path)
            artifact.update(sha256=digest.sha256, size=digest.size, location=self._location(path))
            if digest.directory:
                artifact["directory"] = True
        for key, value in (("role", role), ("name", name)):
            if value:
                artifact[key] = value
        if labels:
            artifact["labels"] = list(dict.fromkeys(labels))
        if derived_from is not None:
            artifact["derived_from"] = [self._reference(d) for d in derived_from]
        return artifact

    def _location(self, path: Path) -> str:
        try:
            return path.relative_to(self.project.root).as_posix()
        except ValueError:
            return path.as_posix()

    def _reference(self, target: str | os.PathLike[str]) -> str:
        text = _text(target)
        if _is_uri(text) or not os.path.exists(text):
            return text
        return self._location(Path(text).resolve())

    def use(self, target: str | os.PathLike[str] | Any, *, kind: str = "dataset", role: str | None = None,
            name: str | None = None, labels: Iterable[str] = ()) -> dict[str, Any]:
        """Record that this run read ``target``: a path (hashed now), a URI, or in-memory data (a pandas
        DataFrame or Series, a NumPy array: its content fingerprint is the version's sha256, see
        :mod:`provgraph.capture.data`; shape, columns and dtypes are ``data.<name>.*`` annotations). For
        data, ``name`` (default ``dataframe``) is its location and logical dataset: a relative name belongs
        to the project, a URI or the path of the file it was read from makes it a version of that dataset.
        The same data used again in a run is recorded once."""
        if is_data(target):
            artifact = self._data(target, kind, role, name or "dataframe", labels)
            if any(a["location"] == artifact["location"] and a.get("sha256") == artifact["sha256"]
                   and a.get("role") == artifact.get("role") for a in self.used):
                return artifact
        else:
            artifact = self._artifact(target, kind, role, name, labels, None)
        self.used.append(artifact)
        return artifact

    def _data(self, value: Any, kind: str, role: str | None, name: str, labels: Iterable[str]) -> dict[str, Any]:
        sha256, method, schema = fingerprint(value)
        artifact: dict[str, Any] = {"location": name, "kind": _artifact_kind(kind), "time": ev.now(),
                                    "sha256": sha256, "labels": list(dict.fromkeys([*labels, f"fingerprint:{method}"]))}
        if role:
            artifact["role"] = role
        self.annotate(**{f"data.{name}.{key}": json.dumps(value) for key, value in schema.items()})
        return artifact

    def generate(self, target: str | os.PathLike[str], *, kind: str = "dataset", role: str | None = None,
                 name: str | None = None, labels: Iterable[str] = (),
                 derived_from: Iterable[str | os.PathLike[str]] | None = None) -> dict[str, Any]:
        """Record that this run wrote ``target``; by default it derives from everything the run used."""
        artifact = self._artifact(target, kind, role, name, labels, derived_from)
        self.generated.append(artifact)
        return artifact

    def _checked(self, **fields: Any) -> None:
        """Raise :class:`InvalidEvent` now, where the caller made the mistake, if ``fields`` would make the
        run's end event invalid (and the run would stay 'running')."""
        ev.validate(ev.new_event("run.update", run=self._run_fields(), **fields))

    def param(self, name: str, value: Any) -> None:
        """Record one parameter (a string, number, boolean or None)."""
        self.log_params(**{name: value})

    def log_params(self, **values: Any) -> None:
        """Record several parameters at once."""
        self._checked(params=values)
        self.params.update(values)

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        """Record a metric value; call again with ``step`` to keep its history."""
        point: dict[str, Any] = {"value": value, "time": ev.now()}
        if step is not None:
            point["step"] = step
        self.metrics.setdefault(name, []).append(point)

    def seed(self, value: int, name: str = "python") -> int:
        """Seed Python's ``random`` (and NumPy's global generator if loaded) and record the seed."""
        random.seed(value)
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            numpy.random.seed(value)
            self.seeds["numpy"] = value
        self.seeds[name] = value
        return value

    def label(self, *labels: str) -> None:
        """Attach policy labels (``sensitive``, ``approved``, ...) to the run."""
        self._checked(labels=list(dict.fromkeys(labels)))
        self.labels.extend(label for label in labels if label not in self.labels)

    def annotate(self, **values: Any) -> None:
        """Attach free key-value annotations."""
        self._checked(annotations=values)
        self.annotations.update(values)

    # -- events ----------------------------------------------------------------------------------
    def _run_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": self.id, "step": self.step, "kind": self.kind}
        if self.parent:
            fields["parent"] = self.parent
        return fields

    def _start_event(self) -> ev.Event:
        extra: dict[str, Any] = {}
        if self.capture_environment:
            extra["environment"] = environment()
            code: dict[str, Any] = {}
            git = git_state(str(self.project.root))
            if git:
                code["git"] = git
            script = self.script or script_path()
            if script:
                code["script"] = {"path": self._location(script),
                                  "sha256": _hash_cache(self.project).file(script).sha256}
            extra["code"] = code
        return ev.new_event("run.start", run=self._run_fields(), agents=self.agents,
                            params=self.params, labels=self.labels, **extra)

    def _end_event(self, status: str, error: BaseException | None) -> ev.Event:
        run = {**self._run_fields(), "status": status}
        if error is not None:
            run["error"] = {"type": type(error).__qualname__, "message": ev.escape_unsafe(str(error))[:65536]}
        metrics: dict[str, Any] = {
            name: points if len(points) > 1 else points[0]["value"] for name, points in self.metrics.items()
        }
        return ev.new_event(
            "run.end", run=run, agents=self.agents, used=self.used, generated=self.generated,
            params=self.params, metrics=metrics, seeds=self.seeds, labels=self.labels,
            annotations=self.annotations,
        )

    def __enter__(self) -> Run:
        start = self._start_event()
        if self._named:  # a run starts once (provgraph.runclock): refused before anything is recorded
            self.project.record_new([start])
        else:
            self.project.record(start)
        self._token = _current.set(self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _current.reset(self._token)
        if exc is None:
            self.status = "completed"
        elif isinstance(exc, KeyboardInterrupt | MissingFile):  # stopped, or never had what it needed
            self.status = "aborted"
        else:
            self.status = "failed"
        self.project.record(self._end_event(self.status, exc))


def run(step: str, kind: str = "other", **options: Any) -> Run:
    """Open a run of ``step``: ``with provgraph.run("train", kind="training") as r: ...``.

    Options: ``project`` (a :class:`Project` or folder; default: the project containing the working
    directory, created if missing), ``params``, ``labels``, ``agents``, ``parent``, ``run_id``,
    ``capture_environment``, ``script`` (the code file to record; default: the running script).
    """
    return Run(step, kind, **options)


def step(name: str | None = None, kind: str = "other", **options: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so each call is a run; inside, :func:`current_run` returns it."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with Run(name or func.__name__, kind, **options):
                return func(*args, **kwargs)

        return wrapper

    return decorate
