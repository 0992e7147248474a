// Lucid's admin dashboard: plain DOM over the JSON admin API (/admin/adapters, /admin/runs,
// /admin/runs/{id}/insights, /admin/sessions). Text from sessions is user input: it only ever
// goes in through textContent.
// The API wants an admin key: the login form keeps it in sessionStorage (gone with the tab) and
// every call sends it as a Bearer token; a 401 or 403 brings the form back.
"use strict";

const POLL_BUSY_MS = 2000;   // while a run is queued or running
const POLL_IDLE_MS = 10000;
const KEY_ITEM = "lucid-admin-key";

const $ = (selector) => document.querySelector(selector);
let pinned = false;
let overviewNow = null;
let sessionsCursor = null;
let pollTimer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "onclick") node.addEventListener("click", value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The key was missing, wrong or lacks the admin scope; the login form already says so.
class AuthError extends Error {}

async function api(method, path, json) {
  const key = sessionStorage.getItem(KEY_ITEM);
  if (!key) throw new AuthError("Log in first.");
  const headers = {accept: "application/json", authorization: `Bearer ${key}`};
  const init = {method, headers};
  if (json !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(path, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body.error && body.error.message) || `${method} ${path}: ${response.status}`;
    if (response.status === 401 || response.status === 403) {
      showLogin(message);
      throw new AuthError(message);
    }
    throw new Error(message);
  }
  return body;
}

function report(error) {
  if (!(error instanceof AuthError)) flash(error.message, true);
}

// -- login ------------------------------------------------------------------------------------

function showLogin(message = "") {
  clearTimeout(pollTimer);
  sessionStorage.removeItem(KEY_ITEM);
  delete document.body.dataset.loaded;
  $("#dashboard").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  $("#login-error").hidden = !message;
  $("#login-key").focus();
}

function showDashboard() {
  $("#login").hidden = true;
  $("#login-key").value = "";
  $("#flash").hidden = true;
  $("#dashboard").hidden = false;
  sessionsCursor = null;
  refresh();
  loadSessions().catch(report);
}

async function logIn(event) {
  event.preventDefault();
  const key = $("#login-key").value.trim();
  if (!key) return showLogin("Enter an admin API key.");
  sessionStorage.setItem(KEY_ITEM, key);
  $("#login-submit").disabled = true;
  try {
    await api("GET", "/admin/adapters");  // a wrong key never shows the dashboard
    showDashboard();
  } catch (error) {
    if (!(error instanceof AuthError)) showLogin(error.message);
  } finally {
    $("#login-submit").disabled = false;
  }
}

function flash(message, isError = false) {
  const node = $("#flash");
  node.textContent = message;
  node.className = isError ? "error" : "ok";
  node.hidden = false;
}

function when(iso) {
  return iso ? iso.replace("T", " ").slice(0, 19) : "–";
}

function seconds(from, to) {
  if (!from || !to) return "–";
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return s < 120 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`;
}

function pct(x) {
  return typeof x === "number" ? x.toFixed(2) : "–";
}

function gate(version) {
  const m = version.metrics || {};
  return {cand: m.candidate || null, cur: m.current || null, passed: m.passed, reasons: m.reasons};
}

// -- adapters ---------------------------------------------------------------------------------

function renderAdapters(overview) {
  overviewNow = overview;
  const active = overview.active;
  $("#active-version").textContent = active ? active.name : "base model";
  $("#serving-model").textContent = overview.serving || "–";
  pinned = overview.pinned;
  $("#pinned").hidden = !pinned;
  $("#pin").textContent = pinned ? "Unpin" : "Pin";
  $("#rollback").disabled = !active;

  const body = $("#timeline tbody");
  body.replaceChildren(...overview.data.map((v) => {
    const g = gate(v);
    const ppl = g.cand && g.cur ? `${g.cand.perplexity.toFixed(2)} (${
      ((g.cand.perplexity / g.cur.perplexity - 1) * 100).toFixed(1)}%)` : "–";
    return el("tr", {class: v.active ? "active" : null, dataset: {version: v.name}},
      el("td", {}, el("strong", {}, v.name), v.active ? el("span", {class: "badge"}, "active") : null),
      el("td", {title: (g.reasons || []).join("; ") || null}, v.status),
      el("td", {}, when(v.created_at)),
      el("td", {}, v.parent || "base"),
      el("td", {}, v.run_id ? el("a", {href: `#run-${v.run_id}`,
        onclick: (e) => { e.preventDefault(); showRun(v.run_id); }}, `#${v.run_id}`) : "–"),
      el("td", {}, v.session_count ?? 0),
      el("td", {}, g.cand ? `${pct(g.cur.heldout_accuracy)} → ${pct(g.cand.heldout_accuracy)}` : "–"),
      el("td", {}, g.cand ? `${pct(g.cur.regression_accuracy)} → ${pct(g.cand.regression_accuracy)}` : "–"),
      el("td", {}, ppl),
      el("td", {}, v.active || v.status === "tainted" ? null :
        el("button", {type: "button", class: "promote", onclick: () => promote(v.name)}, "Promote")));
  }));
  $("#timeline-empty").hidden = overview.data.length > 0;

  $("#events").replaceChildren(...overview.events.map((e) => el("li", {},
    el("time", {}, when(e.created_at)), " ", el("strong", {}, e.action), " ",
    e.action === "pin" || e.action === "unpin" ? "" :
      `${e.from_version || "base"} → ${e.to_version || "base"}`, ` by ${e.actor}`,
    e.reason ? ` (${e.reason})` : "")));

  const gated = overview.data.filter((v) => gate(v).cand).reverse();  // oldest first
  const labels = gated.map((v) => `v${v.version}`);
  lineChart($("#chart-accuracy"), labels, [
    {cls: "heldout", values: gated.map((v) => gate(v).cand.heldout_accuracy)},
    {cls: "general", values: gated.map((v) => gate(v).cand.regression_accuracy)},
  ], 0, 1);
  const rises = gated.map((v) => (gate(v).cand.perplexity / gate(v).cur.perplexity - 1) * 100);
  const span = Math.max(5, ...rises.map(Math.abs));
  lineChart($("#chart-perplexity"), labels,
    [{cls: "perplexity", values: rises}], -span, span);
}

