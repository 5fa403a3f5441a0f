import Foundation
import PendraEngine

/// An Anthropic Messages body (or a count_tokens body), translated to the
/// internal ChatRequest: the same engine call as OpenAI chat completions.
struct AnthropicRequest {
    var chat: ChatRequest
    var requestedModel: String
    var stream: Bool

    static func parse(_ body: RequestBody, resolve: (String) -> String, countOnly: Bool = false) throws(APIError) -> AnthropicRequest {
        let requested = try body.string("model", required: true)!
        // max_tokens is required on messages (0 is legal), absent on count_tokens.
        let maxTokens = try body.int("max_tokens", required: !countOnly, min: 0)

        var messages: [ChatMessage] = []
        if let system = try systemText(body) { messages.append(ChatMessage(role: "system", content: system)) }
        guard let raw = try body.array("messages", required: true) else { throw body.missing("messages") }
        for (i, m) in raw.enumerated() {
            guard let o = m.object else { throw body.wrongType("messages[\(i)]", "an object", m) }
            messages += try translate(body.nested(o, at: "messages[\(i)]"))
        }
        guard messages.contains(where: { $0.role != "system" }) else {
            throw .badRequest("messages: at least one message is required", param: "messages")
        }

        var sampling = SamplingParameters()
        if let t = try body.double("temperature", min: 0, max: 1) { sampling.temperature = Float(t) }
        if let p = try body.double("top_p", min: 0, max: 1) { sampling.topP = Float(p) }
        if let k = try body.int("top_k", min: 0) { sampling.topK = k }
        sampling.logitBias = try OpenAIChatRequest.logitBias(body)
        _ = try body.object("metadata")
        let stream = try body.bool("stream") ?? false

        let tools = try parseTools(body)
        let choice = try parseToolChoice(body, tools: tools)
        var chat = ChatRequest(model: resolve(requested), messages: messages, tools: tools, toolChoice: choice,
                               sampling: sampling, maxTokens: maxTokens, stop: try body.stopStrings("stop_sequences"),
                               ignoreEOS: false)
        chat.reasoning = try ReasoningFields.anthropicThinking(body)
        try SpeculativeField.parse(body, into: &chat)
        return AnthropicRequest(chat: chat, requestedModel: requested, stream: stream)
    }

    /// `system` as a string or text blocks (cache_control accepted, ignored:
    /// Pendra's prefix cache is automatic).
    static func systemText(_ body: RequestBody) throws(APIError) -> String? {
        guard let v = body.raw("system") else { return nil }
        let text: String
        if let s = v.string { text = s } else if let blocks = v.array {
            var parts: [String] = []
            for (i, b) in blocks.enumerated() {
                guard let o = b.object else { throw body.wrongType("system[\(i)]", "an object", b) }
                let blk = body.nested(o, at: "system[\(i)]")
                guard try blk.string("type", required: true) == "text" else { throw blk.invalid("type", "system blocks must be text") }
                parts.append(try blk.string("text", required: true)!)
            }
            text = parts.joined(separator: "\n\n")
        } else {
            throw body.wrongType("system", "a string or an array of text blocks", v)
        }
        return normalizeBillingHeader(text)
    }

    /// Claude Code starts its system prompt with a billing line whose `cch=`
    /// nonce changes every request; left in, no two turns share a prefix.
    static func normalizeBillingHeader(_ text: String) -> String {
        guard text.hasPrefix("x-anthropic-billing-header:"), let r = text.range(of: "cch=") else { return text }
        guard let end = text[r.upperBound...].firstIndex(where: { $0 == ";" || $0 == "\n" }) else { return text }
        return text.replacingCharacters(in: r.upperBound..<end, with: "")
    }

