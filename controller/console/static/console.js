// The technician's console: one WebSocket for updates and actions, plain DOM and canvas,
// nothing fetched from outside this machine. STOP is never behind a confirmation; force
// changes and the start are.
import { drawCurve, drawEmg } from "/static/curve.js";
import { Sound } from "/static/sound.js";
import { People, keypad } from "/static/people.js";
import { Words } from "/static/words.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
const withToken = (path) => token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;
const sound = new Sound();
const stats = { updates: 0, latencies: [], painted: 0 };
window.__console = stats;

let ws = null, nextId = 1, state = null, curve = [], planned = null, lastHb = 0;
let lastActivity = null, summaryShown = null, summaryReport = null, form = { fields: {} }, uploaded = null;

function go(screen) {
  document.body.dataset.screen = screen;
  if (screen === "history") loadHistory();
  if (screen === "patients" || screen === "prepare") loadPatients();
}
document.querySelectorAll("[data-go]").forEach((b) => b.addEventListener("click", () => go(b.dataset.go)));

const op = $("operator");
op.value = localStorage.getItem("operator") || "";
op.addEventListener("change", () => localStorage.setItem("operator", op.value.trim()));

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(withToken(`${proto}://${location.host}/ws`));
  ws.onmessage = (m) => onMessage(JSON.parse(m.data));
  ws.onopen = () => send("whoami", { badge: people.badge });
  ws.onclose = () => { $("link-badge").textContent = tr("console offline: reconnecting"); $("link-badge").className = "badge bad"; setTimeout(connect, 500); };
}

function send(opName, extra = {}) {
  if (!ws || ws.readyState !== 1) { $("reply").textContent = tr("not connected to the table"); return; }
  ws.send(JSON.stringify({ op: opName, id: nextId++, operator: op.value.trim(), badge: people.badge, ...extra }));
}
const people = new People(send);
const words = new Words(async (lang) => (await fetch(withToken(`/api/words/${lang}`))).json());
people.onLanguage = (lang) => words.use(lang || site.language);  // a person's own, else the site's
const tr = (text, values) => words.t(text, values);  // the page's own words
const said = (text) => words.said(text);  // words the table wrote (alarms, events, states)
people.tr = tr; people.said = said;
words.onChange = () => { applySite({}); buildFields({ ...form.fields, ...values() }); loadPatients(); loadClinic(); people.show(); if (state) render(state); };  // the inputs keep what was typed

function onMessage(m) {
  const now = Date.now();
  if (now - lastHb > 1000 && ws.readyState === 1) { ws.send(JSON.stringify({ op: "hb" })); lastHb = now; }
  if (m.type === "hello") { applySite(m.site); words.use(people.language || site.language); curve = m.curve.map((p) => ({ t: p[0], target: p[1], force: p[2], emg: p[3] })); $("event-list").innerHTML = ""; addEvents(m.events); return; }
  if (m.type === "reply") return onReply(m);
  if (m.type === "state") { state = m; window.__state = m; stats.updates++; addEvents(m.events); render(m); }
}

function onReply(m) {
  if (people.onReply(m)) return;
  if (m.op === "sign") return onSigned(m);
  $("reply").textContent = m.ok ? "" : said(m.error);
  if (m.op === "times") return onTimes(m);
  if (m.op === "save_protocol") { $("s-saved").textContent = m.ok ? `saved: ${m.saved}` : ""; if (m.ok) { $("s-save-name").value = ""; loadPresets(); } }
  if (m.op === "note" && m.ok) { $("s-noted").textContent = tr("saved beside the record"); $("s-comment").value = ""; }
  if (m.op === "start") {
    showFieldErrors(m.fields || (m.ok ? {} : { "": m.error }));
    op.classList.toggle("bad", !m.ok && m.error.includes("operator"));
    if (m.ok) { planned = m.planned; curve = []; $("event-list").innerHTML = ""; go("treatment"); }
  }
}

function addEvents(events) {
  const list = $("event-list");
  for (const e of events) {
    const li = document.createElement("li");
    li.className = e.priority;
    li.textContent = `${e.t_s === null ? "" : said(e.t_s.toFixed(1) + " s") + "  "}${said(e.text)}`;
    list.prepend(li);
  }
}

