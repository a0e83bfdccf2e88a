"""Timestamps as aware UTC datetimes on every database, so the API writes them with `Z`.

PostgreSQL's `timestamptz` hands back aware datetimes; SQLite keeps no zone and hands back
naive ones. Every timestamp column uses `UtcDateTime`: a value is stored as UTC (a naive
one is taken to be UTC already) and always read back aware, in UTC, on both databases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def as_utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """`DateTime(timezone=True)` that is UTC-aware in and out on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"a timestamp column takes a datetime, not {type(value).__name__}")
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)
