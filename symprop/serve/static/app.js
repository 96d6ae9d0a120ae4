// symprop Playground: plain JavaScript. The server does all mathematics; this file shows it.
// Text from the server or the user goes into the page with textContent or KaTeX, never innerHTML.
"use strict";

const S = { meta: null, spec: null, query: {}, math: null, shown: 0, params: null,
            ws: null, csv: null, csvName: null, frames: 0, lastFrame: null };
const $ = (id) => document.getElementById(id);

function message(text, ok) {
  const m = $("message");
  m.textContent = text || "";
  m.className = ok ? "ok" : "";
}

async function api(path, body) {
  let r;
  try {
    r = await fetch("/api/" + path, { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify(body || {}) });
  } catch (e) { message("the server does not answer: " + e); return null; }
  if (path === "export" && r.ok) return r;
  let data;
  try { data = await r.json(); } catch (e) { message("bad answer from the server"); return null; }
  if (!r.ok || data.error) { message(data.error || ("error " + r.status)); return null; }
  return data;
}

function tex(el, latex, display) {
  try {
    katex.render(latex, el, { displayMode: !!display, throwOnError: false, trust: false,
                              macros: Object.assign({}, (S.meta && S.meta.macros) || {}) });
  } catch (e) { el.textContent = latex; el.classList.add("katex-error"); }
  return el;
}

