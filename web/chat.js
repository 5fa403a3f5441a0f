// The chat pane: model picker, settings, messages, streaming and stop.
import { fail, getJSON, headers } from "./api.js";
import { renderMarkdown } from "./markdown.js";
import { applyChunk, readChatStream } from "./sse.js";
import { loadConversations, newConversation, requestMessages, saveConversations } from "./store.js";

const $ = (id) => document.getElementById(id);
let conversations = loadConversations();
let current = null;
let controller = null;
let defaultModel = null;

export function initChat() {
  $("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
  $("prompt").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
  });
  $("stop").addEventListener("click", () => controller && controller.abort());
  $("new-chat").addEventListener("click", () => { select(null); $("prompt").focus(); });
  for (const id of ["model", "temperature", "max-tokens", "reasoning", "system", "tools", "tool-choice"]) {
    $(id).addEventListener("change", () => { if (current) { Object.assign(current, settings()); save(); } });
  }
  select(conversations[0] ? conversations[0].id : null);
}

// Fills the picker with the chat models; keeps the choice when it still exists.
export async function loadModels(serverDefault) {
  if (serverDefault) defaultModel = serverDefault;
  const list = await getJSON("/v1/models?type=chat");
  const picker = $("model");
  const want = (current && current.model) || picker.value || defaultModel;
  picker.replaceChildren(...list.data.map((m) => new Option(m.display_name ? `${m.id} (${m.display_name})` : m.id, m.id)));
  const ids = list.data.map((m) => m.id);
  picker.value = ids.includes(want) ? want : ids.includes(defaultModel) ? defaultModel : ids[0] || "";
}

function settings() {
  return {
    model: $("model").value,
    temperature: $("temperature").value,
    maxTokens: $("max-tokens").value,
    reasoning: $("reasoning").value,
    system: $("system").value,
    tools: $("tools").value,
    toolChoice: $("tool-choice").value,
  };
}

function select(id) {
  current = conversations.find((c) => c.id === id) || null;
  if (current) {
    if (current.model && [...$("model").options].some((o) => o.value === current.model)) $("model").value = current.model;
    $("temperature").value = current.temperature ?? "0.7";
    $("max-tokens").value = current.maxTokens ?? "512";
    $("reasoning").value = current.reasoning ?? "";
    $("system").value = current.system ?? "";
    $("tools").value = current.tools ?? "";
    $("tool-choice").value = current.toolChoice ?? "auto";
  }
  renderList();
  renderMessages();
}

function save() {
  saveConversations(conversations);
  renderList();
}

function renderList() {
  const ul = $("conversation-list");
  ul.replaceChildren(...conversations.map((c) => {
    const li = document.createElement("li");
    li.className = c === current ? "active" : "";
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    open.textContent = c.title;
    open.addEventListener("click", () => select(c.id));
    const del = document.createElement("button");
    del.type = "button";
    del.className = "quiet small";
    del.textContent = "×";
    del.title = "Delete";
    del.addEventListener("click", () => {
      conversations = conversations.filter((x) => x !== c);
      if (current === c) current = null;
      save();
      renderMessages();
    });
    li.append(open, del);
    return li;
  }));
}

function renderMessages() {
  const box = $("messages");
  box.replaceChildren(...(current ? current.messages.map(messageView) : []));
  box.scrollTop = box.scrollHeight;
}