function lineChart(svg, labels, series, lo, hi) {
  const ns = "http://www.w3.org/2000/svg";
  const W = 480, H = 220, left = 40, right = 10, top = 10, bottom = 40;
  const make = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const x = (i) => left + (labels.length < 2 ? (W - left - right) / 2
    : i * (W - left - right) / (labels.length - 1));
  const y = (v) => top + (hi - v) / (hi - lo) * (H - top - bottom);
  const parts = [];
  for (const tick of [lo, (lo + hi) / 2, hi]) {
    parts.push(make("line", {x1: left, x2: W - right, y1: y(tick), y2: y(tick), class: "grid"}));
    parts.push(make("text", {x: left - 4, y: y(tick) + 4, class: "tick", "text-anchor": "end"},
      Number.isInteger(tick) ? tick : tick.toFixed(1)));
  }
  if (!labels.length) {
    parts.push(make("text", {x: W / 2, y: H / 2, class: "tick", "text-anchor": "middle"},
      "no gated versions yet"));
  }
  labels.forEach((label, i) => parts.push(make("text",
    {x: x(i), y: H - bottom + 16, class: "tick", "text-anchor": "middle"}, label)));
  for (const s of series) {
    const points = s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
    if (s.values.length > 1) parts.push(make("polyline", {points, class: `line ${s.cls}`}));
    s.values.forEach((v, i) => {
      const dot = make("circle",
        {cx: x(i), cy: y(v), r: 3.5, class: `dot ${s.cls}`, "data-label": labels[i]});
      dot.append(make("title", {}, `${labels[i]}: ${v.toFixed(2)}`));
      parts.push(dot);
    });
  }
  svg.replaceChildren(...parts);
}

async function change(method, path, describe, json) {
  try {
    const state = await api(method, path, json);
    flash(describe(state));
  } catch (error) {
    report(error);
  }
  await refresh();
}

const activeName = (state) => (state.active ? state.active.name : "the base model");

function promote(name) {
  const from = overviewNow && overviewNow.active ? overviewNow.active.name : "the base model";
  if (!confirm(`Promote ${name}? It replaces ${from} for every request.`)) return;
  return change("POST", `/admin/adapters/${encodeURIComponent(name)}/promote`,
    (s) => `Promoted: ${activeName(s)} is active.`);
}

// -- runs -------------------------------------------------------------------------------------

function progressCell(run) {
  const p = run.progress || {};
  if (run.stage === "distill" && p.total) {
    return el("span", {}, el("progress", {max: p.total, value: p.step || 0}),
      ` ${p.step || 0}/${p.total}`, p.loss !== undefined ? ` · loss ${p.loss.toFixed(3)}` : "");
  }
  if (p.version) return p.version;
  if (p.sessions !== undefined) return `${p.sessions} sessions`;
  return run.error ? el("span", {class: "error-text", title: run.error}, run.error.slice(0, 60)) : "";
}

