"use strict";
// The playground page: every answer is shown as a small table, never as raw JSON; times to the second in this
// computer's clock; the call log is paged (keyset: a page stays put while new calls arrive).
const TYPES = ["user.joined_workspace", "user.left_workspace", "workspace.vault_added", "workspace.vault_removed", "user.deleted", "device.revoked_by_admin"];
const CALLS_PER_PAGE = 25;
const $ = id => document.getElementById(id);
let lastEvent = null;
let callsCursor = null; // null: the newest page, following new calls; else { before } or { after }

function newEventId() { $("ev-id").value = "evt-" + Math.random().toString(36).slice(2, 10); }

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const pad = n => String(n).padStart(2, "0");
/** An ISO-8601 time as "YYYY-MM-DD HH:MM:SS" in local time (to the second). */
function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A cell: times formatted, arrays joined, objects as "key: value" lines (never JSON). */
function text(v) {
  if (v == null) return "";
  if (typeof v === "string") return ISO.test(v) ? time(v) : v;
  if (Array.isArray(v)) return v.length ? v.map(text).join("\n") : "(none)";
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => k + ": " + text(x)).join("\n");
  return String(v);
}

function table(el, headers, rows, classes) {
  el.replaceChildren();
  const head = el.insertRow();
  for (const h of headers) { const th = document.createElement("th"); th.textContent = h; head.appendChild(th); }
  for (const r of rows) {
    const tr = el.insertRow();
    r.forEach((cell, i) => {
      const td = tr.insertCell();
      if (classes && classes[i]) td.className = classes[i];
      if (cell instanceof Node) td.appendChild(cell); else { td.textContent = text(cell); td.style.whiteSpace = td.textContent.includes("\n") ? "pre-line" : ""; }
    });
  }
  return el;
}

/** An answer as a headline and a field table; nested lists of objects (reconcile repairs) as their own table. */
function showResult(el, r, skip) {
  el.replaceChildren();
  const line = document.createElement("div");
  line.className = "headline " + (r.status >= 500 || r.status === 0 ? "err" : r.status >= 400 ? "warn" : "ok");
  const body = r.body ?? {};
  line.textContent = r.status === 0 ? "no answer from the playground"
    : r.status >= 400 ? `${r.status} ${body.code ?? body.title ?? ""}: ${body.detail ?? r.raw ?? ""}`
    : `${r.status} ${body.duplicate ? "duplicate: nothing done" : body.status ?? (r.status === 201 ? "created" : "done")}`;
  el.appendChild(line);
  if (r.status >= 400 || typeof body !== "object") return;
  const fields = Object.entries(body).filter(([k, v]) => v != null && !(skip || []).includes(k) && !(Array.isArray(v) && v.length && typeof v[0] === "object"));
  el.appendChild(table(document.createElement("table"), ["field", "value"], fields));
  for (const [k, v] of Object.entries(body))
    if (Array.isArray(v) && v.length && typeof v[0] === "object")
      el.appendChild(table(document.createElement("table"), Object.keys(v[0]).map(h => k + ": " + h), v.map(o => Object.values(o))));
    else if (Array.isArray(v) && k === "repairs") line.textContent += " — nothing to repair";
}

async function send(method, url, body, headers) {
  try {
    const r = await fetch(url, { method, headers: { "content-type": "application/json", ...(headers || {}) }, body: body == null ? undefined : JSON.stringify(body) });
    const raw = await r.text();
    let parsed = null;
    try { parsed = JSON.parse(raw); } catch { /* shown as text */ }
    return { status: r.status, body: parsed, raw };
  } catch (e) {
    return { status: 0, body: null, raw: String(e) };
  }
}

function status(code) {
  const span = document.createElement("span");
  span.textContent = code ?? "no answer";
  span.className = code == null || code >= 500 ? "err" : code >= 400 ? "warn" : "ok";
  return span;
}

