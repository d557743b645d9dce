// provgraph explorer: a hash-routed page over the server's read-only JSON routes.
// Pages: #/runs, #/run/ID, #/artifacts, #/artifact?ref=, #/agents, #/agent?ref=, #/graph?ref=, #/sparql,
// #/search?q=. Data is inserted as text nodes, never as HTML.
"use strict";

const TOKEN_KEY = "provgraph-token";
const $ = (id) => document.getElementById(id);
const view = $("view");
let cy = null;

// -- DOM and fetch helpers ----------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const text = (value) => (value === null || value === undefined ? "" : String(value));
const link = (href, label, attrs) => h("a", { href, ...(attrs || {}) }, text(label));
const runLink = (id) => (id ? link("#/run/" + encodeURIComponent(id), id, { class: "run-link" }) : "");
const artifactLink = (iri, label) => link("#/artifact?ref=" + encodeURIComponent(iri), label || iri,
                                          { class: "artifact-link" });
const agentLink = (iri, label) => link("#/agent?ref=" + encodeURIComponent(iri), label || iri, { class: "agent-link" });
const graphLink = (ref, label, direction) =>
  link("#/graph?ref=" + encodeURIComponent(ref) + (direction ? "&direction=" + direction : ""), label,
       { class: "graph-link" });
const badge = (status) => h("span", { class: "badge status-" + text(status) }, text(status));
const hash = (value) => h("span", { class: "hash" }, text(value || "-"));
const when = (time) => (time ? h("time", { datetime: time, title: time }, time.slice(0, 19).replace("T", " ")) : "");

function table(columns, rows, id) {
  if (!rows.length) return h("p", { class: "muted" }, "(none)");
  return h("table", { id },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c[0])))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c) => h("td", {}, c[1](row)))))));
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

const section = (title, ...body) => h("section", {}, h("h2", {}, title), ...body);

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

async function api(path, options) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { ...((options && options.headers) || {}) };
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, { ...(options || {}), headers });
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new ApiError(message, response.status);
  }
  return response.json();
}

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) q.append(key, value);
  return q.toString();
}

// -- pages ---------------------------------------------------------------------------------------------
const RUN_KINDS = ["", "pipeline", "ingestion", "cleaning", "feature_engineering", "splitting", "training",
                   "hyperparameter_search", "evaluation", "deployment", "monitoring", "other"];
const STATUSES = ["", "completed", "failed", "aborted", "running"];