function renderRuns(runs) {
  $("#runs tbody").replaceChildren(...runs.map((r) => el("tr",
    {class: `run-${r.status}`, dataset: {run: r.id}},
    el("td", {}, el("a", {href: `#run-${r.id}`,
      onclick: (e) => { e.preventDefault(); showRun(r.id); }}, `#${r.id}`)),
    el("td", {}, r.trigger, r.dry_run ? el("span", {class: "badge dry-run"}, "dry run") : null),
    el("td", {class: "status"}, r.status), el("td", {}, r.stage || "–"),
    el("td", {}, progressCell(r)), el("td", {}, when(r.created_at)),
    el("td", {}, seconds(r.started_at, r.finished_at)),
    el("td", {}, (r.metrics && r.metrics.version) || ""))));
  $("#runs-empty").hidden = runs.length > 0;
  return runs.some((r) => r.status === "queued" || r.status === "running");
}

// What a run derived from one session: each insight's statements (the rendered header left out),
// its status, and the practice questions kept for it.
function taughtList(rows) {
  if (!rows.length) return el("span", {class: "empty"}, " taught nothing");
  return el("ul", {class: "taught"}, rows.map((r) => {
    const lines = r.text.split("\n").filter((l) => l.startsWith("- ")).map((l) => l.slice(2));
    return el("li", {dataset: {insight: r.id}},
      el("span", {class: `badge ${r.status}`}, r.status), " ",
      (lines.length ? lines : [r.text]).join(" "), r.reason ? ` (${r.reason})` : "",
      r.practice.length ? el("details", {},
        el("summary", {}, `${r.practice.length} practice questions`),
        el("ul", {}, r.practice.map((q) => el("li", {}, q.question,
          q.reference ? ` → ${q.reference}` : "", ` (${q.kind}, ${q.split})`)))) : null);
  }));
}

async function showRun(id) {
  const box = $("#run-detail");
  try {
    const [run, taught] = await Promise.all([
      api("GET", `/admin/runs/${id}`), api("GET", `/admin/runs/${id}/insights`)]);
    const bySession = new Map();
    for (const row of taught.data) {
      bySession.set(row.session_id, [...(bySession.get(row.session_id) || []), row]);
    }
    const metrics = Object.entries(run.metrics || {})
      .filter(([, v]) => typeof v !== "object" || v === null)
      .map(([k, v]) => el("li", {}, `${k}: ${v}`));
    const count = run.session_ids.length;
    box.replaceChildren(...[
      el("h3", {}, `Run #${run.id}: ${run.status}`,
        run.dry_run ? el("span", {class: "badge dry-run"}, "dry run") : null),
      run.error ? el("p", {class: "error-text"}, run.error) : null,
      el("p", {}, `Adapters: ${(run.adapters || []).join(", ") || "none"}`),
      el("ul", {}, metrics),
      el("p", {}, run.dry_run
        ? `Read ${count} sessions (nothing trained, promoted or consumed); what each taught:`
        : `Learned from ${count} sessions; what each taught:`),
      el("ul", {class: "lineage"}, run.session_ids.map((sid) => el("li", {dataset: {session: sid}},
        el("a", {href: `#session-${sid}`, onclick: (e) => { e.preventDefault(); showSession(sid); }},
          sid), taughtList(bySession.get(sid) || []))))].filter(Boolean));
    box.hidden = false;
  } catch (error) {
    report(error);
  }
}

// -- held for review ---------------------------------------------------------------------------

function renderReview(rows) {
  $("#review tbody").replaceChildren(...rows.map((r) => el("tr", {dataset: {insight: r.id}},
    el("td", {}, r.text), el("td", {}, r.reason || ""),
    el("td", {}, el("a", {href: `#session-${r.session_id}`,
      onclick: (e) => { e.preventDefault(); showSession(r.session_id); }}, r.session_id)),
    el("td", {},
      el("button", {type: "button", class: "release", onclick: () => review(r.id, "release")},
        "Release"), " ",
      el("button", {type: "button", class: "reject", onclick: () => review(r.id, "reject")},
        "Reject")))));
  $("#review").hidden = rows.length === 0;
  $("#review-empty").hidden = rows.length > 0;
}

function review(id, action) {
  return change("POST", `/admin/insights/${id}/${action}`,
    (r) => (r.status === "active" ? "Released: later runs will learn it." : "Rejected."));
}

// -- sessions ---------------------------------------------------------------------------------

