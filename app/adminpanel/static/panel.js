// The appydex admin panel: sign in, then the dashboard, one page that
// shows one view or the other (/ and /dashboard). It talks to the API named
// in /config.js. On an error it shows what the API said (the envelope's
// message and code); it says "Cannot connect to server" only when the API
// cannot be reached at all.
//
// The tokens live in this page's memory only: never in a URL, storage or
// cookie a script could read later, nor in the console. Reloading the page
// signs out of the page (the API's session ends with its refresh token's
// lifetime, or at the next sign-out).
"use strict";

const api = window.APPYDEX.api.replace(/\/+$/, "");
let session = null; // {access, refresh} while signed in

function view() {
  return document.querySelector("main:not([hidden])");
}

function show(name) {
  for (const main of document.querySelectorAll("main")) {
    main.hidden = main.id !== name + "-view";
    main.querySelector(".error").hidden = true;
  }
  document.title = name === "dashboard" ? "appydex admin — dashboard" : "appydex admin — sign in";
}

function showError(text) {
  const el = view().querySelector(".error");
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
  view().querySelector(".error").hidden = true;
  button.disabled = true;
  try {
    const resp = await send("POST", "/api/v1/auth/login", {
      body: { email_or_phone: form.email_or_phone.value, password: form.password.value, otp: form.otp.value },
    });
    if (!resp) return;
    const tokens = await resp.json();
    session = { access: tokens.access_token, refresh: tokens.refresh_token };
    form.reset();
    history.pushState(null, "", "/dashboard");
    await dashboard();
  } finally {
    button.disabled = false;
  }
}

async function dashboard() {
  if (!session) {
    history.replaceState(null, "", "/");
    show("signin");
    return;
  }
  show("dashboard");
  document.getElementById("who").textContent = "Loading your account…";
  const resp = await send("GET", "/api/v1/auth/me", { token: session.access });
  if (!resp) return;
  const me = await resp.json();
  document.getElementById("who").textContent = "Signed in as " + (me.email || me.phone || me.id);
}

async function signOut() {
  const refresh = session && session.refresh;
  session = null;
  if (refresh && !(await send("POST", "/api/v1/auth/logout", { body: { refresh_token: refresh } }))) {
    return;
  }
  history.pushState(null, "", "/");
  show("signin");
}

function route() {
  if (location.pathname === "/dashboard") {
    dashboard();
  } else {
    show("signin");
  }
}

document.getElementById("signin").addEventListener("submit", signIn);
document.getElementById("signout").addEventListener("click", signOut);
window.addEventListener("popstate", route);
route();
