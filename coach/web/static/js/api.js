// The HTTP API of this origin, with the key the coach signed in with.
// The key lives in sessionStorage (this tab only) and goes in the Authorization header,
// never in a URL.

const KEY = "coach.apiKey";

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  signIn(key) {
    sessionStorage.setItem(KEY, key);
  },
  signOut() {
    sessionStorage.clear();
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.details = (body && body.details) || [];
  }

  // A write whose If-Match no longer names the plan's revision.
  get conflict() {
    return this.status === 412;
  }
}

export function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${session.key}`, ...extra };
}

// One request; answers {data, etag, location, status} or throws ApiError.
export async function api(method, path, { body, etag, signal } = {}) {
  const headers = authHeaders();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, { error: `the service cannot be reached (${err.message})` });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return {
    data,
    status: response.status,
    etag: response.headers.get("ETag"),
    location: response.headers.get("Location"),
  };
}

// A list endpoint's items ({items, next_cursor}), all pages up to `limit` items.
export async function listAll(path, limit = 200) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
    const { data } = await api("GET", url);
    items.push(...(data.items || []));
    cursor = data.next_cursor;
  } while (cursor && items.length < limit);
  return items;
}
