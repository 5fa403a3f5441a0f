// Reads an OpenAI chat completions stream (server-sent events) and hands
// each decoded chunk to `onChunk`. Returns when the stream ends; throws
// the fetch's AbortError when the request is stopped.
export async function readChatStream(response, onChunk) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") return;
      onChunk(JSON.parse(data));
    }
  }
}

// Folds one chunk into the reply being built: content, reasoning, tool
// calls (by index, their arguments arriving in fragments), finish reason
// and usage.
export function applyChunk(reply, chunk) {
  if (chunk.error) throw new Error(chunk.error.message || "stream error");
  if (chunk.usage) reply.usage = chunk.usage;
  for (const choice of chunk.choices || []) {
    const d = choice.delta || {};
    if (d.content) reply.content += d.content;
    if (d.reasoning_content) reply.reasoning += d.reasoning_content;
    for (const t of d.tool_calls || []) {
      const i = t.index ?? reply.toolCalls.length;
      const call = reply.toolCalls[i] || (reply.toolCalls[i] = { id: "", name: "", arguments: "" });
      if (t.id) call.id = t.id;
      if (t.function && t.function.name) call.name += t.function.name;
      if (t.function && t.function.arguments) call.arguments += t.function.arguments;
    }
    if (choice.finish_reason) reply.finish = choice.finish_reason;
  }
}
