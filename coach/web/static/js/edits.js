// Edits of a generated plan. Every edit sends the plan's ETag as If-Match and answers
// the plan at its new revision; a 412 means somebody else changed it first. Undo and
// redo restore earlier revisions (each restore is itself a revision).

import { api } from "./api.js";
import { h } from "./calendar.js";
import { closeDetail, detailWorkout, editedWorkout } from "./detail.js";
import { WORKOUT_TYPES } from "./format.js";
import { announce, clearNotice, failed, renderNow } from "./main.js";
import { follow } from "./sse.js";
import { adopt, plan, putWorkout, workoutAt } from "./state.js";

const $ = (id) => document.getElementById(id);
const base = () => `/v1/coach/plans/${plan.id}`;
const undoStack = [];
const redoStack = [];
let adding = null;

async function write(method, path, body, what, { keepRedo = false } = {}) {
  clearNotice();
  const before = plan.revision;
  const { data, etag } = await api(method, `${base()}${path}`, { body, etag: plan.etag });
  adopt(data, etag);
  if (!keepRedo) {
    undoStack.push(before);
    redoStack.length = 0;
  }
  renderNow();
  const report = plan.report.length ? ` The coaching report has ${plan.report.length} note(s).` : "";
  announce(`${what}: revision ${plan.revision}.${report}`);
}

export const edits = {
  available: false,
  regenerate: false,

  // A move to a free day; onto a taken day of the same week, the two swap.
  async move(fromWeek, fromDay, week, day) {
    if (week === fromWeek && workoutAt(week, day)) {
      const days = { [fromDay]: day, [day]: fromDay };
      await write("POST", `/weeks/${week}/reorder`, { days }, `Days ${fromDay} and ${day} of week ${week} swapped`);
      return;
    }
    await write("PATCH", `/workouts/${fromWeek}/${fromDay}`, { week, day }, `Moved to week ${week} day ${day}`);
  },

  openAdd(week, day) {
    adding = { week, day };
    $("add-when").textContent = `Week ${week}, day ${day}`;
    $("add").showModal();
  },

  // Another plan: its own history.
  resetHistory() {
    undoStack.length = 0;
    redoStack.length = 0;
  },

  refreshUndo() {
    $("undo").disabled = !edits.available || !undoStack.length;
    $("redo").disabled = !edits.available || !redoStack.length;
  },

  async undo() {
    if (!undoStack.length) return;
    const to = undoStack.pop();
    const from = plan.revision;
    try {
      await write("POST", `/revisions/${to}/restore`, undefined, `Undone (revision ${to} restored)`, { keepRedo: true });
      redoStack.push(from);
    } catch (err) {
      undoStack.push(to);
      throw err;
    }
    edits.refreshUndo();
  },

  async redo() {
    if (!redoStack.length) return;
    const to = redoStack.pop();
    const from = plan.revision;
    try {
      await write("POST", `/revisions/${to}/restore`, undefined, `Redone (revision ${to} restored)`, { keepRedo: true });
      undoStack.push(from);
    } catch (err) {
      redoStack.push(to);
      throw err;
    }
    edits.refreshUndo();
  },
};

async function saveDetail() {
  const before = detailWorkout();
  const after = editedWorkout();
  const { title, type, description, segments, duration, distance } = after;
  await write("PATCH", `/workouts/${before.week}/${before.day}`, { title, type, description, segments, duration, distance }, "Saved");
  closeDetail();
}

async function deleteDetail() {
  const w = detailWorkout();
  await write("DELETE", `/workouts/${w.week}/${w.day}`, undefined, `Deleted week ${w.week} day ${w.day}`);
  closeDetail();
}

async function moveDetail() {
  const w = detailWorkout();
  const f = $("detail-form").elements;
  const week = Number(f.move_week.value);
  const day = Number(f.move_day.value);
  if (week === w.week && day === w.day) return;
  await edits.move(w.week, w.day, week, day);
  closeDetail();
}

async function copyWeek(event) {
  event.preventDefault();
  const f = $("copy-form").elements;
  const week = Number(f.week.value);
  const toWeek = Number(f.to_week.value);
  $("copy-dialog").close();
  await write("POST", `/weeks/${week}/copy`, { to_week: toWeek }, `Week ${week} copied to week ${toWeek}`);
}

let regenerating = 0;

function openRegenerate() {
  const w = detailWorkout();
  closeDetail();
  regenerating = w.week;
  $("regen-title").textContent = `Regenerate week ${w.week}`;
  const draft = $("draft").value.split("\n").filter((line) => line.startsWith(`W${w.week} `));
  $("regen-form").elements.lines.value = draft.join("\n");
  $("regen-dialog").showModal();
}

