import { createHash } from "node:crypto";

/*
 * The live inspection page: one HTML file, its style and script inline, no build step and
 * nothing loaded from elsewhere. It polls the JSON API every 2 s and renders with
 * `textContent` and `createElement` only (never `innerHTML`): room names, user names and node
 * ids are shown as text whatever they hold. The CSP allows this script and style (by hash) and
 * fetches to the same origin, nothing else.
 */

const STYLE = `
:root { color-scheme: light dark; --line: #8884; --muted: #888; --accent: #2b6cb0; --bad: #c53030; --ok: #2f855a; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 16px 20px 40px; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 15px; margin: 24px 0 8px; }
#status { color: var(--muted); }
#status[data-state="error"], .bad { color: var(--bad); }
.ok { color: var(--ok); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin-top: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 20px; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; }
td.name { word-break: break-all; }
form { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin-bottom: 8px; }
input, select, button { font: inherit; padding: 3px 6px; }
button.danger { color: #fff; background: var(--bad); border: 0; border-radius: 4px; padding: 4px 10px; cursor: pointer; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
svg.spark { width: 120px; height: 24px; vertical-align: middle; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
#login[hidden], [hidden] { display: none; }
.muted { color: var(--muted); }
`;

const SCRIPT = `
"use strict";
const api = document.querySelector('meta[name="actionwire-admin-api"]').content;
const TOKEN_KEY = "actionwire-admin-token";
const POLL_MS = 2000;
const hashToken = /(?:^#|&)token=([^&]*)/.exec(location.hash);
if (hashToken) {
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(hashToken[1]));
  history.replaceState(null, "", location.pathname + location.search);
}
const $ = (id) => document.getElementById(id);

/** An element with properties and children; strings become text nodes, never markup. */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}
function fill(tbody, rows) { tbody.replaceChildren(...rows); }
function num(value, digits) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString("en", { maximumFractionDigits: digits === undefined ? 2 : digits });
}
function ms(value) { return value === null || value === undefined ? "–" : num(value, 2) + " ms"; }
function duration(seconds) {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
}
function time(at) { return new Date(at).toISOString().replace("T", " ").slice(0, 19) + "Z"; }
function sum(record) { return Object.values(record || {}).reduce((a, b) => a + b, 0); }
function spark(values) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 120 24");
  svg.setAttribute("preserveAspectRatio", "none");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 120 / (values.length - 1) : 0;
  line.setAttribute("points", values.map((v, i) => (i * step).toFixed(1) + "," + (23 - (v / max) * 22).toFixed(1)).join(" "));
  svg.append(line);
  return svg;
}

class Refused extends Error {}
async function call(path, init) {
  const headers = Object.assign({ accept: "application/json" }, (init && init.headers) || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = "Bearer " + token;
  const response = await fetch(api + path, Object.assign({}, init, { headers, cache: "no-store", credentials: "same-origin" }));
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    showLogin(body.error || "not authorized");
    throw new Refused(body.error || "not authorized");
  }
  if (!response.ok) throw new Error((body.code || response.status) + ": " + (body.error || "request failed"));
  return body;
}

function status(state, text) {
  const node = $("status");
  node.dataset.state = state;
  node.textContent = text;
}
function showLogin(message) {
  $("login").hidden = false;
  $("login-message").textContent = message;
  status("login", "credentials needed");
}
$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
  $("token-input").value = "";
  $("login").hidden = true;
  refresh();
});

function renderOverview(overview) {
  const totals = overview.totals;
  $("total-connections").textContent = num(totals.connections, 0);
  $("nodes-answered").textContent = totals.answered + " / " + totals.nodes;
  $("nodes-answered").className = "value " + (overview.partial ? "bad" : "ok");
  $("rate-received").textContent = num(totals.rates.received || 0);
  $("rate-sent").textContent = num(totals.rates.sent || 0);
  $("rate-actions").textContent = num(totals.rates.actions || 0);
  $("latency-p50").textContent = ms(totals.latency.p50);
  $("latency-p90").textContent = ms(totals.latency.p90);
  $("latency-p99").textContent = ms(totals.latency.p99);
  $("errors-recent").textContent = num(sum(totals.recentErrors), 0);
  $("slow-total").textContent = num(sum(totals.slowConsumers), 0);
  fill($("transports").tBodies[0], Object.entries(totals.byTransport).map(([name, count]) =>
    el("tr", { "data-transport": name }, el("td", {}, name), el("td", { class: "num count" }, num(count, 0)))));
  fill($("nodes").tBodies[0], overview.nodes.map((node) => {
    if (node.status !== "ok") {
      return el("tr", { "data-node": node.nodeId, "data-status": node.status },
        el("td", { class: "name" }, node.nodeId), el("td", { class: "bad" }, node.status + (node.error ? ": " + node.error : "")),
        el("td", { colSpan: 9 }, ""));
    }
    const transports = Object.entries(node.connections).map(([name, count]) => name + " " + count).join(" · ");
    const received = node.series.received, sent = node.series.sent;
    return el("tr", { "data-node": node.nodeId, "data-status": "ok" },
      el("td", { class: "name" }, node.nodeId),
      el("td", { class: "ok" }, "up " + duration(node.uptimeSeconds)),
      el("td", { class: "num connections" }, num(sum(node.connections), 0), el("div", { class: "muted" }, transports)),
      el("td", { class: "num" }, num(node.rooms, 0)),
      el("td", { class: "num" }, num(node.rates.received), " / ", num(node.rates.sent)),
      el("td", {}, spark(received.map((v, i) => v + sent[i]))),
      el("td", { class: "num" }, num(node.rates.actions)),
      el("td", { class: "num" }, ms(node.latency.p50), " / ", ms(node.latency.p90), " / ", ms(node.latency.p99)),
      el("td", { class: "num" }, num(sum(node.slowConsumers), 0)),
      el("td", { class: "num" }, num(sum(node.errors), 0)),
      el("td", { class: "num" }, num(node.memory.rss / 1048576, 0) + " MiB"));
  }));
  const codes = Object.keys(Object.assign({}, totals.errors, totals.recentErrors)).sort();
  fill($("errors").tBodies[0], codes.length === 0
    ? [el("tr", {}, el("td", { colSpan: 3, class: "muted" }, "no errors"))]
    : codes.map((code) => el("tr", { "data-code": code }, el("td", {}, code),
        el("td", { class: "num" }, num(totals.errors[code] || 0, 0)),
        el("td", { class: "num" }, num(totals.recentErrors[code] || 0, 0)))));
}

const rooms = { cursors: [""], page: 0 };
function roomQuery() {
  const params = new URLSearchParams();
  const q = $("room-q").value;
  if (q) params.set("q", q);
  params.set("match", $("room-match").value);
  params.set("sort", $("room-sort").value);
  params.set("limit", $("room-limit").value);
  const cursor = rooms.cursors[rooms.page];
  if (cursor) params.set("cursor", cursor);
  return "/rooms?" + params;
}
function renderRooms(answer) {
  rooms.cursors[rooms.page + 1] = answer.next || "";
  fill($("rooms").tBodies[0], answer.rooms.length === 0
    ? [el("tr", {}, el("td", { colSpan: 2, class: "muted" }, "no rooms"))]
    : answer.rooms.map((room) => el("tr", { "data-room": room.name },
        el("td", { class: "name" }, room.name), el("td", { class: "num members" }, num(room.members, 0)))));
  $("rooms-page").textContent = "page " + (rooms.page + 1) + (answer.partial ? " (partial: " + answer.missing.map((n) => n.nodeId).join(", ") + " did not answer)" : "");
  $("rooms-prev").disabled = rooms.page === 0;
  $("rooms-next").disabled = !answer.next;
}
function restartRooms() { rooms.cursors = [""]; rooms.page = 0; refresh(); }
$("rooms-form").addEventListener("submit", (event) => { event.preventDefault(); restartRooms(); });
for (const id of ["room-match", "room-sort", "room-limit"]) $(id).addEventListener("change", restartRooms);
$("rooms-prev").addEventListener("click", () => { rooms.page = Math.max(0, rooms.page - 1); refresh(); });
$("rooms-next").addEventListener("click", () => { if (rooms.cursors[rooms.page + 1]) { rooms.page++; refresh(); } });

let lookup = null;
async function runLookup() {
  if (lookup === null) return;
  const params = new URLSearchParams([[lookup.by, lookup.value]]);
  try {
    const answer = await call("/connections?" + params);
    renderConnections(answer);
  } catch (error) {
    if (!(error instanceof Refused)) $("lookup-status").textContent = String(error.message);
  }
}
function renderConnections(answer) {
  $("lookup-status").textContent = answer.connections.length === 0
    ? "no connection found" + (answer.partial ? " (some nodes did not answer)" : "")
    : answer.connections.length + " found" + (answer.more ? " (more not shown)" : "");
  fill($("connections").tBodies[0], answer.connections.map((c) => {
    const button = el("button", { type: "button", class: "danger", "data-id": c.id }, "Disconnect");
    button.addEventListener("click", () => disconnect(c.id, button));
    const listening = c.listeningRooms.join(", ") + (c.listeningCount > c.listeningRooms.length ? " (+" + (c.listeningCount - c.listeningRooms.length) + ")" : "");
    return el("tr", { "data-connection": c.id },
      el("td", { class: "name" }, c.id, el("div", { class: "muted" }, c.user === null ? "no user" : "user " + c.user)),
      el("td", {}, c.nodeId, el("div", { class: "muted" }, c.transport + " · " + c.state)),
      el("td", {}, c.remoteIP + ":" + c.remotePort, el("div", { class: "muted" }, time(c.connectedAt))),
      el("td", { class: "name" }, c.room === null ? "–" : c.room, el("div", { class: "muted" }, listening)),
      el("td", { class: "num" }, num(c.totalActions, 0) + " / " + num(c.messageCount, 0)),
      el("td", {}, button));
  }));
}
async function disconnect(id, button) {
  button.disabled = true;
  const reason = $("disconnect-reason").value.trim();
  try {
    await call("/disconnect", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(reason ? { id, reason } : { id }),
    });
    $("lookup-status").textContent = "disconnected " + id;
    const row = button.closest("tr");
    if (row) row.remove();
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof Refused)) $("lookup-status").textContent = String(error.message);
  }
}
$("lookup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("lookup-value").value.trim();
  if (value === "") return;
  lookup = { by: $("lookup-by").value, value };
  runLookup();
});

let timer = null;
let running = false;
async function refresh() {
  clearTimeout(timer);
  if (running) return;
  running = true;
  try {
    const [overview, roomsAnswer] = await Promise.all([call("/overview"), call(roomQuery())]);
    renderOverview(overview);
    renderRooms(roomsAnswer);
    $("login").hidden = true;
    status("ok", "updated " + new Date(overview.at).toLocaleTimeString() + (overview.partial ? " (some nodes did not answer)" : ""));
  } catch (error) {
    if (!(error instanceof Refused)) status("error", String(error.message));
  } finally {
    running = false;
    if ($("live").checked && $("login").hidden) timer = setTimeout(refresh, POLL_MS);
  }
}
$("live").addEventListener("change", () => { if ($("live").checked) refresh(); else clearTimeout(timer); });
refresh();
`;

