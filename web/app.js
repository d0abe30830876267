// The vitals dashboard: one page, no build step, no external files (the hub embeds this script
// into index.html). It reads the REST API with the key the user gives once (kept in this tab's
// sessionStorage) and follows the live stream (GET /api/v1/stream) through a single-use ticket,
// so the key never appears in a URL. Views are chosen by the URL hash.

const store = window.sessionStorage;
const $ = (sel, root = document) => root.querySelector(sel);
const view = $("#view");
const esc = s => String(s ?? "").replace(/[&<>"']/g,
  c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c]));
const ms = v => v == null ? "–" : (v < 10 ? v.toFixed(1) : Math.round(v)) + " ms";
const when = t => t ? new Date(t).toLocaleString() : "–";
const ago = t => {
  if (!t) return "–";
  const s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
  if (s < 90) return s + " s";
  if (s < 5400) return Math.round(s / 60) + " min";
  if (s < 172800) return Math.round(s / 3600) + " h";
  return Math.round(s / 86400) + " d";
};
const ICON = { healthy: "✓", degraded: "!", down: "✕", unknown: "?", maintenance: "⏸" };
const statusLabel = s => `<span class="st ${esc(s)}"><span aria-hidden="true">${ICON[s] || "?"}</span> ${esc(s)}</span>`;
const RANK = { readonly: 1, operator: 2, admin: 3 };

const state = {
  key: store.getItem("vitals.key") || "",
  role: store.getItem("vitals.role") || "",
  services: new Map(),     // name -> service (from /api/v1/services, then status events)
  changedAt: new Map(),    // name -> time of the last status change seen on the stream
  lastId: store.getItem("vitals.lastEventId") || "",
  source: null,
  page: 0,
};
const can = role => (RANK[state.role] || 0) >= RANK[role];

// ---- API ----
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: "Bearer " + state.key };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) { signOut("the key was refused: " + (data.error?.message || "")); }
  if (!r.ok && r.status !== 202) throw new ApiError(r.status, data.error?.message || "HTTP " + r.status);
  return data;
}
function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.style.display = "block";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.style.display = "none"; }, 5000);
}
// A modal confirmation (keyboard: Enter confirms, Escape cancels). fields: [{name,label,type,required}]
function confirmDialog(text, fields = []) {
  const d = $("#confirm");
  $("#confirm-text").textContent = text;
  $("#confirm-fields").innerHTML = fields.map(f => `<label>${esc(f.label)}
      <input name="${esc(f.name)}" type="${esc(f.type || "text")}" ${f.required ? "required" : ""}
             value="${esc(f.value || "")}" style="width:100%"></label>`).join("");
  return new Promise(resolve => {
    d.addEventListener("close", () => {
      if (d.returnValue !== "ok") return resolve(null);
      const out = {};
      d.querySelectorAll("#confirm-fields input").forEach(i => { out[i.name] = i.value; });
      resolve(out);
    }, { once: true });
    d.returnValue = "";
    d.showModal();
  });
}

// ---- sign in ----
async function signIn(key) {
  state.key = key;
  // A ticket tells us the key's role (and proves the key works).
  const r = await fetch("/api/v1/stream/tickets", { method: "POST", headers: { Authorization: "Bearer " + key } });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, data.error?.message || "HTTP " + r.status);
  state.role = data.role;
  store.setItem("vitals.key", key);
  store.setItem("vitals.role", data.role);
  return data.ticket;
}
function signOut(why) {
  store.removeItem("vitals.key");
  store.removeItem("vitals.role");
  state.key = state.role = "";
  if (state.source) state.source.close();
  state.source = null;
  $("#login").style.display = "flex";
  $("#login-error").textContent = why || "";
  $("#logout").hidden = true;
  $("#role").textContent = "";
  $("#live").textContent = "offline";
  view.innerHTML = "";
}
$("#login").addEventListener("submit", async e => {
  e.preventDefault();
  try {
    const ticket = await signIn($("#key").value.trim());
    $("#key").value = "";
    start(ticket);
  } catch (err) {
    $("#login-error").textContent = "the key was refused: " + err.message;
  }
});
$("#logout").addEventListener("click", () => signOut("signed out"));

