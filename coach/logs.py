"""Logging with the request id on every line, set per request by the request-id middleware."""

from __future__ import annotations

import contextvars
import logging
from typing import TextIO

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def escaped(text: str) -> str:
    """`text` with its control characters written as escapes (a newline becomes `\\n`), so
    a value from a request (a path with `%0a`, a header) cannot forge a log line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class _RequestFilter(logging.Filter):
    """Adds the request id, and renders the message with its control characters escaped
    (tracebacks are appended after this, on lines of their own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        message = record.getMessage()
        safe = escaped(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RequestFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    root = logging.getLogger("coach")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
