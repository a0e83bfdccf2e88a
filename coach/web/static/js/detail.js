// The workout detail: its segments and steps with targets in the athlete's numbers and
// zone colours; title, type, description, step lengths and zones are editable.

import { focusDay, h } from "./calendar.js";
import { WORKOUT_TYPES, dateOf, duration, distance, stepLength, target, zoneOf } from "./format.js";
import { stepSeconds } from "./load.js";
import { plan, warningsByDay } from "./state.js";

const dialog = () => document.getElementById("detail");
const KIND = { warmup: "Warm-up", main: "Main set", cooldown: "Cool-down" };
let current = null;

function stepRow(step, s, i, editable) {
  const zone = zoneOf(step);
  const unit = step.duration_type === "time" ? "min" : step.duration_type === "distance_meters" ? "m" : "";
  const value =
    step.duration_type === "time" ? Math.round(((step.duration_value || 0) / 60) * 10) / 10 : step.duration_value;
  const lengthCell = editable && unit
    ? h("label", { class: "inline" },
        h("span", { class: "visually-hidden", text: `Step ${i + 1} of segment ${s + 1}, length in ${unit}` }),
        h("input", { type: "number", min: "0", step: unit === "min" ? "0.5" : "50", value, "data-seg": s, "data-step": i, "data-field": "length", class: "num" }),
        ` ${unit}`)
    : h("span", { text: stepLength(step) });
  const zoneCell = editable
    ? h("label", { class: "inline" },
        h("span", { class: "visually-hidden", text: `Step ${i + 1} of segment ${s + 1}, zone` }),
        "Z",
        h("input", { type: "number", min: "1", max: "7", value: zone, "data-seg": s, "data-step": i, "data-field": "zone", class: "num zone-input" }))
    : h("span", { text: `Z${zone}` });
  return h("tr", { class: `zone-${zone}` },
    h("td", {}, h("span", { class: `swatch zone-${zone}`, "aria-hidden": "true" }), step.intensity),
    h("td", {}, lengthCell),
    h("td", {}, zoneCell),
    h("td", { class: "target", text: target(step.target, { withZone: false }) || "–" }),
    h("td", { text: step.notes || "" }));
}

function renderSteps(workout, editable) {
  const box = document.getElementById("detail-steps");
  box.replaceChildren(
    ...workout.segments.map((segment, s) =>
      h("section", { class: "segment" },
        h("h3", { text: `${KIND[segment.kind] || segment.kind}${segment.repeats > 1 ? ` × ${segment.repeats}` : ""}` }),
        h("table", { class: "steps" },
          h("thead", {}, h("tr", {}, ...["Step", "Length", "Zone", "Target", "Notes"].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, ...segment.steps.map((step, i) => stepRow(step, s, i, editable)))))),
  );
}

export function openDetail(workout, { editable, regenerate = false }) {
  current = structuredClone(workout);
  const form = document.getElementById("detail-form");
  document.getElementById("detail-title").textContent = workout.title;
  const date = workout.date || dateOf(plan.startDate, workout.week, workout.day);
  document.getElementById("detail-when").textContent =
    `Week ${workout.week}, day ${workout.day}${date ? ` (${date})` : ""} · ${workout.phase} · ` +
    `${duration(workout.duration)}${workout.distance ? ` · ${distance(workout.distance)}` : ""}`;
  const types = document.getElementById("detail-type");
  types.replaceChildren(...WORKOUT_TYPES.map((t) => h("option", { value: t, text: t })));
  form.elements.title.value = workout.title;
  form.elements.type.value = workout.type;
  form.elements.description.value = workout.description || "";
  for (const name of ["title", "type", "description"]) form.elements[name].disabled = !editable;
  form.elements.move_week.value = workout.week;
  form.elements.move_day.value = workout.day;
  form.elements.move_week.max = plan.weeks;
  for (const id of ["detail-save", "detail-delete", "detail-regenerate", "detail-move"]) {
    document.getElementById(id).hidden = !editable;
  }
  document.getElementById("detail-regenerate").hidden = !(editable && regenerate);
  renderSteps(workout, editable);
  const coerced = (plan.preview && plan.preview.byDay.get(`${workout.week}-${workout.day}`)) || [];
  const warnings = [
    ...(warningsByDay().get(`${workout.week}-${workout.day}`) || []),
    ...coerced.map((c) => `${plan.preview.provider} would change ${c.field} (${JSON.stringify(c.original_value)} → ${JSON.stringify(c.coerced_value)}): ${c.reason}`),
  ];
  document.getElementById("detail-warnings").replaceChildren(...warnings.map((t) => h("li", { text: t })));
  dialog().showModal();
  form.elements.title.focus();
}

export function closeDetail() {
  if (dialog().open) dialog().close();
}

// Closing the detail gives the keyboard back to the workout's day (or where it moved).
export function wireDetail() {
  dialog().addEventListener("close", () => {
    if (!current) return;
    const { week, day } = current;
    setTimeout(() => {
      if (!document.querySelector("dialog[open]") && document.activeElement === document.body) {
        focusDay(week, day);
      }
    }, 0);
  });
}

export function detailWorkout() {
  return current;
}

// The workout as the form now says, its totals rescaled to the new step lengths.
export function editedWorkout() {
  const form = document.getElementById("detail-form");
  const before = structuredClone(current);
  const after = structuredClone(current);
  after.title = form.elements.title.value.trim();
  after.type = form.elements.type.value;
  after.description = form.elements.description.value;
  for (const input of form.querySelectorAll("input[data-field]")) {
    const step = after.segments[Number(input.dataset.seg)].steps[Number(input.dataset.step)];
    const value = Number(input.value);
    if (!Number.isFinite(value) || value < 0) continue;
    if (input.dataset.field === "zone") {
      const zone = Math.min(7, Math.max(1, Math.round(value)));
      if (zone !== zoneOf(step)) step.target = { ...(step.target || { type: "open", low: null, high: null }), zone };
      if (step.target && step.target.type === "open" && step.target.zone == null) step.target = null;
    } else {
      step.duration_value = step.duration_type === "time" ? Math.round(value * 60) : Math.round(value);
    }
  }
  const seconds = (w) => w.segments.reduce((a, seg) => a + seg.steps.reduce((b, st) => b + stepSeconds(st, before), 0) * seg.repeats, 0);
  const old = seconds(before);
  if (old > 0) {
    const ratio = seconds(after) / old;
    after.duration = Math.round(before.duration * ratio);
    after.distance = Math.round(before.distance * ratio);
  }
  return after;
}