async function runsPage(params) {
  const filters = ["kind", "step", "status", "agent", "param", "metric"];
  const inputs = {};
  const field = (name, options) => {
    inputs[name] = options
      ? h("select", { id: "filter-" + name }, options.map((o) => h("option", { value: o }, o || "(any)")))
      : h("input", { id: "filter-" + name, size: 14, placeholder: name === "param" ? "n_estimators=100"
          : name === "metric" ? "f1>=0.8" : "" });
    inputs[name].value = params.get(name) || "";
    return h("label", {}, name, inputs[name]);
  };
  const form = h("form", { class: "filters", id: "run-filters" },
    field("kind", RUN_KINDS), field("step"), field("status", STATUSES), field("agent"), field("param"),
    field("metric"), h("button", { type: "submit", id: "apply-filters" }, "Filter"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = {};
    for (const name of filters) chosen[name] = inputs[name].value.trim();
    location.hash = "#/runs?" + query(chosen);
  });
  const chosen = {};
  for (const name of filters) chosen[name] = params.get(name);
  const data = await api("/api/explorer/runs?" + query(chosen));
  return [h("h1", {}, "Runs"), section("Filter", form),
    section(`${data.count} run${data.count === 1 ? "" : "s"}, newest first`, table([
      ["run", (r) => runLink(r.run)], ["step", (r) => r.step], ["kind", (r) => r.kind],
      ["status", (r) => badge(r.status)], ["agents", (r) => r.agents.map((a) => a.split(/[/#]/).pop()).join(", ")],
      ["started (UTC)", (r) => when(r.start)], ["seconds", (r) => r.duration]], data.runs, "runs-table"))];
}

function metricChart(name, points) {
  const width = 420, height = 150, pad = 34;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - 2 * pad);
  const sy = (y) => height - pad + (y1 === y0 ? -0.5 : -(y - y0) / (y1 - y0)) * (height - 2 * pad);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const add = (tag, attrs, content) => {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (content !== undefined) el.textContent = content;
    svg.append(el);
  };
  svg.setAttribute("class", "chart");
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  svg.setAttribute("role", "img"); svg.setAttribute("aria-label", "history of " + name);
  add("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: "#999" });
  add("line", { x1: pad, y1: pad, x2: pad, y2: height - pad, stroke: "#999" });
  add("polyline", { points: points.map((p) => sx(p[0]) + "," + sy(p[1])).join(" "), fill: "none",
                    stroke: "#2d6a9f", "stroke-width": 2 });
  for (const p of points) add("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: "#2d6a9f" });
  add("text", { x: 4, y: pad + 4 }, String(y1));
  add("text", { x: 4, y: height - pad }, String(y0));
  add("text", { x: pad, y: height - 8 }, "step " + x0);
  add("text", { x: width - pad - 40, y: height - 8 }, "step " + x1);
  add("text", { x: width / 2 - 30, y: 16 }, name);
  return svg;
}

function artifactRows(items) {
  return table([
    ["location", (a) => artifactLink(a.iri, a.location)], ["kind", (a) => a.kind], ["role", (a) => a.role],
    ["sha256", (a) => hash(a.sha256)], ["bytes", (a) => a.size], ["labels", (a) => (a.labels || []).join(", ")]],
    items);
}

async function runPage(id) {
  const info = await api("/api/runs/" + encodeURIComponent(id));
  const env = info.environment || {}, code = info.code || {};
  const history = info.metric_history || {};
  const validation = h("div", { id: "validation" }, h("span", { class: "muted" }, "checking ..."));
  api("/api/explorer/runs/" + encodeURIComponent(id) + "/validation").then((result) => {
    const lines = result.reports.map((r) => h("p", { class: r.ok ? "ok" : "verdict-bad" },
      `${r.kind}: ${r.ok ? "valid" : r.violations.length + " violations"}`,
      r.ok ? "" : h("ul", {}, r.violations.slice(0, 20).map((v) => h("li", {}, `${v.constraint}: ${v.message}`)))));
    validation.replaceChildren(...(lines.length ? lines : [h("p", { class: "muted" }, result.error || "not checked")]));
  }).catch((e) => validation.replaceChildren(h("p", { class: "verdict-bad" }, e.message)));
  return [
    h("h1", {}, "Run ", h("span", { id: "run-title" }, info.step || info.run), " ", badge(info.status)),
    h("p", {}, graphLink(info.run, "lineage graph of this run"), " · ", graphLink(info.run, "impact", "down")),
    h("div", { class: "grid" },
      section("Run", facts([
        ["run", h("code", {}, info.run)], ["step", info.step], ["kind", info.kind], ["status", info.status],
        ["started", info.started], ["ended", info.ended], ["seconds", info.duration_s],
        ["part of", info.parent ? runLink(info.parent) : null], ["labels", info.labels.join(", ")],
        ["error", info.error ? `${info.error.type}: ${info.error.message}` : null]])),
      section("Agents", table([["agent", (a) => a.agent], ["kind", (a) => a.kind],
                               ["on behalf of", (a) => a.on_behalf_of]], info.agents))),
    h("div", { class: "grid" },
      section("Parameters and seeds", table([["name", (p) => p[0]], ["value", (p) => JSON.stringify(p[1])]],
        [...Object.entries(info.params), ...Object.entries(info.seeds).map(([k, v]) => ["seed " + k, v])],
        "params-table")),
      section("Metrics", table([["metric", (m) => m[0]], ["final value", (m) => m[1]]],
        Object.entries(info.metrics), "metrics-table"),
        h("div", { id: "charts" }, Object.entries(history).map(([name, points]) => metricChart(name, points))))),
    section("Inputs", artifactRows(info.used)),
    section("Outputs", artifactRows(info.generated)),
    h("div", { class: "grid" },
      section("Code", facts([["commit", code.commit ? h("code", {}, code.commit) : null], ["branch", code.branch],
        ["remote", code.remote], ["dirty", code.dirty === undefined || code.dirty === null ? null : String(code.dirty)],
        ["script", code.script ? h("code", {}, code.script) : null], ["script sha256", code.script_sha256 ? hash(code.script_sha256) : null]])),
      section("Environment", facts([["python", env.python], ["platform", env.platform], ["host", env.hostname],
        ["container", env.container]]),
        env.packages ? h("details", {}, h("summary", {}, Object.keys(env.packages).length + " packages"),
          table([["package", (p) => p[0]], ["version", (p) => p[1]]], Object.entries(env.packages))) : "")),
    section("Validation (PROV-CONSTRAINTS and SHACL on this run)", validation),
  ];
}

const KIND_GROUPS = [["Datasets", ["dataset", "features", "split"]], ["Models", ["model"]]];

async function artifactsPage() {
  const data = await api("/api/explorer/artifacts");
  const grouped = KIND_GROUPS.map(([title, kinds]) => [title, data.artifacts.filter((a) => kinds.includes(a.kind))]);
  const known = KIND_GROUPS.flatMap((g) => g[1]);
  grouped.push(["Evaluations, deployments and other artifacts", data.artifacts.filter((a) => !known.includes(a.kind))]);
  return [h("h1", {}, "Datasets and models"), ...grouped.map(([title, rows]) => section(`${title} (${rows.length})`,
    table([["name", (a) => artifactLink(a.iri, a.name)], ["kind", (a) => a.kind],
           ["versions", (a) => a.versions.length], ["latest sha256", (a) => hash(a.versions[0] && a.versions[0].sha256)],
           ["made by", (a) => (a.versions[0] ? a.versions[0].made_by.map(runLink) : "")],
           ["", (a) => (a.invalidated ? h("span", { class: "badge bad" }, "invalidated") : "")]], rows)))];
}

async function artifactPage(params) {
  const ref = params.get("ref");
  const info = await api("/api/explorer/artifact?ref=" + encodeURIComponent(ref));
  const runs = (ids) => ids.map((id, i) => [i ? ", " : "", runLink(id)]);
  return [
    h("h1", {}, h("span", { id: "artifact-title" }, info.name), " ", h("span", { class: "badge" }, info.kind || info.type),
      info.invalidations.length ? [" ", h("span", { class: "badge bad" }, "invalidated")] : ""),
    h("p", {}, graphLink(info.iri, "lineage graph"), " · ", graphLink(info.iri, "impact", "down"), " · ",
      h("code", {}, info.iri)),
    info.invalidations.length ? section("Invalidations", table([
      ["what", (r) => r.target], ["reason", (r) => r.reason], ["when", (r) => r.invalidated_at],
      ["affects", (r) => (r.affected_iri ? artifactLink(r.affected_iri, r.affected) : "")]],
      info.invalidations, "invalidations-table")) : "",
    section(`Versions (${info.versions.length})`, table([
      ["version", (v) => artifactLink(v.iri, v.location || v.name)], ["sha256", (v) => hash(v.sha256)],
      ["bytes", (v) => v.size], ["generated", (v) => v.generated_at], ["made by", (v) => runs(v.made_by)],
      ["used by", (v) => runs(v.used_by)],
      ["", (v) => (v.invalidated_at ? h("span", { class: "badge bad" }, "invalidated " + v.invalidated_at) : "")]],
      info.versions, "versions-table")),
    section("Who made it, used it or invalidated it", table([
      ["time", (r) => r.time], ["action", (r) => r.action], ["run", (r) => runLink(r.run)], ["step", (r) => r.step],
      ["agent", (r) => (r.agent_iri ? agentLink(r.agent_iri, r.agent) : r.agent)], ["role", (r) => r.role],
      ["on behalf of", (r) => r.on_behalf_of]], info.who, "who-table")),
  ];
}

async function agentsPage() {
  const data = await api("/api/explorer/agents");
  return [h("h1", {}, "Agents"), section(`${data.count} agents`, table([
    ["agent", (a) => agentLink(a.iri, a.name)], ["kind", (a) => a.kind], ["runs", (a) => a.runs],
    ["on behalf of", (a) => a.on_behalf_of.join(", ")]], data.agents, "agents-table"))];
}

async function agentPage(params) {
  const ref = params.get("ref");
  const data = await api("/api/explorer/runs?" + query({ agent: ref }));
  return [h("h1", {}, "Agent ", h("span", { id: "agent-title" }, ref.split(/[/#]/).pop())),
    h("p", {}, h("code", {}, ref)),
    section(`Runs it did or that were done on its behalf (${data.count})`, table([
      ["run", (r) => runLink(r.run)], ["step", (r) => r.step], ["kind", (r) => r.kind],
      ["status", (r) => badge(r.status)], ["started (UTC)", (r) => when(r.start)]], data.runs, "runs-table"))];
}

// -- lineage graph -------------------------------------------------------------------------------------
const HOUSE = "-1 1 1 1 1 -0.25 0 -1 -1 -0.25";
const GRAPH_STYLE = [
  { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "center", "text-halign": "center",
    "text-wrap": "wrap", "text-max-width": 110, width: 120, height: 40, "border-width": 1 } },
  { selector: "node[kind = 'entity']", style: { shape: "ellipse", "background-color": "#FFFC87", "border-color": "#808080" } },
  { selector: "node[kind = 'activity']", style: { shape: "rectangle", "background-color": "#9FB1FC", "border-color": "#0000FF" } },
  { selector: "node[kind = 'agent']", style: { shape: "polygon", "shape-polygon-points": HOUSE,
    "background-color": "#FED37F", "border-color": "#000000", width: 110 } },
  { selector: "node[?tainted]", style: { "border-color": "#9467BD", "border-width": 3 } },
  { selector: "node[?invalidated]", style: { "border-color": "#7F0000", "border-width": 3, "border-style": "dashed" } },
  { selector: "node[?focus]", style: { "border-width": 4 } },
  { selector: "node.impact", style: { "border-color": "#D62728", "border-width": 4 } },
  { selector: "node:selected", style: { "overlay-color": "#2d6a9f", "overlay-opacity": 0.18 } },
  { selector: "edge", style: { width: 1.4, "curve-style": "bezier", "target-arrow-shape": "triangle",
    "line-color": "#666", "target-arrow-color": "#666", label: "data(relation)", "font-size": 9, color: "#444",
    "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.8 } },
  { selector: "edge[relation = 'wasAssociatedWith'], edge[relation = 'wasAttributedTo'], edge[relation = 'actedOnBehalfOf']",
    style: { "line-color": "#aaa", "target-arrow-color": "#aaa", "line-style": "dashed" } },
  { selector: "edge[relation = 'wasInvalidatedBy']", style: { "line-color": "#7F0000", "target-arrow-color": "#7F0000" } },
  { selector: "edge.impact", style: { "line-color": "#D62728", "target-arrow-color": "#D62728", width: 2.5 } },
];
const FLOW = ["used", "wasGeneratedBy", "wasDerivedFrom"];

// Lay out the graph; when fitting it all would make labels unreadable, zoom in on the selected node.
function layout() {
  const run = cy.layout({ name: "dagre", rankDir: "RL", nodeSep: 18, rankSep: 45, fit: true, padding: 20 });
  run.one("layoutstop", () => {
    const centre = cy.$("node:selected").first();
    if (cy.zoom() < 0.8) cy.zoom(0.9);
    cy.center(centre.nonempty() ? centre : undefined);
  });
  run.run();
}

function merge(elements) {
  const fresh = [...elements.nodes, ...elements.edges].filter((e) => cy.getElementById(e.data.id).empty());
  cy.add(fresh);
  return fresh.length;
}

function highlightImpact(node) {
  cy.elements().removeClass("impact");
  // Edges point from effect to cause (PROV), so what was derived from a node is what reaches it.
  const flow = cy.edges().filter((e) => FLOW.includes(e.data("relation")));
  const reached = cy.collection().merge(node);
  let frontier = node;
  while (frontier.nonempty()) {
    const incoming = flow.filter((e) => frontier.contains(e.target()) && !reached.contains(e.source()));
    incoming.addClass("impact");
    frontier = incoming.sources().difference(reached);
    reached.merge(frontier);
  }
  reached.addClass("impact");
  return reached.length - 1;
}

function describeNode(panel, node) {
  const d = node.data();
  const open = d.page === "run" ? runLink(d.ref) : d.page === "agent" ? agentLink(d.ref, d.label)
    : artifactLink(d.ref, "open " + d.label);
  panel.replaceChildren(h("h2", {}, d.label), facts([["PROV type", d.kind], ["kind", d.subtype],
    ["sha256", d.sha256 ? hash(d.sha256) : null], ["iri", h("code", {}, d.id)]]),
    h("p", { id: "open-node" }, "Page: ", open),
    d.invalidated ? h("p", { class: "verdict-bad" }, "invalidated") : "",
    d.tainted ? h("p", { class: "verdict-bad" }, "derived from invalidated data") : "");
}

async function graphPage(params) {
  const ref = params.get("ref") || "";
  const direction = params.get("direction") || "both";
  const depth = params.get("depth") || "";
  const refInput = h("input", { id: "graph-ref", value: ref, size: 40, placeholder: "reference to centre on" });
  const dirSelect = h("select", { id: "graph-direction" },
    [["both", "upstream and downstream"], ["up", "upstream (lineage)"], ["down", "downstream (impact)"]]
      .map(([v, label]) => h("option", { value: v }, label)));
  dirSelect.value = direction;
  const depthInput = h("input", { id: "graph-depth", value: depth, size: 4, placeholder: "all" });
  const form = h("form", { class: "filters", id: "graph-form" }, h("label", {}, "centre", refInput),
    h("label", {}, "direction", dirSelect), h("label", {}, "depth", depthInput), h("button", { type: "submit" }, "Draw"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = "#/graph?" + query({ ref: refInput.value.trim(), direction: dirSelect.value,
                                         depth: depthInput.value.trim() });
  });
  const panel = h("div", { id: "node-panel" }, h("p", { class: "muted" },
    "Click a node for its details; double-click to expand its neighbours. Drag to pan, scroll to zoom."));
  const status = h("span", { id: "graph-status", class: "muted" });
  const selected = () => cy && cy.$("node:selected").first();
  const buttons = h("p", {},
    h("button", { id: "expand", type: "button", class: "secondary", onclick: () => expand(selected()) }, "Expand neighbours"),
    " ", h("button", { id: "impact", type: "button", class: "secondary", onclick: () => {
      const node = selected();
      if (node && node.nonempty()) status.textContent = highlightImpact(node) + " nodes derived from " + node.data("label");
    } }, "Highlight impact"),
    " ", h("button", { id: "fit", type: "button", class: "secondary", onclick: () => cy && cy.fit(undefined, 20) }, "Fit"),
    " ", status);
  const legend = h("p", { class: "legend" },
    h("span", {}, h("i", { class: "swatch entity" }), "entity (data, model)"),
    h("span", {}, h("i", { class: "swatch activity" }), "activity (run)"),
    h("span", {}, h("i", { class: "swatch agent" }), "agent"),
    h("span", {}, h("i", { class: "swatch impact" }), "impact"),
    h("span", {}, h("i", { class: "swatch invalid" }), "invalidated"),
    h("span", {}, "arrows point from the later thing to the earlier (PROV direction)"));
  const container = h("div", { id: "cy" });
  const parts = [h("h1", {}, "Lineage graph"), section("Centre", form), legend, buttons,
    h("div", { class: "graph-layout" }, container, h("section", {}, panel))];
  if (!ref) return [...parts.slice(0, 2), h("p", { class: "muted" }, "Give a reference, or open a graph from a run or artifact page.")];

  async function expand(node) {
    if (!node || node.empty()) return;
    const more = await api("/api/explorer/graph?" + query({ ref: node.id(), direction: "both", depth: "1" }));
    status.textContent = merge(more) + " elements added";
    layout();
  }

  const elements = await api("/api/explorer/graph?" + query({ ref, direction, depth }));
  return { parts, after: () => {
    if (cy) cy.destroy();
    cy = cytoscape({ container, elements: [...elements.nodes, ...elements.edges], style: GRAPH_STYLE,
                     wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4 });
    cy.on("tap", "node", (event) => describeNode(panel, event.target));
    cy.on("dbltap", "node", (event) => expand(event.target).catch(showError));
    const focus = cy.getElementById(elements.focus);
    if (focus.nonempty()) { focus.select(); describeNode(panel, focus); }
    layout();
    status.textContent = elements.nodes.length + " nodes, " + elements.edges.length + " edges"
      + (elements.agent ? "; everything here was done by " + elements.agent : "");
  } };
}

// -- SPARQL -------------------------------------------------------------------------------------------
const FIRST_QUERY = `PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provgraph/provml#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

# Which step generated which data, models and reports
SELECT DISTINCT ?step ?artifact ?kind WHERE {
  ?version prov:wasGeneratedBy ?run ;
           a provml:Artifact ;
           rdfs:label ?artifact .
  ?run provml:stepName ?step .
  OPTIONAL { ?version provml:artifactKind ?kind }
} ORDER BY ?step ?artifact`;

function cellText(term) {
  if (!term) return "";
  return term.type === "literal" && term.datatype ? term.value : term.value;
}

async function sparqlPage() {
  const examples = await api("/api/explorer/queries");
  const editor = h("textarea", { id: "query", spellcheck: "false" });
  editor.value = FIRST_QUERY;
  const picker = h("select", { id: "examples" }, h("option", { value: "" }, "(example: runs and their outputs)"),
    examples.queries.map((q) => h("option", { value: q.name }, q.name + ".rq")));
  picker.addEventListener("change", () => {
    const found = examples.queries.find((q) => q.name === picker.value);
    editor.value = found ? found.text : FIRST_QUERY;
  });
  const results = h("div", { id: "results" });
  const run = async () => {
    results.replaceChildren(h("span", { class: "muted" }, "running ..."));
    try {
      const answer = await api("/sparql", { method: "POST", body: editor.value, headers: {
        "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" } });
      if (typeof answer.boolean === "boolean") {
        results.replaceChildren(h("p", { id: "ask-answer" }, "answer: " + answer.boolean));
        return;
      }
      const vars = answer.head.vars, rows = answer.results.bindings;
      results.replaceChildren(h("p", { class: "muted", id: "result-count" }, rows.length + " rows"),
        table(vars.map((v) => [v, (row) => cellText(row[v])]), rows.slice(0, 1000), "results-table"));
    } catch (e) {
      results.replaceChildren(h("p", { class: "verdict-bad", id: "query-error" }, e.message));
    }
    document.body.dataset.state = "done";
  };
  return [h("h1", {}, "SPARQL"), section("Query (read-only)", h("p", {}, "Examples: ", picker), editor,
    h("p", {}, h("button", { id: "run-query", type: "button", onclick: () => { document.body.dataset.state = "loading"; run(); } }, "Run query"))),
    section("Results", results)];
}

// -- search, routing, sign-in --------------------------------------------------------------------------
async function searchPage(params) {
  const found = await api("/api/explorer/search?ref=" + encodeURIComponent(params.get("q") || ""));
  const target = found.page === "run" ? "#/run/" + encodeURIComponent(found.id)
    : "#/" + found.page + "?ref=" + encodeURIComponent(found.iri);
  location.replace(target);
  return null;
}

const PAGES = { runs: runsPage, run: runPage, artifacts: artifactsPage, artifact: artifactPage, agents: agentsPage,
                agent: agentPage, graph: graphPage, sparql: sparqlPage, search: searchPage };

function showError(error) {
  $("error").textContent = error.status === 401 ? error.message + " (enter it in the API token field above)"
    : error.message;
  document.body.dataset.state = "error";
}

async function route() {
  const [path, search] = (location.hash.replace(/^#\/?/, "") || "runs").split("?");
  const [name, ...rest] = path.split("/");
  const params = new URLSearchParams(search || "");
  const render = PAGES[name];
  document.body.dataset.state = "loading";
  document.body.dataset.page = name;
  $("error").textContent = "";
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.id === "nav-" + name);
  if (!render) {
    showError({ message: "no page " + JSON.stringify(name) + " here; try Runs" });
    return;
  }
  try {
    const out = await render(rest.length ? decodeURIComponent(rest.join("/")) : params, params);
    if (out === null) return;
    const parts = Array.isArray(out) ? out : out.parts;
    view.replaceChildren(...parts);
    if (!Array.isArray(out)) out.after();
    document.title = "provgraph · " + name;
    document.body.dataset.state = "done";
  } catch (error) {
    view.replaceChildren();
    showError(error);
  }
}

function signedIn() {
  $("who").textContent = sessionStorage.getItem(TOKEN_KEY) ? "token set for this session" : "";
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  $("token").value = "";
  signedIn();
  route();
});
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const ref = $("search").value.trim();
  if (ref) location.hash = "#/search?q=" + encodeURIComponent(ref);
});
window.addEventListener("hashchange", route);
if (window.cytoscape && window.cytoscapeDagre) cytoscape.use(cytoscapeDagre);
window.explorerGraph = () => cy;  // for tests and the console
signedIn();
route();