function bodies(c) {
  const parts = [["request", c.request_body], ["response", c.response_body], ["error", c.error]].filter(([, t]) => t);
  if (!parts.length) return "";
  const d = document.createElement("details");
  const s = document.createElement("summary"); s.textContent = "bodies"; d.appendChild(s);
  for (const [label, t] of parts) {
    let shown = t;
    try { shown = JSON.stringify(JSON.parse(t), null, 1); } catch { /* not JSON: as is */ }
    const pre = document.createElement("pre"); pre.textContent = label + ": " + shown; d.appendChild(pre);
  }
  return d;
}

/** The event's fields without its id and type, as "field: value" lines. */
function eventFields(body) {
  try { const o = JSON.parse(body); delete o.id; delete o.type; return o; } catch { return body; }
}

/** The single-quoted shell word for s (only when it needs quoting). */
const shellWord = s => /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";

/** What to type on the user's computer: the real `tinysync login` with the token of this answer. */
function showLogin(el, answer) {
  const box = document.createElement("div"); box.className = "login";
  const hint = document.createElement("p"); hint.className = "hint";
  hint.textContent = "On the user's computer (once `tinysync` is installed, README step 1), this logs the client in as this device. " +
    "The token is shown this once; the playground keeps no copy.";
  const code = document.createElement("code"); code.id = "login-line";
  // the token reaches the CLI on stdin (printf is a shell builtin): it never shows in `ps` (decision 0609)
  code.textContent = `printf %s ${shellWord(answer.token)} | tinysync login --server ${shellWord(answer.server.replace(/\/+$/, ""))} --token-file -`;
  const copy = document.createElement("button"); copy.id = "copy-login"; copy.textContent = "Copy";
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(code.textContent); copy.textContent = "Copied"; }
    catch { getSelection().selectAllChildren(code); copy.textContent = "Selected: press Ctrl+C"; }
  });
  box.append(hint, code, copy);
  el.appendChild(box);
}

async function refreshCalls() {
  const q = new URLSearchParams({ limit: CALLS_PER_PAGE });
  if (callsCursor?.before != null) q.set("before", callsCursor.before);
  if (callsCursor?.after != null) q.set("after", callsCursor.after);
  const r = await fetch("/api/calls?" + q);
  if (!r.ok) return;
  const p = await r.json();
  if (callsCursor?.after != null && !p.has_newer) callsCursor = null; // back at the top: follow new calls again
  table($("calls"), ["#", "at", "context", "call", "status", "ms", "try", ""],
    p.calls.map(c => [c.seq, time(c.at), c.context, c.method + " " + c.path, status(c.status), c.duration_ms.toFixed(1), c.attempt, bodies(c)]),
    ["num", "time", "", "", "num", "num", "num", "num"]);
  const dropped = p.last_seq - p.total;
  $("calls-caption").textContent = p.calls.length === 0 ? "no calls yet"
    : `calls #${p.calls[0].seq}–#${p.calls[p.calls.length - 1].seq}, newest first; ${p.total} kept (at most ${p.kept_at_most})` +
      (dropped > 0 ? `, ${dropped} older dropped` : "");
  $("calls-newer").disabled = !p.has_newer; $("calls-newest").disabled = callsCursor == null;
  $("calls-older").disabled = !p.has_older;
  $("calls-older").dataset.seq = p.calls.length ? p.calls[p.calls.length - 1].seq : "";
  $("calls-newer").dataset.seq = p.calls.length ? p.calls[0].seq : "";
}

async function refresh() {
  const r = await fetch("/api/state");
  if (!r.ok) return;
  const s = await r.json();
  $("tinysync-url").textContent = s.tinysync_url;
  const pc = $("pending-count"); pc.textContent = s.pending_events.length; pc.className = s.pending_events.length ? "badge" : "";
  table($("users"), ["user", "name", "workspaces", "created", "deleted"], s.users.map(u => [u.user_id, u.name, u.workspaces.join(", "), u.created_at, u.deleted_at]), ["", "", "", "time", "time"]);
  table($("workspaces"), ["workspace", "name", "TinySync group", "vaults", "members"],
    s.workspaces.map(w => [w.workspace_id, w.name, w.group_id, w.vaults.map(v => (v.name || "(unnamed)") + " " + v.vault_id), w.members.join(", ")]));
  table($("devices"), ["device name", "user", "device id", "registered", "revoked"],
    s.devices.map(d => [d.display_name, d.user_id, d.device_id, d.registered_at, d.revoked_at ? time(d.revoked_at) + " (" + d.revoke_reason + ")" : ""]), ["", "", "", "time", ""]);
  table($("pending"), ["event", "type", "attempts", "last error"], s.pending_events.map(e => [e.event_id, e.type, e.attempts, e.last_error]));
  table($("activity"), ["at", "level", "context", "message"], s.activity.map(a => [a.at, a.level, a.context, a.message]), ["time"]);
  table($("events"), ["event", "type", "fields", "status", "received"],
    s.events.map(e => [e.event_id, e.type, eventFields(e.body), e.status, e.received_at]), ["", "", "", "num", "time"]);
  await refreshCalls();
}