// ---- the live stream ----
function connect(ticket) {
  if (state.source) state.source.close();
  let url = "/api/v1/stream?ticket=" + encodeURIComponent(ticket);
  if (state.lastId) url += "&last_event_id=" + encodeURIComponent(state.lastId);
  const es = new EventSource(url);
  state.source = es;
  es.onopen = () => { $("#live").textContent = "● live"; };
  const onEvent = e => {
    if (e.lastEventId) { state.lastId = e.lastEventId; store.setItem("vitals.lastEventId", e.lastEventId); }
    let ev = {};
    try { ev = JSON.parse(e.data); } catch { return; }
    handleEvent(e.type, ev);
  };
  for (const kind of ["status", "incident", "repair", "approval", "preflight", "agent", "federation"]) {
    es.addEventListener(kind, onEvent);
  }
  es.addEventListener("reset", e => {
    if (e.lastEventId) state.lastId = e.lastEventId;
    loadServices().then(render);  // the events we missed are gone: reload the state
  });
  const reconnect = () => {
    es.close();
    if (state.source !== es || !state.key) return;
    $("#live").textContent = "reconnecting…";
    // The ticket was single-use: ask for another one, resume after the last id seen.
    setTimeout(async () => {
      if (state.source !== es) return;
      try { connect((await api("/api/v1/stream/tickets", { method: "POST" })).ticket); }
      catch { reconnect(); }
    }, 1500);
  };
  es.addEventListener("dropped", reconnect);
  es.addEventListener("closed", reconnect);
  es.onerror = reconnect;
}
const refreshSoon = (() => {
  let timer = null;
  return kinds => {
    const r = currentRoute();
    if (!kinds.includes(r.name)) return;
    clearTimeout(timer);
    timer = setTimeout(() => render(), 300);
  };
})();
function handleEvent(kind, ev) {
  if (kind === "status" && ev.data.cause === "removed") {
    // The service left the current view (no check left, or its agent was retired).
    state.services.delete(ev.service);
    state.changedAt.delete(ev.service);
    view.querySelector(`.card[data-name="${CSS.escape(ev.service)}"]`)?.remove();
    updateSummary();
    refreshSoon(["service", "timeline"]);
  } else if (kind === "status") {
    const s = state.services.get(ev.service) || { name: ev.service, checks: [] };
    s.status = ev.data.to;
    state.services.set(ev.service, s);
    state.changedAt.set(ev.service, ev.data.changed_at || ev.at);
    updateCard(ev.service);
    updateSummary();
    refreshSoon(["service", "timeline"]);
  } else if (kind === "incident") refreshSoon(["incidents"]);
  else if (kind === "repair" || kind === "approval") refreshSoon(["repairs", "service"]);
  else if (kind === "preflight") refreshSoon(["preflight"]);
  else if (kind === "agent") refreshSoon(["agents"]);
  else if (kind === "federation") refreshSoon(["federation"]);
}

