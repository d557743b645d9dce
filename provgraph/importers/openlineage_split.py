"""An OpenLineage event naming more datasets than one provgraph event holds, as several events of its run.

A provgraph event lists at most :data:`MAX_ITEMS` used and as many generated artifacts (the event schema's
``maxItems``); a Spark job reading thousands of partitions, each with its Hive table name (symlinks), names
more, and was refused whole. The event keeps as many as it holds; the rest go to ``run.update`` events of
the run at the same time (they join the run as a RUNNING's datasets do), ids made of the event's. A
generated artifact travels with the used artifacts its ``derived_from`` names (a column with its input
columns); an output derived from all the run used is derived from those of its own event (``lineage``
still reaches the others through the run).
"""

from __future__ import annotations

from typing import Any

from .. import events as ev
from . import naming

#: The most used (and generated) artifacts, and derivation sources, one provgraph event lists.
MAX_ITEMS = 10_000


def split(event: ev.Event, limit: int = MAX_ITEMS) -> list[ev.Event]:
    """``event`` alone when it holds its artifacts, else it with a first share and updates with the rest."""
    used: list[dict[str, Any]] = event.get("used") or []
    generated: list[dict[str, Any]] = event.get("generated") or []
    if len(used) <= limit and len(generated) <= limit:
        return [event]
    parts = _parts(used, generated, limit)
    run = {key: value for key, value in event["run"].items() if key not in ("status", "error")}
    found = []
    for number, (part_used, part_generated) in enumerate(parts):
        if number == 0:
            part = {**event}
        else:
            part = ev.new_event("run.update", event["time"], run=run, annotations={
                "provgraph.note": f"datasets {number + 1} of {len(parts)} of an OpenLineage event too large for one"})
            part["id"] = naming.event_id("ol-part", event["id"], number)
        part["used"], part["generated"] = part_used, part_generated
        found.append(part)
    return found


def _parts(used: list[dict[str, Any]], generated: list[dict[str, Any]], limit: int
           ) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(used, generated) shares of at most ``limit`` each, each generated artifact with its sources."""
    by_location = {artifact["location"]: artifact for artifact in used}
    parts: list[tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]] = [({}, [])]
    for artifact in generated:
        sources = [by_location[s] for s in _sources(artifact) if s in by_location][:limit]
        part_used, part_generated = parts[-1]
        missing = [s for s in sources if s["location"] not in part_used]
        if len(part_generated) >= limit or len(part_used) + len(missing) > limit:
            parts.append(({}, []))
            part_used, part_generated = parts[-1]
            missing = sources
        part_used.update((s["location"], s) for s in missing)
        part_generated.append(artifact)
    placed = {location for part_used, _ in parts for location in part_used}
    rest = [artifact for artifact in used if artifact["location"] not in placed]
    for part_used, _ in parts:
        room = limit - len(part_used)
        part_used.update((a["location"], a) for a in rest[:room])
        rest = rest[room:]
    while rest:
        parts.append(({a["location"]: a for a in rest[:limit]}, []))
        rest = rest[limit:]
    return [(list(part_used.values()), [_within(a, part_used) for a in part_generated])
            for part_used, part_generated in parts]


def _sources(artifact: dict[str, Any]) -> list[str]:
    return [s if isinstance(s, str) else s["source"] for s in artifact.get("derived_from") or ()]


def _within(artifact: dict[str, Any], used: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``artifact`` derived only from what ``used`` holds (its event's used artifacts)."""
    if "derived_from" not in artifact:
        return artifact
    kept = [s for s in artifact["derived_from"] if (s if isinstance(s, str) else s["source"]) in used]
    return {**artifact, "derived_from": kept}