const fmtTime = (s) => s === null || s === undefined ? "-" : `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
// The clinic's units and time zone (hello's `site`): the table and its records are in N and kg,
// UTC; people read the site's force unit (N, kgf, lbf), weight unit (kg, lb) and local time.
let site = { force_unit: "N", n_per_unit: 1, force_digits: 0, force_step: 10, weight_unit: "kg", kg_per_unit: 1, time_zone: undefined, language: "en" };
const fmtN = (n) => n === null || n === undefined ? "-" : words.number(n / site.n_per_unit, site.force_digits);
const unit = (symbol) => words.unit(symbol);  // a unit's symbol in the language ("Н" in Russian)
const fmtF = (n, digits = 0) => n === null || n === undefined ? `- ${unit(site.force_unit)}` : `${words.number(n / site.n_per_unit, Math.max(site.force_digits, digits))} ${unit(site.force_unit)}`;
const fmtKg = (kg) => kg === null || kg === undefined || kg === "" ? "-" : `${words.number(Number(kg) / site.kg_per_unit, 1)} ${unit(site.weight_unit)}`;
const toKg = (shown) => shown === "" || shown === null ? shown : String(Math.round(Number(shown) * site.kg_per_unit * 1000) / 1000);
function fmtWhen(iso) {
  if (!iso) return "-";
  if (words.lang !== "en") return new Intl.DateTimeFormat(words.lang, { timeZone: site.time_zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZoneName: "short" }).format(new Date(iso));
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: site.time_zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" }).formatToParts(new Date(iso));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
}
function applySite(given) {
  site = { ...site, ...given };
  document.querySelectorAll(".unit").forEach((u) => { u.textContent = unit(site.force_unit); });
  document.body.classList.toggle("decimals", site.force_digits > 0);
  $("btn-force-down").textContent = `− ${site.force_step} ${unit(site.force_unit)}`;
  $("btn-force-up").textContent = `+ ${site.force_step} ${unit(site.force_unit)}`;
  for (const id of ["p-weight-unit", "f-weight-unit"]) $(id).textContent = unit(site.weight_unit);
  $("f-dose").placeholder = site.force_unit === "N" ? tr("40%BW, 25kgf, 55lbf or 240N") : tr("40%BW, 240N or e.g. {example}", { example: site.force_unit === "lbf" ? `55${unit("lbf")}` : `25${unit("kgf")}` });
}

function render(m) {
  document.body.dataset.activity = m.activity;
  const t = m.table;
  $("link-badge").textContent = tr("table: {link}", { link: said(t.link) });
  $("link-badge").className = "badge " + (t.link === "connected" ? "ok" : "bad");
  $("activity-badge").textContent = said(m.live && m.activity === "treating" ? m.live.state : m.activity);
  renderTable(t, m.activity);
  renderChecks(m.procedure, m.activity);
  renderAlarms(m.alarms);
  renderTreatment(m);
  const l = m.live;  // what goes on, readable over the sign-in too
  $("si-live").textContent = l && m.activity === "treating" ? tr("Treatment {state}: set {set}, measured {measured}, {phase}, {left} left", { state: said(l.state), set: fmtF(l.target_n), measured: fmtF(l.force_n), phase: said(l.phase), left: fmtTime(Math.max(0, l.total_s - l.timer_s)) }) : "";
  if (m.summary && summaryShown !== m.summary.session_id) { summaryShown = m.summary.session_id; summaryReport = m.summary.report; renderSummary(m.summary); go("summary"); }
  else if (m.summary && summaryReport !== m.summary.report) { summaryReport = m.summary.report; renderSummary(m.summary); }  // the report, drawn once the record closed
  if (lastActivity !== m.activity && m.activity === "treating" && document.body.dataset.screen !== "treatment") go("treatment");
  lastActivity = m.activity;
}

function renderTable(t, activity) {
  const id = t.identity;
  $("t-identity").innerHTML = id ? `<dt>${tr("product")}</dt><dd>${escapeHtml(tr("{product} rev {revision}", { product: id.product, revision: id.revision }))}</dd><dt>${tr("vendor")}</dt><dd>${escapeHtml(id.vendor)}</dd><dt>${tr("ICD")}</dt><dd>${id.icd}</dd><dt>${tr("force max")}</dt><dd>${fmtF(id.force_max_n)}</dd>` : `<dt>-</dt><dd>${tr("not read")}</dd>`;
  $("t-link").textContent = said(t.link);
  $("t-device").textContent = t.device;
  $("t-selftest").textContent = said(t.self_test);
  $("t-home").textContent = t.at_home === null ? "-" : t.at_home ? tr("at home") : tr("NOT at home");
  $("t-carriage").textContent = t.position_mm === undefined ? "" : tr(t.fault ? "position {position}, force {force}, fault {fault}" : "position {position}, force {force}", { position: said(`${t.position_mm} mm`), force: fmtF(t.force_n, 1), fault: t.fault });
  $("t-limits").textContent = said(t.limits_file);
  $("t-hash").textContent = `sha256 ${t.limits_sha256}`;
  $("t-message").textContent = said(t.message);
  $("btn-home").disabled = activity !== "idle" || t.at_home !== false;
  const why = t.readiness || [];
  $("t-ready-card").className = `card wide ${why.length ? "bad" : "ok"}`;
  $("t-ready").textContent = why.length ? tr("NOT ready: no treatment can start") : tr("Ready: calibration valid, today's check passed");
  $("t-ready-why").innerHTML = why.map((w) => `<li>${escapeHtml(said(w))}</li>`).join("");
  $("btn-go-checks").hidden = !why.some((w) => w.includes("daily check"));
  people.table(t);
  $("t-people-card").className = `card wide ${t.accounts ? "" : "open"}`;
  $("t-people").textContent = t.accounts ? tr("Everyone signs in") : tr("No accounts: actions carry a typed name");
  $("btn-first-admin").hidden = t.accounts;
  $("t-store").textContent = tr("records: {store}", { store: said(t.store) });
  $("t-backup").textContent = t.last_backup_at ? tr("last backup {age} ago", { age: age(t.last_backup_at) }) : tr("no backup of the records yet");
  const hr = t.health_record;
  $("t-health").textContent = hr ? said(hr.words) : tr("not connected to the clinic's health record");
  $("t-health").className = hr && hr.trouble ? "trouble" : "";
}
function age(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} days`;
}