// ---- routing ----
function currentRoute() {
  const h = location.hash.replace(/^#\/?/, "");
  const [name, ...rest] = h.split("/");
  return { name: name || "grid", arg: rest.map(decodeURIComponent).join("/") };
}
const VIEWS = {};
// What someone is typing survives live refreshes: form fields are remembered as they change and
// put back after the view re-renders for the same route (a stream event re-renders the view it
// concerns). Submitting a form or going to another route forgets them.
const drafts = { route: null, values: new Map(), focus: null };
const draftKey = el => el.form && el.form.id && el.name ? el.form.id + "\u0000" + el.name : null;
function noteDraft(e) {
  const k = draftKey(e.target);
  if (k) drafts.values.set(k, e.target.type === "checkbox" ? e.target.checked : e.target.value);
}
view.addEventListener("input", noteDraft);
view.addEventListener("change", noteDraft);
view.addEventListener("focusin", e => { drafts.focus = draftKey(e.target); });
view.addEventListener("submit", e => {
  for (const k of [...drafts.values.keys()]) if (k.startsWith(e.target.id + "\u0000")) drafts.values.delete(k);
}, true);
function restoreDrafts() {
  const field = k => {
    const [form, name] = k.split("\u0000");
    return view.querySelector(`form#${CSS.escape(form)} [name="${CSS.escape(name)}"]`);
  };
  for (const [k, v] of drafts.values) {
    const el = field(k);
    if (el && el.type === "checkbox") el.checked = v;
    else if (el) el.value = v;
  }
  const focused = drafts.focus && field(drafts.focus);
  if (focused && (document.activeElement === document.body || !document.activeElement)) focused.focus();
}

async function render() {
  const r = currentRoute();
  if (drafts.route !== location.hash) {
    drafts.route = location.hash;
    drafts.values.clear();
    drafts.focus = null;
  }
  document.querySelectorAll("header nav a").forEach(a => {
    const target = a.getAttribute("href").replace(/^#\/?/, "") || "grid";
    if ((target === r.name) || (target === "grid" && r.name === "service")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  const fn = VIEWS[r.name] || VIEWS.grid;
  try {
    await fn(r.arg);
    restoreDrafts();
  } catch (err) {
    if (state.key) view.innerHTML = `<p class="error" role="alert">${esc(err.message)}</p>`;
  }
}
window.addEventListener("hashchange", () => { state.page = 0; render().then(() => $("#main").focus()); });

// ---- status grid ----
const PAGE = 300;
async function loadServices() {
  const { services } = await api("/api/v1/services");
  state.services = new Map(services.map(s => [s.name, s]));
}
function cardHtml(s) {
  const since = state.changedAt.get(s.name);
  return `<a class="card ${esc(s.status)}" href="#/service/${encodeURIComponent(s.name)}" data-name="${esc(s.name)}">
    <div class="name"><span>${esc(s.name)}</span>${statusLabel(s.status)}</div>
    <div class="meta">${ms(s.latency_ms)} · checked ${esc(ago(s.last_checked))} ago${since ? " · " + esc(s.status) + " for " + esc(ago(since)) : ""}</div>
    <div class="meta">agent ${esc(s.agent || "–")} · ${(s.checks || []).length} check(s)</div></a>`;
}
function updateCard(name) {
  const el = view.querySelector(`.card[data-name="${CSS.escape(name)}"]`);
  if (!el) return;
  const tmp = document.createElement("div");
  tmp.innerHTML = cardHtml(state.services.get(name));
  el.replaceWith(tmp.firstElementChild);
}
function updateSummary() {
  const el = $("#summary");
  if (!el) return;
  const counts = {};
  for (const s of state.services.values()) counts[s.status] = (counts[s.status] || 0) + 1;
  el.textContent = state.services.size + " services · " +
    Object.entries(counts).map(([k, v]) => v + " " + k).join(" · ");
}
VIEWS.grid = async () => {
  if (!state.services.size) await loadServices();
  const prev = { q: $("#q")?.value || "", st: $("#st")?.value || "", group: $("#group")?.value || "" };
  view.innerHTML = `<h2>Status <small id="summary" class="meta"></small></h2>
    <div class="toolbar" role="search">
      <label>Search <input id="q" type="search" value="${esc(prev.q)}" placeholder="service or agent"></label>
      <label>Status <select id="st">${["", "down", "degraded", "unknown", "healthy"].map(v =>
        `<option value="${v}" ${v === prev.st ? "selected" : ""}>${v || "all"}</option>`).join("")}</select></label>
      <label>Group by <select id="group">${[["", "nothing"], ["agent", "agent"], ["status", "status"]].map(([v, t]) =>
        `<option value="${v}" ${v === prev.group ? "selected" : ""}>${t}</option>`).join("")}</select></label>
    </div><div id="cards"></div>`;
  updateSummary();
  const draw = () => {
    const q = $("#q").value.toLowerCase(), st = $("#st").value, group = $("#group").value;
    const order = { down: 0, degraded: 1, unknown: 2, healthy: 3 };
    const list = [...state.services.values()]
      .filter(s => (!st || s.status === st) && (!q || s.name.toLowerCase().includes(q) || (s.agent || "").toLowerCase().includes(q)))
      .sort((a, b) => (order[a.status] ?? 9) - (order[b.status] ?? 9) || a.name.localeCompare(b.name));
    const shown = list.slice(0, (state.page + 1) * PAGE);  // paged: 10,000 cards stay responsive
    let html = "";
    if (group) {
      const groups = new Map();
      for (const s of shown) {
        const g = group === "agent" ? (s.agent || "no agent") : s.status;
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g).push(s);
      }
      for (const [g, items] of groups) {
        html += `<h3 class="group-title">${esc(g)} (${items.length})</h3><div class="grid">${items.map(cardHtml).join("")}</div>`;
      }
    } else {
      html = `<div class="grid">${shown.map(cardHtml).join("")}</div>`;
    }
    if (shown.length < list.length) {
      html += `<div class="pager"><span class="meta">${shown.length} of ${list.length} shown</span>
        <button type="button" id="more">Show ${Math.min(PAGE, list.length - shown.length)} more</button></div>`;
    }
    if (!list.length) html = `<p>No service matches.</p>`;
    $("#cards").innerHTML = html;
    $("#more")?.addEventListener("click", () => { state.page++; draw(); });
  };
  for (const id of ["#q", "#st", "#group"]) $(id).addEventListener("input", () => { state.page = 0; draw(); });
  draw();
};

// ---- service detail ----
function historyChart(buckets) {
  if (!buckets.length) return `<p class="meta">No results in the last 24 h.</p>`;
  const w = 720, h = 120, bw = w / 24;
  const start = Date.now() - 24 * 3600e3;
  const maxLat = Math.max(1, ...buckets.map(b => b.latency_max_ms || 0));
  const bars = buckets.map(b => {
    const i = Math.max(0, Math.min(23, Math.floor((new Date(b.hour) - start) / 3600e3)));
    const up = b.uptime_percent ?? 0;
    const lat = b.latency_avg_ms ?? 0;
    const color = up >= 99.9 ? "#17803d" : up >= 90 ? "#d69e2e" : "#c81e1e";
    return `<rect x="${i * bw + 1}" y="${h - (up / 100) * (h - 20)}" width="${bw - 2}" height="${(up / 100) * (h - 20)}" fill="${color}">
        <title>${esc(when(b.hour))}: ${up.toFixed(2)} % up, ${ms(lat)} average</title></rect>
      <circle cx="${i * bw + bw / 2}" cy="${h - (lat / maxLat) * (h - 20)}" r="3" fill="#2b6cb0"></circle>`;
  }).join("");
  return `<svg class="chart" role="img" aria-label="uptime per hour (bars) and average latency (dots), last 24 hours"
      viewBox="0 0 ${w} ${h}" width="100%" height="${h}">${bars}</svg>
    <p class="meta">Bars: % up per hour (green ≥ 99.9, amber ≥ 90, red below). Dots: average latency (max ${ms(maxLat)}).</p>`;
}
VIEWS.service = async name => {
  const [s, trends, uptime, policy, incidents] = await Promise.all([
    api("/api/v1/services/" + encodeURIComponent(name)),
    api("/api/v1/services/" + encodeURIComponent(name) + "/trends?hours=24").catch(() => ({ buckets: [] })),
    api("/api/v1/services/" + encodeURIComponent(name) + "/uptime?window=7d").catch(() => ({ timeline: [] })),
    api("/api/v1/policies/" + encodeURIComponent(name)).catch(() => null),
    api("/api/v1/alerts?service=" + encodeURIComponent(name) + "&limit=10").catch(() => ({ alerts: [] })),
  ]);
  const changes = (uptime.timeline || []).slice(-10).reverse();
  view.innerHTML = `<p><a href="#/">← all services</a></p>
    <h2>${esc(s.name)} ${statusLabel(s.status)}</h2>
    <p class="meta">latency ${ms(s.latency_ms)} · last check ${esc(when(s.last_checked))} · agent ${esc(s.agent || "–")}</p>
    ${can("operator") ? `<div class="actions" aria-label="quick actions">
      <button type="button" data-act="restart">Restart…</button>
      <button type="button" data-act="recheck">Recheck</button>
      <button type="button" data-act="diagnose">Diagnose</button></div>
      <pre id="act-out" class="logs" hidden></pre>` : ""}
    <h3>Checks</h3>
    <table><thead><tr><th>check</th><th>kind</th><th>agent</th><th>status</th><th>latency</th><th>message</th><th>checked</th></tr></thead>
    <tbody>${(s.checks || []).map(c => `<tr><td>${esc(c.name)}</td><td>${esc(c.kind)}</td><td>${esc(c.agent)}</td>
      <td>${statusLabel(c.status)}${c.unreachable ? " (agent unreachable)" : ""}</td><td>${ms(c.latency_ms)}</td>
      <td>${esc(c.message)}</td><td>${esc(ago(c.last_checked))} ago</td></tr>`).join("")}</tbody></table>
    <h3>Last 24 hours</h3>${historyChart(trends.buckets || [])}
    <h3>Recent changes</h3>
    <table><thead><tr><th>from</th><th>to</th><th>status</th><th>duration</th></tr></thead><tbody>
    ${changes.map(c => `<tr><td>${esc(when(c.start))}</td><td>${c.end ? esc(when(c.end)) : "now"}</td>
      <td>${statusLabel(c.status)}</td><td>${Math.round(c.duration_seconds)} s</td></tr>`).join("") ||
      `<tr><td colspan="4">No change in 7 days.</td></tr>`}</tbody></table>
    <h3>Incidents</h3>
    <table><thead><tr><th>#</th><th>state</th><th>status</th><th>opened</th><th>why</th></tr></thead><tbody>
    ${(incidents.alerts || []).map(a => `<tr><td>${esc(a.id)}</td><td>${esc(a.state)}</td><td>${statusLabel(a.status)}</td>
      <td>${esc(when(a.opened_at))}</td><td>${esc(a.reason)}</td></tr>`).join("") || `<tr><td colspan="5">None.</td></tr>`}</tbody></table>
    <h3>Repair policy</h3>
    ${policy ? `<p>${policy.enabled ? "automatic repair on" : "automatic repair off"}${policy.dry_run ? " (dry run)" : ""}
      · ${policy.require_approval ? "needs approval" : "no approval needed"} · at most ${esc(policy.max_attempts)} attempt(s),
      cooldown ${esc(policy.cooldown_seconds)} s · restart action <code>${esc(policy.restart_action || "–")}</code>
      ${policy.source === "default" ? " · default guardrails (no policy stored)" : ""}</p>`
      : `<p class="meta">No repair policy.</p>`}
    <h3>Logs</h3>
    <div class="toolbar"><label><input type="checkbox" id="follow" checked> follow new lines</label></div>
    <pre class="logs" id="logs" tabindex="0" aria-label="log lines">loading…</pre>`;
  view.querySelectorAll("button[data-act]").forEach(b => b.addEventListener("click", () => quickAction(name, b.dataset.act)));
  followLogs(name);
};
async function quickAction(name, act) {
  const out = $("#act-out");
  if (act === "restart") {
    const ok = await confirmDialog(`Restart ${name}? This runs the service's restart action on its agent and is audited.`);
    if (!ok) return;
  }
  out.hidden = false;
  out.textContent = act + "…";
  try {
    const r = await api(`/api/v1/services/${encodeURIComponent(name)}/actions/${act}`,
                        { method: "POST", body: act === "restart" ? { confirm: true } : {} });
    out.textContent = JSON.stringify(r, null, 2);
    toast(act + ": done");
  } catch (err) {
    out.textContent = act + " refused: " + err.message;
  }
}
let logTimer = null;
async function followLogs(name) {
  clearTimeout(logTimer);
  const box = $("#logs");
  if (!box || currentRoute().name !== "service") return;
  try {
    const r = await api(`/api/v1/services/${encodeURIComponent(name)}/logs?lines=200`);
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    box.textContent = (r.lines || []).join("\n") || "(no lines)";
    if (atEnd) box.scrollTop = box.scrollHeight;
  } catch (err) {
    box.textContent = "logs unavailable: " + err.message;
  }
  if ($("#follow")?.checked) logTimer = setTimeout(() => followLogs(name), 3000);
}

// ---- uptime timeline ----
VIEWS.timeline = async arg => {
  const [w7, w30] = await Promise.all([api("/api/v1/uptime?window=7d"), api("/api/v1/uptime?window=30d")]);
  const u30 = new Map(w30.services.map(s => [s.name, s]));
  const pct = v => v == null ? "–" : v.toFixed(3) + " %";
  const selected = arg || (w7.services[0] && w7.services[0].name) || "";
  view.innerHTML = `<h2>Uptime</h2>
    <table><thead><tr><th>service</th><th>7 days</th><th>30 days</th><th>down (7 d)</th><th>degraded (7 d)</th></tr></thead><tbody>
    ${w7.services.map(s => `<tr><td><a href="#/timeline/${encodeURIComponent(s.name)}">${esc(s.name)}</a></td>
      <td>${pct(s.uptime_percent)}</td><td>${pct(u30.get(s.name)?.uptime_percent)}</td>
      <td>${Math.round(s.seconds.down)} s</td><td>${Math.round(s.seconds.degraded)} s</td></tr>`).join("")}</tbody></table>
    <div id="tl"></div>`;
  if (selected) await drawTimeline(selected);
};
async function drawTimeline(name) {
  const [u, silences] = await Promise.all([
    api(`/api/v1/services/${encodeURIComponent(name)}/uptime?window=7d`),
    api("/api/v1/silences?state=all&limit=200").catch(() => ({ silences: [] })),
  ]);
  const since = new Date(u.since).getTime(), now = Date.now(), span = now - since;
  const maint = (silences.silences || []).filter(s => s.maintenance && (!s.service || s.service === name));
  const inMaint = (a, b) => maint.some(m => new Date(m.starts_at).getTime() <= a && new Date(m.ends_at).getTime() >= b);
  const segs = (u.timeline || []).map((t, i) => {
    const a = Math.max(since, new Date(t.start).getTime()), b = t.end ? new Date(t.end).getTime() : now;
    const kind = t.status !== "healthy" && inMaint(a, b) ? "maintenance" : t.status;
    const width = Math.max(0.2, ((b - a) / span) * 100);
    return `<button type="button" class="seg-${esc(kind)}" style="width:${width}%" data-i="${i}"
      aria-label="${esc(kind)} from ${esc(when(t.start))} to ${t.end ? esc(when(t.end)) : "now"}"
      title="${esc(kind)}: ${esc(when(t.start))} – ${t.end ? esc(when(t.end)) : "now"}"></button>`;
  }).join("");
  $("#tl").innerHTML = `<h3>${esc(name)}: last 7 days</h3>
    <div class="legend"><span><i class="seg-healthy"></i>healthy</span><span><i class="seg-degraded"></i>degraded</span>
      <span><i class="seg-down"></i>down</span><span><i class="seg-maintenance"></i>maintenance</span><span><i class="seg-unknown"></i>unknown</span></div>
    <div class="timeline" role="group" aria-label="status timeline of ${esc(name)}">${segs}</div>
    <div id="window" aria-live="polite"></div>`;
  $("#tl").querySelectorAll(".timeline button").forEach(b => b.addEventListener("click", async () => {
    const t = u.timeline[Number(b.dataset.i)];
    const a = new Date(t.start).getTime(), e = t.end ? new Date(t.end).getTime() : now;
    const { alerts } = await api(`/api/v1/alerts?service=${encodeURIComponent(name)}&limit=50`).catch(() => ({ alerts: [] }));
    const related = alerts.filter(x => new Date(x.opened_at).getTime() <= e + 60e3 &&
      (!x.resolved_at || new Date(x.resolved_at).getTime() >= a - 60e3));
    $("#window").innerHTML = `<h3>Window</h3><p>${statusLabel(t.status)} from ${esc(when(t.start))} to
      ${t.end ? esc(when(t.end)) : "now"} (${Math.round(t.duration_seconds)} s)</p>
      <p>${related.length ? "Incidents: " + related.map(x => `#${esc(x.id)} ${esc(x.state)} (${esc(x.reason)})`).join(", ")
        : "No incident in this window."}</p>`;
  }));
}

// ---- incidents and silences ----
VIEWS.incidents = async () => {
  const [open, recent, silences] = await Promise.all([
    api("/api/v1/alerts?state=open&limit=200"), api("/api/v1/alerts?limit=50"),
    api("/api/v1/silences?limit=200")]);
  const op = can("operator");
  view.innerHTML = `<h2>Incidents</h2>
    <h3>Open</h3><table><thead><tr><th>#</th><th>service</th><th>status</th><th>since</th><th>why</th><th>acknowledged</th></tr></thead><tbody>
    ${open.alerts.map(a => `<tr><td>${esc(a.id)}</td><td><a href="#/service/${encodeURIComponent(a.service)}">${esc(a.service)}</a></td>
      <td>${statusLabel(a.status)}${a.flapping ? " (flapping)" : ""}</td><td>${esc(when(a.opened_at))}</td>
      <td>${esc(a.reason)}${a.root_cause ? " · root cause: " + esc(a.root_cause) : ""}${a.silenced_by ? " · silenced" : ""}</td>
      <td>${a.acknowledged_at ? "by " + esc(a.acknowledged_by) : op ? `<button type="button" data-ack="${esc(a.id)}">Acknowledge</button>` : "no"}</td></tr>`).join("")
      || `<tr><td colspan="6">No open incident.</td></tr>`}</tbody></table>
    <h3>Recent</h3><table><thead><tr><th>#</th><th>service</th><th>state</th><th>worst</th><th>opened</th><th>resolved</th></tr></thead><tbody>
    ${recent.alerts.map(a => `<tr><td>${esc(a.id)}</td><td>${esc(a.service)}</td><td>${esc(a.state)}</td><td>${statusLabel(a.worst_status)}</td>
      <td>${esc(when(a.opened_at))}</td><td>${esc(when(a.resolved_at))}</td></tr>`).join("")}</tbody></table>
    <h3>Silences</h3><table><thead><tr><th>#</th><th>matches</th><th>from</th><th>until</th><th>kind</th><th>comment</th><th></th></tr></thead><tbody>
    ${(silences.silences || []).map(s => `<tr><td>${esc(s.id)}</td><td>${esc([s.service, s.agent, s.check].filter(Boolean).join(" / ") || "everything")}</td>
      <td>${esc(when(s.starts_at))}</td><td>${esc(when(s.ends_at))}</td><td>${s.maintenance ? "maintenance" : "silence"}</td>
      <td>${esc(s.comment)} <span class="meta">by ${esc(s.creator)}</span></td>
      <td>${op && s.active ? `<button type="button" data-expire="${esc(s.id)}">Expire</button>` : s.active ? "active" : "ended"}</td></tr>`).join("")
      || `<tr><td colspan="7">No silence.</td></tr>`}</tbody></table>
    ${op ? `<h3>New silence</h3><form id="silence" class="toolbar">
      <label>Service <input name="service" required></label>
      <label>Duration <input name="duration" value="1h" size="6" required></label>
      <label><input type="checkbox" name="maintenance"> maintenance</label>
      <label>Comment <input name="comment" required></label><button type="submit">Create silence</button></form>` : ""}`;
  view.querySelectorAll("button[data-ack]").forEach(b => b.addEventListener("click", async () => {
    try { await api(`/api/v1/alerts/${b.dataset.ack}/ack`, { method: "POST", body: {} }); toast("acknowledged"); render(); }
    catch (err) { toast("acknowledge refused: " + err.message); }
  }));
  view.querySelectorAll("button[data-expire]").forEach(b => b.addEventListener("click", async () => {
    if (!await confirmDialog(`Expire silence #${b.dataset.expire} now?`)) return;
    try { await api(`/api/v1/silences/${b.dataset.expire}`, { method: "DELETE" }); render(); }
    catch (err) { toast("expire refused: " + err.message); }
  }));
  $("#silence")?.addEventListener("submit", async e => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      await api("/api/v1/silences", { method: "POST", body: {
        service: f.get("service"), duration: f.get("duration"), maintenance: f.get("maintenance") === "on",
        comment: f.get("comment") } });
      toast("silence created"); render();
    } catch (err) { toast("silence refused: " + err.message); }
  });
};

// ---- repairs and approvals ----
VIEWS.repairs = async () => {
  const [pending, history] = await Promise.all([api("/api/v1/approvals?limit=100"), api("/api/v1/repairs?limit=100")]);
  const op = can("operator");
  view.innerHTML = `<h2>Repairs</h2>
    <h3>Waiting for approval</h3><table><thead><tr><th>#</th><th>service</th><th>action</th><th>why</th><th>requested</th><th>expires</th><th></th></tr></thead><tbody>
    ${pending.approvals.map(a => `<tr><td>${esc(a.id)}</td><td>${esc(a.service)}</td><td>${esc(a.action)} on ${esc(a.agent)}</td>
      <td>${esc(a.trigger)} ${esc((a.reasons || []).join("; "))}</td><td>${esc(when(a.created_at))}</td><td>${esc(when(a.expires_at))}</td>
      <td>${op ? `<div class="actions"><button type="button" data-approve="${esc(a.id)}">Approve…</button>
        <button type="button" data-reject="${esc(a.id)}">Reject…</button></div>` : "pending"}</td></tr>`).join("")
      || `<tr><td colspan="7">Nothing is waiting.</td></tr>`}</tbody></table>
    <h3>History</h3><table><thead><tr><th>#</th><th>service</th><th>action</th><th>status</th><th>outcome</th><th>by</th><th>at</th></tr></thead><tbody>
    ${history.repairs.map(r => `<tr><td>${esc(r.id)}</td><td>${esc(r.service)}</td><td>${esc(r.action)}</td><td>${esc(r.status)}</td>
      <td>${esc(r.outcome || r.error || "")}${r.verified ? " · verified" : ""}</td><td>${esc(r.decided_by || r.requested_by)}</td>
      <td>${esc(when(r.finished_at || r.created_at))}</td></tr>`).join("") || `<tr><td colspan="7">No repair yet.</td></tr>`}</tbody></table>`;
  for (const verb of ["approve", "reject"]) {
    view.querySelectorAll(`button[data-${verb}]`).forEach(b => b.addEventListener("click", async () => {
      const id = b.dataset[verb];
      const f = await confirmDialog(`${verb === "approve" ? "Approve" : "Reject"} repair #${id}?`,
                                    [{ name: "reason", label: "Reason (kept in the audit trail)", required: true }]);
      if (!f) return;
      try {
        const r = await api(`/api/v1/approvals/${id}/${verb}`, { method: "POST", body: { reason: f.reason } });
        toast(r.message || verb + "d"); render();
      } catch (err) { toast(verb + " refused: " + err.message); }
    }));
  }
};

// ---- pre-flight ----
VIEWS.preflight = async () => {
  const [p, overrides] = await Promise.all([api("/api/v1/preflight"), api("/api/v1/preflight/overrides").catch(() => ({ overrides: [] }))]);
  const checks = [...(p.checks || [])].sort((a, b) => (a.passed - b.passed) || (b.required - a.required));
  const admin = can("admin");
  view.innerHTML = `<h2>Pre-flight</h2>
    <p class="ready" id="ready">${p.ready ? statusLabel("healthy") + " ready" : statusLabel("down") + " not ready"}</p>
    <p class="meta">last run ${esc(when(p.last_run))}</p>
    ${can("operator") ? `<button type="button" id="rerun">Run the checks now</button>` : ""}
    <table><thead><tr><th>check</th><th>required</th><th>result</th><th>detail</th><th>override</th></tr></thead><tbody>
    ${checks.map(c => `<tr class="${!c.passed && c.required && !c.overridden ? "required-fail" : ""}">
      <td>${esc(c.name)} <span class="meta">${esc(c.kind)}</span></td><td>${c.required ? "<strong>required</strong>" : "optional"}</td>
      <td>${c.passed ? statusLabel("healthy").replace("healthy", "passed") : statusLabel("down").replace("down", "failed")}</td>
      <td>${esc(c.error || c.detail)}</td>
      <td>${c.overridden ? `overridden by ${esc(c.override?.created_by)} until ${esc(when(c.override?.expires_at))}: ${esc(c.override?.reason)}`
        : !c.passed && admin ? `<button type="button" data-override="${esc(c.name)}">Override…</button>` : ""}</td></tr>`).join("")}</tbody></table>
    <h3>Overrides</h3><table><thead><tr><th>#</th><th>check</th><th>reason</th><th>by</th><th>expires</th><th></th></tr></thead><tbody>
    ${(overrides.overrides || []).map(o => `<tr><td>${esc(o.id)}</td><td>${esc(o.check)}</td><td>${esc(o.reason)}</td><td>${esc(o.created_by)}</td>
      <td>${esc(when(o.expires_at))}</td><td>${admin ? `<button type="button" data-remove="${esc(o.id)}">Remove</button>` : ""}</td></tr>`).join("")
      || `<tr><td colspan="6">No override.</td></tr>`}</tbody></table>`;
  $("#rerun")?.addEventListener("click", async () => {
    try { await api("/api/v1/preflight/run", { method: "POST", body: {} }); render(); }
    catch (err) { toast("run refused: " + err.message); }
  });
  view.querySelectorAll("button[data-override]").forEach(b => b.addEventListener("click", async () => {
    const f = await confirmDialog(`Override the failing check "${b.dataset.override}"? The hub reports ready while it lasts; this is audited.`,
      [{ name: "reason", label: "Reason", required: true }, { name: "expires_in", label: "Expires in", value: "4h", required: true }]);
    if (!f) return;
    try {
      await api("/api/v1/preflight/overrides", { method: "POST", body: { check: b.dataset.override, reason: f.reason, expires_in: f.expires_in } });
      toast("override created"); render();
    } catch (err) { toast("override refused: " + err.message); }
  }));
  view.querySelectorAll("button[data-remove]").forEach(b => b.addEventListener("click", async () => {
    if (!await confirmDialog(`Remove override #${b.dataset.remove}?`)) return;
    try { await api(`/api/v1/preflight/overrides/${b.dataset.remove}`, { method: "DELETE" }); render(); }
    catch (err) { toast("remove refused: " + err.message); }
  }));
};

// ---- agents ----
VIEWS.agents = async () => {
  const { agents } = await api("/api/v1/agents");
  view.innerHTML = `<h2>Agents</h2><table><thead><tr><th>agent</th><th>state</th><th>version</th><th>host</th><th>checks</th>
    <th>last seen</th><th>clock skew</th></tr></thead><tbody>
    ${agents.map(a => `<tr><td>${esc(a.id)}</td>
      <td>${a.revoked ? statusLabel("down").replace("down", "revoked") : a.deregistered_at ? statusLabel("unknown").replace("unknown", "stopped") : a.unreachable ? statusLabel("down").replace("down", "offline") : statusLabel("healthy").replace("healthy", "online")}</td>
      <td>${esc(a.version)}</td><td>${esc(a.hostname)}</td><td>${esc(a.check_count)}</td><td>${esc(ago(a.last_seen))} ago</td>
      <td>${a.skew ? esc(JSON.stringify(a.skew)) : "–"}</td></tr>`).join("") || `<tr><td colspan="7">No agent.</td></tr>`}</tbody></table>`;
};

// ---- federation ----
VIEWS.federation = async () => {
  let hubs;
  try {
    hubs = await api("/api/v1/federation/hubs");
  } catch (err) {
    if (err.status === 404) { view.innerHTML = `<h2>Federation</h2><p>Federation is not configured on this hub.</p>`; return; }
    throw err;
  }
  const services = await api("/api/v1/federation/services").catch(() => ({ services: [] }));
  const list = hubs.hubs || [];
  view.innerHTML = `<h2>Federation</h2><table><thead><tr><th>hub</th><th>state</th><th>last seen</th></tr></thead><tbody>
    ${list.map(h => `<tr><td>${esc(h.id || h.name)}</td><td>${esc(h.state || h.status || "")}</td><td>${esc(when(h.last_seen))}</td></tr>`).join("")
      || `<tr><td colspan="3">No remote hub.</td></tr>`}</tbody></table>
    <h3>Services of every hub</h3><table><thead><tr><th>hub</th><th>service</th><th>status</th></tr></thead><tbody>
    ${(services.services || []).map(s => `<tr><td>${esc(s.hub)}</td><td>${esc(s.name || s.service)}</td><td>${statusLabel(s.status)}</td></tr>`).join("")}</tbody></table>`;
};

// ---- start ----
async function start(ticket) {
  $("#login").style.display = "none";
  $("#logout").hidden = false;
  $("#role").textContent = state.role;
  if (!state.services.size) await loadServices().catch(() => {});
  await render();
  connect(ticket);
}
if (state.key) {
  // The ticket and the services in parallel: the grid paints as soon as both are in.
  Promise.all([signIn(state.key), loadServices()]).then(([ticket]) => start(ticket))
    .catch(err => signOut(err.status === 401 ? "the key was refused" : "cannot reach the hub: " + err.message));
} else {
  signOut("");
}
