/* houselights dashboard: every figure comes from the JSON API under /api/v1, called with
 * the token the user signed in with. Charts are Vega-Lite specs rendered by the vendored
 * vega-embed. Text from the data is only ever set with textContent (never as HTML). */
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "houselights.token";
const ORG_KEY = "houselights.org";
const FILTER_KEYS = ["period", "from", "to", "venue", "season", "basis"];
const page = document.body.dataset.page;
const query = new URLSearchParams(window.location.search);

/* ---- API ------------------------------------------------------------------------- */

class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "http_error";
    this.hint = err.hint || "";
  }
}

function signInUrl() {
  const next = window.location.pathname + window.location.search;
  return `/dashboard/sign-in?next=${encodeURIComponent(next)}`;
}

async function api(path, params = {}, options = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => qs.append(k, x));
    else if (v !== undefined && v !== null && v !== "") qs.append(k, v);
  }
  const url = `${API}${path}${qs.toString() ? "?" + qs : ""}`;
  const response = await fetch(url, {
    method: options.method || "GET",
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` },
  });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    window.location.assign(signInUrl());
    throw new ApiError(401, await response.json().catch(() => null));
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return options.raw ? response : response.json();
}

/* ---- small DOM helpers ------------------------------------------------------------ */

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

const byId = (id) => document.getElementById(id);
const fmtInt = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en-GB"));
const fmtPct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
const fmtMoney = (v) =>
  v === null || v === undefined
    ? "–"
    : Number(v).toLocaleString("en-GB", { style: "currency", currency: "GBP" });
const fmtNum = (v) => (v === null || v === undefined ? "–" : Number(Number(v).toPrecision(3)).toString());
const fmtDate = (v) => (v ? String(v).slice(0, 10) : "–");
const fmtTime = (v) => (v ? String(v).slice(0, 16).replace("T", " ") : "–");

function showStatus(message, isError = false) {
  const box = byId("status");
  if (!box) return;
  box.textContent = message;
  box.classList.toggle("error", isError);
}

function showError(where, error) {
  const text = `${where}: ${error.message}${error.hint ? " — " + error.hint : ""}`;
  showStatus(text, true);
}

function tiles(container, items) {
  container.replaceChildren(
    ...items.map(([label, value]) =>
      el("div", { class: "tile" }, el("div", { class: "value", text: value }),
        el("div", { class: "label", text: label })),
    ),
  );
}

function table(container, rows, columns, empty = "Nothing to show.") {
  if (!rows.length) {
    container.replaceChildren(el("p", { class: "message", text: empty }));
    return;
  }
  const head = el("tr", {}, ...columns.map((c) =>
    el("th", { class: c.num ? "num" : "", text: c.label })));
  const body = rows.map((row) => el("tr", {}, ...columns.map((c) => {
    const raw = typeof c.key === "function" ? c.key(row) : row[c.key];
    return el("td", { class: c.num ? "num" : "", text: c.fmt ? c.fmt(raw) : raw ?? "–" });
  })));
  container.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}

/* ---- charts ----------------------------------------------------------------------- */

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

async function chart(container, spec) {
  const full = { $schema: SCHEMA, width: "container", height: 240, autosize: { type: "fit",
    contains: "padding" }, config: { font: "system-ui, sans-serif", view: { stroke: null } },
    ...spec };
  container.dataset.rendered = "false";
  await vegaEmbed(container, full, { actions: false, renderer: "svg" });
  container.dataset.rendered = "true";
}

function barSpec(values, x, y, opts = {}) {
  return {
    data: { values },
    mark: { type: "bar", color: opts.color || "#b4451f", tooltip: true },
    encoding: {
      x: { field: x, type: "nominal", sort: opts.sort ?? null, title: opts.xTitle ?? null,
        axis: { labelAngle: opts.angle ?? -30, labelLimit: 160 } },
      y: { field: y, type: "quantitative", title: opts.yTitle ?? null,
        axis: opts.yFormat ? { format: opts.yFormat } : {} },
    },
  };
}

function hbarSpec(values, label, measure, opts = {}) {
  return {
    data: { values },
    height: Math.max(120, values.length * 22),
    mark: { type: "bar", color: opts.color || "#b4451f", tooltip: true },
    encoding: {
      y: { field: label, type: "nominal", sort: "-x", title: null, axis: { labelLimit: 220 } },
      x: { field: measure, type: "quantitative", title: opts.title ?? null },
    },
  };
}

function groupedSpec(values, label, series, measure, opts = {}) {
  return {
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: label, type: "nominal", sort: null, title: null,
        axis: { labelAngle: -30, labelLimit: 160 } },
      xOffset: { field: series },
      y: { field: measure, type: "quantitative", title: opts.title ?? null,
        axis: { format: opts.format || "" } },
      color: { field: series, type: "nominal", title: null,
        scale: { range: ["#b4451f", "#4a6fa5", "#7a8595"] } },
    },
  };
}

/* ---- filters and the organisation ------------------------------------------------- */

function currentFinancialYearLabel() {
  const today = new Date();
  const start = today.getMonth() >= 3 ? today.getFullYear() : today.getFullYear() - 1;
  return `${start}/${String((start + 1) % 100).padStart(2, "0")}`;
}

function filterParams() {
  const out = {};
  for (const key of FILTER_KEYS) {
    const values = query.getAll(key).filter((v) => v !== "");
    if (values.length) out[key] = key === "venue" || key === "season" ? values : values[0];
  }
  return out;
}

function withQuery(path, extra = {}) {
  const qs = new URLSearchParams();
  qs.set("org", state.org);
  for (const [k, v] of Object.entries({ ...filterParams(), ...extra })) {
    (Array.isArray(v) ? v : [v]).forEach((x) => qs.append(k, x));
  }
  return `${path}?${qs}`;
}

function fillSelect(select, options, selected) {
  for (const [value, label] of options) {
    const option = el("option", { value, text: label });
    if (selected.includes(value)) option.selected = true;
    select.append(option);
  }
}

async function setUpFilters() {
  const form = byId("filters");
  if (!form) return;
  byId("f-org").value = state.org;
  let options = { venues: [], seasons: [], financial_years: [] };
  try {
    options = await api(`/orgs/${encodeURIComponent(state.org)}/filter-options`);
  } catch (error) {
    if (error.status !== 403) throw error; // a recipient sees reports, not the catalogue
  }
  const years = options.financial_years.length ? options.financial_years
    : [currentFinancialYearLabel()];
  if (!query.get("period") && !query.get("from") && !query.get("to")) {
    const current = currentFinancialYearLabel();
    query.set("period", years.includes(current) ? current : years[0]);
  }
  fillSelect(byId("f-period"), years.map((y) => [y, y]), query.getAll("period"));
  fillSelect(byId("f-venue"), options.venues.map((v) => [v.venue_id, v.name || v.venue_id]),
    query.getAll("venue"));
  fillSelect(byId("f-season"), options.seasons.map((s) => [s, s]), query.getAll("season"));
  byId("f-from").value = query.get("from") || "";
  byId("f-to").value = query.get("to") || "";
  byId("f-basis").value = query.get("basis") || "";
  byId("f-reset").setAttribute("href", `?org=${encodeURIComponent(state.org)}`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const qs = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v !== "") qs.append(k, v);
    window.location.assign(`${window.location.pathname}?${qs}`);
  });
}

const state = { me: null, org: null };

async function setUpHeader() {
  state.me = await api("/me");
  const orgs = state.me.orgs;
  const wanted = query.get("org") || sessionStorage.getItem(ORG_KEY);
  state.org = orgs.includes(wanted) ? wanted : orgs[0] || null;
  if (state.org) sessionStorage.setItem(ORG_KEY, state.org);
  const select = byId("org-select");
  fillSelect(select, orgs.map((o) => [o, o]), [state.org]);
  select.addEventListener("change", () => {
    sessionStorage.setItem(ORG_KEY, select.value);
    window.location.assign(`${window.location.pathname}?org=${encodeURIComponent(select.value)}`);
  });
  byId("who").textContent = `${state.me.kind}: ${state.me.subject}`;
  byId("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ORG_KEY);
    window.location.assign("/dashboard/sign-in");
  });
  for (const link of document.querySelectorAll("nav a[data-nav]")) {
    link.setAttribute("href", withQuery(link.getAttribute("href")));
  }
}

const orgPath = (suffix) => `/orgs/${encodeURIComponent(state.org)}${suffix}`;

/* ---- pages ------------------------------------------------------------------------ */

async function overview() {
  const f = filterParams();
  const [sales, volume, reach, income, quarters] = await Promise.all([
    api(orgPath("/insights/ticket-sales"), f),
    api(orgPath("/insights/volume-capacity"), f),
    api(orgPath("/insights/reach"), f),
    api(orgPath("/insights/income"), f),
    api(orgPath("/reports/funder-quarterly"), f),
  ]);
  byId("period-label").textContent = sales.period.label;
  tiles(byId("tiles"), [
    ["Performances", fmtInt(volume.performances)],
    ["Tickets issued", fmtInt(sales.tickets_issued)],
    ["Gross ticket income", fmtMoney(sales.gross_ticket_income)],
    ["Capacity utilisation", fmtPct(volume.utilisation)],
    ["Average ticket yield", fmtMoney(sales.yield_per_paid_ticket)],
    ["Unique bookers", fmtInt(reach.bookers)],
  ]);
  await Promise.all([
    chart(byId("chart-quarters"), barSpec(quarters.quarters, "label", "attendance",
      { yTitle: "Attendance", angle: 0 })),
    chart(byId("chart-income"), barSpec(income.kinds, "kind", "income",
      { yTitle: "Income (£)", color: "#4a6fa5" })),
  ]);
}

function exportButtons() {
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const response = await api(orgPath(`/exports/${button.dataset.export}`),
          { ...filterParams(), format: button.dataset.format }, { raw: true });
        const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        const link = el("a", { href: URL.createObjectURL(await response.blob()),
          download: match ? match[1] : `export.${button.dataset.format}` });
        document.body.append(link);
        link.click();
        link.remove();
      } catch (error) {
        showError("Export", error);
      } finally {
        button.disabled = false;
      }
    });
  }
}

function pager(container, result, load) {
  const buttons = [];
  if (result.offset > 0) {
    const prev = el("button", { type: "button", text: "Previous" });
    prev.addEventListener("click", () => load(Math.max(0, result.offset - result.limit)));
    buttons.push(prev);
  }
  if (result.next) {
    const next = el("button", { type: "button", text: "Next" });
    next.addEventListener("click", () => load(result.offset + result.limit));
    buttons.push(next);
  }
  container.replaceChildren(...buttons);
}

async function events() {
  exportButtons();
  const f = filterParams();
  const all = await api(orgPath("/reports/sales-by-event"), { ...f, limit: 500 });
  const top = [...all.items].sort((a, b) => b.tickets - a.tickets).slice(0, 15)
    .map((e) => ({ ...e, event: e.event_name || e.event_id }));
  await chart(byId("chart-events"), hbarSpec(top, "event", "tickets", { title: "Tickets" }));
  const load = async (offset) => {
    const result = await api(orgPath("/reports/sales-by-event"), { ...f, limit: 25, offset });
    table(byId("table-events"), result.items, [
      { key: "event_id", label: "Event ID" },
      { key: "event_name", label: "Event" },
      { key: "season", label: "Season" },
      { key: "first_performance", label: "First", fmt: fmtDate },
      { key: "performances", label: "Perfs", num: true, fmt: fmtInt },
      { key: "tickets", label: "Tickets", num: true, fmt: fmtInt },
      { key: "income", label: "Income", num: true, fmt: fmtMoney },
      { key: "utilisation", label: "Utilisation", num: true, fmt: fmtPct },
    ], "No events in this period.");
    pager(byId("pager-events"), result, load);
  };
  await load(0);
}

async function audience() {
  const f = filterParams();
  const [reach, loyalty, retention, firstTimers, lapsed, channels, lead] = await Promise.all([
    api(orgPath("/insights/reach"), f),
    api(orgPath("/insights/loyalty"), f),
    api(orgPath("/insights/retention"), f),
    api(orgPath("/insights/first-timer-return"), f),
    api(orgPath("/insights/lapsed"), f),
    api(orgPath("/insights/bookings-channels"), f),
    api(orgPath("/insights/lead-time"), f),
  ]);
  byId("period-label").textContent = reach.period.label;
  const window12 = firstTimers.windows[0] || {};
  const lapsed0 = lapsed.thresholds[0] || {};
  tiles(byId("tiles"), [
    ["Unique bookers", fmtInt(reach.bookers)],
    ["New bookers", fmtPct(loyalty.new_share)],
    ["Came more than once", fmtPct(loyalty.reattendance_rate)],
    ["Retained from last period", fmtPct(retention.retention_rate)],
    [`First-timers back within ${window12.months ?? "–"} months`, fmtPct(window12.return_rate)],
    [`Lapsed (over ${lapsed0.months ?? "–"} months)`, fmtPct(lapsed0.share)],
  ]);
  await Promise.all([
    chart(byId("chart-frequency"), barSpec(loyalty.bands, "band", "bookers",
      { yTitle: "Bookers", angle: 0 })),
    chart(byId("chart-channels"), barSpec(channels.channels, "channel", "tickets",
      { yTitle: "Tickets", color: "#4a6fa5" })),
    chart(byId("chart-lead"), barSpec(lead.buckets, "bucket", "tickets",
      { yTitle: "Tickets", color: "#7a8595" })),
  ]);
}

async function geography() {
  const f = filterParams();
  const [regions, areas] = await Promise.all([
    api(orgPath("/insights/geography"), { ...f, level: "region" }),
    api(orgPath("/insights/geography"), { ...f, level: "area" }),
  ]);
  byId("period-label").textContent = regions.period.label;
  await chart(byId("chart-regions"), hbarSpec(regions.cells, "label", "bookers",
    { title: "Bookers" }));
  table(byId("table-areas"), areas.cells, [
    { key: "label", label: "Postcode area" },
    { key: "bookers", label: "Bookers", num: true, fmt: fmtInt },
    { key: "tickets", label: "Tickets", num: true, fmt: fmtInt },
    { key: "income", label: "Income", num: true, fmt: fmtMoney },
    { key: "share_of_bookers", label: "Share of bookers", num: true, fmt: fmtPct },
  ], "No bookers in this period.");
}

async function quality() {
  const report = await api(orgPath("/reports/data-quality"), { runs: 20 });
  tiles(byId("tiles"), [
    ["Recent runs", fmtInt(report.runs.length)],
    ["Checks not passing", fmtInt(report.failing_checks)],
    ["Quarantined rows", fmtInt(report.quarantined_rows)],
  ]);
  const rows = [];
  for (const run of [...report.runs].reverse()) {
    rows.push({ run: run.run_id, measure: "published", rows: run.rows_published || 0 });
    rows.push({ run: run.run_id, measure: "unchanged", rows: run.rows_unchanged || 0 });
    rows.push({ run: run.run_id, measure: "quarantined", rows: run.rows_quarantined || 0 });
  }
  await chart(byId("chart-runs"), groupedSpec(rows, "run", "measure", "rows", { title: "Rows" }));
  const load = async (offset) => {
    const runs = await api(orgPath("/runs"), { limit: 20, offset });
    table(byId("table-runs"), runs.items, [
      { key: "run_id", label: "Run" }, { key: "kind", label: "Kind" },
      { key: "source", label: "Source" }, { key: "status", label: "Status" },
      { key: "started_at", label: "Started", fmt: fmtTime },
      { key: "rows_published", label: "Published", num: true, fmt: fmtInt },
      { key: "rows_quarantined", label: "Quarantined", num: true, fmt: fmtInt },
      { key: "message", label: "Message" },
    ], "No runs yet.");
    pager(byId("pager-runs"), runs, load);
  };
  await load(0);
  table(byId("table-checks"), report.checks, [
    { key: "run_id", label: "Run" }, { key: "table_name", label: "Table" },
    { key: "check_name", label: "Check" }, { key: "policy", label: "Policy" },
    { key: "outcome", label: "Outcome" },
    { key: "failing_rows", label: "Failing rows", num: true, fmt: fmtInt },
    { key: "description", label: "What it checks" },
  ], "No check results.");
  table(byId("table-quarantine"), report.quarantine, [
    { key: "run_id", label: "Run" }, { key: "table_name", label: "Table" },
    { key: "check_name", label: "Check" }, { key: "rows", label: "Rows", num: true },
    { key: (r) => r.sample_keys.join(", "), label: "Example keys" },
    { key: (r) => r.sample_reasons.join("; "), label: "Reasons" },
  ], "Nothing quarantined.");
}

async function setupCheck(source, target, button) {
  button.disabled = true;
  target.replaceChildren(el("p", { class: "message", text: "Checking…" }));
  try {
    const result = await api(orgPath(`/connections/${encodeURIComponent(source)}/setup-check`),
      {}, { method: "POST" });
    table(target, result.steps, [
      { key: "mark", label: "" }, { key: "title", label: "Step" },
      { key: "guide", label: "Guide" }, { key: "status", label: "Result" },
      { key: "detail", label: "Detail" }, { key: "fix", label: "How to fix" },
    ]);
  } catch (error) {
    target.replaceChildren(el("p", { class: "message", text: `${error.message} ${error.hint}` }));
  } finally {
    button.disabled = false;
  }
}

async function connections() {
  const result = await api(orgPath("/connections"), { limit: 100 });
  table(byId("table-connections"), result.items, [
    { key: "source", label: "Source" }, { key: "status", label: "Status" },
    { key: "status_reason", label: "Reason" },
    { key: (c) => Object.entries(c.settings || {}).map(([k, v]) => `${k}=${v}`).join(", "),
      label: "Settings" },
    { key: (c) => Object.keys(c.secrets || {}).join(", "), label: "Secrets (redacted)" },
    { key: "updated_at", label: "Updated", fmt: fmtTime },
  ], "No connections: this organisation loads data by upload.");
  const details = byId("connection-details");
  details.replaceChildren();
  for (const connection of result.items) {
    const statusBox = el("div", { class: "table" });
    const checkBox = el("div", { class: "table", id: `setup-${connection.source}` });
    const button = el("button", { type: "button", "data-setup": connection.source,
      text: "Run the setup check" });
    button.addEventListener("click", () => setupCheck(connection.source, checkBox, button));
    details.append(el("section", { class: "card" },
      el("h2", { text: `${connection.source}: status` }), statusBox, button, checkBox));
    try {
      const status = await api(orgPath(`/connections/${encodeURIComponent(connection.source)}/status`));
      table(statusBox, [
        ["Status", status.status], ["Last success", fmtTime(status.last_success)],
        ["Last error", status.last_error || "–"], ["Next run", fmtTime(status.next_run)],
        ...status.streams.map((s) => [`Stream ${s.stream}`,
          `${s.cursor || ""} ${s.detail || ""} (moved ${fmtTime(s.updated_at)})`]),
      ].map(([k, v]) => ({ k, v })), [{ key: "k", label: "" }, { key: "v", label: "" }]);
    } catch (error) {
      statusBox.replaceChildren(el("p", { class: "message", text: error.message }));
    }
  }
}

async function benchmarks() {
  const viewerInput = byId("viewer");
  const dimension = byId("dimension");
  const me = state.me;
  viewerInput.value = query.get("viewer") || (me.kind === "admin" ? "" : me.subject);
  viewerInput.readOnly = me.kind === "recipient";
  dimension.value = query.get("dimension") || "region";
  byId("viewer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.assign(withQuery(window.location.pathname,
      { viewer: viewerInput.value, dimension: dimension.value }));
  });
  if (!viewerInput.value) {
    showStatus("Name the recipient whose cohort to compare against (the name grants were made to).");
    return;
  }
  const params = { ...filterParams(), viewer: viewerInput.value };
  delete params.venue;
  delete params.season;
  const [kpis, dist] = await Promise.all([
    api(orgPath("/benchmarks/kpis"), params),
    api(orgPath(`/benchmarks/distribution/${dimension.value}`), params),
  ]);
  byId("period-label").textContent = kpis.period.label;
  byId("cohort-note").textContent = kpis.message;
  if (kpis.status !== "ok") {
    for (const id of ["chart-kpis", "chart-distribution"]) {
      byId(id).replaceChildren(el("p", { class: "message", text: kpis.message }));
    }
    return;
  }
  const ranges = kpis.kpis.filter((k) => !k.suppressed && k.median).map((k) => ({
    kpi: k.name, low: (k.p25 / k.median) * 100, high: (k.p75 / k.median) * 100,
    index: k.index,
  }));
  await chart(byId("chart-kpis"), {
    data: { values: ranges },
    height: Math.max(120, ranges.length * 26),
    layer: [
      { mark: { type: "bar", color: "#d9dde5", height: 14, tooltip: true },
        encoding: { y: { field: "kpi", type: "nominal", title: null, sort: null },
          x: { field: "low", type: "quantitative", title: "Index (cohort quartiles shaded)",
            scale: { zero: false } },
          x2: { field: "high" } } },
      { mark: { type: "rule", color: "#5b6476" }, encoding: { x: { datum: 100 } } },
      { mark: { type: "point", filled: true, size: 90, color: "#b4451f", tooltip: true },
        encoding: { y: { field: "kpi", type: "nominal", sort: null },
          x: { field: "index", type: "quantitative" } } },
    ],
  });
  table(byId("table-kpis"), kpis.kpis, [
    { key: "name", label: "Ratio" }, { key: "organisations", label: "Orgs", num: true },
    { key: "p25", label: "25th pct", num: true, fmt: fmtNum },
    { key: "median", label: "Median", num: true, fmt: fmtNum },
    { key: "p75", label: "75th pct", num: true, fmt: fmtNum },
    { key: "org_value", label: "This organisation", num: true, fmt: fmtNum },
    { key: (k) => (k.suppressed ? `suppressed (${k.reason})` : fmtNum(k.index)), label: "Index" },
  ]);
  const values = [];
  for (const cell of dist.cells) {
    if (cell.share !== null) values.push({ label: cell.label, who: "Cohort", share: cell.share });
    if (cell.org_share !== null) values.push({ label: cell.label, who: state.org, share: cell.org_share });
  }
  await chart(byId("chart-distribution"), groupedSpec(values, "label", "who", "share",
    { title: `Share of ${dist.measure}`, format: "%" }));
  table(byId("table-distribution"), dist.cells, [
    { key: "label", label: dist.dimension },
    { key: "share", label: "Cohort share", num: true, fmt: fmtPct },
    { key: "org_share", label: "This organisation", num: true, fmt: fmtPct },
    { key: (c) => (c.suppressed ? `suppressed (${c.reason})` : ""), label: "" },
  ]);
}

/* ---- sign-in and start -------------------------------------------------------------- */

function signInPage() {
  const form = byId("sign-in");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, byId("token").value.trim());
    try {
      const response = await fetch(`${API}/me`, {
        headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
      });
      if (!response.ok) throw new ApiError(response.status, await response.json());
      const next = query.get("next");
      window.location.assign(next && next.startsWith("/dashboard/") ? next : "/dashboard/overview");
    } catch (error) {
      sessionStorage.removeItem(TOKEN_KEY);
      showError("Sign-in failed", error);
    }
  });
}

const PAGES = { overview, events, audience, geography, quality, connections, benchmarks };

async function start() {
  if (page === "sign-in") {
    signInPage();
    return;
  }
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    window.location.assign(signInUrl());
    return;
  }
  document.body.dataset.ready = "loading";
  try {
    await setUpHeader();
    if (!state.org) {
      showStatus("This token sees no organisation yet.");
    } else {
      await setUpFilters();
      await PAGES[page]();
    }
    document.body.dataset.ready = "true";
  } catch (error) {
    if (error.status !== 401) showError("Could not load this page", error);
    document.body.dataset.ready = "error";
  }
}

start();