function renderChecks(p, activity) {
  $("btn-daily").disabled = activity !== "idle";
  if (!p) return;
  $("c-step").textContent = p.step ? (p.wait === "board" ? tr("{step} (the board is watching)", { step: said(p.step) }) : said(p.step)) : "";
  $("c-answer").hidden = p.wait !== "confirm";
  $("c-done").innerHTML = p.done.map((d) => `<li class="${d.passed ? "ok" : "failed"}">${escapeHtml(said(d.key))}: ${escapeHtml(d.detail)}</li>`).join("");
  $("c-result").textContent = p.result ? tr("Daily check {result}", { result: said(p.result) }) : "";
}

function renderAlarms(a) {
  const banner = $("banner");
  if (a.banner) {
    banner.hidden = false;
    banner.className = `banner ${a.banner.priority} ${a.banner.visual}`;
    $("banner-priority").textContent = tr(a.banner.priority.toUpperCase()) + (a.banner.acknowledged_by ? ` (${tr("acknowledged")})` : "");
    $("banner-text").textContent = said(a.banner.text);
    $("banner-todo").textContent = said(a.banner.what_to_do || "");
  } else banner.hidden = true;
  $("alarm-list").innerHTML = a.alarms.map((x) => `<li class="${x.priority}${x.acknowledged_by ? " acked" : ""}">${tr(x.priority.toUpperCase())}: ${escapeHtml(said(x.text))}</li>`).join("");
  const pending = a.alarms.some((x) => !x.acknowledged_by);
  $("btn-ack").disabled = !pending;
  $("btn-audio").disabled = !pending || a.audio === "paused";
  $("btn-audio").textContent = a.audio === "paused" ? tr("AUDIO PAUSED {left}", { left: fmtTime(a.audio_paused_s) }) : tr("AUDIO PAUSE 2 min");
  document.body.dataset.audio = a.audio;
  sound.play(a.audio);
}

