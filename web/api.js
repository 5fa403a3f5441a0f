// Talking to this server: the API key (session storage only, sent as a
// header, never in a URL) and JSON requests that report a missing key.
const KEY = "pendra.apiKey";
const keyListeners = [];

export function apiKey() {
  return sessionStorage.getItem(KEY) || "";
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

// Called with a message when a request was refused for want of a key.
export function onKeyNeeded(fn) {
  keyListeners.push(fn);
}

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function headers(extra = {}) {
  const h = { ...extra };
  const key = apiKey();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

// The message of any of the server's error envelopes.
export function errorMessage(body, status) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    if (body.error && typeof body.error.message === "string") return body.error.message;
    if (typeof body.error === "string") return body.error;
  }
  return "HTTP " + status;
}

export async function fail(response) {
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  const message = errorMessage(body, response.status);
  if (response.status === 401) keyListeners.forEach((fn) => fn(message));
  return new APIError(response.status, message);
}

export async function getJSON(path) {
  const r = await fetch(path, { headers: headers(), cache: "no-store" });
  if (!r.ok) throw await fail(r);
  return r.json();
}
