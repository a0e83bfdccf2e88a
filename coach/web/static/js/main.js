// The editor page: sign in, write a draft, generate, follow, edit, push.

import { api, ApiError, listAll, session } from "./api.js";
import { h, renderCalendar } from "./calendar.js";
import { drawChart } from "./chart.js";
import { closeDetail, openDetail, wireDetail } from "./detail.js";
import { edits, wireEdits } from "./edits.js";
import { loadPreview, loadPushAthletes, resetPush, wirePush } from "./push.js";
import { follow } from "./sse.js";
import { adopt, plan, putWorkout, reset, warningsByDay } from "./state.js";

const $ = (id) => document.getElementById(id);
const PLAN_KEY = "coach.plan";
const streamKey = (id) => `coach.stream.${id}`;

export const ui = { athletes: [], me: null, aborter: null };

// ---------- messages ----------

// The message shows in the open dialog when there is one (a modal hides the page), else at
// the top of the page; a conflict closes the dialogs: the plan must be reloaded first.
export function notify(text, { reload = false } = {}) {
  const notice = $("notice");
  if (reload) for (const open of document.querySelectorAll("dialog[open]")) open.close();
  const dialog = document.querySelector("dialog[open]");
  if (dialog) dialog.querySelector("form").prepend(notice);
  else if (notice.parentElement !== document.body) $("status").before(notice);
  $("notice-text").textContent = text;
  $("notice-reload").hidden = !reload;
  $("notice").hidden = false;
}

export function clearNotice() {
  $("notice").hidden = true;
}

export function announce(text) {
  $("status").textContent = text;
}

export function failed(err) {
  if (err && err.name === "AbortError") return;
  if (err instanceof ApiError && err.status === 401) {
    signOut(`Signed out: ${err.message}`);
    return;
  }
  if (err instanceof ApiError && err.conflict) {
    notify("This plan was changed elsewhere (another tab or person). Reload it to see the changes, then edit again.", { reload: true });
    return;
  }
  const fields = err instanceof ApiError && err.details.length
    ? ` (${err.details.map((d) => d.field && `${d.field}: ${d.message}`).filter(Boolean).join("; ")})`
    : "";
  notify(`${err.message || err}${fields}`);
}

// ---------- sign in ----------

function signOut(message) {
  if (ui.aborter) ui.aborter.abort();
  session.signOut();
  $("app").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  if (message) notify(message);
  $("api-key").focus();
}

async function enter() {
  const { data: me } = await api("GET", "/v1/me");
  ui.me = me;
  $("who-text").textContent = `${me.role}, organization ${me.organization_id}`;
  $("who").hidden = false;
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("plan-form").elements.start_date.value ||= nextMonday();
  await Promise.all([loadPrinciples(), loadAthletes(), loadPlans()]);
  restoreDraft();
  const id = new URLSearchParams(location.search).get("plan") || sessionStorage.getItem(PLAN_KEY);
  if (id) await openPlan(id);
}

function nextMonday() {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
  return d.toISOString().slice(0, 10);
}

// ---------- the side bar ----------

async function loadPrinciples() {
  const { data } = await api("GET", "/v1/principles");
  const select = $("principle");
  select.replaceChildren(
    h("option", { value: "", text: "the organization's (or the default)" }),
    ...data.principles.map((p) => h("option", { value: p.name, text: `${p.title}${p.default ? " (default)" : ""}` })),
    h("option", { value: "__custom", text: "my own words…" }),
  );
}

async function sideList(path, all = true) {
  try {
    return all ? await listAll(path) : (await api("GET", path)).data.items;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
    throw err;
  }
}

