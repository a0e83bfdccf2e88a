// Training load from the plan alone, and the fitness / fatigue / form it projects.
//
// Load of a workout (TSS-like, 100 = one hour at threshold):
//   sum over its steps (repeats counted) of  hours × IF² × 100,
//   IF (intensity factor) from the step's zone: Z1 0.65, Z2 0.75, Z3 0.85, Z4 0.95,
//   Z5 1.05, Z6 1.15, Z7 1.25; a step without a zone takes its intensity's
//   (warmup/cooldown/recovery/rest Z1, active Z2, interval Z4).
//   A distance step's time is its distance at the workout's average speed; an open step
//   counts nothing. A workout without timed steps counts its duration at Z2.
// Fitness (CTL), fatigue (ATL) and form (TSB), day by day from the plan's first day,
// starting from 0 (the athlete's history is not known here):
//   CTL_d = CTL_{d-1} + (load_d − CTL_{d-1}) / 42
//   ATL_d = ATL_{d-1} + (load_d − ATL_{d-1}) / 7
//   TSB_d = CTL_{d-1} − ATL_{d-1}   (form going into day d)
// The chart shows each week's last day.

import { zoneOf } from "./format.js";

const IF_BY_ZONE = [0, 0.65, 0.75, 0.85, 0.95, 1.05, 1.15, 1.25];

export function stepSeconds(step, workout) {
  if (step.duration_type === "time") return step.duration_value || 0;
  if (step.duration_type === "distance_meters" && workout.distance > 0) {
    return ((step.duration_value || 0) * workout.duration) / workout.distance;
  }
  return 0;
}

export function workoutLoad(workout) {
  let load = 0;
  let counted = 0;
  for (const segment of workout.segments || []) {
    for (const step of segment.steps) {
      const seconds = stepSeconds(step, workout) * (segment.repeats || 1);
      const factor = IF_BY_ZONE[Math.min(7, Math.max(1, zoneOf(step)))];
      load += (seconds / 3600) * factor * factor * 100;
      counted += seconds;
    }
  }
  if (!counted) load = (workout.duration / 3600) * IF_BY_ZONE[2] ** 2 * 100;
  return Math.round(load);
}

export function weeklyTotals(workouts) {
  const weeks = new Map();
  for (const w of workouts) {
    const t = weeks.get(w.week) || { seconds: 0, meters: 0, load: 0, count: 0 };
    t.seconds += w.duration;
    t.meters += w.distance;
    t.load += workoutLoad(w);
    t.count += 1;
    weeks.set(w.week, t);
  }
  return weeks;
}

// [{week, load, ctl, atl, tsb}] for weeks 1..weeks.
export function projection(workouts, weeks) {
  const daily = new Array(weeks * 7).fill(0);
  for (const w of workouts) {
    const index = (w.week - 1) * 7 + (w.day - 1);
    if (index >= 0 && index < daily.length) daily[index] += workoutLoad(w);
  }
  const out = [];
  let ctl = 0;
  let atl = 0;
  let tsb = 0;
  for (let d = 0; d < daily.length; d++) {
    tsb = ctl - atl;
    ctl += (daily[d] - ctl) / 42;
    atl += (daily[d] - atl) / 7;
    if (d % 7 === 6) {
      const week = (d + 1) / 7;
      const load = daily.slice(d - 6, d + 1).reduce((a, b) => a + b, 0);
      out.push({ week, load, ctl, atl, tsb });
    }
  }
  return out;
}
