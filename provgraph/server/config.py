"""Server configuration: where to listen, which store, body limits, and the API tokens with their roles.

Tokens come from a TOML or JSON file (``provgraph serve --tokens FILE``, or ``PROVGRAPH_TOKENS_FILE``) or
from JSON in ``PROVGRAPH_TOKENS``. Each entry names the agent the token acts for, so every write the
server records says who made it::

    [[tokens]]
    agent = "alice"            # agent id (recorded on each write)
    name = "Alice Liddell"     # optional display name
    kind = "person"            # person | software | organization (default: person); a person is also
                               # credited (prov:wasAttributedTo) with what the runs it submits generate,
                               # so give CI and pipeline tokens kind = "software"
    role = "writer"            # reader | writer | admin
    token_sha256 = "9f86..."   # sha256 of the secret (or ``token = "secret"`` in plain text)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ProvgraphError
from ..journal import LOCAL_AGENT
from ..limits import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_MAX_RESULTS,
    DEFAULT_QUERY_SLOTS,
    DEFAULT_QUERY_TIMEOUT_S,
    QueryLimits,
)
from ..vocab import AGENT_CLASSES

ROLES = ("reader", "writer", "admin")
AGENT_KINDS = tuple(AGENT_CLASSES)  # the kinds an event may give an agent
DEFAULT_MAX_BODY = 16 * 1024 * 1024
TOKENS_ENV = "PROVGRAPH_TOKENS"
TOKENS_FILE_ENV = "PROVGRAPH_TOKENS_FILE"
_AGENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the agent a token stands for and its role."""

    agent: str
    role: str
    name: str = ""
    kind: str = "person"

    def may(self, role: str) -> bool:
        """Whether this principal holds ``role`` or a stronger one (reader < writer < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)


#: The caller when no tokens are configured (the server then listens on loopback only).
LOCAL = Principal(agent=LOCAL_AGENT, role="admin", name="local user (no API tokens configured)", kind="person")


@dataclass(frozen=True)
class Token:
    """One configured token: the sha256 of its secret and the principal it authenticates."""

    sha256: str
    principal: Principal


@dataclass
class ServerConfig:
    """Everything ``provgraph serve`` needs; ``tokens`` empty means loopback only, no authentication."""

    project: str | Path = "."
    store: str | None = None
    host: str = "127.0.0.1"
    port: int = 8750
    tokens: list[Token] = field(default_factory=list)
    max_body_bytes: int = DEFAULT_MAX_BODY  # also bounds a gzip body once inflated
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S  # a body still arriving after this long is a 408
    query_limits: QueryLimits = field(default_factory=QueryLimits)  # SPARQL text: length, nesting, operators
    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S  # /sparql answers 503 when a query runs longer
    max_results: int = DEFAULT_MAX_RESULTS  # rows (or triples) of a /sparql answer
    query_slots: int = DEFAULT_QUERY_SLOTS  # /sparql queries evaluated at once (an abandoned one keeps its slot)

    def check(self) -> None:
        """Refuse to listen beyond loopback without tokens, and reject nonsense limits."""
        limits = {"request size limit": self.max_body_bytes, "body time limit": self.body_timeout_s,
                  "query time limit": self.query_timeout_s,
                  "result limit": self.max_results, "number of query slots": self.query_slots,
                  "query length limit": self.query_limits.max_length}
        for name, value in limits.items():
            if value <= 0:
                raise ProvgraphError(f"the {name} must be positive, not {value}")
        if not self.tokens and not is_loopback(self.host):
            raise ProvgraphError(
                f"refusing to listen on {self.host} without API tokens: anyone could write; "
                "pass --tokens FILE (see 'provgraph serve --help') or listen on 127.0.0.1"
            )

    def authenticate(self, secret: str) -> Principal | None:
        """The principal of a bearer token, or ``None`` if no configured token matches."""
        digest = hashlib.sha256(secret.encode()).hexdigest()
        found = None
        for token in self.tokens:  # compare with every entry in constant time
            if hmac.compare_digest(digest, token.sha256):
                found = token.principal
        return found


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_tokens(data: Any, source: str) -> list[Token]:
    """Tokens from the parsed file (``{"tokens": [...]}`` or a bare list); errors name the entry."""
    entries = data.get("tokens") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ProvgraphError(f"{source}: expected a list of tokens under 'tokens'")
    tokens, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"{source}: tokens[{index}]"
        if not isinstance(entry, dict):
            raise ProvgraphError(f"{where}: expected a table/object")
        unknown = set(entry) - {"agent", "name", "kind", "role", "token", "token_sha256"}
        if unknown:
            raise ProvgraphError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        agent, role, kind = entry.get("agent"), entry.get("role"), entry.get("kind", "person")
        if not isinstance(agent, str) or not _AGENT_ID.match(agent):
            raise ProvgraphError(f"{where}.agent: an agent id ([A-Za-z0-9_.-], up to 128) is required")
        if role not in ROLES:
            raise ProvgraphError(f"{where}.role: must be one of {', '.join(ROLES)}")
        if kind not in AGENT_KINDS:
            raise ProvgraphError(f"{where}.kind: must be one of {', '.join(AGENT_KINDS)}")
        if "token_sha256" in entry:
            digest = str(entry["token_sha256"]).lower()
            if not _SHA256.match(digest):
                raise ProvgraphError(f"{where}.token_sha256: expected 64 hex digits")
        elif isinstance(entry.get("token"), str) and len(entry["token"]) >= 16:
            digest = hashlib.sha256(entry["token"].encode()).hexdigest()
        else:
            raise ProvgraphError(f"{where}.token: a secret of at least 16 characters (or token_sha256) is required")
        if digest in seen:
            raise ProvgraphError(f"{where}: the same secret is configured twice")
        seen.add(digest)
        name = str(entry.get("name", agent))
        tokens.append(Token(digest, Principal(agent=agent, role=role, name=name, kind=kind)))
    return tokens


def load_tokens(path: str | Path | None = None) -> list[Token]:
    """Tokens from ``path`` (TOML or JSON), else ``PROVGRAPH_TOKENS_FILE``, else ``PROVGRAPH_TOKENS``."""
    chosen = path or os.environ.get(TOKENS_FILE_ENV)
    if chosen:
        file = Path(chosen)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProvgraphError(f"cannot read the tokens file {file}: {exc}") from exc
        try:
            data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise ProvgraphError(f"{file} is not valid {'JSON' if file.suffix == '.json' else 'TOML'}: {exc}") from exc
        return parse_tokens(data, str(file))
    inline = os.environ.get(TOKENS_ENV)
    if inline:
        try:
            data = json.loads(inline)
        except ValueError as exc:
            raise ProvgraphError(f"{TOKENS_ENV} is not valid JSON: {exc}") from exc
        return parse_tokens(data, TOKENS_ENV)
    return []
