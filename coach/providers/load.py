"""Training load (TSS) of a workout template: the one estimate of how hard a workout is.

Shape's reference defines `load` as Training Stress Score:

    TSS = (duration_seconds / 3600) x relative_effort x 100,

relative effort from 0.25 (very easy) to 1.50 (very hard); 30 min easy = 25 TSS. Here it
is summed step by step (repeats counted), each step's relative effort being IF², the
square of its intensity factor, as in TSS's own definition (IF 1.0 = threshold = 100 TSS
an hour; an easy IF of ~0.7 gives Shape's 0.5). A step's IF comes from, in order:

1. an absolute target and the athlete's threshold (pace vs threshold pace, power vs
   FTP, heart rate vs threshold heart rate), the middle of its range;
2. a zone target (1-7): IF 0.6, 0.7, 0.83, 0.95, 1.05, 1.15, 1.22;
3. the step's intensity type: rest 0.5, recovery 0.6, warmup and cooldown 0.63,
   active 0.7 (steady aerobic work), interval 0.95.

Relative effort is then clamped to Shape's 0.25-1.50. Distance steps are timed at their
pace (or the sport's default speed); open (lap button) steps count zero.
"""

from __future__ import annotations

from coach.plans.models import Step, Target
from coach.providers.base import Thresholds
from coach.templates.convert import step_seconds, template_to_workout
from coach.templates.models import WorkoutTemplate

MIN_EFFORT, MAX_EFFORT = 0.25, 1.50
ZONE_IF = {1: 0.6, 2: 0.7, 3: 0.83, 4: 0.95, 5: 1.05, 6: 1.15, 7: 1.22}
INTENSITY_IF = {
    "rest": 0.5,
    "recovery": 0.6,
    "warmup": 0.63,
    "cooldown": 0.63,
    "active": 0.7,
    "interval": 0.95,
}


def training_load(template: WorkoutTemplate, thresholds: Thresholds | None = None) -> int:
    """The workout's TSS, rounded to a whole number."""
    th = thresholds or Thresholds()
    workout = template_to_workout(template, week=1, day=1, phase="base")
    total = 0.0
    for segment in workout.segments:
        for step in segment.steps:
            hours = segment.repeats * step_seconds(step, template.sport) / 3600
            total += hours * relative_effort(step, th) * 100
    return round(total)


def relative_effort(step: Step, thresholds: Thresholds) -> float:
    """Shape's relative effort of one step: IF², clamped to 0.25-1.50."""
    factor = _target_if(step.target, thresholds) if step.target is not None else None
    if factor is None:
        factor = INTENSITY_IF[step.intensity]
    return min(MAX_EFFORT, max(MIN_EFFORT, factor * factor))


def _target_if(target: Target, th: Thresholds) -> float | None:
    if target.zone is not None:
        return ZONE_IF[target.zone]
    bounds = [v for v in (target.low, target.high) if v]
    if not bounds:
        return None
    mid = sum(bounds) / len(bounds)
    if target.type == "pace" and th.threshold_pace_s_per_km:
        return th.threshold_pace_s_per_km / mid  # slower pace (more s/km) -> lower IF
    if target.type == "speed" and th.threshold_pace_s_per_km:
        return mid * th.threshold_pace_s_per_km / 1000
    if target.type == "power" and th.ftp_w:
        return mid / th.ftp_w
    if target.type == "heart_rate" and th.threshold_hr:
        return mid / th.threshold_hr
    return None