export async function loadAthletes() {
  const athletes = await sideList("/v1/athletes");
  ui.athletes = athletes || [];
  $("athletes").replaceChildren(
    ...(athletes === null
      ? [h("li", { class: "meta", text: "Listing athletes needs a newer service." })]
      : athletes.length
        ? athletes.map((a) =>
            h("li", {
              text: `${a.name} (${a.timezone}) · ${a.connections.map((c) => c.provider).join(", ") || "no connection"}`,
            }))
        : [h("li", { class: "meta", text: "No athletes yet." })]),
  );
  $("plan-athlete").replaceChildren(
    h("option", { value: "", text: "– none (targets as zones) –" }),
    ...ui.athletes.map((a) => h("option", { value: a.user_id, text: a.name })),
  );
  loadPushAthletes();
}

export async function loadPlans() {
  const plans = await sideList("/v1/coach/plans?limit=20", false);
  $("plans").replaceChildren(
    ...(plans === null
      ? [h("li", { class: "meta", text: "Listing plans needs a newer service." })]
      : plans.length
        ? plans.slice(0, 20).map((p) =>
            h("li", {},
              h("a", {
                href: `?plan=${p.plan_id}`,
                text: `${p.weeks} weeks ${p.sport}${p.start_date ? ` from ${p.start_date}` : ""} · ${p.status}`,
                "aria-current": p.plan_id === plan.id ? "page" : false,
                onclick: (e) => {
                  e.preventDefault();
                  openPlan(p.plan_id).catch(failed);
                },
              })))
        : [h("li", { class: "meta", text: "No plans yet." })]),
  );
}

// ---------- draft ----------

function generationBody() {
  const f = $("plan-form").elements;
  const body = {
    weeks: Number(f.weeks.value),
    experience_level: f.experience_level.value,
    organization_id: ui.me.organization_id,
    sport: f.sport.value,
  };
  if (f.start_date.value) body.start_date = f.start_date.value;
  if (f.instructions.value.trim()) body.instructions = f.instructions.value.trim();
  const principle = f.principle.value === "__custom" ? f.principle_text.value.trim() : f.principle.value;
  if (principle) body.training_principle = principle;
  const athlete = ui.athletes.find((a) => a.user_id === f.athlete.value);
  if (athlete && athlete.thresholds) {
    const t = Object.fromEntries(Object.entries(athlete.thresholds).filter(([, v]) => v != null));
    if (Object.keys(t).length) body.athlete = t;
  }
  return body;
}

// The draft being written (its id) and the draft text as the coach left it are kept in
// the tab's sessionStorage: a reload gets both back, and a draft still being written is
// followed again.
const DRAFT_KEY = "coach.draft";
const DRAFT_ID_KEY = "coach.draftId";
let draftSaving = 0;

function saveDraftSoon() {
  clearTimeout(draftSaving);
  draftSaving = setTimeout(() => sessionStorage.setItem(DRAFT_KEY, $("draft").value), 300);
}

async function writeDraft(event) {
  event.preventDefault();
  clearNotice();
  try {
    const { data } = await api("POST", "/v1/coach/drafts", { body: generationBody() });
    await followDraft(data.draft_id);
  } catch (err) {
    failed(err);
  }
}

async function followDraft(id) {
  const button = $("write-draft");
  const draft = $("draft");
  button.disabled = true;
  draft.value = "";
  draft.readOnly = true;
  $("generate").disabled = true;
  sessionStorage.setItem(DRAFT_ID_KEY, id);
  announce("Writing the draft…");
  try {
    let failure = null;
    await follow(`/v1/coach/drafts/${id}/stream`, {
      onEvent(name, payload) {
        if (name === "progress" && payload.text) draft.value += payload.text;
        else if (name === "result") draft.value = payload.draft;
        else if (name === "error") failure = payload.error;
      },
    });
    if (failure) throw new Error(failure);
    announce("The draft is written; edit it, then generate the plan.");
  } catch (err) {
    failed(err);
  } finally {
    sessionStorage.removeItem(DRAFT_ID_KEY);
    sessionStorage.setItem(DRAFT_KEY, draft.value);
    button.disabled = false;
    draft.readOnly = false;
    $("generate").disabled = false;
  }
}

const FORM_KEY = "coach.form";

function saveForm() {
  const values = Object.fromEntries(new FormData($("plan-form")).entries());
  sessionStorage.setItem(FORM_KEY, JSON.stringify(values));
}

