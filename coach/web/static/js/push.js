// Push the plan to one of an athlete's connections and watch the job's progress live.

import { api } from "./api.js";
import { h } from "./calendar.js";
import { announce, clearNotice, failed, ui } from "./main.js";
import { follow } from "./sse.js";
import { plan } from "./state.js";

const $ = (id) => document.getElementById(id);

export function loadPushAthletes() {
  $("push-athlete").replaceChildren(
    h("option", { value: "", text: "– choose an athlete –" }),
    ...ui.athletes.map((a) => h("option", { value: a.user_id, text: a.name })),
  );
  $("push-connection").replaceChildren();
}

async function loadConnections() {
  const user = $("push-athlete").value;
  $("push-connection").replaceChildren();
  if (!user) return;
  const { data } = await api("GET", `/v1/athletes/${user}/connections`);
  $("push-connection").replaceChildren(
    ...data.connections.map((c) => h("option", { value: c.connection_id, text: `${c.provider} #${c.connection_id}` })),
  );
}

async function push(event) {
  event.preventDefault();
  clearNotice();
  const button = $("push-button");
  button.disabled = true;
  $("push-progress-line").hidden = false;
  $("push-progress").value = 0;
  $("push-text").textContent = "queued";
  try {
    const body = { user_id: $("push-athlete").value, connection_id: Number($("push-connection").value) };
    const { data } = await api("POST", `/v1/coach/plans/${plan.id}/push`, { body });
    let job = null;
    await follow(`/v1/coach/push-jobs/${data.job_id}/events`, {
      onEvent(name, payload) {
        if (name === "progress") {
          $("push-progress").value = payload.progress ?? 0;
          $("push-text").textContent = `${payload.count} of ${payload.total}`;
        } else if (name === "result") job = payload;
      },
    });
    if (job) {
      const text = `${job.status}: ${job.pushed} pushed, ${job.failed} failed, ${job.queued} waiting, of ${job.total}`;
      $("push-progress").value = 100;
      $("push-text").textContent = text;
      announce(`Push ${text}`);
    }
  } catch (err) {
    failed(err);
  } finally {
    button.disabled = false;
  }
}

export function wirePush() {
  $("push-athlete").addEventListener("change", () => loadConnections().catch(failed));
  $("push-form").addEventListener("submit", push);
}
