"""Credentials never leave in an answer, a log line or an error message.

:func:`redact` replaces the user-info of every URI (``https://user:secret@host``) and the value of every
query parameter named like a credential (``?token=...``, ``&password=...``) in a text with ``***``.
Apply it wherever a store URI or a message that may quote one is shown.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@")
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;](?:[\w.-]*?)(?:token|password|passwd|pwd|secret|api[_-]?key|access[_-]?key|auth)"
    r"(?![\w.-]*_env=)[\w.-]*=)[^&;#\s'\"]*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with URI credentials and credential-like query parameters masked."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}{MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's rendered message (attach it to handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
