// Server-sent events read with fetch, not EventSource: fetch sends the Authorization
// header (so no key or token in a URL), sends `Last-Event-ID` on the first request too
// (a reloaded page resumes where it stopped), and can POST (regenerating a week streams).

import { ApiError, authHeaders } from "./api.js";

const RETRIES = 5;

function parse(block) {
  const event = { event: "message", data: "", id: null };
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event.event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") event.id = value;
  }
  event.data = data.join("\n");
  return data.length || event.event !== "message" ? event : null;
}

async function readOnce(path, { method, body, etag, lastEventId, onEvent, signal }) {
  const headers = authHeaders({ Accept: "text/event-stream" });
  if (etag) headers["If-Match"] = etag;
  if (lastEventId) headers["Last-Event-ID"] = String(lastEventId);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, data);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last = lastEventId;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { last, finished: false };
    buffer += value.replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = parse(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (!event) continue;
      if (event.id) last = event.id;
      if (event.event === "reconnect") return { last, finished: false };
      const data = event.data ? JSON.parse(event.data) : {};
      onEvent(event.event, data, event.id);
      if (event.event === "done") return { last, finished: true };
    }
  }
}

// Follow a stream to its `done`; a dropped connection (or the server's `reconnect`) is
// picked up again from the last event id. POST streams are not resumed.
export async function follow(path, { method = "GET", body, etag, lastEventId = null, onEvent, signal }) {
  let last = lastEventId;
  for (let attempt = 0; ; attempt++) {
    try {
      const outcome = await readOnce(path, { method, body, etag, lastEventId: last, onEvent, signal });
      if (outcome.finished) return;
      last = outcome.last;
    } catch (err) {
      if (err instanceof ApiError || err.name === "AbortError") throw err;
      if (method !== "GET" || attempt >= RETRIES) {
        throw new ApiError(0, { error: `the stream was cut off (${err.message})` });
      }
    }
    if (method !== "GET" || attempt >= RETRIES) {
      throw new ApiError(0, { error: "the stream ended before its last event" });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(4000, 250 * 2 ** attempt)));
  }
}
