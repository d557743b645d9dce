"""The structured result of a validation: a list of violations, each naming its constraint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    ``constraint`` is the rule's name as its specification prints it, for example
    ``"Constraint 24 (unique-generation)"``, ``"PROV-DM well-formedness"`` or a SHACL shape;
    ``records`` are the statements involved (PROV-N text for PROV documents, node IRIs for SHACL).
    """

    constraint: str
    message: str
    records: tuple[str, ...] = ()
    bundle: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"constraint": self.constraint, "message": self.message,
                "records": list(self.records), "bundle": self.bundle}


@dataclass
class Report:
    """What a validator found. ``ok`` is true when there are no violations."""

    violations: list[Violation] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    kind: str = "prov-constraints"

    @property
    def ok(self) -> bool:
        return not self.violations

    def extend(self, other: Report) -> None:
        """Add another report's violations and statistics (summed) to this one."""
        self.violations.extend(other.violations)
        for key, value in other.stats.items():
            self.stats[key] = self.stats.get(key, 0) + value

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ok": self.ok, "violations": [v.to_dict() for v in self.violations],
                "stats": dict(self.stats)}

    def text(self) -> str:
        """A human-readable report, one paragraph per violation."""
        head = f"{self.kind}: {'valid' if self.ok else f'INVALID ({len(self.violations)} violations)'}"
        lines = [head]
        for violation in self.violations:
            where = f" [bundle {violation.bundle}]" if violation.bundle else ""
            lines.append(f"- {violation.constraint}{where}: {violation.message}")
            lines.extend(f"    {record}" for record in violation.records)
        return "\n".join(lines)
