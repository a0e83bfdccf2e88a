// The week-by-week calendar: one row per week, seven days, the week's totals beside it;
// workouts are buttons (open the detail), draggable to another day.

import { DAY_NAMES, dateOf, distance, duration } from "./format.js";
import { weeklyTotals, workoutLoad } from "./load.js";
import { plan, warningsByDay } from "./state.js";

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

export { h };

function dayLabel(week, day) {
  const date = dateOf(plan.startDate, week, day);
  if (!date) return `Day ${day}`;
  const weekday = DAY_NAMES[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7];
  return `${weekday} ${date.slice(5)}`;
}

// Keyboard focus on a day survives the calendar being drawn again (as a plan streams in,
// after an edit): the same day's workout, or its + button, gets it back.
export function focusDay(week, day) {
  const cell = document.querySelector(`#calendar li.day[data-week="${week}"][data-day="${day}"]`);
  const target = cell && (cell.querySelector(".workout") || cell.querySelector(".add"));
  if (target) target.focus();
}

export function renderCalendar(container, { onOpen, onMove, onAdd, editable }) {
  const active = document.activeElement;
  const focused = active && container.contains(active) ? active.closest("li.day") : null;
  const totals = weeklyTotals(plan.workouts);
  const warnings = warningsByDay();
  const weeks = [];
  for (let week = 1; week <= plan.weeks; week++) {
    const info = plan.weeklyInfo[String(week)] || {};
    const days = [];
    for (let day = 1; day <= 7; day++) {
      const workout = plan.workouts.find((w) => w.week === week && w.day === day);
      const label = dayLabel(week, day);
      const cell = h("li", {
        class: "day",
        "data-week": week,
        "data-day": day,
        "aria-label": `Week ${week}, ${label}`,
      });
      cell.append(h("span", { class: "day-label", "aria-hidden": "true", text: label }));
      if (workout) {
        const card = h(
          "button",
          {
            type: "button",
            class: `workout type-${workout.type}`,
            draggable: editable ? "true" : false,
            "data-week": week,
            "data-day": day,
            onclick: () => onOpen(workout),
            ondragstart: (e) => {
              e.dataTransfer.setData("text/plain", `${week}-${day}`);
              e.dataTransfer.effectAllowed = "move";
            },
          },
          h("span", { class: "w-title", text: workout.title }),
          h("span", {
            class: "w-meta",
            text: [duration(workout.duration), distance(workout.distance), `load ${workoutLoad(workout)}`]
              .filter(Boolean)
              .join(" · "),
          }),
        );
        const changes = plan.preview && plan.preview.byDay.get(`${week}-${day}`);
        if (changes && changes.length) {
          card.append(
            h("span", {
              class: "w-coerced",
              text: `${plan.preview.provider}: ${changes.length} change${changes.length > 1 ? "s" : ""}`,
              title: changes.map((c) => `${c.field}: ${c.reason}`).join("\n"),
            }),
          );
        }
        cell.append(card);
      } else if (editable) {
        cell.append(
          h("button", {
            type: "button",
            class: "add",
            "aria-label": `Add a workout on week ${week}, ${label}`,
            text: "+",
            onclick: () => onAdd(week, day),
          }),
        );
      }
      for (const text of warnings.get(`${week}-${day}`) || []) {
        cell.append(h("p", { class: "warning", text }));
      }
      if (editable) {
        cell.addEventListener("dragover", (e) => {
          e.preventDefault();
          cell.classList.add("drop");
        });
        cell.addEventListener("dragleave", () => cell.classList.remove("drop"));
        cell.addEventListener("drop", (e) => {
          e.preventDefault();
          cell.classList.remove("drop");
          const [fromWeek, fromDay] = e.dataTransfer.getData("text/plain").split("-").map(Number);
          if (fromWeek && (fromWeek !== week || fromDay !== day)) onMove(fromWeek, fromDay, week, day);
        });
      }
      days.push(cell);
    }
    const t = totals.get(week) || { seconds: 0, meters: 0, load: 0, count: 0 };
    const title = [`Week ${week}`, info.phase, info.focus].filter(Boolean).join(" · ");
    weeks.push(
      h(
        "section",
        { class: `week phase-${info.phase || "none"}`, "aria-label": title, "data-week": week },
        h("h3", { class: "week-title", text: title }),
        ...(warnings.get(`${week}-`) || []).map((text) => h("p", { class: "warning week-warning", text })),
        h("ol", { class: "days" }, ...days),
        h(
          "dl",
          { class: "totals", "aria-label": `Week ${week} totals` },
          h("dt", { text: "Time" }),
          h("dd", { text: duration(t.seconds) }),
          h("dt", { text: "Distance" }),
          h("dd", { text: distance(t.meters) || "0 km" }),
          h("dt", { text: "Load" }),
          h("dd", { text: String(t.load) }),
        ),
      ),
    );
  }
  container.replaceChildren(...weeks);
  if (focused) focusDay(Number(focused.dataset.week), Number(focused.dataset.day));
}
