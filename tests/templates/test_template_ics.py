"""iCalendar feed of planned workouts, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from pydantic import ValidationError

from coach.templates.ics import CalendarItem, planned_workouts_to_ics
from tests.templates.sample_plans import sample_plan


def items() -> list[CalendarItem]:
    return [
        CalendarItem(
            date=w.date or dt.date(2027, 1, 1),
            title=w.title,
            description=f"{w.duration // 60} min; {w.type}, {w.phase}",
            uid=f"{i}@coach.example",
        )
        for i, w in enumerate(sample_plan(2), start=1)
    ]


def test_each_workout_is_an_all_day_event_on_its_date() -> None:
    source = items()
    data = planned_workouts_to_ics(source, calendar_name="Anna – marathon")
    cal = Calendar.from_ical(data)
    assert cal.calendar_name == "Anna – marathon"
    events = cal.events
    assert len(events) == len(source) == 12
    for item, event in zip(source, events, strict=True):
        assert str(event["UID"]) == item.uid
        assert str(event["SUMMARY"]) == item.title
        assert str(event["DESCRIPTION"]) == item.description
        assert event.start == item.date and not isinstance(event.start, dt.datetime)
        assert event.end == item.date + dt.timedelta(days=1)
        assert event["DTSTART"].params["VALUE"] == "DATE"


def test_text_is_escaped_and_lines_are_folded() -> None:
    item = CalendarItem(
        date=dt.date(2027, 5, 2),
        title="Tempo; 3×10 min, hard",
        description="Line one\nLine two, with a comma; " + "x" * 120,
        uid="7@coach.example",
    )
    data = planned_workouts_to_ics([item], calendar_name="c")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    [event] = Calendar.from_ical(data).events
    assert str(event["SUMMARY"]) == item.title
    assert str(event["DESCRIPTION"]) == item.description


def test_same_items_and_stamp_give_the_same_feed() -> None:
    stamp = dt.datetime(2027, 1, 1, 6, 0, tzinfo=dt.UTC)
    first = planned_workouts_to_ics(items(), calendar_name="c", stamp=stamp)
    assert first == planned_workouts_to_ics(items(), calendar_name="c", stamp=stamp)
    [event, *_] = Calendar.from_ical(first).events
    assert event["DTSTAMP"].dt == stamp


def test_an_item_needs_a_uid_and_a_title() -> None:
    with pytest.raises(ValidationError):
        CalendarItem(date=dt.date(2027, 1, 1), title="x", uid="")
    with pytest.raises(ValidationError):
        CalendarItem(date=dt.date(2027, 1, 1), title="", uid="1")
