"""Cursor pagination, one shape for every list: `?limit=&cursor=` in, `{items, next_cursor}`
out, newest first.

The cursor is opaque to clients: the (created_at, id) of the last item answered, so a
page continues after it however many rows are added meanwhile (keyset pagination).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_
from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar

from coach.errors import BadRequest
from coach.settings import Settings


class PageQuery(BaseModel):
    """The query every list takes; lists add their filters."""

    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(
        default=None,
        ge=1,
        le=10000,
        description="Items per page: 50 unless given, at most 200 (a larger limit gets 200; "
        "both are settings).",
    )
    cursor: str | None = Field(
        default=None,
        max_length=200,
        description="The `next_cursor` of the page before; absent for the first page.",
    )


class _Created(Protocol):
    created_at: dt.datetime


Row = TypeVar("Row", bound=_Created)


def page_size(query: PageQuery, settings: Settings) -> int:
    return min(query.limit or settings.list_limit_default, settings.list_limit_max)


def _encode(created_at: dt.datetime, key: str) -> str:
    raw = json.dumps([created_at.isoformat(), key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, key = json.loads(raw)
        if not isinstance(key, str) or not isinstance(created, str):
            raise ValueError("not a cursor")
        return dt.datetime.fromisoformat(created), key
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadRequest.field("cursor", "not a cursor a list answered") from exc


def keyset_page(
    session: Session,
    statement: SelectOfScalar[Row],
    *,
    model: type[Row],
    key: str,
    query: PageQuery,
    size: int,
) -> tuple[Sequence[Row], str | None]:
    """One page of `statement`'s rows of `model`, newest first by (created_at, `key`),
    and the cursor of the next page (None on the last)."""
    created_column, key_column = col(model.created_at), col(getattr(model, key))
    if query.cursor is not None:
        after_created, after_key = _decode(query.cursor)
        statement = statement.where(
            or_(
                created_column < after_created,
                and_(created_column == after_created, key_column < after_key),
            )
        )
    statement = statement.order_by(created_column.desc(), key_column.desc()).limit(size + 1)
    rows = session.exec(statement).all()
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    return rows[:size], _encode(last.created_at, str(getattr(last, key)))