function renderTreatment(m) {
  const live = m.live, treating = m.activity === "treating";
  const st = live ? live.state : "";
  $("btn-stop").disabled = !(treating && ["running", "paused", "patient_stopped", "stopping"].includes(st));
  $("btn-pause").disabled = !(treating && st === "running");
  $("btn-resume").disabled = !(treating && ["paused", "patient_stopped"].includes(st));
  // resume and force changes act in a person's name: not from a locked or signed-out screen
  const blocked = people.blocked();
  $("btn-resume").disabled ||= blocked;
  $("btn-force-up").disabled = $("btn-force-down").disabled = blocked || !(treating && ["running", "paused"].includes(st));
  $("btn-times").disabled = !(treating && ["running", "paused"].includes(st));
  if ($("btn-times").disabled) $("times").hidden = true;
  if (!live) return;
  $("n-set").textContent = fmtN(live.target_n);
  $("n-actual").textContent = fmtN(live.force_n);
  $("n-state").textContent = said(live.state);
  $("n-phase").textContent = said(live.phase);
  $("n-phase-left").textContent = fmtTime(live.phase_left_s);
  $("n-total-left").textContent = fmtTime(Math.max(0, live.total_s - live.timer_s));
  $("n-offset").textContent = live.offset_n ? tr("force changed {change} by the technician", { change: `${live.offset_n > 0 ? "+" : ""}${fmtF(live.offset_n, 1)}` }) : "";
  const c = m.current;
  $("n-who").textContent = c ? `${said(c.protocol)} · ${tr("patient")} ${c.patient_ref || "-"} · ${fmtKg(c.weight_kg)} · ${c.operator}` : "";
  const last = curve[curve.length - 1];
  if (!last || live.t_s > last.t) curve.push({ t: live.t_s, target: live.target_n, force: live.force_n, emg: live.emg_uv });
  $("muscles").hidden = !live.muscles;
  $("n-muscles").textContent = live.muscles;
  $("n-muscles").dataset.held = /^holding|^easing/.test(live.muscles) ? "yes" : "no";
  if (document.body.dataset.screen === "treatment") {
    drawCurve($("live-canvas"), { curve, planned: planned ? planned.points : null, limit: c ? c.force_limit_n : null, total: live.total_s, offsetT: live.t_s - live.timer_s, unit: { ...site, force_unit: unit(site.force_unit) }, minutes: unit("min"), number: (v, d) => words.number(v, d) });
    if (live.muscles) drawEmg($("emg-canvas"), { curve, baseline: live.emg_baseline_uv, threshold: live.emg_threshold_uv, total: live.total_s, microvolts: unit("uV") });
    stats.painted++;
    if (live.sample_epoch_s) { stats.latencies.push(performance.timeOrigin + performance.now() - live.sample_epoch_s * 1000); if (stats.latencies.length > 2000) stats.latencies.shift(); }
  }
}

function renderSummary(s) {
  $("summary-empty").hidden = true; $("summary").hidden = false;
  $("s-outcome").textContent = tr("Session {id}: {words}", { id: s.session_id, words: said(s.words) });
  const c = s.current || {};
  $("s-facts").innerHTML = `<dt>${tr("protocol")}</dt><dd>${escapeHtml(said(c.protocol || ""))}</dd><dt>${tr("patient")}</dt><dd>${escapeHtml(c.patient_ref || "-")}</dd><dt>${tr("operator")}</dt><dd>${escapeHtml(c.operator || "")}</dd><dt>${tr("stopped by")}</dt><dd>${escapeHtml(s.stopped_by ? said(s.stopped_by) : tr("- (ran to its end)"))}</dd><dt>${tr("deadline misses")}</dt><dd>${s.deadline_misses}</dd>`;
  $("s-why").innerHTML = (s.why.length ? s.why : ["-"]).map((w) => `<li>${escapeHtml(said(w))}</li>`).join("");
  const a = s.accuracy;
  $("s-accuracy").innerHTML = `<dt>${tr("hold error mean")}</dt><dd>${fmtF(a.mean_error_n, 1)}</dd><dt>${tr("hold error peak")}</dt><dd>${fmtF(a.peak_error_n, 1)}</dd><dt>${tr("overshoot")}</dt><dd>${fmtF(a.overshoot_n, 1)}</dd><dt>${tr("meets targets")}</dt><dd>${a.meets ? tr("yes") : tr("no")}</dd>`;
  $("s-relaxation").innerHTML = (s.relaxation || []).map((w) => `<li>${escapeHtml(said(w))}</li>`).join("");
  $("s-events").innerHTML = $("event-list").innerHTML;
  $("s-noted").textContent = ""; $("s-saved").textContent = "";
  if (s.report) { $("s-report").src = withToken(s.report); $("s-report").hidden = false; } else $("s-report").hidden = true;
}

function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }

// --- the rail: STOP acts at once; force changes are confirmed -------------------------------
$("btn-stop").addEventListener("click", () => send("stop"));
$("btn-pause").addEventListener("click", () => send("pause"));
$("btn-resume").addEventListener("click", () => {
  if (state && state.live && state.live.state === "patient_stopped") {  // the patient asked to stop
    confirmThen(tr("The patient pressed the hand switch. Have you asked the patient? Resume with a fresh ramp to the same force?"), () => send("resume"));
  } else send("resume");
});
$("btn-ack").addEventListener("click", () => { sound.unlock(); send("acknowledge"); });
$("btn-audio").addEventListener("click", () => send("audio_pause"));
$("btn-home").addEventListener("click", () => confirmThen(tr("Move the carriage home? The harness must be detached."), () => send("home")));
for (const [id, sign] of [["btn-force-up", 1], ["btn-force-down", -1]]) {
  $(id).addEventListener("click", () => {
    const delta = sign * site.force_step * site.n_per_unit;  // the site's step, sent in N
    const set = state && state.live ? state.live.target_n : null;
    const step = `${sign > 0 ? "+" : "−"}${site.force_step} ${unit(site.force_unit)}`;
    const text = set === null ? tr("Change the force by {step}?", { step }) : tr("Change the force by {step} (set force {from} → {to})?", { step, from: fmtF(set), to: fmtF(set + delta) });
    confirmThen(text, () => send("force", { delta_n: delta }));
  });
}

