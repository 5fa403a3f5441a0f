// The dashboard pane: polls /api/v1/dashboard (the numbers /metrics has)
// and draws the models, the token rate and the last requests.
import { getJSON } from "./api.js";

const $ = (id) => document.getElementById(id);
export const POLL_MS = 2000;

let lastRequests = [];

export function initDashboard() {
  $("show-probes").addEventListener("change", () => renderRequests(lastRequests));
}

export async function refreshDashboard() {
  const feed = await getJSON("/api/v1/dashboard");
  renderModels(feed.models);
  drawThroughput(feed.throughput);
  lastRequests = feed.requests;
  renderRequests(feed.requests);
  $("server-status").textContent = `up ${duration(feed.uptime_seconds)} · ${feed.models.filter((m) => m.loaded).length} of ${feed.models.length} models loaded`;
  return feed;
}

function cell(tr, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  tr.append(td);
  return td;
}

function mib(bytes) {
  return (bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0) + " MiB";
}

function duration(s) {
  if (s < 60) return Math.round(s) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}

function renderModels(models) {
  const rows = models.map((m) => {
    const tr = document.createElement("tr");
    tr.dataset.modelId = m.id;
    const name = cell(tr, m.id, "model");
    name.title = m.name + " (" + m.capability + ")";
    const state = m.loaded ? "loaded" : m.on_demand ? "on demand" : "not loaded";
    cell(tr, state, "state " + state.replace(" ", "-"));
    cell(tr, (m.memory_estimated ? "≈ " : "") + mib(m.memory_bytes), "memory");
    const kv = cell(tr, "", "kv");
    if (m.capability === "chat" && m.loaded) {
      const meter = document.createElement("meter");
      meter.min = 0;
      meter.max = Math.max(1, m.kv_cells_total);
      meter.value = m.kv_cells_used;
      const label = document.createElement("span");
      label.className = "kv-text";
      label.textContent = `${m.kv_cells_used} / ${m.kv_cells_total}`;
      kv.append(meter, label);
    } else {
      kv.textContent = "–";
    }
    cell(tr, m.capability === "chat" ? `${m.active_sequences} / ${m.queued_sequences}` : "–", "seqs");
    const reuse = m.prompt_tokens ? Math.round((100 * m.prompt_tokens_reused) / m.prompt_tokens) : 0;
    const prefix = cell(tr, m.capability === "chat" ? `${m.prompt_tokens_reused} / ${m.prompt_tokens} (${reuse}%)` : "–", "prefix");
    prefix.title = "prompt tokens served from the prefix cache, of all prompt tokens; " + m.completion_tokens + " generated";
    return tr;
  });
  $("models-table").tBodies[0].replaceChildren(...rows);
}

// Monitoring polls (a Prometheus scrape, a health check) are hidden unless asked for.
const PROBES = new Set(["/metrics", "/health"]);

function renderRequests(requests) {
  const showProbes = $("show-probes").checked;
  const rows = requests.filter((r) => showProbes || !PROBES.has(r.route)).slice(0, 20).map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.requestId = r.id;
    cell(tr, new Date(r.time * 1000).toLocaleTimeString(), "time");
    const id = cell(tr, r.id.length > 14 ? r.id.slice(0, 14) + "…" : r.id, "id");
    id.title = r.id;
    cell(tr, r.method + " " + r.route + (r.model ? " · " + r.model : ""), "route");
    const status = cell(tr, String(r.status) + (r.client_closed ? " cancelled" : ""), "status");
    if (r.status >= 400) status.classList.add("bad");
    if (r.client_closed) status.classList.add("cancelled");
    cell(tr, r.duration_ms.toFixed(0), "duration");
    const tokens = r.prompt_tokens == null ? "–" : `${r.prompt_tokens} → ${r.completion_tokens ?? 0}`;
    cell(tr, tokens, "tokens");
    return tr;
  });
  $("requests-table").tBodies[0].replaceChildren(...rows);
}

// Two lines on a canvas: tokens through llama_decode and tokens generated.
function drawThroughput(t) {
  const canvas = $("throughput");
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const pts = t.points;
  const span = 300, now = pts.length ? pts[pts.length - 1].time : Date.now() / 1000;
  const top = Math.max(10, ...pts.map((p) => Math.max(p.decoded_tokens_per_second, p.completion_tokens_per_second)));
  const left = 40, bottom = h - 16;
  g.strokeStyle = "#d0d4dc";
  g.fillStyle = "#667";
  g.font = "11px sans-serif";
  g.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const y = bottom - f * (bottom - 8);
    g.beginPath(); g.moveTo(left, y); g.lineTo(w, y); g.stroke();
    g.fillText(String(Math.round(top * f)), 2, y + 4);
  }
  g.fillText("-5 min", left, h - 2);
  g.fillText("now", w - 24, h - 2);
  const x = (time) => left + ((time - (now - span)) / span) * (w - left);
  const y = (v) => bottom - (v / top) * (bottom - 8);
  for (const [key, color] of [["decoded_tokens_per_second", "#2f6fdf"], ["completion_tokens_per_second", "#e07b20"]]) {
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    pts.forEach((p, i) => (i ? g.lineTo(x(p.time), y(p[key])) : g.moveTo(x(p.time), y(p[key]))));
    g.stroke();
  }
}