    /// One Anthropic message becomes one or more internal messages:
    /// tool_result blocks turn into `tool` messages (what chat templates
    /// expect), tool_use blocks into the assistant's tool calls.
    static func translate(_ m: RequestBody) throws(APIError) -> [ChatMessage] {
        let role = try m.string("role", required: true)!
        guard ["user", "assistant", "system"].contains(role) else {
            throw m.invalid("role", "'\(role)' is not user, assistant or system")
        }
        guard let v = m.raw("content") else { throw m.missing("content") }
        if let s = v.string { return [ChatMessage(role: role, content: s)] }
        guard let blocks = v.array else { throw m.wrongType("content", "a string or an array of content blocks", v) }

        var out: [ChatMessage] = []
        var text = ""
        var calls: [ChatToolCall] = []
        var reasoning: String?
        for (i, b) in blocks.enumerated() {
            guard let o = b.object else { throw m.wrongType("content[\(i)]", "an object", b) }
            let blk = m.nested(o, at: "content[\(i)]")
            switch try blk.string("type", required: true)! {
            case "text":
                text += try blk.string("text", required: true)!
            case "image":
                throw .badRequest("This model cannot read images (\(m.path)content[\(i)] is an image block)", param: "\(m.path)content")
            case "document":
                guard let src = try blk.object("source"), src["type"]?.string == "text", let data = src["data"]?.string else {
                    throw .badRequest("Only plain-text document blocks are supported (\(m.path)content[\(i)])", param: "\(m.path)content")
                }
                text += data
            case "tool_use":
                let input = blk.raw("input") ?? .object(JSONObject())
                calls.append(ChatToolCall(id: try blk.string("id", required: true)!, name: try blk.string("name", required: true)!,
                                          arguments: input.serialized))
            case "tool_result":
                let id = try blk.string("tool_use_id", required: true)!
                var result = try resultText(blk)
                if try blk.bool("is_error") == true { result = "Error: " + result }
                if !text.isEmpty { out.append(ChatMessage(role: role, content: text)); text = "" }
                out.append(ChatMessage(role: "tool", content: result, toolCallID: id))
            case "thinking":
                // Claude Code resends earlier thinking; templates that take
                // reasoning_content render it where it was generated.
                reasoning = (reasoning ?? "") + (try blk.string("thinking") ?? "")
            case "redacted_thinking":
                continue
            case let other:
                throw blk.invalid("type", "unknown content block type '\(other)'")
            }
        }
        if !text.isEmpty || !calls.isEmpty || out.isEmpty {
            out.append(ChatMessage(role: role, content: text, toolCalls: calls, reasoning: role == "assistant" ? reasoning : nil))
        }
        return out
    }

    static func resultText(_ blk: RequestBody) throws(APIError) -> String {
        guard let c = blk.raw("content") else { return "" }
        if let s = c.string { return s }
        guard let parts = c.array else { throw blk.wrongType("content", "a string or an array of blocks", c) }
        var text = ""
        for (i, p) in parts.enumerated() {
            guard let o = p.object else { throw blk.wrongType("content[\(i)]", "an object", p) }
            switch o["type"]?.string {
            case "text": text += o["text"]?.string ?? ""
            case "image": throw .badRequest("This model cannot read images (\(blk.path)content[\(i)])", param: "\(blk.path)content")
            default: throw blk.invalid("content[\(i)].type", "tool results hold text or image blocks")
            }
        }
        return text
    }

    static func parseTools(_ body: RequestBody) throws(APIError) -> [ChatTool] {
        guard let list = try body.array("tools") else { return [] }
        var tools: [ChatTool] = []
        for (i, t) in list.enumerated() {
            guard let o = t.object else { throw body.wrongType("tools[\(i)]", "an object", t) }
            let tool = body.nested(o, at: "tools[\(i)]")
            // Server tools (web_search_..., bash_...) have a type and no schema: not runnable here.
            if let type = try tool.string("type"), type != "custom" {
                throw tool.invalid("type", "server tool '\(type)' is not available on this worker")
            }
            tools.append(ChatTool(name: try tool.string("name", required: true)!, description: try tool.string("description"),
                                  parameters: tool.raw("input_schema") ?? ["type": "object", "properties": [:]]))
        }
        return tools
    }

    static func parseToolChoice(_ body: RequestBody, tools: [ChatTool]) throws(APIError) -> ToolChoice {
        guard let o = try body.object("tool_choice") else { return .auto }
        let tc = body.nested(o, at: "tool_choice")
        switch try tc.string("type", required: true)! {
        case "auto": return .auto
        case "none": return .none
        case "any":
            if tools.isEmpty { throw tc.invalid("type", "'any' needs at least one tool") }
            return .required
        case "tool":
            let name = try tc.string("name", required: true)!
            guard tools.contains(where: { $0.name == name }) else { throw tc.invalid("name", "tool '\(name)' is not in 'tools'") }
            return .named(name)
        case let other: throw tc.invalid("type", "'\(other)' is not auto, any, tool or none")
        }
    }
}
