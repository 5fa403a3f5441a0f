/// The rules, one function each, in the order the levels add them. Each one
/// mutates copies of the messages rather than building new ones, so fields
/// a rule does not know about travel through unchanged.
extension ConversationReshaper {
    /// OpenAI's `developer` role is its `system` role under a new name;
    /// templates older than it raise on an unknown role.
    static func developerAsSystem(_ messages: [ChatMessage]) -> [ChatMessage] {
        messages.map { m in
            var m = m
            if m.role == "developer" { m.role = "system" }
            return m
        }
    }

    /// A system message once the conversation has begun speaks as the user,
    /// where it stands: moving it to the front would change the tokens of
    /// every turn before it, and every turn would miss the prefix cache.
    static func lateSystemAsUser(_ messages: [ChatMessage]) -> [ChatMessage] {
        var begun = false
        return messages.map { m in
            var m = m
            if m.role != "system" { begun = true } else if begun { m.role = "user" }
            return m
        }
    }

    /// Consecutive messages of one role become one turn, texts a blank line
    /// apart, tool calls kept in order. Tool results stay apart: each answers
    /// its own call.
    static func mergeTurns(_ messages: [ChatMessage]) -> [ChatMessage] {
        var out: [ChatMessage] = []
        for m in messages {
            if let last = out.indices.last, out[last].role == m.role, m.role != "tool" {
                out[last].content = join(out[last].content, m.content)
                out[last].toolCalls += m.toolCalls
            } else {
                out.append(m)
            }
        }
        return out
    }

    /// An assistant turn with several calls becomes one turn per call, each
    /// followed by its result (Llama 3.x: "only supports single tool-calls
    /// at once"). The turn's text stays with its first call; results that
    /// answer none of its calls follow in their order.
    static func splitParallelCalls(_ messages: [ChatMessage]) -> [ChatMessage] {
        var out: [ChatMessage] = []
        var i = 0
        while i < messages.count {
            let m = messages[i]
            i += 1
            guard m.role == "assistant", m.toolCalls.count > 1 else { out.append(m); continue }
            var results: [ChatMessage] = []
            while i < messages.count, messages[i].role == "tool" { results.append(messages[i]); i += 1 }
            for (k, call) in m.toolCalls.enumerated() {
                var turn = m
                if k > 0 { turn.content = "" }
                turn.toolCalls = [call]
                out.append(turn)
                if let r = results.firstIndex(where: { $0.toolCallID == call.id }) { out.append(results.remove(at: r)) }
            }
            out += results
        }
        return out
    }

    /// User text right after tool results (Claude Code puts its reminders in
    /// the message that carries the results) joins the last result, for
    /// templates where only the assistant may speak after a tool.
    static func foldTextIntoToolResults(_ messages: [ChatMessage]) -> [ChatMessage] {
        var out: [ChatMessage] = []
        for m in messages {
            if m.role == "user", let last = out.indices.last, out[last].role == "tool" {
                out[last].content = join(out[last].content, m.content)
            } else {
                out.append(m)
            }
        }
        return out
    }

    /// Call ids as `call00001`, `call00002`, ... in order of appearance: nine
    /// letters and digits, as Mistral's templates demand. Numbering by
    /// appearance keeps earlier ids fixed as the conversation grows.
    static func shortToolCallIDs(_ messages: [ChatMessage]) -> [ChatMessage] {
        var ids: [String: String] = [:]
        func short(_ id: String) -> String {
            if let s = ids[id] { return s }
            let digits = String(ids.count + 1)
            let s = "call" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
            ids[id] = s
            return s
        }
        return messages.map { m in
            var m = m
            for k in m.toolCalls.indices { m.toolCalls[k].id = short(m.toolCalls[k].id) }
            if let id = m.toolCallID { m.toolCallID = short(id) }
            return m
        }
    }

    /// For templates without a tool role: a result becomes a user turn in
    /// `<tool_response>` tags and a call assistant text in `<tool_call>`
    /// tags, the Hermes syntax Pendra parses from such a model's output.
    static func toolsAsText(_ messages: [ChatMessage]) -> [ChatMessage] {
        messages.map { m in
            var m = m
            if m.role == "tool" {
                m.role = "user"
                m.content = "<tool_response>\n" + m.content + "\n</tool_response>"
                m.toolCallID = nil
                m.name = nil
            } else if m.role == "assistant", !m.toolCalls.isEmpty {
                let calls = m.toolCalls.map { c in
                    let args = (try? JSON.parse(c.arguments)) ?? .string(c.arguments)
                    let call: JSON = ["name": .string(c.name), "arguments": args]
                    return "<tool_call>\n" + call.serialized + "\n</tool_call>"
                }
                m.content = join(m.content, calls.joined(separator: "\n"))
                m.toolCalls = []
            }
            return m
        }
    }

    /// For templates that refuse a system role (Gemma 2): the system texts
    /// open the first user turn, or become one when there is none.
    static func systemInFirstUser(_ messages: [ChatMessage]) -> [ChatMessage] {
        let system = messages.filter { $0.role == "system" }
        guard !system.isEmpty else { return messages }
        let text = system.map(\.content).filter { !$0.isEmpty }.joined(separator: "\n\n")
        var rest = messages.filter { $0.role != "system" }
        if let first = rest.firstIndex(where: { $0.role == "user" }) {
            rest[first].content = join(text, rest[first].content)
        } else {
            var user = system[0]
            user.role = "user"
            user.content = text
            rest.insert(user, at: 0)
        }
        return rest
    }
}