const BODY = `
<header>
  <h1>actionwire</h1>
  <span id="status" data-state="loading">loading…</span>
  <label><input type="checkbox" id="live" checked> live (every 2 s)</label>
</header>
<form id="login" hidden>
  <span id="login-message" class="bad"></span>
  <input id="token-input" type="password" autocomplete="off" placeholder="admin token" aria-label="admin token">
  <button type="submit">Use token</button>
</form>
<section class="cards" aria-label="totals">
  <div class="card"><div class="label">connections</div><div class="value" id="total-connections">–</div></div>
  <div class="card"><div class="label">nodes answered</div><div class="value" id="nodes-answered">–</div></div>
  <div class="card"><div class="label">messages in / s</div><div class="value" id="rate-received">–</div></div>
  <div class="card"><div class="label">messages out / s</div><div class="value" id="rate-sent">–</div></div>
  <div class="card"><div class="label">actions / s</div><div class="value" id="rate-actions">–</div></div>
  <div class="card"><div class="label">action p50</div><div class="value" id="latency-p50">–</div></div>
  <div class="card"><div class="label">action p90</div><div class="value" id="latency-p90">–</div></div>
  <div class="card"><div class="label">action p99</div><div class="value" id="latency-p99">–</div></div>
  <div class="card"><div class="label">errors (last minute)</div><div class="value" id="errors-recent">–</div></div>
  <div class="card"><div class="label">slow consumers</div><div class="value" id="slow-total">–</div></div>
</section>
<h2>Nodes</h2>
<table id="nodes">
  <thead><tr><th>node</th><th>status</th><th class="num">connections</th><th class="num">rooms</th><th class="num">msgs in / out per s</th><th>last minute</th><th class="num">actions / s</th><th class="num">p50 / p90 / p99</th><th class="num">slow</th><th class="num">errors</th><th class="num">memory</th></tr></thead>
  <tbody></tbody>
</table>
<div class="columns">
  <section>
    <h2>Connections by transport</h2>
    <table id="transports"><thead><tr><th>transport</th><th class="num">connections</th></tr></thead><tbody></tbody></table>
    <h2>Errors by code</h2>
    <table id="errors"><thead><tr><th>code</th><th class="num">since start</th><th class="num">last minute</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Rooms</h2>
    <form id="rooms-form">
      <input id="room-q" type="search" maxlength="200" placeholder="search rooms" aria-label="search rooms">
      <select id="room-match" aria-label="match"><option value="substring">contains</option><option value="prefix">starts with</option></select>
      <select id="room-sort" aria-label="sort"><option value="members">most members</option><option value="name">by name</option></select>
      <select id="room-limit" aria-label="rooms per page"><option>10</option><option selected>20</option><option>50</option><option>100</option></select>
      <button type="submit">Search</button>
    </form>
    <table id="rooms"><thead><tr><th>room</th><th class="num">members</th></tr></thead><tbody></tbody></table>
    <p><button type="button" id="rooms-prev" disabled>‹ previous</button> <span id="rooms-page"></span> <button type="button" id="rooms-next" disabled>next ›</button></p>
  </section>
</div>
<h2>Connection lookup</h2>
<form id="lookup-form">
  <select id="lookup-by" aria-label="look up by"><option value="id">by id</option><option value="user">by user</option></select>
  <input id="lookup-value" maxlength="200" placeholder="connection id or user" aria-label="connection id or user">
  <button type="submit">Look up</button>
  <input id="disconnect-reason" maxlength="200" placeholder="reason shown to the client (optional)" aria-label="disconnect reason">
  <span id="lookup-status" class="muted"></span>
</form>
<table id="connections">
  <thead><tr><th>connection</th><th>node</th><th>address</th><th>room / listening</th><th class="num">actions / msgs</th><th></th></tr></thead>
  <tbody></tbody>
</table>
`;

function hash(text: string): string {
  return `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
}

/** The page's Content-Security-Policy: its own script and style, fetches to its origin. */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The page, its API at `apiPath` (a path of plain segments, escaped all the same). */
export function adminPage(apiPath: string): string {
  const api = apiPath.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<meta name="actionwire-admin-api" content="${api}">
<title>actionwire admin</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;
}
