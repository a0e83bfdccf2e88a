// The plan on the page: what the calendar, the chart and the edits read and change.

function empty(id) {
  return {
    id,
    etag: null,
    revision: 0,
    status: null,
    error: null,
    weeks: 0,
    startDate: null,
    workouts: [],
    weeklyInfo: {},
    warnings: [],
    report: [],
    preview: null,
  };
}

export const plan = empty(null);

export function reset(id) {
  Object.assign(plan, empty(id));
}

// Take a PlanView (GET /v1/coach/plans/{id}, or any edit's answer).
export function adopt(view, etag) {
  plan.id = view.plan_id;
  plan.status = view.status;
  plan.error = view.error || null;
  plan.revision = view.revision;
  plan.etag = etag || `"${view.revision}"`;
  plan.weeks = (view.request && view.request.weeks) || plan.weeks;
  plan.startDate = (view.request && view.request.start_date) || null;
  plan.workouts = view.content.slice();
  plan.weeklyInfo = view.weekly_info || {};
  plan.warnings = view.warnings || [];
  plan.report = (view.report && view.report.violations) || [];
}

export function putWorkout(workout) {
  const i = plan.workouts.findIndex((w) => w.week === workout.week && w.day === workout.day);
  if (i >= 0) plan.workouts[i] = workout;
  else plan.workouts.push(workout);
}

export function workoutAt(week, day) {
  return plan.workouts.find((w) => w.week === week && w.day === day) || null;
}

// The coaching report's violations by "week-day" ("week-" for a whole week); the
// generation's warnings (about the draft's lines, as it was generated) and the report's
// plan-wide violations under "".
export function warningsByDay() {
  const byDay = new Map();
  const add = (key, text) => byDay.set(key, [...(byDay.get(key) || []), text]);
  for (const v of plan.report) {
    add(v.week && v.day ? `${v.week}-${v.day}` : v.week ? `${v.week}-` : "", `${v.rule}: ${v.message}`);
  }
  for (const text of plan.warnings) add("", String(text));
  return byDay;
}
