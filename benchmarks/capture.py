"""capture."""

AREA = "capture"
TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {}
PER_SIZE = False