// One message: role and facts, collapsed reasoning, tool calls, content.
function messageView(m) {
  const div = document.createElement("div");
  div.className = "message " + m.role;
  const head = document.createElement("div");
  head.className = "meta";
  const body = document.createElement("div");
  body.className = "content";
  div.append(head, body);
  div.update = () => {
    head.textContent = m.role + (m.meta ? " · " + m.meta : "");
    div.classList.toggle("stopped", m.stopped === true);
    div.querySelector(".reasoning")?.remove();
    div.querySelector(".tool-calls")?.remove();
    if (m.reasoning) {
      const details = document.createElement("details");
      details.className = "reasoning";
      if (m.reasoningOpen) details.open = true;
      details.addEventListener("toggle", () => { m.reasoningOpen = details.open; });
      const summary = document.createElement("summary");
      summary.textContent = "Reasoning";
      const text = document.createElement("div");
      text.className = "reasoning-text";
      text.textContent = m.reasoning;
      details.append(summary, text);
      head.after(details);
    }
    if (m.toolCalls && m.toolCalls.length) {
      const calls = document.createElement("div");
      calls.className = "tool-calls";
      for (const t of m.toolCalls) {
        const c = document.createElement("div");
        c.className = "tool-call";
        const name = document.createElement("div");
        name.className = "tool-name";
        name.textContent = "tool call: " + (t.name || "?") + (t.id ? " (" + t.id + ")" : "");
        const args = document.createElement("pre");
        args.textContent = t.arguments;
        c.append(name, args);
        calls.append(c);
      }
      body.before(calls);
    }
    if (m.role === "user") body.textContent = m.content;
    else renderMarkdown(body, m.content || "");
  };
  div.update();
  return div;
}

function showError(text) {
  const p = $("chat-error");
  p.textContent = text || "";
  p.hidden = !text;
}

async function send() {
  const text = $("prompt").value;
  if (!text.trim() || controller) return;
  if (!$("model").value) return showError("No chat model is served.");
  let tools = null;
  if ($("tools").value.trim()) {
    try { tools = JSON.parse($("tools").value); } catch (e) { return showError("Tools are not JSON: " + e.message); }
    if (!Array.isArray(tools)) return showError("Tools must be a JSON array.");
  }
  showError("");
  if (!current) {
    current = newConversation(settings());
    conversations.unshift(current);
  }
  Object.assign(current, settings());
  if (current.messages.length === 0) current.title = text.trim().slice(0, 40);
  current.messages.push({ role: "user", content: text });
  const reply = { role: "assistant", content: "", reasoning: "", toolCalls: [], meta: current.model };
  const body = {
    model: current.model,
    messages: requestMessages(current),
    stream: true,
    stream_options: { include_usage: true },
  };
  current.messages.push(reply);
  $("prompt").value = "";
  save();
  renderMessages();
  const view = $("messages").lastElementChild;
  const temperature = parseFloat(current.temperature);
  const maxTokens = parseInt(current.maxTokens, 10);
  if (!Number.isNaN(temperature)) body.temperature = temperature;
  if (maxTokens > 0) body.max_tokens = maxTokens;
  if (current.reasoning) body.reasoning_effort = current.reasoning;
  if (tools && tools.length) {
    body.tools = tools;
    body.tool_choice = current.toolChoice || "auto";
  }
  await stream(body, reply, view);
}

async function stream(body, reply, view) {
  controller = new AbortController();
  $("send").disabled = true;
  $("stop").disabled = false;
  view.classList.add("streaming");
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; view.update(); $("messages").scrollTop = $("messages").scrollHeight; });
  };
  try {
    const r = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    reply.requestId = r.headers.get("X-Request-Id") || "";
    view.dataset.requestId = reply.requestId;
    if (!r.ok) throw await fail(r);
    await readChatStream(r, (chunk) => { applyChunk(reply, chunk); redraw(); });
    reply.meta = describe(reply);
  } catch (e) {
    if (e.name === "AbortError") {
      reply.stopped = true;
      reply.meta = describe(reply) + " · stopped";
    } else {
      reply.meta = describe(reply) + " · failed";
      showError(e.message);
    }
  } finally {
    controller = null;
    $("send").disabled = false;
    $("stop").disabled = true;
    view.classList.remove("streaming");
    view.update();
    save();
  }
}

function describe(reply) {
  const parts = [reply.meta.split(" · ")[0]];
  if (reply.usage) parts.push(reply.usage.completion_tokens + " tokens");
  if (reply.finish) parts.push(reply.finish);
  if (reply.requestId) parts.push(reply.requestId);
  return parts.join(" · ");
}
