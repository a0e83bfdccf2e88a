// Push the plan to an athlete (an assignment: the athlete's own start date, every
// connection or one) and watch each job live. Pushing again after edits sends only what
// changed: the list shows each workout the push created, moved, replaced or deleted.

import { api } from "./api.js";
import { h } from "./calendar.js";
import { announce, clearNotice, failed, renderNow, ui } from "./main.js";
import { follow } from "./sse.js";
import { plan } from "./state.js";

const $ = (id) => document.getElementById(id);
const VERB = { create: "created", delete: "deleted", retry: "pushed again" };

function verb(item) {
  if (item.action === "update") return item.method === "move" ? "moved" : "replaced";
  return VERB[item.action] || item.action;
}

export function loadPushAthletes() {
  const chosen = $("push-athlete").value;
  $("push-athlete").replaceChildren(
    h("option", { value: "", text: "– choose an athlete –" }),
    ...ui.athletes.map((a) => h("option", { value: a.user_id, text: a.name })),
  );
  if (chosen) $("push-athlete").value = chosen;
}

export function resetPush() {
  $("push-start").value = plan.startDate || "";
  $("push-progress-line").hidden = true;
  $("push-items").replaceChildren();
  $("push-jobs").replaceChildren();
  $("preview-list").replaceChildren();
  $("push-athlete").value = "";
  $("push-connection").replaceChildren();
}

async function loadConnections() {
  const user = $("push-athlete").value;
  const select = $("push-connection");
  select.replaceChildren();
  if (!user) return;
  const { data } = await api("GET", `/v1/athletes/${user}/connections`);
  select.replaceChildren(
    h("option", { value: "", text: data.connections.length ? "every connection" : "no connection" }),
    ...data.connections.map((c) => h("option", { value: c.connection_id, text: `${c.provider} #${c.connection_id}` })),
  );
  if (data.connections.length === 1) select.value = String(data.connections[0].connection_id);
  await loadPreview();
}

// The coercion preview of the chosen connection: what its provider would change of each
// workout, shown on the workouts and listed here, before anything is pushed.
export async function loadPreview() {
  const connection = $("push-connection").value;
  const list = $("preview-list");
  if (!connection || !plan.id || plan.status !== "complete") {
    plan.preview = null;
    list.replaceChildren();
    renderNow();
    return;
  }
  const { data } = await api("GET", `/v1/coach/plans/${plan.id}/preview?connection_id=${connection}`);
  plan.preview = {
    revision: data.revision,
    provider: data.provider,
    byDay: new Map(data.workouts.map((w) => [`${w.week}-${w.day}`, w.coercion_warnings])),
  };
  const changed = data.workouts.filter((w) => w.coercion_warnings.length);
  list.replaceChildren(
    h("li", {
      class: "meta",
      text: changed.length
        ? `${data.provider} would change ${changed.length} of ${data.workouts.length} workouts:`
        : `${data.provider} takes every workout as it is.`,
    }),
    ...changed.map((w) =>
      h("li", {
        class: "coercion",
        text: `Week ${w.week} day ${w.day}, ${w.title}: ` +
          w.coercion_warnings.map((c) => `${c.field}: ${c.reason}`).join("; "),
      })),
  );
  renderNow();
}

async function followJob(job, row) {
  let result = null;
  await follow(`/v1/coach/push-jobs/${job.job_id}/events`, {
    onEvent(name, payload) {
      if (name === "progress") {
        $("push-progress").value = payload.progress ?? 0;
        row.textContent = `connection #${job.connection_id}: ${payload.count} of ${payload.total}`;
      } else if (name === "item") {
        $("push-items").append(
          h("li", {
            class: `item-${payload.state}`,
            text: `Week ${payload.week} day ${payload.day} → ${payload.planned_date}: ${verb(payload)}` +
              (payload.state === "failed" ? ` (failed: ${payload.last_error || "unknown"})` : ""),
          }),
        );
      } else if (name === "result") result = payload;
    },
  });
  return result || job;
}

function summary(job) {
  const a = job.actions;
  const what = a
    ? `${a.created} created, ${a.updated} updated, ${a.deleted} deleted, ${a.retried} retried, ${a.unchanged} unchanged`
    : `${job.pushed} pushed`;
  return `connection #${job.connection_id}: ${job.status}, ${what}${job.failed ? `, ${job.failed} failed` : ""}`;
}

async function push(event) {
  event.preventDefault();
  clearNotice();
  const button = $("push-button");
  button.disabled = true;
  $("push-progress-line").hidden = false;
  $("push-progress").value = 0;
  $("push-items").replaceChildren();
  $("push-text").textContent = "starting";
  try {
    const body = { user_id: $("push-athlete").value, start_date: $("push-start").value };
    if ($("push-connection").value) body.connection_id = Number($("push-connection").value);
    const { data } = await api("POST", `/v1/coach/plans/${plan.id}/assignments`, { body, etag: plan.etag });
    const rows = data.jobs.map(() => h("li"));
    $("push-jobs").replaceChildren(...rows);
    const jobs = await Promise.all(data.jobs.map((job, i) => followJob(job, rows[i])));
    jobs.forEach((job, i) => {
      rows[i].textContent = summary(job);
    });
    $("push-progress").value = 100;
    const text = `Revision ${data.revision} pushed: ${jobs.map(summary).join("; ")}`;
    $("push-text").textContent = jobs.every((j) => j.status === "complete") ? "done" : "finished with failures";
    announce(text);
  } catch (err) {
    failed(err);
  } finally {
    button.disabled = false;
  }
}

export function wirePush() {
  $("push-athlete").addEventListener("change", () => loadConnections().catch(failed));
  $("push-connection").addEventListener("change", () => loadPreview().catch(failed));
  $("push-form").addEventListener("submit", push);
}