for (const t of TYPES) {
  const b = document.createElement("button");
  b.textContent = t; b.id = "fire-" + t.replace(".", "-"); b.dataset.event = t;
  b.addEventListener("click", () => fire(t));
  $("event-buttons").appendChild(b);
}

async function fire(type) {
  const ev = { id: $("ev-id").value || ("evt-" + Date.now()), type };
  const fields = { user_id: "ev-user", workspace_id: "ev-workspace", vault_id: "ev-vault", name: "ev-name", device_id: "ev-device" };
  for (const [k, id] of Object.entries(fields)) if ($(id).value) ev[k] = $(id).value;
  lastEvent = ev;
  showResult($("event-result"), await send("POST", "/events", ev));
  newEventId();
  refresh();
}

$("resend").addEventListener("click", async () => {
  if (!lastEvent) return;
  showResult($("event-result"), await send("POST", "/events", lastEvent));
  refresh();
});
$("reconcile").addEventListener("click", async () => { showResult($("reconcile-result"), await send("POST", "/reconcile")); refresh(); });
$("create-user").addEventListener("click", async () => {
  const r = await send("POST", "/admin/users", { user_id: $("new-user-id").value || undefined, name: $("new-user-name").value || undefined });
  showResult($("create-result"), r);
  if (r.status === 201) { $("drive-user").value = r.body.user_id; $("drive-credential").value = r.body.credential; $("ev-user").value = r.body.user_id; }
  refresh();
});
$("create-workspace").addEventListener("click", async () => {
  const r = await send("POST", "/admin/workspaces", { workspace_id: $("new-ws-id").value || undefined, name: $("new-ws-name").value || undefined });
  showResult($("create-result"), r);
  if (r.status === 201) $("ev-workspace").value = r.body.workspace_id;
  refresh();
});
$("drive-setup").addEventListener("click", async () => {
  const uid = encodeURIComponent($("drive-user").value);
  const body = $("drive-name").value ? { display_name: $("drive-name").value } : {};
  const r = await send("POST", "/users/" + uid + "/drive-setup", body, { authorization: "Bearer " + $("drive-credential").value });
  $("drive-credential").value = "";
  showResult($("drive-result"), r, ["token"]);
  if (r.status === 201) showLogin($("drive-result"), r.body);
  $("drive-result").scrollIntoView({ block: "nearest" });
  refresh();
});
$("load-tinysync").addEventListener("click", async () => {
  const r = await send("GET", "/api/tinysync");
  if (r.status !== 200) { showResult($("ts-result"), r); return; }
  $("ts-result").replaceChildren();
  table($("ts-groups"), ["group", "name", "devices", "vaults"], r.body.groups.map(g => [g.group_id, g.name, g.devices, g.vaults]));
  table($("ts-vaults"), ["vault", "name", "head", "groups"], r.body.vaults.map(v => [v.vault_id, v.name, v.head, v.groups]));
  refresh();
});
$("calls-newest").addEventListener("click", () => { callsCursor = null; refreshCalls(); });
$("calls-older").addEventListener("click", () => { callsCursor = { before: $("calls-older").dataset.seq }; refreshCalls(); });
$("calls-newer").addEventListener("click", () => { callsCursor = { after: $("calls-newer").dataset.seq }; refreshCalls(); });
newEventId();
refresh();
setInterval(refresh, 2000);
