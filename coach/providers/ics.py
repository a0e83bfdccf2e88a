"""A private calendar feed: each planned workout an all-day event, its steps as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coach.providers.base import Capabilities, Provider, ProviderWorkout, PushResult
from coach.providers.capabilities import ICS
from coach.templates.convert import describe_target
from coach.templates.ics import CalendarItem, planned_workouts_to_ics
from coach.templates.models import StepBlock, WorkoutStep, WorkoutTemplate


class IcsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    calendar_name: str = Field(default="Training plan", min_length=1, max_length=200)
    uid_domain: str = Field(default="coach-agent", max_length=253, pattern=r"^[A-Za-z0-9.-]+$")


@dataclass(frozen=True)
class FeedEntry:
    """One planned workout in the feed; `uid` must not change when it moves."""

    uid: str
    planned_date: dt.date
    template: WorkoutTemplate
    sequence: int = 0


class IcsProvider(Provider):
    """push returns the workout as a one-event calendar; the feed is `render_feed`."""

    name = "ics"
    Settings = IcsSettings

    @classmethod
    def capabilities_of(cls, settings: Any) -> Capabilities:
        return ICS

    def uid(self, idempotency_key: str) -> str:
        return f"{idempotency_key}@{self.settings.uid_domain}"

    async def push(
        self,
        template: WorkoutTemplate,
        planned_date: dt.date,
        *,
        idempotency_key: str,
        reconcile: bool = False,
    ) -> PushResult:
        uid = self.uid(idempotency_key)
        event = render_feed(
            [FeedEntry(uid, planned_date, template)], calendar_name=self.settings.calendar_name
        )
        return PushResult(provider_workout_id=uid, artifact=event)

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        return None  # the feed is rendered from our planned workouts on every fetch

    async def delete(self, provider_workout_id: str) -> None:
        return None

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        return []


def render_feed(
    entries: Iterable[FeedEntry],
    *,
    calendar_name: str,
    stamp: dt.datetime | None = None,
    calendar_uid: str | None = None,
) -> bytes:
    """The .ics feed of an athlete's planned workouts (serve it at a private URL)."""
    items = [
        CalendarItem(
            date=e.planned_date,
            title=e.template.name,
            uid=e.uid,
            description=describe_template(e.template),
            sequence=e.sequence,
        )
        for e in sorted(entries, key=lambda e: (e.planned_date, e.uid))
    ]
    return planned_workouts_to_ics(
        items, calendar_name=calendar_name, stamp=stamp, calendar_uid=calendar_uid
    )


def describe_template(template: WorkoutTemplate) -> str:
    """Steps as lines a person reads on a calendar: `3x` groups, one step per line."""
    lines = [template.description] if template.description else []
    for block in template.step_blocks:
        lines.extend(_block(block))
    return "\n".join(lines)


def _block(block: StepBlock) -> list[str]:
    cond = block.completion_condition
    steps = [_step(s) for s in block.steps]
    if cond.type == "fixed_repetition" and (cond.value or 1) <= 1:
        return [f"- {s}" for s in steps]
    if cond.type == "fixed_repetition":
        head = f"{int(cond.value or 1)}x"
    elif cond.type == "open":
        head = "until lap button"
    else:
        head = f"repeat until {cond.type.replace('_', ' ')} {cond.value:g}"
    return [head, *(f"  - {s}" for s in steps)]


def _step(step: WorkoutStep) -> str:
    value = step.duration_value
    if step.duration_type == "time" and value:
        minutes, seconds = divmod(int(value), 60)
        amount = f"{minutes}:{seconds:02d}" if seconds else f"{minutes} min"
    elif step.duration_type == "distance_meters" and value:
        amount = f"{value / 1000:g} km" if value >= 1000 else f"{value:g} m"
    elif step.duration_type == "open":
        amount = "until lap"
    else:
        amount = f"{value:g} {step.duration_type.replace('_', ' ')}"
    parts = [amount, step.intensity_type]
    parts += [describe_target(t) for t in step.intensity_targets or [] if t.target_type != "open"]
    if step.notes:
        parts.append(f"({step.notes})")
    return " ".join(parts)