// --- hold, rest and total time of the running treatment: reviewed, then confirmed ------------
const TIMES = ["hold_s", "rest_s", "total_s"];
const timeValues = () => Object.fromEntries(TIMES.map((k) => [k, $("t-" + k).value.trim()]).filter(([, v]) => v !== ""));
$("btn-times").addEventListener("click", () => send("times"));
$("btn-times-cancel").addEventListener("click", () => { $("times").hidden = true; });
$("btn-times-review").addEventListener("click", () => send("times", { values: timeValues() }));
function onTimes(m) {
  for (const k of ["", ...TIMES]) $("terr-" + k).textContent = (m.fields || {})[k] || "";
  if (!m.ok) { if (!m.fields) $("terr-").textContent = m.error; return; }
  if (m.times) {  // what the times are now: the form, with only this protocol's times
    if (!Object.keys(m.times).length) { $("reply").textContent = "the final release: times no longer change"; return; }
    for (const k of TIMES) {
      document.querySelector(`[data-time="${k}"]`).hidden = !(k in m.times);
      $("t-" + k).value = k in m.times ? m.times[k] : "";
    }
    $("times").hidden = false;
  } else if (m.applied) {
    if (planned) { planned.points = m.points; planned.total_s = m.total_s; }
  } else {
    const values = timeValues();
    $("times").hidden = true;
    confirmThen(`Change ${m.change}? Session ${fmtTime(m.total_s_before)} → ${fmtTime(m.total_s)} (minutes:seconds).`, () => send("times", { values, apply: true }));
  }
}

function confirmThen(text, action) {
  $("confirm-text").textContent = text; $("confirm").hidden = false;
  $("confirm-yes").onclick = () => { $("confirm").hidden = true; action(); };
  $("confirm-no").onclick = () => { $("confirm").hidden = true; };
}

// --- Checks -------------------------------------------------------------------------------------
$("btn-daily").addEventListener("click", () => send("daily_check"));
$("c-yes").addEventListener("click", () => send("step", { yes: true }));
$("c-no").addEventListener("click", () => send("step", { yes: false }));

// --- Patients -----------------------------------------------------------------------------------
let patients = [];
async function loadPatients() {
  patients = await (await fetch(withToken("/api/patients"))).json();
  $("p-table").querySelector("tbody").innerHTML = patients.map((p) => `<tr><td>${escapeHtml(p.ref)}</td><td>${escapeHtml(p.name)}</td><td>${fmtKg(p.weight_kg)}</td><td>${p.weight_date}</td><td>${p.regions.join(", ")}</td></tr>`).join("");
  const sel = $("f-registered"), keep = sel.value;
  sel.innerHTML = `<option value="">${tr("- not registered -")}</option>` + patients.map((p) => `<option value="${escapeHtml(p.ref)}">${escapeHtml(p.ref)}: ${escapeHtml(p.name)}</option>`).join("");
  sel.value = keep;
}
$("btn-add-patient").addEventListener("click", async () => {
  const body = { ref: $("p-ref").value.trim(), name: $("p-name").value.trim(), weight_kg: toKg($("p-weight").value), height_cm: $("p-height").value, notes: $("p-notes").value, regions: [...document.querySelectorAll(".p-region:checked")].map((c) => c.value) };
  const r = await (await fetch(withToken("/api/patients"), { method: "POST", headers: { "content-type": "application/json", "x-console-badge": people.badge || "" }, body: JSON.stringify(body) })).json();
  document.querySelectorAll("[data-perr]").forEach((e) => { e.textContent = ""; });
  if (!r.ok) { for (const [k, v] of Object.entries(r.fields)) (document.querySelector(`[data-perr="${CSS.escape(k)}"]`) || document.querySelector('[data-perr=""]')).textContent = v; return; }
  $("p-added").textContent = `registered ${r.patient.ref}: ${fmtKg(r.patient.weight_kg)}`;
  ["p-ref", "p-name", "p-weight", "p-height", "p-notes"].forEach((id) => { $(id).value = ""; });
  loadPatients();
});

