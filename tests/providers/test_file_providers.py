"""fit and ics: no remote; the push is a file, the feed lists every planned workout once."""

from __future__ import annotations

import datetime as dt

import pytest
from garmin_fit_sdk import Decoder, Stream
from icalendar import Calendar

from coach.providers import registry
from coach.providers.ics import FeedEntry, render_feed
from tests.providers.conftest import plan_items

pytestmark = pytest.mark.anyio


async def test_fit_push_returns_a_workout_file_per_plan_day() -> None:
    adapter = registry.create("fit")
    items = plan_items(12)
    results = await adapter.push_many(items)
    assert len({r.provider_workout_id for r in results}) == len(items)
    for item, result in zip(items, results, strict=True):
        assert result.artifact is not None
        messages, errors = Decoder(Stream.from_byte_array(result.artifact)).read()
        assert errors == []
        assert messages["workout_mesgs"][0]["wkt_name"] == item.template.name
        steps = messages["workout_step_mesgs"]
        assert messages["workout_mesgs"][0]["num_valid_steps"] == len(steps) <= 50
    again = await adapter.push(
        items[0].template, items[0].planned_date, idempotency_key=items[0].idempotency_key
    )
    assert again.artifact == results[0].artifact  # same workout, same bytes
    await adapter.move(results[0].provider_workout_id, dt.date(2027, 6, 1))
    await adapter.delete(results[0].provider_workout_id)
    assert await adapter.list(dt.date(2027, 1, 1), dt.date(2027, 12, 31)) == []


async def test_ics_feed_has_each_workout_once_on_its_date() -> None:
    adapter = registry.create("ics", None, {"calendar_name": "Marathon", "uid_domain": "c.test"})
    items = plan_items(12, sport="triathlon")
    results = await adapter.push_many(items)
    one = Calendar.from_ical(results[0].artifact or b"")
    assert [e["UID"] for e in one.walk("VEVENT")] == [f"{items[0].idempotency_key}@c.test"]
    entries = [
        FeedEntry(r.provider_workout_id, i.planned_date, i.template)
        for i, r in zip(items, results, strict=True)
    ]
    # Moving one is a new date and a higher SEQUENCE under the same UID.
    entries[0] = FeedEntry(entries[0].uid, dt.date(2027, 5, 1), entries[0].template, 1)
    feed = Calendar.from_ical(
        render_feed(entries, calendar_name="Marathon", stamp=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    )
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert len(events) == len(items)
    for entry in entries:
        event = events[entry.uid]
        assert event.decoded("DTSTART") == entry.planned_date
        assert str(event["SUMMARY"]) == entry.template.name
    assert events[entries[0].uid]["SEQUENCE"] == 1
    swim = next(e for e in entries if e.template.sport == "swimming_swimming_pool")
    assert "x\n  - " in str(events[swim.uid]["DESCRIPTION"])  # repeats read as "Nx" groups
