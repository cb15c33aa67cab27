/* houselights dashboard: every figure comes from the JSON API under /api/v1, called with
 * the token the user signed in with. Charts are Vega-Lite specs rendered by the vendored
 * vega-embed. Text from the data is only ever set with textContent (never as HTML).
 *
 * Conventions every page follows:
 * - one date basis per page (performance date unless the address says otherwise), sent
 *   explicitly to every API call and shown under the heading;
 * - with no period chosen, the page opens on the API's default year (the latest with
 *   performances) and says so;
 * - every KPI tile shows the same figure for the year before (+/- and %) and links to
 *   its definition; every chart links to its definition and offers its data as CSV;
 * - numbers for people: £ and thousands separators, no exponents, dates dd/mm/yyyy.
 */
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
    this.body = body || {};
  }
}

function signInUrl() {
  const next = window.location.pathname + window.location.search;
  return `/dashboard/sign-in?next=${encodeURIComponent(next)}`;
}

function authHeader() {
  return { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
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
    headers: authHeader(),
    body: options.body,
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
const missing = (v) => v === null || v === undefined || Number.isNaN(v);
const fmtInt = (v) => (missing(v) ? "–" : Math.round(Number(v)).toLocaleString("en-GB"));
const fmtPct = (v) => (missing(v) ? "–" : `${(v * 100).toLocaleString("en-GB",
  { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`);
const fmtMoney = (v) => (missing(v) ? "–"
  : Number(v).toLocaleString("en-GB", { style: "currency", currency: "GBP" }));
const fmtMoney0 = (v) => (missing(v) ? "–" : Number(v).toLocaleString("en-GB",
  { style: "currency", currency: "GBP", maximumFractionDigits: 0 }));
const fmtNum = (v) => (missing(v) ? "–" : Number(v).toLocaleString("en-GB",
  { maximumFractionDigits: 2 }));
function fmtDate(v) {
  if (!v) return "–";
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(v));
  return m ? `${m[3]}/${m[2]}/${m[1]}` : String(v);
}
function fmtTime(v) {
  if (!v) return "–";
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(String(v));
  return m ? `${m[3]}/${m[2]}/${m[1]} ${m[4]}:${m[5]}` : fmtDate(v);
}
const FORMATS = { int: fmtInt, pct: fmtPct, money: fmtMoney, num: fmtNum };

function showStatus(message, isError = false) {
  const box = byId("status");
  if (!box) return;
  box.textContent = message;
  box.classList.toggle("error", isError);
}

function showError(where, error) {
  showStatus(`${where}: ${error.message}${error.hint ? " — " + error.hint : ""}`, true);
}

function definitionLink(key, label = "What is this?") {
  return el("a", { class: "definition", href: `/dashboard/definitions#${encodeURIComponent(key)}`,
    text: label, "aria-label": `${label} (definition of ${key})` });
}

/* A KPI tile: value, label, the year before (+/- and %), a link to the definition. */
function tiles(container, items) {
  container.replaceChildren(...items.map((t) => {
    const format = FORMATS[t.kind || "int"];
    const tile = el("div", { class: "tile", "data-key": t.key || "" },
      el("div", { class: "value", text: format(t.value) }),
      el("div", { class: "label", text: t.label }));
    if (!missing(t.value)) tile.dataset.value = String(t.value);
    if (t.previous !== undefined) tile.append(comparison(t.value, t.previous, t.kind, t.prevLabel));
    if (t.note) tile.append(el("div", { class: "note", text: t.note }));
    if (t.key) tile.append(definitionLink(t.key));
    return tile;
  }));
}

function comparison(value, previous, kind, prevLabel) {
  const box = el("div", { class: "delta" });
  if (missing(value) || missing(previous)) {
    box.textContent = `${prevLabel}: –`;
    return box;
  }
  const diff = value - previous;
  const sign = diff > 0 ? "+" : diff < 0 ? "−" : "±";
  let text;
  if (kind === "pct") {
    text = `${sign}${Math.abs(diff * 100).toFixed(1)} pts`;
  } else {
    const abs = kind === "money" ? fmtMoney(Math.abs(diff)) : FORMATS[kind || "int"](Math.abs(diff));
    const rel = previous ? ` (${sign}${Math.abs((diff / previous) * 100).toFixed(1)}%)` : "";
    text = `${sign}${abs}${rel}`;
  }
  box.textContent = `${text} on ${prevLabel} (${FORMATS[kind || "int"](previous)})`;
  box.classList.add(diff > 0 ? "up" : diff < 0 ? "down" : "same");
  return box;
}

function table(container, rows, columns, empty = "Nothing to show.") {
  if (!rows.length) {
    container.replaceChildren(el("p", { class: "message", text: empty }));
    return;
  }
  const head = el("tr", {}, ...columns.map((c) =>
    el("th", { class: c.num ? "num" : "", scope: "col", text: c.label })));
  const body = rows.map((row) => el("tr", {}, ...columns.map((c) => {
    const raw = typeof c.key === "function" ? c.key(row) : row[c.key];
    if (c.link) {
      const href = c.link(row);
      if (href) return el("td", {}, el("a", { href, text: c.fmt ? c.fmt(raw) : raw ?? "–" }));
    }
    return el("td", { class: c.num ? "num" : "", text: c.fmt ? c.fmt(raw) : raw ?? "–" });
  })));
  container.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}

/* ---- CSV --------------------------------------------------------------------------- */

function csvCell(value) {
  if (value === null || value === undefined) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`; // never a formula in a spreadsheet
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(rows) {
  if (!rows.length) return "";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [columns.map(csvCell).join(","),
    ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\r\n") + "\r\n";
}

function download(filename, text, type = "text/csv;charset=utf-8") {
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })),
    download: filename });
  document.body.append(link);
  link.click();
  link.remove();
}

function slugify(text) {
  return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/* ---- charts ----------------------------------------------------------------------- */

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
const COLOURS = ["#b4451f", "#3d6591", "#5b6476", "#2e7d32", "#8a5a00", "#7b3f8c"];

/* Draw ``spec`` in ``container``; ``rows`` are the figures behind it (offered as CSV),
 * ``total`` the sum the chart shows (kept in data-total so tests can reconcile it). */
async function chart(container, spec, rows, opts = {}) {
  const full = {
    $schema: SCHEMA, width: "container", height: 240,
    autosize: { type: "fit", contains: "padding" },
    config: { font: "system-ui, sans-serif", view: { stroke: null }, numberFormat: ",.0f",
      axis: { labelFontSize: 12, titleFontSize: 12, labelColor: "#2b3240", titleColor: "#2b3240" },
      legend: { labelFontSize: 12, labelColor: "#2b3240", titleColor: "#2b3240" } },
    ...spec,
  };
  container.dataset.rendered = "false";
  const card = container.closest(".card");
  const title = (card && card.querySelector("h2") && card.querySelector("h2").textContent) || "chart";
  container.setAttribute("role", "img");
  container.setAttribute("aria-label", `${title}: chart, ${rows.length} figures; the data `
    + "is offered as CSV below it");
  if (!rows.length || opts.empty) {
    container.replaceChildren(el("p", { class: "message", text: opts.emptyText
      || "No figures for these filters." }));
  } else {
    await vegaEmbed(container, full, { actions: false, renderer: "svg" });
  }
  container.dataset.rendered = "true";
  container.dataset.rows = String(rows.length);
  if (opts.total !== undefined) container.dataset.total = String(opts.total);
  chartTools(container, title, rows);
}

function chartTools(container, title, rows) {
  const old = container.nextElementSibling;
  if (old && old.classList.contains("chart-tools")) old.remove();
  const tools = el("div", { class: "chart-tools" });
  const button = el("button", { type: "button", class: "quiet", "data-csv": container.id,
    text: "Data (CSV)", "aria-label": `Download the data of "${title}" as CSV` });
  button.addEventListener("click", () =>
    download(`${state.org}-${slugify(title)}.csv`, toCsv(rows)));
  tools.append(button);
  if (container.dataset.definition) tools.append(definitionLink(container.dataset.definition,
    "How this is counted"));
  container.after(tools);
}

function barSpec(values, x, y, opts = {}) {
  return {
    data: { values },
    mark: { type: "bar", color: opts.color || COLOURS[0], tooltip: true },
    encoding: {
      x: { field: x, type: "nominal", sort: opts.sort ?? null, title: opts.xTitle ?? null,
        axis: { labelAngle: opts.angle ?? -30, labelLimit: 160 } },
      y: { field: y, type: "quantitative", title: opts.yTitle ?? null,
        axis: { format: opts.yFormat || ",.0f", tickMinStep: opts.yFormat ? undefined : 1 } },
      tooltip: [{ field: x, type: "nominal" },
        { field: y, type: "quantitative", format: opts.yFormat || ",.2~f" }],
    },
  };
}

function hbarSpec(values, label, measure, opts = {}) {
  return {
    data: { values },
    height: Math.max(120, values.length * 22),
    mark: { type: "bar", color: opts.color || COLOURS[0], tooltip: true },
    encoding: {
      y: { field: label, type: "nominal", sort: "-x", title: null, axis: { labelLimit: 240 } },
      x: { field: measure, type: "quantitative", title: opts.title ?? null,
        axis: { format: opts.format || ",.0f", tickMinStep: 1 } },
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
        axis: { format: opts.format || ",.0f", tickMinStep: opts.format ? undefined : 1 } },
      color: { field: series, type: "nominal", title: null, scale: { range: COLOURS } },
    },
  };
}

/* ---- periods, filters and the organisation ------------------------------------------ */

function filterParams() {
  const out = {};
  for (const key of FILTER_KEYS) {
    const values = query.getAll(key).filter((v) => v !== "");
    if (values.length) out[key] = key === "venue" || key === "season" ? values : values[0];
  }
  out.basis = out.basis || "performance"; // one basis per page, always said
  return out;
}

const BASIS_WORDS = { performance: "by performance date", transaction: "by order date" };

function shiftDay(day, years) {
  const [y, m, d] = day.split("-").map(Number);
  const moved = new Date(Date.UTC(y - years, m - 1, d));
  if (moved.getUTCMonth() !== m - 1) moved.setUTCDate(0); // 29 February
  return moved.toISOString().slice(0, 10);
}

/* The same filters one year earlier, and a label for it. */
function previousYear(f) {
  const out = { ...f };
  if (f.from && f.to) {
    out.from = shiftDay(f.from, 1);
    out.to = shiftDay(f.to, 1);
    return [out, `${fmtDate(out.from)}–${fmtDate(out.to)}`];
  }
  const m = /^(?:FY\s*)?(\d{4})\s*\/\s*(\d{2}|\d{4})(.*)$/i.exec(f.period || "");
  if (m) {
    const start = Number(m[1]) - 1;
    out.period = `${start}/${String((start + 1) % 100).padStart(2, "0")}${m[3]}`;
    return [out, out.period];
  }
  return [null, "the year before"];
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
  let options = { venues: [], seasons: [], financial_years: [], default_year: null };
  try {
    options = await (state.early && state.early.org === state.org ? state.early.options
      : api(`/orgs/${encodeURIComponent(state.org)}/filter-options`));
  } catch (error) {
    if (error.status !== 403) throw error; // a recipient sees reports, not the catalogue
  }
  state.options = options;
  const years = options.financial_years.length ? options.financial_years : [];
  if (!query.get("period") && !query.get("from") && !query.get("to")) {
    const chosen = options.default_year || years[0];
    if (chosen) {
      query.set("period", chosen);
      state.defaultYear = chosen;
    }
  }
  fillSelect(byId("f-period"), years.map((y) => [y, y]), query.getAll("period"));
  fillSelect(byId("f-venue"), options.venues.map((v) => [v.venue_id, v.name || v.venue_id]),
    query.getAll("venue"));
  fillSelect(byId("f-season"), options.seasons.map((s) => [s, s]), query.getAll("season"));
  byId("f-from").value = query.get("from") || "";
  byId("f-to").value = query.get("to") || "";
  byId("f-basis").value = query.get("basis") || "performance";
  byId("f-reset").setAttribute("href", `?org=${encodeURIComponent(state.org)}`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const qs = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v !== "") qs.append(k, v);
    window.location.assign(`${window.location.pathname}?${qs}`);
  });
}

/* Under the heading: which period, why it was chosen, and the date basis. */
function describePeriod(period, basis, extra = "") {
  byId("period-label").textContent = period.label;
  const parts = [];
  if (state.defaultYear && period.label === state.defaultYear) {
    const until = state.options && state.options.data_until;
    parts.push(`Showing ${period.label}, the latest financial year with performances`
      + (until ? ` (sales recorded up to ${fmtDate(until)}).` : "."));
  } else {
    parts.push(`Showing ${fmtDate(period.start)} to ${fmtDate(period.last_day || period.end)}.`);
  }
  parts.push(`Tickets are counted ${BASIS_WORDS[basis] || basis}.`);
  if (extra) parts.push(extra);
  const box = byId("context");
  box.textContent = parts.join(" ");
  box.dataset.basis = basis;
}

const state = { me: null, org: null, options: null, defaultYear: null, early: null };

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
  for (const link of document.querySelectorAll("nav a[data-nav], footer a")) {
    const keep = link.dataset.nav && !["quality", "connections", "definitions"]
      .includes(link.dataset.nav);
    link.setAttribute("href", keep ? withQuery(link.getAttribute("href"))
      : `${link.getAttribute("href")}?org=${encodeURIComponent(state.org || "")}`);
  }
}

const orgPath = (suffix) => `/orgs/${encodeURIComponent(state.org)}${suffix}`;

/* Fetch the current figures and, when there is one, the year before's. */
async function withPrevious(path, f, extra = {}) {
  const [prevFilters, prevLabel] = previousYear(f);
  const [now, before] = await Promise.all([
    api(orgPath(path), { ...f, ...extra }),
    prevFilters ? api(orgPath(path), { ...prevFilters, ...extra }).catch(() => null)
      : Promise.resolve(null),
  ]);
  return [now, before || {}, prevLabel];
}

/* ---- pages ------------------------------------------------------------------------ */

async function overview() {
  const f = filterParams();
  const [[sales, salesPrev, prevLabel], [volume, volumePrev], [reach, reachPrev], income,
    quarters, events] = await Promise.all([
    withPrevious("/insights/ticket-sales", f),
    withPrevious("/insights/volume-capacity", f),
    withPrevious("/insights/reach", f),
    api(orgPath("/insights/income"), f),
    api(orgPath("/reports/funder-quarterly"), f),
    api(orgPath("/reports/sales-by-event"), { ...f, limit: 500 }),
  ]);
  const byPerformance = f.basis !== "performance"
    ? "Performances, capacity and the quarterly chart are always by performance date." : "";
  describePeriod(sales.period, sales.basis, byPerformance);
  const p = prevLabel;
  tiles(byId("tiles"), [
    { key: "M01", label: "Performances", value: volume.performances,
      previous: volumePrev.performances, prevLabel: p },
    { key: "M02", label: "Tickets issued", value: sales.tickets_issued,
      previous: salesPrev.tickets_issued, prevLabel: p },
    { key: "M09", label: "Gross ticket income", value: sales.gross_ticket_income, kind: "money",
      previous: salesPrev.gross_ticket_income, prevLabel: p },
    { key: "M07", label: "Capacity utilisation", value: volume.utilisation, kind: "pct",
      previous: volumePrev.utilisation, prevLabel: p },
    { key: "M10", label: "Average ticket yield", value: sales.yield_per_paid_ticket,
      kind: "money", previous: salesPrev.yield_per_paid_ticket, prevLabel: p },
    { key: "M20", label: "Unique bookers", value: reach.bookers, previous: reachPrev.bookers,
      prevLabel: p },
  ]);
  const quarterRows = quarters.quarters.map((q) => ({ quarter: q.label,
    attendance: q.attendance, performances: q.performances, income: q.gross_ticket_income }));
  const kindRows = income.kinds.map((k) => ({ kind: k.kind, lines: k.lines, income: k.income }));
  const top = topEvents(events.items, 10);
  await Promise.all([
    chart(byId("chart-quarters"), barSpec(quarterRows, "quarter", "attendance",
      { yTitle: "Tickets issued", angle: 0 }), quarterRows,
    { total: quarters.total.attendance, empty: quarters.total.attendance === 0 }),
    chart(byId("chart-income"), barSpec(kindRows, "kind", "income",
      { yTitle: "Income (£)", color: COLOURS[1], angle: 0 }), kindRows,
    { total: income.total_income, empty: income.total_income === 0 }),
    chart(byId("chart-top"), hbarSpec(top, "event", "tickets", { title: "Tickets issued" }),
      top),
  ]);
}

/* The events with most tickets, labelled by name — with the Event ID when two share a
 * name (a chart would otherwise add them up under one bar). */
function topEvents(items, n) {
  const count = {};
  for (const e of items) count[e.event_name] = (count[e.event_name] || 0) + 1;
  return [...items].sort((a, b) => b.tickets - a.tickets).slice(0, n).map((e) => ({
    event: !e.event_name ? e.event_code || e.event_id
      : count[e.event_name] > 1 ? `${e.event_name} (${e.event_code || e.event_id})` : e.event_name,
    event_id: e.event_code || e.event_id, tickets: e.tickets, income: e.income,
  }));
}

const KIND_WORDS = { ticket: "Tickets", supplementary: "Supplementary", product: "Products",
  fee: "Fees", donation: "Donations", membership: "Memberships" };

async function trends() {
  const f = filterParams();
  const result = await api(orgPath("/insights/trends"), f);
  describePeriod(result.period, result.basis,
    "Three years of months, ending with the last month of the chosen period.");
  byId("period-label").textContent = `${fmtDate(result.period.start)} – ${fmtDate(result.period.last_day)}`;
  const rows = result.rows.map((r) => ({ ...r, kind_label: KIND_WORDS[r.kind] || r.kind }));
  const tickets = rows.filter((r) => r.kind === "ticket")
    .map((r) => ({ month: r.month, tickets: r.lines, income: r.income }));
  const withIncome = rows.filter((r) => r.income !== 0);
  await Promise.all([
    chart(byId("chart-trend-tickets"), {
      data: { values: tickets },
      mark: { type: "line", point: true, color: COLOURS[0], tooltip: true },
      encoding: {
        x: { field: "month", type: "temporal", timeUnit: "yearmonth", title: null,
          axis: { format: "%b %Y", labelAngle: -30 } },
        y: { field: "tickets", type: "quantitative", title: "Tickets issued",
          axis: { format: ",.0f" } },
      },
    }, tickets, { total: tickets.reduce((a, r) => a + r.tickets, 0) }),
    chart(byId("chart-trend-income"), {
      data: { values: rows },
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "month", type: "ordinal", timeUnit: "yearmonth", title: null,
          axis: { format: "%b %Y", labelAngle: -60 } },
        y: { field: "income", type: "quantitative", title: "Income (£)", stack: true,
          aggregate: "sum", axis: { format: ",.0f" } },
        color: { field: "kind_label", type: "nominal", title: "Line kind",
          scale: { domain: Object.values(KIND_WORDS), range: COLOURS } },
        tooltip: [{ field: "month", timeUnit: "yearmonth", title: "Month", format: "%B %Y" },
          { field: "kind_label", title: "Kind" },
          { field: "income", aggregate: "sum", title: "Income (£)", format: ",.2f" }],
      },
    }, rows.map(({ month, kind, lines, income }) => ({ month, kind, lines, income })),
    { total: rows.reduce((a, r) => a + r.income, 0), empty: !withIncome.length }),
  ]);
  // Financial years side by side (April to March), per kind.
  const years = {};
  for (const r of rows) {
    const [y, m] = r.month.split("-").map(Number);
    const start = m >= 4 ? y : y - 1;
    const label = `${start}/${String((start + 1) % 100).padStart(2, "0")}`;
    years[label] = years[label] || { year: label, tickets: 0, income: 0 };
    if (r.kind === "ticket") years[label].tickets += r.lines;
    years[label].income += r.income;
  }
  const yearRows = Object.values(years);
  yearRows.forEach((row, i) => {
    const before = yearRows[i - 1];
    row.change = before && before.income ? (row.income - before.income) / before.income : null;
  });
  table(byId("table-years"), yearRows, [
    { key: "year", label: "Financial year (months in the window)" },
    { key: "tickets", label: "Tickets", num: true, fmt: fmtInt },
    { key: "income", label: "Income, all kinds", num: true, fmt: fmtMoney },
    { key: "change", label: "Income against the year before", num: true,
      fmt: (v) => (missing(v) ? "–" : `${v >= 0 ? "+" : "−"}${Math.abs(v * 100).toFixed(1)}%`) },
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

function pager(container, result, load, what = "rows") {
  const buttons = [];
  if (result.offset > 0) {
    const prev = el("button", { type: "button", text: `Previous ${what}` });
    prev.addEventListener("click", () => load(Math.max(0, result.offset - result.limit)));
    buttons.push(prev);
  }
  if (result.next) {
    const next = el("button", { type: "button", text: `Next ${what}` });
    next.addEventListener("click", () => load(result.offset + result.limit));
    buttons.push(next);
  }
  if (buttons.length) {
    buttons.unshift(el("span", { class: "hint",
      text: `${what} ${result.offset + 1}–${result.offset + result.items.length}` }));
  }
  container.replaceChildren(...buttons);
}

const eventUrl = (eventId) =>
  `/dashboard/event?org=${encodeURIComponent(state.org)}&event=${encodeURIComponent(eventId)}`;

async function events() {
  exportButtons();
  const f = filterParams();
  const all = await api(orgPath("/reports/sales-by-event"), { ...f, limit: 500 });
  describeEventsPeriod(f);
  const top = topEvents(all.items, 15);
  await chart(byId("chart-events"), hbarSpec(top, "event", "tickets", { title: "Tickets" }), top);
  await bookingCurves(all.items);
  const load = async (offset) => {
    const result = await api(orgPath("/reports/sales-by-event"), { ...f, limit: 25, offset });
    table(byId("table-events"), result.items, [
      { key: (e) => e.event_code || e.event_id, label: "Event ID" },
      { key: "event_name", label: "Event", link: (e) => eventUrl(e.event_id) },
      { key: "season", label: "Season" },
      { key: "first_performance", label: "First", fmt: fmtDate },
      { key: "performances", label: "Performances", num: true, fmt: fmtInt },
      { key: "tickets", label: "Tickets", num: true, fmt: fmtInt },
      { key: "income", label: "Income", num: true, fmt: fmtMoney },
      { key: "utilisation", label: "Utilisation", num: true, fmt: fmtPct },
    ], "No events in this period.");
    pager(byId("pager-events"), result, load, "events");
  };
  await load(0);
}

/* The booking curves of the chosen events (default: the three selling most), as the
 * share of each event's tickets sold by N days before the performance. */
async function bookingCurves(items) {
  const select = byId("curve-events");
  const ranked = [...items].sort((a, b) => b.tickets - a.tickets).filter((e) => e.tickets > 0);
  const labels = Object.fromEntries(topEvents(ranked, ranked.length)
    .map((t, i) => [ranked[i].event_id, t.event]));
  const wanted = query.getAll("curve").filter((id) => labels[id]);
  const chosen = (wanted.length ? wanted : ranked.slice(0, 3).map((e) => e.event_id)).slice(0, 5);
  fillSelect(select, ranked.map((e) => [e.event_id, labels[e.event_id]]), chosen);
  select.addEventListener("change", () => {
    const picked = [...select.selectedOptions].map((o) => o.value).slice(0, 5);
    window.location.assign(withQuery(window.location.pathname, { curve: picked }));
  });
  const details = await Promise.all(chosen.map((id) =>
    api(orgPath(`/events/${encodeURIComponent(id)}`))));
  const rows = details.flatMap((d) => d.booking_curve.map((b) => ({
    event: labels[d.event_id], days_before: b.days_before, tickets: b.tickets,
    tickets_so_far: b.cumulative, share_so_far: b.cumulative_share })));
  await chart(byId("chart-curves"), {
    data: { values: rows },
    mark: { type: "line", interpolate: "step-after", tooltip: true },
    encoding: {
      x: { field: "days_before", type: "quantitative", title: "Days before the performance",
        scale: { reverse: true }, axis: { format: ",.0f" } },
      y: { field: "share_so_far", type: "quantitative", title: "Share of tickets sold",
        axis: { format: ".0%" } },
      color: { field: "event", type: "nominal", title: null, scale: { range: COLOURS } },
    },
  }, rows);
}

function describeEventsPeriod(f) {
  const label = f.period || `${fmtDate(f.from)} to ${fmtDate(f.to)}`;
  byId("period-label").textContent = f.period || "";
  const box = byId("context");
  const why = state.defaultYear === f.period ? ", the latest financial year with performances" : "";
  box.textContent = `Showing ${label}${why}. Sales by event are always by performance date.`;
  box.dataset.basis = "performance";
}

async function event() {
  const eventId = query.get("event");
  byId("back-to-events").setAttribute("href", `/dashboard/events?org=${encodeURIComponent(state.org)}`);
  if (!eventId) {
    showStatus("Choose an event on the Events page.");
    return;
  }
  const detail = await api(orgPath(`/events/${encodeURIComponent(eventId)}`));
  document.querySelector("h1").firstChild.textContent = `${detail.event_name || detail.event_id} `;
  document.title = `${detail.event_name || detail.event_id} · houselights`;
  byId("period-label").textContent = detail.event_code ? `Event ID ${detail.event_code}` : detail.event_id;
  const box = byId("context");
  box.textContent = `${detail.season ? detail.season + " · " : ""}performances from `
    + `${fmtDate(detail.first_performance)} to ${fmtDate(detail.last_performance)}, all dates `
    + "(not limited to a year). Tickets are counted by performance date.";
  box.dataset.basis = "performance";
  tiles(byId("tiles"), [
    { key: "M01", label: "Performances", value: detail.performances },
    { key: "M06", label: "Capacity", value: detail.capacity },
    { key: "M02", label: "Tickets issued", value: detail.tickets },
    { key: "M09", label: "Gross ticket income", value: detail.income, kind: "money" },
    { key: "M07", label: "Capacity utilisation", value: detail.utilisation, kind: "pct" },
  ]);
  const curve = detail.booking_curve.map((d) => ({ days_before: d.days_before,
    tickets: d.tickets, tickets_so_far: d.cumulative, share_so_far: d.cumulative_share }));
  const types = detail.price_types.map((p) => ({ price_type: p.ticket_type, tickets: p.tickets,
    paid_tickets: p.paid_tickets, income: p.income, average_price: p.average_price }));
  await Promise.all([
    chart(byId("chart-curve"), {
      data: { values: curve },
      mark: { type: "line", interpolate: "step-after", color: COLOURS[0], point: true,
        tooltip: true },
      encoding: {
        x: { field: "days_before", type: "quantitative", title: "Days before the performance",
          scale: { reverse: true }, axis: { format: ",.0f" } },
        y: { field: "tickets_so_far", type: "quantitative", title: "Tickets sold so far",
          axis: { format: ",.0f" } },
      },
    }, curve, { total: detail.tickets }),
    chart(byId("chart-types"), hbarSpec(types, "price_type", "tickets",
      { title: "Tickets", color: COLOURS[1] }), types, { total: detail.tickets }),
  ]);
  table(byId("table-instances"), detail.instances, [
    { key: "starts_at", label: "Performance", fmt: fmtTime },
    { key: "venue_name", label: "Venue" },
    { key: "capacity", label: "Capacity", num: true, fmt: fmtInt },
    { key: "tickets", label: "Tickets", num: true, fmt: fmtInt },
    { key: "comp_tickets", label: "Comps", num: true, fmt: fmtInt },
    { key: "income", label: "Income", num: true, fmt: fmtMoney },
    { key: "utilisation", label: "Utilisation", num: true, fmt: fmtPct },
    { key: (i) => (i.cancelled ? "cancelled" : ""), label: "" },
  ], "No performances.");
}

async function audience() {
  const f = filterParams();
  const [[reach, reachPrev, p], [loyalty, loyaltyPrev], [retention, retentionPrev],
    firstTimers, lapsed, channels, lead] = await Promise.all([
    withPrevious("/insights/reach", f),
    withPrevious("/insights/loyalty", f),
    withPrevious("/insights/retention", f),
    api(orgPath("/insights/first-timer-return"), f),
    api(orgPath("/insights/lapsed"), f),
    api(orgPath("/insights/bookings-channels"), f),
    api(orgPath("/insights/lead-time"), f),
  ]);
  describePeriod(reach.period, reach.basis);
  const window12 = firstTimers.windows[0] || {};
  const lapsed0 = lapsed.thresholds[0] || {};
  const shortNote = loyalty.short_history
    ? `History starts ${fmtDate(loyalty.data_starts)}: under 3 years before this period, so `
      + "many returning bookers count as new." : "";
  tiles(byId("tiles"), [
    { key: "M20", label: "Unique bookers", value: reach.bookers, previous: reachPrev.bookers,
      prevLabel: p },
    { key: "M32", label: "New bookers", value: loyalty.new_share, kind: "pct",
      previous: loyaltyPrev.new_share, prevLabel: p, note: shortNote },
    { key: "M34", label: "Came more than once", value: loyalty.reattendance_rate, kind: "pct",
      previous: loyaltyPrev.reattendance_rate, prevLabel: p },
    { key: "M33", label: "Retained from last period", value: retention.retention_rate,
      kind: "pct", previous: retentionPrev.retention_rate, prevLabel: p },
    { key: "M35", label: `First-timers back within ${window12.months ?? "–"} months`,
      value: window12.return_rate, kind: "pct" },
    { key: "M36", label: `Lapsed (over ${lapsed0.months ?? "–"} months)`, value: lapsed0.share,
      kind: "pct" },
    { key: "M22", label: "Bookers with a postcode", value: reach.postcode_capture_rate,
      kind: "pct", previous: reachPrev.postcode_capture_rate, prevLabel: p },
  ]);
  if (loyalty.short_history) {
    const tile = document.querySelector('.tile[data-key="M32"]');
    tile.classList.add("flagged");
    tile.dataset.flag = "short-history";
  }
  const bands = loyalty.bands.map((b) => ({ band: b.band, bookers: b.bookers }));
  const chans = channels.channels.map((c) => ({ channel: c.channel, tickets: c.tickets }));
  const LEAD_WORDS = { same_day: "Same day", "1-7": "1–7 days", "8-30": "8–30 days",
    "31-90": "31–90 days", over_90: "Over 90 days" };
  const buckets = lead.buckets.map((b) => ({ bucket: LEAD_WORDS[b.bucket] || b.bucket,
    tickets: b.tickets }));
  await Promise.all([
    chart(byId("chart-frequency"), barSpec(bands, "band", "bookers",
      { yTitle: "Bookers", angle: 0, xTitle: "Performances attended" }), bands,
    { total: loyalty.bookers }),
    chart(byId("chart-channels"), barSpec(chans, "channel", "tickets",
      { yTitle: "Tickets", color: COLOURS[1] }), chans),
    chart(byId("chart-lead"), barSpec(buckets, "bucket", "tickets",
      { yTitle: "Tickets", color: COLOURS[2], xTitle: "Booked before the performance" }),
    buckets),
  ]);
}

/* A proportional-symbol map: every postcode area as a faint dot (the shape of the UK),
 * the places with bookers as circles sized by the measure, suppressed ones hollow. */
async function geography() {
  const f = filterParams();
  const level = query.get("level") === "region" ? "region" : "area";
  const measure = query.get("measure") === "income" ? "income" : "bookers";
  byId("map-level").value = level;
  byId("map-measure").value = measure;
  byId("map-form").addEventListener("change", () => {
    window.location.assign(withQuery(window.location.pathname,
      { level: byId("map-level").value, measure: byId("map-measure").value }));
  });
  const [placed, regions, places] = await Promise.all([
    api(orgPath("/insights/geography-map"), { ...f, level }),
    level === "region" ? null : api(orgPath("/insights/geography-map"), { ...f, level: "region" }),
    api("/geography/places"),
  ]);
  describePeriod(placed.period, placed.basis);
  byId("map-note").textContent = `Circles are drawn at the centre of each ${level === "area"
    ? "postcode area" : "region"}. Places with fewer than ${placed.threshold} bookers are `
    + `shown as hollow circles without figures (to protect individuals); ${fmtInt(
      placed.unknown_bookers)} bookers have no usable UK postcode and are not on the map.`;
  const shown = placed.cells.filter((c) => !c.suppressed);
  const hidden = placed.cells.filter((c) => c.suppressed);
  const projection = { type: "mercator" };
  await chart(byId("chart-map"), {
    height: 640,
    projection,
    layer: [
      { data: { values: places.places }, mark: { type: "circle", size: 12, color: "#c5cad3" },
        encoding: { longitude: { field: "lon", type: "quantitative" },
          latitude: { field: "lat", type: "quantitative" },
          tooltip: [{ field: "name", title: "Postcode area" }] } },
      { data: { values: hidden }, mark: { type: "circle", size: 40, filled: false,
        color: "#5b6476", strokeWidth: 1.5 },
      encoding: { longitude: { field: "lon", type: "quantitative" },
        latitude: { field: "lat", type: "quantitative" },
        tooltip: [{ field: "name", title: "Place" },
          { datum: `fewer than ${placed.threshold} bookers`, title: "Bookers" }] } },
      { data: { values: shown }, mark: { type: "circle", opacity: 0.75, color: COLOURS[0],
        stroke: "#fff", strokeWidth: 0.5 },
      encoding: { longitude: { field: "lon", type: "quantitative" },
        latitude: { field: "lat", type: "quantitative" },
        size: { field: measure, type: "quantitative", scale: { range: [60, 1800], zero: false },
          legend: { title: measure === "income" ? "Income (£)" : "Bookers", format: ",.0f" } },
        tooltip: [{ field: "name", title: "Place" },
          { field: "bookers", title: "Bookers", format: "," },
          { field: "tickets", title: "Tickets", format: "," },
          { field: "income", title: "Income (£)", format: ",.2f" }] } },
    ],
  }, placed.cells, { total: shown.reduce((a, c) => a + c.bookers, 0) });
  const byRegion = (regions || placed).cells.filter((c) => !c.suppressed);
  const regionRows = byRegion.map((c) => ({ region: c.code, bookers: c.bookers,
    tickets: c.tickets, income: c.income }));
  await chart(byId("chart-regions"), hbarSpec(regionRows, "region", "bookers",
    { title: "Bookers" }), regionRows,
  { total: regionRows.reduce((a, r) => a + r.bookers, 0),
    emptyText: `Every region has fewer than ${placed.threshold} bookers.` });
  table(byId("table-areas"), [...placed.cells].sort((a, b) => (b.bookers ?? 0) - (a.bookers ?? 0)), [
    { key: "code", label: level === "area" ? "Postcode area" : "Region" },
    { key: "name", label: "Name" },
    { key: (c) => (c.suppressed ? `fewer than ${placed.threshold}` : fmtInt(c.bookers)),
      label: "Bookers", num: true },
    { key: "tickets", label: "Tickets", num: true, fmt: fmtInt },
    { key: "income", label: "Income", num: true, fmt: fmtMoney },
    { key: "share_of_bookers", label: "Share of bookers", num: true, fmt: fmtPct },
  ], "No bookers in this period.");
}

const OUTCOME_WORDS = { pass: "passing", fail: "failing", warn: "warning", error: "error" };

async function quality() {
  const [runs, checks] = await Promise.all([
    api(orgPath("/runs"), { limit: 200 }),
    api(orgPath("/checks"), { limit: 500 }),
  ]);
  // Latest run of each feed (source and kind).
  const latest = new Map();
  for (const run of runs.items) {
    const key = `${run.source} · ${run.kind}`;
    if (!latest.has(key)) latest.set(key, { feed: key, ...run });
  }
  const failing = checks.items.filter((c) => c.outcome !== "pass");
  const quarantine = await api(orgPath("/quarantine"), { limit: 25 });
  const newest = runs.items[0];
  byId("context").textContent = newest
    ? `Latest run ${fmtTime(newest.started_at)} (${newest.source}, ${newest.status}). Checks `
      + "below are those of the latest run that ran checks."
    : "No runs yet.";
  tiles(byId("tiles"), [
    { label: "Feeds", value: latest.size },
    { label: "Checks failing now", value: failing.length },
    { label: "Rows quarantined in the latest run", value: newest ? newest.rows_quarantined || 0
      : 0 },
    { label: "Runs recorded", value: runs.next ? null : runs.items.length,
      note: runs.next ? "more than 200" : "" },
  ]);
  table(byId("table-latest"), [...latest.values()], [
    { key: "feed", label: "Feed" }, { key: "status", label: "Status" },
    { key: "started_at", label: "Started", fmt: fmtTime },
    { key: "finished_at", label: "Finished", fmt: fmtTime },
    { key: "rows_published", label: "Rows published", num: true, fmt: fmtInt },
    { key: "rows_quarantined", label: "Quarantined", num: true, fmt: fmtInt },
    { key: "message", label: "Message" },
  ], "No runs yet.");
  table(byId("table-checks"), failing, [
    { key: "table_name", label: "Table" }, { key: "check_name", label: "Check" },
    { key: (c) => OUTCOME_WORDS[c.outcome] || c.outcome, label: "Outcome" },
    { key: "policy", label: "What happens" },
    { key: "failing_rows", label: "Rows", num: true, fmt: fmtInt },
    { key: "description", label: "What it checks" },
  ], "Every check of the latest run passed.");
  const loadQuarantine = async (offset) => {
    const result = offset === 0 ? quarantine
      : await api(orgPath("/quarantine"), { limit: 25, offset });
    table(byId("table-quarantine"), result.items, [
      { key: "table_name", label: "Table" }, { key: "record_key", label: "Row" },
      { key: "check_name", label: "Check" }, { key: "reason", label: "Why it was held back" },
      { key: (r) => (runs.items.find((x) => x.run_id === r.run_id) || {}).started_at,
        label: "Run", fmt: fmtTime },
    ], "Nothing quarantined.");
    pager(byId("pager-quarantine"), result, loadQuarantine, "rows");
  };
  await loadQuarantine(0);
  byId("quarantine-csv").addEventListener("click", async () => {
    const all = [];
    let offset = 0;
    for (let i = 0; i < 40; i += 1) { // at most 20,000 rows in one file
      const part = await api(orgPath("/quarantine"), { limit: 500, offset });
      all.push(...part.items);
      if (!part.next) break;
      offset += 500;
    }
    download(`${state.org}-quarantine.csv`, toCsv(all));
  });
  const recent = runs.items.slice(0, 20).reverse();
  const rows = [];
  for (const run of recent) {
    // One bar group per run: its start to the second and its kind (two runs can share
    // a minute).
    const m = /T(\d{2}:\d{2}:\d{2})/.exec(String(run.started_at));
    const when = `${fmtDate(run.started_at).slice(0, 5)} ${m ? m[1] : ""} ${run.kind}`;
    rows.push({ run: when, run_id: run.run_id, measure: "published", rows: run.rows_published || 0 });
    rows.push({ run: when, run_id: run.run_id, measure: "unchanged", rows: run.rows_unchanged || 0 });
    rows.push({ run: when, run_id: run.run_id, measure: "quarantined",
      rows: run.rows_quarantined || 0 });
  }
  await chart(byId("chart-runs"), groupedSpec(rows, "run", "measure", "rows", { title: "Rows" }),
    rows);
  const load = async (offset) => {
    const page20 = await api(orgPath("/runs"), { limit: 20, offset });
    table(byId("table-runs"), page20.items, [
      { key: "started_at", label: "Started", fmt: fmtTime },
      { key: "kind", label: "Kind" }, { key: "source", label: "Source" },
      { key: "status", label: "Status" },
      { key: "rows_published", label: "Published", num: true, fmt: fmtInt },
      { key: "rows_quarantined", label: "Quarantined", num: true, fmt: fmtInt },
      { key: "message", label: "Message" },
      { key: "run_id", label: "Run id" },
    ], "No runs yet.");
    pager(byId("pager-runs"), page20, load, "runs");
  };
  await load(0);
}

/* ---- connections: setup check, sync now, pause/resume, upload ---------------------- */

function unavailable(error) {
  return [404, 405, 501].includes(error.status)
    ? "This server does not offer that yet (it needs a newer houselights)."
    : `${error.message}${error.hint ? " — " + error.hint : ""}`;
}

async function setupCheck(source, target, button) {
  button.disabled = true;
  target.replaceChildren(el("p", { class: "message", text: "Checking…" }));
  try {
    const result = await api(orgPath(`/connections/${encodeURIComponent(source)}/setup-check`),
      {}, { method: "POST" });
    table(target, result.steps, [
      { key: "mark", label: "Mark" }, { key: "title", label: "Step" },
      { key: "guide", label: "Guide" }, { key: "status", label: "Result" },
      { key: "detail", label: "Detail" }, { key: "fix", label: "How to fix" },
    ]);
  } catch (error) {
    target.replaceChildren(el("p", { class: "message", text: unavailable(error) }));
  } finally {
    button.disabled = false;
  }
}

/* The organisation's recent jobs; false when this server has no jobs route. */
async function showJobs() {
  const target = byId("table-jobs");
  let jobs;
  try {
    jobs = await api(orgPath("/jobs"), { limit: 20 });
  } catch (error) {
    target.replaceChildren(el("p", { class: "message", text: unavailable(error) }));
    return false;
  }
  const items = Array.isArray(jobs) ? jobs : jobs.items || [];
  table(target, items, [
    { key: (j) => j.job_id || j.id, label: "Job" },
    { key: (j) => j.kind || j.action || "", label: "What" },
    { key: "source", label: "Source" },
    { key: "status", label: "Status" },
    { key: (j) => j.created_at || j.queued_at || j.started_at, label: "Started", fmt: fmtTime },
    { key: (j) => j.run_id || "", label: "Run" },
    { key: "attempts", label: "Attempts", num: true },
    { key: (j) => j.last_error || j.message || "", label: "Last error" },
  ], "No jobs yet.");
  return true;
}

async function connectionAction(source, action, target, button) {
  button.disabled = true;
  try {
    const result = await api(orgPath(`/connections/${encodeURIComponent(source)}/${action}`),
      {}, { method: "POST" });
    if (action === "sync") {
      target.textContent = `Sync started: job ${result.job_id} (${result.status}).`;
      target.dataset.job = result.job_id;
      await showJobs();
    } else {
      target.textContent = result.paused ? "Paused: scheduled syncs are skipped."
        : "Running: scheduled syncs go ahead.";
      button.textContent = result.paused ? "Resume" : "Pause";
      button.dataset.action = result.paused ? "resume" : "pause";
    }
  } catch (error) {
    target.textContent = unavailable(error);
  } finally {
    button.disabled = false;
  }
}

function rowErrorTable(errors) {
  const target = byId("table-row-errors");
  table(target, errors, [
    { key: "row", label: "Row", num: true }, { key: "column", label: "Column" },
    { key: "value", label: "Value" }, { key: "problem", label: "Problem" },
  ], "");
}

async function upload(file) {
  const result = byId("upload-result");
  const button = byId("upload-submit");
  if (!file) {
    result.textContent = "Choose a file first.";
    return;
  }
  button.disabled = true;
  result.textContent = `Uploading ${file.name}…`;
  rowErrorTable([]);
  const body = new FormData();
  body.append("file", file);
  try {
    const summary = await api(orgPath("/uploads"), {}, { method: "POST", body });
    const errors = summary.row_errors || [];
    const published = summary.rows_published ?? (summary.load && summary.load.rows_published);
    const heldBack = summary.rows_held_back ?? errors.length;
    result.textContent = `Published ${file.name}${missing(published) ? ""
      : `: ${fmtInt(published)} rows`}${summary.run_id ? ` (run ${summary.run_id})` : ""}. `
      + (heldBack ? `${fmtInt(heldBack)} rows were held back`
        + (errors.length < heldBack ? ` (the first ${fmtInt(errors.length)} below; all of them `
          + "on the Data quality page)" : "") + ":" : "");
    result.dataset.outcome = "published";
    rowErrorTable(errors);
  } catch (error) {
    result.dataset.outcome = "refused";
    result.textContent = `Not published: ${unavailable(error)}`;
    rowErrorTable((error.body && (error.body.row_errors
      || (error.body.error && error.body.error.row_errors))) || []);
  } finally {
    button.disabled = false;
  }
}

function setUpUpload() {
  const form = byId("upload-form");
  const input = byId("upload-file");
  const zone = byId("dropzone");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    upload(input.files[0]);
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) upload(file);
  });
}

async function connections() {
  byId("context").textContent = "Actions here go through the API with your token's "
    + "permissions.";
  setUpUpload();
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
    const source = connection.source;
    const statusBox = el("div", { class: "table" });
    const checkBox = el("div", { class: "table", id: `setup-${source}` });
    const actionBox = el("p", { class: "hint", id: `action-${source}`, "aria-live": "polite" });
    const check = el("button", { type: "button", "data-setup": source,
      text: "Run the setup check" });
    check.addEventListener("click", () => setupCheck(source, checkBox, check));
    const sync = el("button", { type: "button", "data-sync": source, text: "Sync now" });
    sync.addEventListener("click", () => connectionAction(source, "sync", actionBox, sync));
    const paused = Boolean(connection.paused ?? connection.status === "paused");
    const pause = el("button", { type: "button", "data-pause": source,
      "data-action": paused ? "resume" : "pause", text: paused ? "Resume" : "Pause" });
    pause.addEventListener("click", () =>
      connectionAction(source, pause.dataset.action, actionBox, pause));
    const h2 = el("h2", { id: `h-conn-${source}`, text: `${source}: status` });
    details.append(el("section", { class: "card", "aria-labelledby": h2.id }, h2, statusBox,
      el("div", { class: "actions" }, check, sync, pause), actionBox, checkBox));
    try {
      const status = await api(orgPath(`/connections/${encodeURIComponent(source)}/status`));
      table(statusBox, [
        ["Status", status.status], ["Last success", fmtTime(status.last_success)],
        ["Last error", status.last_error || "–"], ["Next run", fmtTime(status.next_run)],
        ...status.streams.map((s) => [`Stream ${s.stream}`,
          `${s.cursor || ""} ${s.detail || ""} (moved ${fmtTime(s.updated_at)})`]),
      ].map(([k, v]) => ({ k, v })), [{ key: "k", label: "What" }, { key: "v", label: "Now" }]);
    } catch (error) {
      statusBox.replaceChildren(el("p", { class: "message", text: error.message }));
    }
  }
  // Recent jobs (queued, running, retrying, failed with their last error) on arrival, not
  // only after "Sync now": a failing box office shows here as failed.
  await showJobs();
}

/* ---- benchmarks ---------------------------------------------------------------------- */

const SUPPRESSION_WORDS = {
  too_few_bookers: "fewer than 10 bookers: too few to show without risking identifying people",
  dominated_by_one_organisation: "one organisation makes up more than half of it, so it would "
    + "mostly describe that organisation",
  complementary: "hidden as well, because with the total shown it would reveal the cell "
    + "hidden beside it",
};
const plainReason = (reason) => SUPPRESSION_WORDS[reason] || reason;

async function benchmarks() {
  const viewer = byId("viewer");
  const dimension = byId("dimension");
  const me = state.me;
  let names = [];
  if (me.kind === "recipient") {
    names = [me.subject];
  } else {
    try {
      names = (await api(orgPath("/benchmark-recipients"))).recipients;
    } catch (error) {
      if (error.status !== 403) throw error;
    }
  }
  fillSelect(viewer, names.map((n) => [n, n]), [query.get("viewer") || names[0]]);
  viewer.disabled = me.kind === "recipient";
  dimension.value = query.get("dimension") || "region";
  byId("viewer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.assign(withQuery(window.location.pathname,
      { viewer: viewer.value, dimension: dimension.value }));
  });
  byId("suppression-help").replaceChildren(
    el("li", { text: "A cohort needs at least 5 organisations that have granted the same "
      + "recipient benchmarks; with fewer, nothing is shown." }),
    ...Object.entries(SUPPRESSION_WORDS).map(([, words]) =>
      el("li", { text: `A blank cell: ${words}.` })),
  );
  if (!viewer.value) {
    showStatus("This organisation has not granted benchmarks to any recipient, so there is no "
      + "cohort to compare with (houselights grant add).");
    return;
  }
  const params = { ...filterParams(), viewer: viewer.value };
  delete params.venue;
  delete params.season;
  const [kpis, dist] = await Promise.all([
    api(orgPath("/benchmarks/kpis"), params),
    api(orgPath(`/benchmarks/distribution/${dimension.value}`), params),
  ]);
  describePeriod(kpis.period, params.basis);
  byId("cohort-note").textContent = kpis.message;
  if (kpis.status !== "ok") {
    for (const id of ["chart-kpis", "chart-distribution"]) {
      byId(id).replaceChildren(el("p", { class: "message", text: kpis.message }));
      byId(id).dataset.rendered = "true";
    }
    return;
  }
  const ranges = kpis.kpis.filter((k) => !k.suppressed && k.median).map((k) => ({
    kpi: k.name, low: (k.p25 / k.median) * 100, high: (k.p75 / k.median) * 100,
    index: k.index,
  }));
  await chart(byId("chart-kpis"), {
    height: Math.max(120, ranges.length * 26),
    layer: [
      { data: { values: ranges }, mark: { type: "bar", color: "#d9dde5", height: 14, tooltip: true },
        encoding: { y: { field: "kpi", type: "nominal", title: null, sort: null },
          x: { field: "low", type: "quantitative", title: "Index (cohort quartiles shaded)",
            scale: { zero: false } },
          x2: { field: "high" } } },
      { mark: { type: "rule", color: "#5b6476", aria: false }, encoding: { x: { datum: 100 } } },
      { data: { values: ranges }, mark: { type: "point", filled: true, size: 90,
        color: COLOURS[0], tooltip: true },
      encoding: { y: { field: "kpi", type: "nominal", sort: null },
        x: { field: "index", type: "quantitative" } } },
    ],
  }, kpis.kpis.map((k) => ({ ratio: k.name, organisations: k.organisations, p25: k.p25,
    median: k.median, p75: k.p75, this_organisation: k.org_value, index: k.index,
    suppressed: k.suppressed ? plainReason(k.reason) : "" })));
  // Each ratio in its own unit (rates as %, yield in £), from the catalogue's metric ids.
  const UNIT = { M07: fmtPct, M10: fmtMoney, M13: fmtPct, M14: fmtPct, M32: fmtPct };
  const inUnit = (field) => (k) => (UNIT[k.metric] || fmtNum)(k[field]);
  table(byId("table-kpis"), kpis.kpis, [
    { key: "name", label: "Ratio", link: (k) => `/dashboard/definitions#${k.metric}` },
    { key: "organisations", label: "Organisations", num: true },
    { key: inUnit("p25"), label: "25th percentile", num: true },
    { key: inUnit("median"), label: "Median", num: true },
    { key: inUnit("p75"), label: "75th percentile", num: true },
    { key: inUnit("org_value"), label: "This organisation", num: true },
    { key: (k) => (k.suppressed ? `not shown: ${plainReason(k.reason)}` : fmtNum(k.index)),
      label: "Index" },
  ]);
  const values = [];
  for (const cell of dist.cells) {
    if (cell.share !== null) values.push({ label: cell.label, who: "Cohort", share: cell.share });
    if (cell.org_share !== null) values.push({ label: cell.label, who: state.org, share: cell.org_share });
  }
  await chart(byId("chart-distribution"), groupedSpec(values, "label", "who", "share",
    { title: `Share of ${dist.measure}`, format: ".0%" }), values);
  table(byId("table-distribution"), dist.cells, [
    { key: "label", label: dist.dimension.replace(/_/g, " ") },
    { key: "share", label: "Cohort share", num: true, fmt: fmtPct },
    { key: "org_share", label: "This organisation", num: true, fmt: fmtPct },
    { key: (c) => (c.suppressed ? `not shown: ${plainReason(c.reason)}` : ""), label: "Note" },
  ]);
}