// --- Prepare ----------------------------------------------------------------------------------
let repeating = null;
async function loadClinic() {
  const c = await (await fetch(withToken("/api/clinic"))).json();
  const opts = (xs, blank = true) => (blank ? `<option value=""></option>` : "") + xs.map((x) => `<option value="${escapeHtml(x)}">${escapeHtml(said(x))}</option>`).join("");
  for (const [id, xs] of [["f-position", c.positions], ["f-harness", c.harnesses], ["f-split", c.splits]]) {
    const chosen = $(id).value; $(id).innerHTML = opts(xs); $(id).value = chosen;  // a language change keeps the choice
  }
  $("f-contra").innerHTML = c.contraindications.map((x) => `<li>${escapeHtml(said(x))}</li>`).join("");
  const scale = `<option value="">-</option>` + [...Array(11).keys()].map((n) => `<option>${n}</option>`).join("");
  for (const id of ["f-pain", "s-pain"]) { const chosen = $(id).value; $(id).innerHTML = scale; $(id).value = chosen; }
}
$("f-registered").addEventListener("change", () => {
  const p = patients.find((x) => x.ref === $("f-registered").value);
  document.body.classList.toggle("registered", !!p);
  $("f-weight").disabled = !!p;
  if (p) { $("f-weight").value = Number((p.weight_kg / site.kg_per_unit).toFixed(1)); if (!p.regions.includes($("f-region").value)) { $("f-region").value = p.regions[0]; fillPresets(); } }
  $("btn-repeat").disabled = !p;
  repeating = null; $("f-repeat").textContent = "";
  check();
});
$("btn-repeat").addEventListener("click", async () => {
  const ref = $("f-registered").value;
  const r = await (await fetch(withToken(`/api/patients/${encodeURIComponent(ref)}/last`))).json();
  if (!r.ok) { showFieldErrors(r.fields); return; }
  $("f-region").value = r.region; fillPresets();  // (a new source: clears any repeat)
  if ([...$("f-preset").options].some((o) => o.value === r.entry_json.name)) { $("f-preset").value = r.entry_json.name; onSource(); }
  repeating = r;  // after it: the last treatment's own template is what will run
  $("f-description").textContent = `the template of session ${r.session_id}: ${r.entry_json.name}`;
  $("f-dose").value = r.dose;
  $("f-pain").value = "";
  if (r.setup) { $("f-angle").value = r.setup.angle_deg; $("f-position").value = r.setup.position; $("f-harness").value = r.setup.harness; $("f-split").value = r.setup.split_table; }
  $("f-none").checked = false;
  $("f-repeat").textContent = `repeating session ${r.session_id} of ${r.started_at.slice(0, 10)}: confirm the checklist, then start`;
  buildFields({}); check();
});
for (const id of ["f-dose", "f-angle", "f-position", "f-harness", "f-split", "f-none", "f-pain", "f-patient"]) $(id).addEventListener("input", () => check());
function clinical() {
  return {
    patient: $("f-registered").value,
    dose: $("f-dose").value.trim(),
    setup: { angle_deg: $("f-angle").value, position: $("f-position").value, harness: $("f-harness").value, split_table: $("f-split").value },
    contraindications_none: $("f-none").checked,
    pain_before: $("f-pain").value,
  };
}
let presets = [];
async function loadPresets() {
  presets = await (await fetch(withToken("/api/presets"))).json();
  fillPresets();
}
function fillPresets() {
  const region = $("f-region").value;
  const chosen = $("f-preset").value;
  $("f-preset").innerHTML = presets.filter((p) => p.region === region).map((p) => `<option value="${escapeHtml(p.name)}">${escapeHtml(p.saved_by ? tr("{name} (saved)", { name: p.name }) : said(p.name))}</option>`).join("");
  if (presets.some((p) => p.name === chosen && p.region === region)) $("f-preset").value = chosen;
  onSource();
}
$("f-region").addEventListener("change", fillPresets);
$("f-preset").addEventListener("change", onSource);
$("f-file").addEventListener("change", async () => {
  const f = $("f-file").files[0];
  uploaded = f ? { toml: await f.text(), filename: f.name } : null;
  $("btn-clear-file").hidden = !uploaded;
  form.fields = {}; check(true);
});
$("btn-clear-file").addEventListener("click", () => { uploaded = null; $("f-file").value = ""; $("btn-clear-file").hidden = true; onSource(); });
$("f-weight").addEventListener("input", () => check());
function onSource() {
  repeating = null; $("f-repeat").textContent = "";
  const p = presets.find((x) => x.name === $("f-preset").value);
  $("f-description").textContent = p ? said(p.description) : "";
  form.fields = p ? { ...p.fields } : {};
  buildFields(form.fields);
  check();
}
const unitOf = (name) => name.endsWith("_n_s") ? "N/s" : name.endsWith("_n") ? "N" : name.endsWith("_s") ? "s" : "";
// a protocol's own forces stay in N (the protocol's unit, as saved); the site's unit beside them
const inSite = (k, v) => site.force_unit === "N" || !k.endsWith("_n") || v === "" || v === null ? "" : `= ${fmtF(Number(v), 1)}`;
function buildFields(fields) {
  $("f-fields").innerHTML = Object.entries(fields).map(([k, v]) => `<div class="row"><label>${tr(k.replace(/_n_s$|_n$|_s$/, "").replaceAll("_", " "))} (${unit(unitOf(k)) || tr("count")}) <input data-field="${k}" type="number" inputmode="decimal" step="any" value="${v === null ? "" : v}"></label><span class="in-site" data-in-site="${k}">${inSite(k, v)}</span><span class="err" data-err="${k}"></span></div>`).join("");
  document.querySelectorAll("[data-field]").forEach((i) => i.addEventListener("input", () => { document.querySelector(`[data-in-site="${CSS.escape(i.dataset.field)}"]`).textContent = inSite(i.dataset.field, i.value); check(); }));
}
function values() {
  const out = {};
  document.querySelectorAll("[data-field]").forEach((i) => { out[i.dataset.field] = i.value === "" ? null : i.value; });
  return out;
}
function request() {
  const source = repeating ? { entry_json: repeating.entry_json } : { preset: $("f-preset").value, ...(uploaded || {}) };
  return { ...source, values: uploaded || repeating ? {} : values(), weight_kg: toKg($("f-weight").value), patient_ref: $("f-patient").value.trim(), clinical: clinical(), language: words.lang };
}
let checkTimer = null;
function check(rebuild = false) {
  clearTimeout(checkTimer);
  $("btn-start").disabled = true;  // nothing starts on a plan the server has not checked

  checkTimer = setTimeout(async () => {
    const r = await fetch(withToken("/api/check"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request()) });
    const body = await r.json();
    showFieldErrors(body.ok ? {} : body.fields);
    if (body.ok && rebuild) buildFields(body.fields);
    $("btn-start").disabled = !body.ok;
    planned = body.ok ? body : null;
    const peak = tr("peak {force}", { force: fmtF(body.peak_n, 1) });
    const dose = (body.prescription ? said(body.prescription) : peak) + (site.force_unit === "N" ? "" : ` (${peak})`);
    $("plan-summary").textContent = body.ok ? tr("{name}: {dose}, session limit {limit}, {minutes} min", { name: body.name, dose, limit: fmtF(body.force_limit_n, 1), minutes: words.number(body.total_s / 60, 1) }) : tr("refused: see the fields");
    drawCurve($("plan-canvas"), { curve: [], planned: body.ok ? body.points : null, limit: body.ok ? body.force_limit_n : null, total: body.ok ? body.total_s : 60, offsetT: 0, unit: { ...site, force_unit: unit(site.force_unit) }, minutes: unit("min"), number: (v, d) => words.number(v, d) });
  }, 150);
}
function showFieldErrors(fields) {
  document.querySelectorAll("[data-err]").forEach((e) => { e.textContent = ""; });
  document.querySelectorAll("[data-field], #f-weight").forEach((i) => i.classList.remove("bad"));
  const general = [];
  for (const [k, msg] of Object.entries(fields)) {
    const slot = document.querySelector(`[data-err="${CSS.escape(k)}"]`);
    if (slot && k !== "") { slot.textContent = said(msg); const input = document.querySelector(`[data-field="${CSS.escape(k)}"]`) || (k === "weight_kg" ? $("f-weight") : null); if (input) input.classList.add("bad"); }
    else general.push(`${k ? k + ": " : ""}${said(msg)}`);
  }
  document.querySelector('[data-err=""]').textContent = general.join("; ");
}
$("btn-start").addEventListener("click", () => {
  sound.unlock();
  const p = planned, r = request();
  if (!p) return;
  const lines = p.summary && p.summary.length ? p.summary.join("; ") : tr("{name} for patient {patient} ({weight}), peak {peak}", { name: p.name, patient: r.patient_ref || "-", weight: fmtKg(p.weight_kg), peak: fmtF(p.peak_n, 1) });
  confirmThen(tr("Start? {plan}; {minutes} min.", { plan: lines, minutes: words.number(p.total_s / 60, 1) }), () => send("start", r));
});

