"""A stored plan as regenerating one of its weeks sees it: the revision it starts from,
the weeks around it (context), and the plan with that week replaced."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from coach.plans.edits import PlanContent
from coach.plans.models import WeekInfo, Workout


@dataclass(frozen=True)
class WeekPlan:
    plan_id: uuid.UUID
    week: int
    revision: int  # the revision the new one is saved on (compare-and-set)
    member_id: int | None  # who asked
    content: PlanContent  # the plan as that revision has it

    def neighbours(self) -> list[Workout]:
        """The workouts of the weeks just before and after, in plan order."""
        around = {self.week - 1, self.week + 1}
        return [w for w in self.content.workouts if w.week in around]

    def with_week(
        self, written: list[Workout], info: WeekInfo | None
    ) -> tuple[list[Workout], dict[int, WeekInfo]]:
        """The plan with the week's workouts (and its weekly info) replaced by `written`;
        every other week as it is."""
        workouts = sorted(
            [w for w in self.content.workouts if w.week != self.week] + written,
            key=lambda w: (w.week, w.day),
        )
        weekly_info = dict(self.content.weekly_info)
        if info is not None:
            weekly_info[self.week] = info
        return workouts, weekly_info
