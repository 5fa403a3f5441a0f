// Conversations, kept in this browser's local storage only (the server
// stores nothing). One JSON array under one key.
const KEY = "pendra.conversations";

export function loadConversations() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list : [];
  } catch (e) {
    return [];
  }
}

export function saveConversations(list) {
  localStorage.setItem(KEY, JSON.stringify(list));
}

export function newConversation(settings) {
  return {
    id: "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6),
    title: "New chat",
    created: Date.now(),
    messages: [],
    ...settings,
  };
}

// The OpenAI messages for a conversation: the system prompt, then each
// turn (assistant tool calls sent back as tool_calls).
export function requestMessages(conv) {
  const out = [];
  if (conv.system && conv.system.trim()) out.push({ role: "system", content: conv.system });
  for (const m of conv.messages) {
    if (m.role === "assistant") {
      const msg = { role: "assistant", content: m.content || "" };
      if (m.toolCalls && m.toolCalls.length) {
        msg.tool_calls = m.toolCalls.map((t) => ({
          id: t.id, type: "function", function: { name: t.name, arguments: t.arguments },
        }));
      }
      if (!msg.content && !msg.tool_calls) continue;
      out.push(msg);
    } else {
      out.push({ role: m.role, content: m.content });
    }
  }
  return out;
}