function node(tag, attrs, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// -- builder -------------------------------------------------------------------------------------
function layerRow(units, activation, bias) {
  const row = node("div", { class: "layer-row" });
  row.append(node("span", {}, "layer"));
  const u = node("input", { type: "number", min: "1", value: String(units), class: "units" });
  const a = node("select", { class: "activation" });
  for (const name of S.meta.activations) {
    const o = node("option", { value: name }, name);
    if (name === activation) o.selected = true;
    a.append(o);
  }
  const bl = node("label", {}, " bias ");
  const b = node("input", { type: "checkbox", class: "bias" });
  b.checked = !!bias;
  bl.append(b);
  const del = node("button", { type: "button" }, "×");
  del.onclick = () => { if ($("layers").children.length > 1) { row.remove(); rebuild(); } };
  for (const el of [u, a, b]) el.onchange = rebuild;
  row.append(u, a, bl, del);
  return row;
}

function readQuery() {
  const layers = [...$("layers").children].map((r) =>
    `${r.querySelector(".units").value}:${r.querySelector(".activation").value}:` +
    `${r.querySelector(".bias").checked ? 1 : 0}`).join(",");
  return { inputs: $("inputs").value, layers, loss: $("loss").value, seed: $("seed").value,
           dataset: $("dataset").value, noise: $("noise").value, lr: $("lr").value,
           batch: $("batch").value };
}

function writeQuery(q) {
  $("inputs").value = q.inputs; $("loss").value = q.loss; $("seed").value = q.seed;
  $("dataset").value = q.dataset; $("noise").value = q.noise; $("lr").value = q.lr;
  $("batch").value = q.batch;
  const box = $("layers");
  box.textContent = "";
  for (const part of q.layers.split(",")) {
    const [u, a, b] = part.split(":");
    box.append(layerRow(u, a, b === "1"));
  }
  S.query = q;
  history.replaceState(null, "", "?" + new URLSearchParams(q).toString());
}

async function rebuild() {
  const r = await api("build", { query: readQuery() });
  if (r) await setNetwork(r);
}

async function openSpec(text, name, fresh) {
  const r = await api("open", { spec: text, name, query: fresh ? {} : readQuery() });
  if (r) { await setNetwork(r); message("opened " + name, true); }
}

async function setNetwork(r) {
  S.spec = r.spec; S.params = null;
  writeQuery(r.query);
  message("", true);
  configureTraining();
  S.network = r.network; S.math = null;
  for (const id of ["derivation", "given", "steps", "step-count", "check-table", "formula"]) $(id).textContent = "";
  drawDiagram();
  const m = await api("math", { spec: S.spec });
  if (!m) return;            // too large for the exact math: the message says so; training works
  S.math = m;
  showDerivation(); S.shown = 1; showSteps(); buildCheckForm();
}

// -- the math ------------------------------------------------------------------------------------
function showDerivation() {
  tex($("derivation"), S.math.derivation, true);
  const g = $("given");
  g.textContent = "";
  for (const line of S.math.given) g.append(tex(node("div"), line, false));
  if (S.math.note) g.append(node("p", {}, S.math.note));
}

function stepItem(s, n) {
  const li = node("div", { "data-address": s.address, class: "step" });
  li.append(node("span", { class: "number" }, n + "."));
  li.append(tex(node("span"), s.latex, false));
  if (s.exact) li.append(node("span", { class: "exact" }, "exact: " + s.exact));
  return li;
}

function showSteps() {
  const list = $("steps");
  list.textContent = "";
  const steps = S.math.steps;
  let stage = null;
  steps.slice(0, S.shown).forEach((s, i) => {
    if (s.stage !== stage) { stage = s.stage; list.append(node("div", { class: "stage-head" }, stage)); }
    list.append(stepItem(s, i + 1));
  });
  $("step-count").textContent = steps.length ? `step ${Math.min(S.shown, steps.length)} of ${steps.length}` : "";
}

function drawDiagram() {
  const svg = $("diagram");
  svg.textContent = "";
  const sizes = S.network.sizes, W = 420, H = 260, ns = "http://www.w3.org/2000/svg";
  const pos = sizes.map((n, l) => Array.from({ length: n }, (_, k) =>
    [40 + l * (W - 80) / Math.max(1, sizes.length - 1), (k + 1) * H / (n + 1)]));
  const el = (tag, attrs) => { const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  for (let l = 1; l < sizes.length; l++) {
    pos[l].forEach(([x2, y2], k) => pos[l - 1].forEach(([x1, y1], j) => {
      const line = el("line", { x1, y1, x2, y2, "data-element": `w${l}[${k + 1},${j + 1}]` });
      line.onclick = () => showFormula(line);
      svg.append(line);
    }));
  }
  sizes.forEach((n, l) => pos[l].forEach(([x, y], k) => {
    const c = el("circle", { cx: x, cy: y, r: 15, class: l === 0 ? "input" : "unit" });
    if (l > 0) { c.setAttribute("data-element", `out${l}[${k + 1}]`); c.onclick = () => showFormula(c); }
    svg.append(c);
    const t = el("text", { x: x - 9, y: y + 4 });
    t.textContent = l === 0 ? S.network.inputs[k] : (l === sizes.length - 1 ? `y${k + 1}` : `h${k + 1}`);
    svg.append(t);
  }));
}

async function showFormula(target) {
  if (!S.math) return;
  for (const e of $("diagram").querySelectorAll(".selected")) e.classList.remove("selected");
  target.classList.add("selected");
  const r = await api("formula", { spec: S.spec, element: target.getAttribute("data-element") });
  if (!r) return;
  const box = $("formula");
  box.textContent = "";
  box.append(node("div", {}, target.getAttribute("data-element")));
  for (const f of r.formulas) {
    const d = node("div", { class: "entry" });
    d.append(tex(node("div"), f.aligned || f.latex, true));
    if (f.exact) d.append(node("span", { class: "exact" }, "exact: " + f.exact));
    box.append(d);
  }
}

// -- check my numbers --------------------------------------------------------------------------
function buildCheckForm() {
  const table = $("check-table");
  table.textContent = "";
  for (const s of S.math.steps) {
    const tr = node("tr", { "data-address": s.address });
    const name = node("td");
    tex(name, s.lhs, false);
    const cell = node("td");
    cell.append(node("input", { type: "text", name: s.address, inputmode: "decimal",
                                autocomplete: "off", "aria-label": s.address }));
    tr.append(node("td", {}, s.stage), name, cell, node("td", { class: "verdict" }));
    table.append(tr);
  }
}

async function checkNumbers(ev) {
  ev.preventDefault();
  const typed = {};
  for (const input of $("check-table").querySelectorAll("input")) typed[input.name] = input.value;
  const r = await api("check", { spec: S.spec, typed });
  if (!r) return;
  for (const tr of $("check-table").querySelectorAll("tr")) {
    const a = tr.getAttribute("data-address"), cell = tr.querySelector(".verdict");
    const v = r.verdicts[a], p = r.problems[a];
    cell.className = "verdict";
    cell.textContent = "";
    if (v) {
      cell.classList.add(v.verdict);
      cell.textContent = `${v.verdict}${v.mistake ? " (" + v.mistake + ")" : ""}: ${v.explanation || ""}`;
    } else if (p) { cell.classList.add("problem"); cell.textContent = p; }
  }
}

// -- training ----------------------------------------------------------------------------------
function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws/train`);
  ws.onmessage = (ev) => onTrainMessage(JSON.parse(ev.data));
  ws.onclose = () => { $("train-status").textContent = "disconnected: reload the page"; };
  S.ws = new Promise((resolve) => { ws.onopen = () => resolve(ws); });
}

async function send(msg) { (await S.ws).send(JSON.stringify(msg)); }

function configureTraining() {
  if (!S.spec) return;
  const msg = { cmd: "configure", spec: S.spec, query: S.query };
  if (S.query.dataset === "csv") { msg.csv = S.csv || ""; msg.csv_name = S.csvName || "upload.csv"; }
  S.frames = 0;
  send(msg);
}

function onTrainMessage(m) {
  const status = $("train-status");
  if (m.type === "error") { message(m.message); status.textContent = "paused"; return; }
  if (m.type === "status") { status.textContent = m.message || m.state; return; }
  if (m.type === "configured") { S.points = m.points; status.textContent =
      `${m.train_rows} training rows, ${m.test_rows} test rows`; return; }
  if (m.type === "frame") {
    S.frames += 1; S.lastFrame = m; S.params = m.params;
    status.textContent = `${m.state}: epoch ${m.epoch}, train loss ${fmt(last(m.train_loss))}, ` +
      `test loss ${fmt(last(m.test_loss))}` +
      (m.test_accuracy !== undefined ? `, test accuracy ${(100 * m.test_accuracy).toFixed(1)} %` : "");
    status.setAttribute("data-epoch", m.epoch);
    drawBoundary(m); drawCurves(m);
  }
}

const last = (a) => a[a.length - 1];
const fmt = (v) => (v === null || v === undefined ? "–" : Number(v).toPrecision(4));

function colour(t) {          // 0 → orange, 1 → blue, as in the Playground
  t = Math.max(0, Math.min(1, t));
  const a = [245, 147, 34], b = [8, 119, 189];
  return a.map((c, i) => Math.round(c + (b[i] - c) * t));
}

function drawBoundary(m) {
  const cv = $("boundary"), ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  if (!m.boundary) { ctx.fillText("the boundary needs 2 inputs", 20, 20); return; }
  const { n, values, extent, lo, hi } = m.boundary, cell = cv.width / n;
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    const t = (values[r * n + c] - lo) / ((hi - lo) || 1);
    const [R, G, B] = colour(t).map((c) => Math.round(255 - 0.55 * (255 - c)));  // on white
    ctx.fillStyle = `rgb(${R},${G},${B})`;
    ctx.fillRect(c * cell, r * cell, cell + 1, cell + 1);
  }
  const [x0, x1, y0, y1] = extent;
  const labels = (S.points || []).map((p) => p[2]);
  const lmax = Math.max(1, ...labels), lmin = Math.min(0, ...labels);
  for (const [a, b, lab, test] of S.points || []) {
    const [R, G, B] = colour((lab - lmin) / ((lmax - lmin) || 1));
    ctx.fillStyle = `rgb(${R},${G},${B})`;
    ctx.strokeStyle = test ? "#000" : "#fff";
    ctx.beginPath();
    ctx.arc((a - x0) / (x1 - x0) * cv.width, (y1 - b) / (y1 - y0) * cv.height, 3, 0, 7);
    ctx.fill(); ctx.stroke();
  }
}

function drawCurves(m) {
  const cv = $("curves"), ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  const all = m.train_loss.concat(m.test_loss).filter((v) => v !== null);
  const hi = Math.max(...all, 1e-12), pad = 30;
  ctx.fillStyle = "#333";
  ctx.fillText(`loss (max ${fmt(hi)})   — train   - - test   epoch ${m.epoch}`, pad, 14);
  const plot = (ys, dash, style) => {
    ctx.setLineDash(dash); ctx.strokeStyle = style; ctx.beginPath();
    ys.forEach((v, i) => { if (v === null) return;
      const x = pad + i / Math.max(1, ys.length - 1) * (cv.width - 2 * pad);
      const y = cv.height - pad - v / hi * (cv.height - 2 * pad);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.stroke();
  };
  plot(m.train_loss, [], "#3559b7"); plot(m.test_loss, [5, 4], "#e07000"); ctx.setLineDash([]);
}

// -- exports -------------------------------------------------------------------------------------
async function exportFile(kind) {
  const body = { spec: S.spec, kind };
  if (S.params && kind !== "slides.tex" && kind !== "kernels.py") body.params = S.params;
  const r = await api("export", body);
  if (!r) return;
  const blob = await r.blob();
  const name = (r.headers.get("Content-Disposition") || "").split('"')[1] || kind;
  const a = node("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a); a.click(); a.remove();
}

// -- start -------------------------------------------------------------------------------------
function readFile(input, then) {
  const f = input.files[0];
  if (!f) return;
  if (f.size > 1100000) { message(`${f.name}: too large (at most 1 MB)`); return; }
  const reader = new FileReader();
  reader.onload = () => then(String(reader.result), f.name);
  reader.readAsText(f);
}

async function start() {
  S.meta = await api("meta", {});
  if (!S.meta) return;
  for (const l of S.meta.losses) $("loss").append(node("option", { value: l }, l));
  for (const [d, text] of Object.entries(S.meta.datasets)) $("dataset").append(node("option", { value: d, title: text }, d));
  $("dataset").append(node("option", { value: "csv" }, "CSV upload"));
  connect();
  for (const id of ["inputs", "loss", "seed"]) $(id).onchange = rebuild;
  for (const id of ["dataset", "noise", "lr", "batch"]) $(id).onchange = () => { S.query = readQuery();
    history.replaceState(null, "", "?" + new URLSearchParams(S.query).toString()); configureTraining(); };
  $("add-layer").onclick = () => { $("layers").append(layerRow(2, "sigmoid", true)); rebuild(); };
  $("spec-file").onchange = () => readFile($("spec-file"), openSpec);
  $("csv-file").onchange = () => readFile($("csv-file"), (text, name) => {
    S.csv = text; S.csvName = name; $("dataset").value = "csv"; S.query = readQuery(); configureTraining(); });
  $("step-next").onclick = () => { if (!S.math) return; S.shown = Math.min(S.shown + 1, S.math.steps.length); showSteps(); };
  $("step-back").onclick = () => { if (!S.math) return; S.shown = Math.max(S.shown - 1, 0); showSteps(); };
  $("step-all").onclick = () => { if (!S.math) return; S.shown = S.math.steps.length; showSteps(); };
  for (const cmd of ["play", "pause", "step", "reset"]) $(cmd).onclick = () => send({ cmd });
  for (const b of document.querySelectorAll("[data-export]")) b.onclick = () => exportFile(b.dataset.export);
  $("check-form").onsubmit = checkNumbers;
  const params = Object.fromEntries(new URLSearchParams(location.search));
  if (Object.keys(params).length) {
    const r = await api("build", { query: params });
    if (r) return setNetwork(r);
  }
  if (S.meta.initial) return openSpec(S.meta.initial, S.meta.initial_name || "spec", true);
  const r = await api("build", { query: {} });
  if (r) await setNetwork(r);
}

start();