function restoreForm() {
  const values = JSON.parse(sessionStorage.getItem(FORM_KEY) || "null");
  if (!values) return;
  const form = $("plan-form");
  for (const [name, value] of Object.entries(values)) {
    if (form.elements[name]) form.elements[name].value = value;
  }
  $("principle-text-label").hidden = form.elements.principle.value !== "__custom";
}

function restoreDraft() {
  restoreForm();
  const id = sessionStorage.getItem(DRAFT_ID_KEY);
  if (id) {
    followDraft(id);
    return;
  }
  const text = sessionStorage.getItem(DRAFT_KEY);
  if (text && !$("draft").value) $("draft").value = text;
}

async function generate() {
  clearNotice();
  $("generate").disabled = true;
  try {
    const body = { ...generationBody(), refined_draft: $("draft").value };
    const { data } = await api("POST", "/v1/coach/plans", { body });
    await openPlan(data.plan_id);
  } catch (err) {
    failed(err);
  } finally {
    $("generate").disabled = false;
  }
}

// ---------- the plan ----------

let frame = 0;
export function render() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderNow();
  });
}

export function renderNow() {
  const editable = plan.status === "complete" && edits.available;
  const phases = Object.fromEntries(Object.entries(plan.weeklyInfo).map(([k, v]) => [k, v.phase]));
  $("plan-title").textContent = `Plan ${plan.id ? plan.id.slice(0, 8) : ""}`;
  $("plan-meta").textContent = [
    `${plan.weeks} weeks`,
    plan.startDate && `from ${plan.startDate}`,
    plan.status,
    plan.revision ? `revision ${plan.revision}` : null,
  ].filter(Boolean).join(" · ");
  drawChart($("chart"), plan.workouts, plan.weeks, phases);
  renderCalendar($("calendar"), {
    editable,
    onOpen: (w) => openDetail(w, { editable, regenerate: edits.regenerate }),
    onMove: (fw, fd, tw, td) => edits.move(fw, fd, tw, td).catch(failed),
    onAdd: (week, day) => edits.openAdd(week, day),
  });
  const general = warningsByDay().get("") || [];
  $("warnings").replaceChildren(...general.map((t) => h("li", { class: "warning", text: t })));
  $("cancel").hidden = plan.status !== "generating";
  for (const id of ["shift", "copy-week", "revisions-toggle"]) $(id).disabled = !editable;
  edits.refreshUndo();
  $("push").hidden = plan.status !== "complete";
  if (plan.preview && plan.preview.revision !== plan.revision) {
    plan.preview.revision = plan.revision;
    loadPreview().catch(failed);
  }
}

function showProgress(value, text) {
  $("progress-line").hidden = value == null;
  if (value == null) return;
  $("progress").value = value;
  $("progress-text").textContent = text;
}

export async function openPlan(id) {
  if (ui.aborter) ui.aborter.abort();
  clearNotice();
  closeDetail();
  if (plan.id !== id) edits.resetHistory();
  reset(id);
  sessionStorage.setItem(PLAN_KEY, id);
  const url = new URL(location.href);
  url.searchParams.set("plan", id);
  history.replaceState(null, "", url);
  $("plan").hidden = false;
  const { data, etag } = await api("GET", `/v1/coach/plans/${id}`);
  adopt(data, etag);
  resetPush();
  if (data.status !== "generating") {
    sessionStorage.removeItem(streamKey(id));
    showProgress(null);
    renderNow();
    if (data.status === "failed") notify(`The plan failed: ${data.error}`);
    loadPlans().catch(() => {});
    return;
  }
  await followPlan(id);
}