/* ---- definitions ---------------------------------------------------------------------- */

async function definitions() {
  const found = await api("/definitions");
  byId("context").textContent = "What every figure on these pages means, as docs/metrics.md "
    + "defines it. Each tile and chart links here.";
  byId("common-rules").replaceChildren(...found.common_rules.split(/\n(?=- )/).map((item) =>
    el("p", { text: item.replace(/^- /, "").replace(/\*\*|`/g, "").replace(/\s+/g, " ") })));
  const entry = (d) => {
    const words = (text) => text.replace(/\*\*|`/g, "");
    const section = el("section", { class: "definition-entry", id: d.key, tabindex: "-1" },
      el("h3", { text: d.kind === "metric" ? `${d.key} · ${d.name}` : d.name }),
      el("p", { text: words(d.formula) }));
    if (d.basis) section.append(el("p", { class: "hint", text: `Date basis: ${words(d.basis)}` }));
    if (d.choice) section.append(el("p", { class: "hint", text: `Our choice: ${words(d.choice)}` }));
    return section;
  };
  byId("metric-list").replaceChildren(...found.definitions.filter((d) => d.kind === "metric")
    .map(entry));
  byId("report-list").replaceChildren(...found.definitions.filter((d) => d.kind !== "metric")
    .map(entry));
  if (window.location.hash) {
    const target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (target) {
      target.classList.add("target");
      target.scrollIntoView();
      target.focus();
    }
  }
}

/* ---- sign-in and start -------------------------------------------------------------- */

function signInPage() {
  const form = byId("sign-in");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, byId("token").value.trim());
    try {
      const response = await fetch(`${API}/me`, { headers: authHeader() });
      if (!response.ok) throw new ApiError(response.status, await response.json());
      const next = query.get("next");
      window.location.assign(next && next.startsWith("/dashboard/") ? next : "/dashboard/overview");
    } catch (error) {
      sessionStorage.removeItem(TOKEN_KEY);
      showError("Sign-in failed", error);
    }
  });
}

const PAGES = { overview, trends, events, event, audience, geography, quality, connections,
  benchmarks, definitions };

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
  // The filter menus of the organisation in the address are asked for at once, beside
  // /me, rather than after it (one round trip less before the page's own figures).
  const early = query.get("org") || sessionStorage.getItem(ORG_KEY);
  if (early && document.getElementById("filters")) {
    const options = api(`/orgs/${encodeURIComponent(early)}/filter-options`);
    options.catch(() => null); // a refusal is handled when (and if) it is used
    state.early = { org: early, options };
  }
  try {
    await setUpHeader();
    if (!state.org && page !== "definitions") {
      showStatus("This token sees no organisation yet.");
    } else {
      await setUpFilters();
      await PAGES[page]();
    }
    // Milliseconds from navigation to every figure drawn (read by bench/dashboard_pages.py).
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = "true";
  } catch (error) {
    if (error.status !== 401) showError("Could not load this page", error);
    document.body.dataset.ready = "error";
  }
}

start();
