"""Recording that an artifact is bad: resolve the reference, then journal an ``artifact.invalidate`` event."""

from __future__ import annotations

from collections.abc import Sequence

from pyoxigraph import NamedNode

from .. import events as ev
from ..project import Project
from ..query.resolve import resolve


def invalidate(project: Project, ref: str, reason: str,
               agents: Sequence[dict[str, str]] | None = None) -> NamedNode:
    """Record through the journal that ``ref`` is invalid, with ``reason``; returns the node.

    ``agents`` default to the current user (as the capture API records them).
    """
    target = resolve(project.synced_store(), ref, project.root)
    if agents is None:
        from ..capture.environment import default_agents

        agents = default_agents()
    event = ev.new_event("artifact.invalidate", agents=list(agents),
                         invalidation={"target": ref, "target_iri": target.value, "reason": reason})
    project.record(event)
    return target
