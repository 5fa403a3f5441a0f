import PendraEngine

/// An OpenAI chat completions body, translated to the internal ChatRequest.
struct OpenAIChatRequest {
    var chat: ChatRequest
    var stream: Bool
    var includeUsage: Bool

    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    static func parse(_ body: RequestBody, resolve: (String) -> String) throws(APIError) -> OpenAIChatRequest {
        let model = resolve(try body.string("model", required: true)!)
        guard let rawMessages = try body.array("messages", required: true), !rawMessages.isEmpty else {
            throw .badRequest("'messages' must contain at least one message", param: "messages")
        }
        var messages: [ChatMessage] = []
        for (i, raw) in rawMessages.enumerated() {
            guard let o = raw.object else { throw body.wrongType("messages[\(i)]", "an object", raw) }
            messages.append(try message(body.nested(o, at: "messages[\(i)]")))
        }

        if let n = try body.int("n"), n != 1 {
            throw .badRequest("Only n=1 is supported; send separate requests for more choices", param: "n")
        }
        let sampling = try Self.sampling(body)
        // max_completion_tokens is the newer name; either works.
        let newName = try body.int("max_completion_tokens", min: 0)
        let oldName = try body.int("max_tokens", min: 0)
        let maxTokens = newName ?? oldName
        let stream = try body.bool("stream") ?? false
        var includeUsage = false
        if let so = try body.object("stream_options") {
            includeUsage = try body.nested(so, at: "stream_options").bool("include_usage") ?? false
        }
        _ = try body.string("user")

        let tools = try OpenAITools.parseTools(body)
        let toolChoice = try OpenAITools.parseToolChoice(body, tools: tools)
        let format = try responseFormat(body)

        var chat = ChatRequest(model: model, messages: messages, tools: tools, toolChoice: toolChoice,
                               responseFormat: format, sampling: sampling, maxTokens: maxTokens,
                               stop: try body.stopStrings("stop"), ignoreEOS: try body.bool("ignore_eos") ?? false)
        try ReasoningFields.openAI(body, effort: try body.string("reasoning_effort"), into: &chat)
        try SpeculativeField.parse(body, into: &chat)
        return OpenAIChatRequest(chat: chat, stream: stream, includeUsage: includeUsage)
    }

    /// The sampling fields chat completions and responses share (the
    /// standard ones plus llama.cpp's top_k, min_p and repetition_penalty).
    static func sampling(_ body: RequestBody) throws(APIError) -> SamplingParameters {
        var sampling = SamplingParameters()
        if let t = try body.double("temperature", min: 0, max: 2) { sampling.temperature = Float(t) }
        if let p = try body.double("top_p", min: 0, max: 1) { sampling.topP = Float(p) }
        if let k = try body.int("top_k", min: 0) { sampling.topK = k }
        if let m = try body.double("min_p", min: 0, max: 1) { sampling.minP = Float(m) }
        if let f = try body.double("frequency_penalty", min: -2, max: 2) { sampling.frequencyPenalty = Float(f) }
        if let p = try body.double("presence_penalty", min: -2, max: 2) { sampling.presencePenalty = Float(p) }
        if let r = try body.double("repetition_penalty", min: 0) { sampling.repetitionPenalty = Float(r) }
        if let seed = try body.int("seed") { sampling.seed = UInt32(truncatingIfNeeded: seed) }
        sampling.logitBias = try logitBias(body)
        return sampling
    }

    /// `logit_bias` {token id: -100…100}; -100 bans the token. (Anthropic
    /// bodies may send it too, as a Pendra extension.)
    static func logitBias(_ body: RequestBody) throws(APIError) -> [Token: Float] {
        var out: [Token: Float] = [:]
        for (k, v) in try body.object("logit_bias") ?? JSONObject() {
            guard let token = Int32(k) else { throw body.invalid("logit_bias", "keys must be token ids, got '\(k)'") }
            guard let b = v.double, (-100...100).contains(b) else { throw body.invalid("logit_bias", "values must be numbers from -100 to 100") }
            out[token] = b <= -100 ? -Float.infinity : Float(b)
        }
        return out
    }

    static func message(_ m: RequestBody) throws(APIError) -> ChatMessage {
        let role = try m.string("role", required: true)!
        guard roles.contains(role) else {
            throw m.invalid("role", "'\(role)' is not one of system, developer, user, assistant, tool")
        }
        var msg = ChatMessage(role: role, content: try content(m))
        msg.name = try m.string("name")
        msg.toolCallID = try m.string("tool_call_id")
        // DeepSeek's field (llama-server's, vLLM's), and OpenRouter's name for it.
        if role == "assistant" {
            msg.reasoning = try m.string("reasoning_content")
            if msg.reasoning == nil { msg.reasoning = try m.string("reasoning") }
        }
        if role == "tool" && msg.toolCallID == nil { throw m.missing("tool_call_id") }
        msg.toolCalls = try OpenAITools.parseCalls(m)
        return msg
    }

