"""render."""

AREA = "render"
TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {}