function sessionRow(s) {
  return el("tr", {dataset: {session: s.id}},
    el("td", {}, el("a", {href: `#session-${s.id}`,
      onclick: (e) => { e.preventDefault(); showSession(s.id); }}, s.id)),
    el("td", {}, s.user || "–"), el("td", {}, s.turn_count),
    el("td", {}, s.learn ? "yes" : "no"), el("td", {}, when(s.updated_at)));
}

async function loadSessions(more = false) {
  const query = more && sessionsCursor ? `&after=${encodeURIComponent(sessionsCursor)}` : "";
  const page = await api("GET", `/admin/sessions?limit=20${query}`);
  const body = $("#sessions tbody");
  const rows = page.data.map(sessionRow);
  if (more) body.append(...rows); else body.replaceChildren(...rows);
  if (page.last_id) sessionsCursor = page.last_id;
  $("#sessions-more").hidden = !page.has_more;
}

async function showSession(id) {
  const box = $("#transcript");
  try {
    const session = await api("GET", `/admin/sessions/${encodeURIComponent(id)}`);
    box.replaceChildren(el("h3", {}, `Session ${session.id} `,
        el("button", {type: "button", class: "forget", onclick: () => forget(session.id)},
          "Forget this session")),
      ...session.transcript.map((m) => el("div", {class: `message ${m.role}`},
        el("span", {class: "role"}, m.role),
        el("p", {}, typeof m.content === "string" ? m.content : JSON.stringify(m.content)),
        ...feedbackOn(session, m))));
    box.hidden = false;
  } catch (error) {
    report(error);
  }
}

// What the user said of an answer (POST /v1/feedback), shown under it.
function feedbackOn(session, message) {
  if (message.role !== "assistant") return [];
  const turn = (session.turns || []).find((t) => t.seq === message.turn);
  return (turn?.feedback || []).map((f) => el("p", {class: `feedback ${f.rating > 0 ? "up" : "down"}`},
    `feedback ${f.rating > 0 ? "+1" : "-1"}${f.text ? `: ${f.text}` : ""}`));
}

async function forget(id) {
  if (!confirm(`Erase session ${id} and everything learned from it? Versions that learned from ` +
               "it are tainted and the newest untainted one serves.")) return;
  await change("DELETE", `/admin/sessions/${encodeURIComponent(id)}?rollback=true`,
    (r) => `Erased ${r.sessions} session, ${r.turns} turns; tainted: ` +
           `${r.tainted.join(", ") || "none"}.`);
  $("#transcript").hidden = true;
  await loadSessions().catch(report);
}

// -- refresh loop -----------------------------------------------------------------------------

async function refresh() {
  clearTimeout(pollTimer);
  if (!sessionStorage.getItem(KEY_ITEM)) return;
  let busy = false;
  try {
    const [overview, runs, held, tenant] = await Promise.all([
      api("GET", "/admin/adapters"), api("GET", "/admin/runs?limit=20"),
      api("GET", "/admin/insights?status=quarantined&limit=50"), api("GET", "/admin/tenant")]);
    $("#tenant").textContent = tenant.name;
    renderAdapters(overview);
    renderReview(held.data);
    busy = renderRuns(runs.data);
    document.body.dataset.loaded = "true";
  } catch (error) {
    report(error);
  }
  if (sessionStorage.getItem(KEY_ITEM)) {
    pollTimer = setTimeout(refresh, busy ? POLL_BUSY_MS : POLL_IDLE_MS);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login").addEventListener("submit", logIn);
  $("#logout").addEventListener("click", () => showLogin());
  $("#rollback").addEventListener("click", () => {
    const from = overviewNow && overviewNow.active ? overviewNow.active.name : "the base model";
    if (!confirm(`Roll back from ${from} to the version before it?`)) return;
    change("POST", "/admin/rollback", (s) => `Rolled back: ${activeName(s)} is active.`);
  });
  $("#pin").addEventListener("click", () => change("POST",
    pinned ? "/admin/adapters/unpin" : "/admin/adapters/pin",
    (s) => (s.pinned ? "Pinned: runs will not promote." : "Unpinned.")));
  $("#start-run").addEventListener("click", () => change("POST", "/admin/runs",
    (run) => `Run #${run.id} queued.`));
  $("#dry-run").addEventListener("click", () => change("POST", "/admin/runs",
    (run) => `Dry run #${run.id} queued: it reads the sessions and dreams, and trains nothing.`,
    {dry_run: true}));
  $("#sessions-more").addEventListener("click", () => loadSessions(true).catch(report));
  if (sessionStorage.getItem(KEY_ITEM)) showDashboard(); else showLogin();
});
