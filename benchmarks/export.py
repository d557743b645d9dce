"""export."""

AREA = "export"
TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {}