// Follow a plan being generated: what this tab saw before a reload is kept in
// sessionStorage with the last event id, and the stream resumes after it.
async function followPlan(id) {
  const saved = JSON.parse(sessionStorage.getItem(streamKey(id)) || "null");
  plan.workouts = saved ? saved.workouts : [];
  plan.weeklyInfo = saved ? saved.weeklyInfo : {};
  let total = saved ? saved.total : 0;
  let last = saved ? saved.last : null;
  let failure = null;
  showProgress(saved ? saved.progress : 0, saved ? `${plan.workouts.length} of ${total}` : "starting");
  renderNow();
  const aborter = new AbortController();
  ui.aborter = aborter;
  // What was received, with the id of its last event, saved at most every 250 ms (a
  // reload repeats the events after the saved id; the calendar ignores repeats).
  let saving = 0;
  const save = () => {
    saving = 0;
    const progress = $("progress").value;
    const state = { last, total, progress, workouts: plan.workouts, weeklyInfo: plan.weeklyInfo };
    sessionStorage.setItem(streamKey(id), JSON.stringify(state));
  };
  const keep = () => {
    saving ||= setTimeout(save, 250);
  };
  const flush = () => saving && (clearTimeout(saving), save());
  addEventListener("pagehide", flush);
  try {
    await follow(`/v1/coach/plans/${id}/stream`, {
      lastEventId: last,
      signal: aborter.signal,
      onEvent(name, payload, eventId) {
        if (eventId) last = eventId;
        if (name === "workout") putWorkout(payload);
        else if (name === "weekly_info") Object.assign(plan.weeklyInfo, payload);
        else if (name === "progress") {
          if (payload.total) total = payload.total;
          const count = payload.count ?? plan.workouts.length;
          showProgress(payload.progress ?? 0, total ? `${count} of ${total} workouts` : payload.message);
        } else if (name === "result") plan.warnings = payload.warnings || [];
        else if (name === "error") failure = payload.error;
        keep();
        render();
      },
    });
  } catch (err) {
    if (err.name === "AbortError") return;
    throw err;
  } finally {
    clearTimeout(saving);
    removeEventListener("pagehide", flush);
    if (ui.aborter === aborter) ui.aborter = null;
  }
  sessionStorage.removeItem(streamKey(id));
  showProgress(null);
  const { data, etag } = await api("GET", `/v1/coach/plans/${id}`);
  adopt(data, etag);
  resetPush();
  renderNow();
  if (failure || data.status === "failed") notify(`The plan failed: ${data.error || failure}`);
  else announce(`The plan is ready: ${plan.workouts.length} workouts.`);
  loadPlans().catch(() => {});
}

async function cancelPlan() {
  try {
    await api("POST", `/v1/coach/plans/${plan.id}/cancel`);
  } catch (err) {
    failed(err);
  }
}

function newPlan() {
  if (ui.aborter) ui.aborter.abort();
  sessionStorage.removeItem(PLAN_KEY);
  const url = new URL(location.href);
  url.searchParams.delete("plan");
  history.replaceState(null, "", url);
  $("plan").hidden = true;
  $("plan-form").elements.weeks.focus();
}

// ---------- wiring ----------

function wire() {
  $("sign-in-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("api-key").value.trim();
    $("api-key").value = "";
    session.signIn(key);
    clearNotice();
    enter().catch(failed);
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("notice-close").addEventListener("click", clearNotice);
  $("notice-reload").addEventListener("click", () => openPlan(plan.id).catch(failed));
  $("plan-form").addEventListener("submit", writeDraft);
  $("principle").addEventListener("change", (e) => {
    $("principle-text-label").hidden = e.target.value !== "__custom";
  });
  $("generate").addEventListener("click", generate);
  $("draft").addEventListener("input", saveDraftSoon);
  $("plan-form").addEventListener("input", saveForm);
  $("plan-form").addEventListener("change", saveForm);
  $("cancel").addEventListener("click", cancelPlan);
  $("new-plan").addEventListener("click", newPlan);
  $("detail-close").addEventListener("click", closeDetail);
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      if (dialog.contains($("notice"))) {
        $("status").before($("notice"));
        clearNotice();
      }
    });
  }
  wireDetail();
  wireEdits();
  wirePush();
}

wire();
if (session.key) enter().catch(failed);
else $("api-key").focus();
