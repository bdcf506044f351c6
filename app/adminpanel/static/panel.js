// The appydex admin panel: sign in, then the dashboard. It talks to the API
// named in /config.js. On an error it shows what the API said (the
// envelope's message and code); it says "Cannot connect to server" only when
// the API cannot be reached at all.
"use strict";

const api = window.APPYDEX.api.replace(/\/+$/, "");

function showError(text) {
  const el = document.getElementById("error");
  el.textContent = text;
  el.hidden = false;
}

// describe turns a response that is not a success into the words the page
// shows: the envelope's message and code, else the bare HTTP status.
async function describe(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch (_) {
    // not JSON: said below
  }
  if (body && typeof body.message === "string" && typeof body.code === "string") {
    return `${body.message} (${body.code}, HTTP ${resp.status})`;
  }
  return `The server answered HTTP ${resp.status} without an error message`;
}

// unreadable explains a fetch that failed: either nothing answered, or the
// server is there but no answer reached this page — the browser withheld
// one without CORS headers (as an error raised outside the API's CORS
// layer is), or the connection dropped before an answer. A request in
// no-cors mode succeeds whenever anything answers at all.
async function unreadable() {
  try {
    await fetch(api + "/healthz", { mode: "no-cors", cache: "no-store" });
  } catch (_) {
    return `Cannot connect to server (${api})`;
  }
  return "The server is reachable, but no answer reached this page: the browser withheld one " +
    "without CORS headers for this origin (often a server error), or the connection dropped. See the API's log.";
}

async function call(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = "Bearer " + token;
  return fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
}

// send calls the API and returns its answer when it is a success; else it
// shows what went wrong on the page and returns null.
async function send(method, path, options) {
  let resp;
  try {
    resp = await call(method, path, options);
  } catch (_) {
    showError(await unreadable());
    return null;
  }
  if (!resp.ok) {
    showError(await describe(resp));
    return null;
  }
  return resp;
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button");
  document.getElementById("error").hidden = true;
  button.disabled = true;
  try {
    const resp = await send("POST", "/api/v1/auth/login", {
      body: { email_or_phone: form.email_or_phone.value, password: form.password.value, otp: form.otp.value },
    });
    if (!resp) return;
    const tokens = await resp.json();
    sessionStorage.setItem("access_token", tokens.access_token);
    sessionStorage.setItem("refresh_token", tokens.refresh_token);
    location.assign("/dashboard");
  } finally {
    button.disabled = false;
  }
}

async function dashboard() {
  const access = sessionStorage.getItem("access_token");
  if (!access) {
    location.replace("/");
    return;
  }
  const resp = await send("GET", "/api/v1/auth/me", { token: access });
  if (!resp) return;
  const me = await resp.json();
  document.getElementById("who").textContent = "Signed in as " + (me.email || me.phone || me.id);
  document.getElementById("signout").addEventListener("click", signOut);
}

async function signOut() {
  const refresh = sessionStorage.getItem("refresh_token");
  sessionStorage.clear();
  if (refresh && !(await send("POST", "/api/v1/auth/logout", { body: { refresh_token: refresh } }))) {
    return;
  }
  location.assign("/");
}

if (document.body.dataset.page === "signin") {
  document.getElementById("signin").addEventListener("submit", signIn);
} else {
  dashboard();
}