// The week is written again and streamed in: its old workouts leave the calendar when the
// stream starts, the new ones arrive one by one; the plan is then one revision further.
async function regenerateWeek(event) {
  event.preventDefault();
  const week = regenerating;
  const lines = $("regen-form").elements.lines.value.trim();
  $("regen-dialog").close();
  clearNotice();
  const before = plan.revision;
  let failure = null;
  announce(`Regenerating week ${week}…`);
  try {
    await follow(`${base()}/weeks/${week}/regenerate`, {
      method: "POST",
      etag: plan.etag,
      body: lines ? { lines } : undefined,
      onEvent(name, payload) {
        if (name === "progress" && payload.status === "started") {
          plan.workouts = plan.workouts.filter((w) => w.week !== week);
        } else if (name === "workout") putWorkout(payload);
        else if (name === "error") failure = payload.error;
        else return;
        renderNow();
      },
    });
  } finally {
    const { data, etag } = await api("GET", base());
    adopt(data, etag);
    renderNow();
  }
  if (failure) throw new Error(failure);
  if (plan.revision !== before) {
    undoStack.push(before);
    redoStack.length = 0;
    edits.refreshUndo();
  }
  announce(`Week ${week} regenerated: revision ${plan.revision}.`);
}

async function addWorkout(event) {
  event.preventDefault();
  const f = $("add-form").elements;
  const seconds = Math.round(Number(f.minutes.value) * 60);
  const phase = (plan.weeklyInfo[String(adding.week)] || {}).phase || "base";
  const workout = {
    week: adding.week,
    day: adding.day,
    title: f.title.value.trim(),
    phase,
    type: f.type.value,
    description: "",
    duration: seconds,
    distance: 0,
    segments: [
      {
        kind: "main",
        repeats: 1,
        steps: [{ intensity: "active", duration_type: "time", duration_value: seconds, target: { type: "open", low: null, high: null, zone: 2 }, notes: null }],
      },
    ],
  };
  $("add").close();
  await write("POST", "/workouts", workout, `Added on week ${adding.week} day ${adding.day}`);
}

async function shift(event) {
  event.preventDefault();
  const f = $("shift-form").elements;
  const body = { from_week: Number(f.from_week.value), from_day: Number(f.from_day.value), days: Number(f.days.value) };
  $("shift-dialog").close();
  await write("POST", "/shift", body, `Shifted by ${body.days} days`);
}

async function toggleRevisions() {
  const box = $("revisions");
  const open = box.hidden;
  box.hidden = !open;
  $("revisions-toggle").setAttribute("aria-expanded", String(open));
  if (!open) return;
  const { data } = await api("GET", `${base()}/revisions`);
  const items = data.items || data.revisions || [];
  $("revision-list").replaceChildren(
    ...items.map((r) =>
      h("li", {},
        h("span", { text: `Revision ${r.revision}${r.summary ? `: ${r.summary}` : ""}${r.created_at ? ` · ${new Date(r.created_at).toLocaleString()}` : ""}` }),
        r.revision === plan.revision
          ? h("span", { class: "meta", text: " (current)" })
          : h("button", {
              type: "button",
              text: "Restore",
              "aria-label": `Restore revision ${r.revision}`,
              onclick: () => write("POST", `/revisions/${r.revision}/restore`, undefined, `Revision ${r.revision} restored`)
                .then(() => { box.hidden = true; $("revisions-toggle").setAttribute("aria-expanded", "false"); })
                .catch(failed),
            }))),
  );
}

async function probe() {
  try {
    const response = await fetch("/openapi.json");
    const doc = await response.json();
    edits.available = Boolean(doc.paths["/v1/coach/plans/{plan_id}/workouts/{week}/{day}"]);
    edits.regenerate = Boolean(doc.paths["/v1/coach/plans/{plan_id}/weeks/{week}/regenerate"]);
  } catch {
    edits.available = false;
  }
}

export function wireEdits() {
  probe().then(() => plan.id && renderNow());
  const safe = (fn) => (...args) => Promise.resolve(fn(...args)).catch(failed);
  $("detail-save").addEventListener("click", safe(saveDetail));
  $("detail-delete").addEventListener("click", safe(deleteDetail));
  $("detail-regenerate").addEventListener("click", openRegenerate);
  $("regen-form").addEventListener("submit", safe(regenerateWeek));
  $("regen-close").addEventListener("click", () => $("regen-dialog").close());
  $("detail-move-button").addEventListener("click", safe(moveDetail));
  $("copy-week").addEventListener("click", () => $("copy-dialog").showModal());
  $("copy-form").addEventListener("submit", safe(copyWeek));
  $("copy-close").addEventListener("click", () => $("copy-dialog").close());
  $("add-type").replaceChildren(...WORKOUT_TYPES.map((t) => h("option", { value: t, text: t })));
  $("add-form").addEventListener("submit", safe(addWorkout));
  $("add-close").addEventListener("click", () => $("add").close());
  $("shift").addEventListener("click", () => $("shift-dialog").showModal());
  $("shift-form").addEventListener("submit", safe(shift));
  $("shift-close").addEventListener("click", () => $("shift-dialog").close());
  $("revisions-toggle").addEventListener("click", safe(toggleRevisions));
  $("undo").addEventListener("click", safe(edits.undo));
  $("redo").addEventListener("click", safe(edits.redo));
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z" || !edits.available) return;
    if (e.target.closest("input, textarea, select")) return;
    e.preventDefault();
    safe(e.shiftKey ? edits.redo : edits.undo)();
  });
}