    /// A string, null (assistant turns with tool calls), or content parts.
    static func content(_ m: RequestBody) throws(APIError) -> String {
        guard let v = m.raw("content") else { return "" }
        if let s = v.string { return s }
        guard let parts = v.array else { throw m.wrongType("content", "a string or an array of content parts", v) }
        var text = ""
        for (i, p) in parts.enumerated() {
            guard let po = p.object else { throw m.wrongType("content[\(i)]", "an object", p) }
            let part = m.nested(po, at: "content[\(i)]")
            let type = try part.string("type", required: true)!
            switch type {
            case "text", "input_text", "output_text": text += try part.string("text", required: true)!
            case "refusal": text += try part.string("refusal", required: true)!
            case "image_url", "input_image":
                throw .badRequest("This model cannot read images (\(m.path)content[\(i)] is an image)", param: "\(m.path)content")
            case "input_audio", "file", "input_file":
                throw .badRequest("This model cannot read \(type) content (\(m.path)content[\(i)])", param: "\(m.path)content")
            default:
                throw part.invalid("type", "unknown content part type '\(type)'")
            }
        }
        return text
    }

    static func responseFormat(_ body: RequestBody) throws(APIError) -> ResponseFormat {
        guard let o = try body.object("response_format") else { return .text }
        let f = body.nested(o, at: "response_format")
        switch try f.string("type", required: true)! {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            guard let js = try f.object("json_schema") else { throw f.missing("json_schema") }
            let schema = f.nested(js, at: "json_schema")
            guard let s = schema.raw("schema") else { throw schema.missing("schema") }
            return .jsonSchema(s)
        case let other: throw f.invalid("type", "'\(other)' is not text, json_object or json_schema")
        }
    }
}

/// OpenAI `tools` and `tool_choice`.
enum OpenAITools {
    /// A message's `tool_calls` (`{id, function: {name, arguments}}`), as
    /// OpenAI and Ollama clients both send them. Arguments are JSON text on
    /// OpenAI's wire and an object on Ollama's; the templates want text.
    static func parseCalls(_ m: RequestBody) throws(APIError) -> [ChatToolCall] {
        var calls: [ChatToolCall] = []
        for (i, c) in (try m.array("tool_calls") ?? []).enumerated() {
            guard let co = c.object else { throw m.wrongType("tool_calls[\(i)]", "an object", c) }
            let call = m.nested(co, at: "tool_calls[\(i)]")
            guard let fo = try call.object("function") else { throw call.missing("function") }
            let f = call.nested(fo, at: "function")
            let name = try f.string("name", required: true)!
            let args = f.raw("arguments").map { $0.string ?? $0.serialized } ?? "{}"
            calls.append(ChatToolCall(id: try call.string("id") ?? "call_\(i)", name: name, arguments: args))
        }
        return calls
    }

    static func parseTools(_ body: RequestBody) throws(APIError) -> [ChatTool] {
        guard let list = try body.array("tools") else { return [] }
        var tools: [ChatTool] = []
        for (i, t) in list.enumerated() {
            guard let to = t.object else { throw body.wrongType("tools[\(i)]", "an object", t) }
            let tool = body.nested(to, at: "tools[\(i)]")
            let type = try tool.string("type") ?? "function"
            guard type == "function" else { throw tool.invalid("type", "only function tools are supported") }
            guard let fo = try tool.object("function") else { throw tool.missing("function") }
            let f = tool.nested(fo, at: "function")
            tools.append(ChatTool(name: try f.string("name", required: true)!, description: try f.string("description"),
                                  parameters: f.raw("parameters") ?? ["type": "object", "properties": [:]]))
        }
        return tools
    }

    static func parseToolChoice(_ body: RequestBody, tools: [ChatTool]) throws(APIError) -> ToolChoice {
        guard let v = body.raw("tool_choice") else { return .auto }
        if let s = v.string {
            switch s {
            case "auto": return .auto
            case "none": return .none
            case "required":
                if tools.isEmpty { throw body.invalid("tool_choice", "'required' needs at least one tool in 'tools'") }
                return .required
            default: throw body.invalid("tool_choice", "'\(s)' is not auto, none or required")
            }
        }
        guard let o = v.object else { throw body.wrongType("tool_choice", "a string or an object", v) }
        let tc = body.nested(o, at: "tool_choice")
        guard let fo = try tc.object("function") else { throw tc.missing("function") }
        let name = try tc.nested(fo, at: "function").string("name", required: true)!
        guard tools.contains(where: { $0.name == name }) else {
            throw body.invalid("tool_choice", "function '\(name)' is not in 'tools'")
        }
        return .named(name)
    }
}
