"""An iCalendar (RFC 5545) feed of planned workouts, one all-day event per workout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import TRANSP, Calendar, Event
from pydantic import BaseModel, ConfigDict, Field

PRODID = "-//Coach Agent//Planned workouts//EN"


class CalendarItem(BaseModel):
    """One planned workout on the calendar; `uid` must stay the same across exports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    title: str = Field(min_length=1)
    description: str = ""
    uid: str = Field(min_length=1, description="e.g. '<planned_workout_id>@<host>'")
    # Bumped when a workout moves or changes, so subscribed calendars replace it.
    sequence: int = Field(default=0, ge=0)


def planned_workouts_to_ics(
    items: Iterable[CalendarItem],
    *,
    calendar_name: str,
    stamp: dt.datetime | None = None,
    calendar_uid: str | None = None,
) -> bytes:
    """The feed as bytes; `stamp` (DTSTAMP, default now in UTC) keeps output reproducible."""
    when = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    cal = Calendar.new(name=calendar_name, prodid=PRODID, uid=calendar_uid)
    if calendar_uid is None:
        # icalendar invents a random calendar UID; a feed that changes on every fetch
        # defeats caching, and RFC 7986 makes the calendar UID optional.
        del cal["UID"]
    for item in items:
        event = Event.new(
            uid=item.uid,
            stamp=when,
            summary=item.title,
            description=item.description or None,
            # Planned dates are the athlete's local dates with no time of day: an all-day
            # event (VALUE=DATE) shows on that date in every time zone; DTEND is exclusive.
            start=item.date,
            end=item.date + dt.timedelta(days=1),
            sequence=item.sequence,
            # A workout does not block the athlete's time like a meeting does.
            transparency=TRANSP.TRANSPARENT,
        )
        cal.add_component(event)
    # bytes() for the type checker: icalendar does not annotate to_ical.
    return bytes(cal.to_ical())