$("btn-save-protocol").addEventListener("click", () => {
  if (!state || !state.summary) return;
  send("save_protocol", { session_id: state.summary.session_id, name: $("s-save-name").value, description: $("s-save-desc").value });
});
$("btn-note").addEventListener("click", () => {
  if (!state || !state.summary) return;
  send("note", { session_id: state.summary.session_id, pain_after: $("s-pain").value, comment: $("s-comment").value });
});

// --- History ----------------------------------------------------------------------------------
async function loadHistory() {
  const q = new URLSearchParams({ patient: $("h-patient").value, from: $("h-from").value, to: $("h-to").value });
  const rows = await (await fetch(withToken(`/api/sessions?${q}`))).json();
  $("h-table").querySelector("tbody").innerHTML = rows.map((r) => `<tr data-sid="${r.id}"><td>${r.id}</td><td>${fmtWhen(r.started_at)}</td><td>${escapeHtml(said(r.protocol_name))}</td><td>${escapeHtml(r.patient_ref || "-")}</td><td>${escapeHtml(r.operator)}</td><td>${escapeHtml(said(r.outcome))}</td><td>${escapeHtml((r.signed || []).join("; ") || "-")}</td></tr>`).join("");
  $("h-table").querySelectorAll("tr[data-sid]").forEach((row) => row.addEventListener("click", () => showSession(row.dataset.sid, row)));
}
async function showSession(sid, row) {
  $("h-table").querySelectorAll("tr").forEach((x) => x.classList.remove("sel")); row.classList.add("sel");
  const d = await (await fetch(withToken(`/api/sessions/${sid}`))).json();
  const s = d.session;
  $("h-detail").hidden = false;
  $("h-title").textContent = tr("Session {id}: {words}", { id: sid, words: said(s.outcome) });
  $("h-csv").href = withToken(`/api/sessions/${sid}/export.csv`);
  $("h-json").href = withToken(`/api/sessions/${sid}/export.json`);
  $("h-fhir").href = withToken(`/api/sessions/${sid}/export.fhir.json`);
  $("h-pdf").href = withToken(`/api/sessions/${sid}/report.pdf`);
  const shown = { ...s, protocol_name: said(s.protocol_name), started_at: fmtWhen(s.started_at), ended_at: fmtWhen(s.ended_at), weight_kg: fmtKg(s.weight_kg), force_limit_n: s.force_limit_n === null ? "-" : fmtF(s.force_limit_n, 1) };
  $("h-facts").innerHTML = [["started_at", "started"], ["ended_at", "ended"], ["protocol_name", "protocol"], ["patient_ref", "patient"], ["weight_kg", "weight"], ["operator", "operator"], ["force_limit_n", "session force limit"], ["limits_sha256", "limits file (SHA-256)"], ["device_url", "table"]].map(([k, label]) => `<dt>${tr(label)}</dt><dd>${escapeHtml(shown[k] ?? "-")}</dd>`).join("") + `<dt>${tr("samples")}</dt><dd>${d.samples}</dd>`;
  $("h-events").innerHTML = d.events.map((e) => `<li class="${e.priority}">${e.t_s === null ? "" : said(e.t_s.toFixed(1) + " s") + " "}${escapeHtml(said(e.words))}</li>`).join("");
  $("h-report").src = withToken(`/api/sessions/${sid}/report.png`);
  $("h-signed").innerHTML = (d.signatures || []).map((w) => `<li>${escapeHtml(said(w))}</li>`).join("") || `<li>${tr("not signed yet")}</li>`;
  $("btn-sign").disabled = !s.ended_at;
  signing = Number(sid);
}
let signing = null;
keypad($("sign-keys"), $("sign-pin"));
$("btn-sign").addEventListener("click", () => {
  $("sign-title").textContent = tr("Sign session {id}", { id: signing });
  $("sign-text").textContent = tr("{who}: this record is {meaning} by you. Your name, the time and the meaning go into the audit chain and onto the report.", { who: people.user || tr("You"), meaning: said($("h-meaning").value) });
  $("sign-error").textContent = ""; $("sign-pin").value = ""; $("sign").hidden = false;
});
$("sign-no").addEventListener("click", () => { $("sign").hidden = true; });
$("sign-yes").addEventListener("click", () => { send("sign", { session_id: signing, meaning: $("h-meaning").value, pin: $("sign-pin").value }); $("sign-pin").value = ""; });
function onSigned(m) {
  if (!m.ok) { $("sign-error").textContent = said(m.error); return; }
  $("sign").hidden = true;
  const row = $("h-table").querySelector(`tr[data-sid="${signing}"]`);
  if (row) showSession(signing, row);
}
$("btn-history").addEventListener("click", loadHistory);
$("btn-verify").addEventListener("click", async () => {
  const v = await (await fetch(withToken("/api/verify"))).json();
  $("h-verify").textContent = v.ok ? tr("verified: audit chain of {n} events intact", { n: v.events }) : tr("VERIFY FAILED: {problems}", { problems: v.problems.join("; ") });
});

document.addEventListener("pointerdown", () => sound.unlock(), { once: true });
loadPresets();
loadClinic();
loadPatients();
connect();
