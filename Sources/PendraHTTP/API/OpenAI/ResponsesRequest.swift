import PendraEngine

/// An OpenAI Responses body (`POST /v1/responses`, what Codex speaks),
/// translated to the internal ChatRequest: the same engine call as chat
/// completions and Anthropic messages.
///
/// Responses are not stored: `previous_response_id`, `conversation` and
/// `item_reference` are refused with a 400 that says to send the whole
/// conversation, which is what Codex does (`store: false`).
struct ResponsesRequest {
    var chat: ChatRequest
    var stream: Bool
    /// Tools declared `custom` (free-form text input). The model sees each
    /// as a function with one string argument, `input`; its calls come back
    /// as `custom_tool_call` items carrying that string.
    var customTools: Set<String>
    /// Request fields the response object echoes.
    var echo: JSONObject

    static func parse(_ body: RequestBody, resolve: (String) -> String) throws(APIError) -> ResponsesRequest {
        let model = resolve(try body.string("model", required: true)!)
        for key in ["previous_response_id", "conversation"] where body.has(key) {
            throw body.invalid(key, "this server does not store responses; send the whole conversation in 'input'")
        }
        if try body.bool("background") == true {
            throw body.invalid("background", "background responses are not supported; use stream: true for long generations")
        }

        var messages: [ChatMessage] = []
        let instructions = try body.string("instructions")
        if let instructions, !instructions.isEmpty { messages.append(ChatMessage(role: "system", content: instructions)) }
        guard let input = body.raw("input") else { throw body.missing("input") }
        if let text = input.string {
            messages.append(ChatMessage(role: "user", content: text))
        } else if let items = input.array {
            for (i, item) in items.enumerated() {
                guard let o = item.object else { throw body.wrongType("input[\(i)]", "an object", item) }
                try translate(body.nested(o, at: "input[\(i)]"), into: &messages)
            }
        } else {
            throw body.wrongType("input", "a string or an array of input items", input)
        }
        guard messages.contains(where: { $0.role != "system" }) else {
            throw .badRequest("'input' must contain at least one message", param: "input")
        }

        let sampling = try OpenAIChatRequest.sampling(body)
        let maxTokens = try body.int("max_output_tokens", min: 1)
        let stream = try body.bool("stream") ?? false
        let (tools, customTools, toolsEcho) = try parseTools(body)
        let (choice, offered) = try parseToolChoice(body, tools: tools)
        let format = try textFormat(body)
        let parallel = try body.bool("parallel_tool_calls") ?? true
        let effort = try body.object("reasoning").flatMap { $0["effort"]?.string }
        _ = try body.object("metadata")
        _ = try body.string("user")
        _ = try body.bool("store")

        var chat = ChatRequest(model: model, messages: mergeLeadingSystem(messages), tools: offered, toolChoice: choice,
                               responseFormat: format, sampling: sampling, maxTokens: maxTokens,
                               stop: try body.stopStrings("stop"), ignoreEOS: try body.bool("ignore_eos") ?? false)
        try ReasoningFields.openAI(body, effort: effort, into: &chat)
        try SpeculativeField.parse(body, into: &chat)
        var echo = JSONObject()
        echo["instructions"] = instructions.map { .string($0) } ?? .null
        echo["max_output_tokens"] = maxTokens.map { .int($0) } ?? .null
        echo["parallel_tool_calls"] = .bool(parallel)
        echo["reasoning"] = ["effort": effort.map { .string($0) } ?? .null, "summary": .null]
        echo["temperature"] = Self.decimal(sampling.temperature)
        echo["text"] = ["format": body.object["text"]?.object?["format"] ?? ["type": "text"]]
        echo["tool_choice"] = body.raw("tool_choice") ?? "auto"
        echo["tools"] = .array(toolsEcho)
        echo["top_p"] = Self.decimal(sampling.topP)
        echo["user"] = body.raw("user") ?? .null
        echo["metadata"] = body.raw("metadata") ?? .object(JSONObject())
        return ResponsesRequest(chat: chat, stream: stream, customTools: customTools, echo: echo)
    }

    /// 0.8 rather than 0.800000011920929: the Float's shortest decimal form.
    static func decimal(_ f: Float) -> JSON { .double(Double("\(f)") ?? Double(f)) }

    // MARK: input items

    /// One input item onto the message list. A function call joins the
    /// assistant message before it (chat templates expect one assistant turn
    /// carrying its text and its calls); an output becomes a `tool` message.
    static func translate(_ item: RequestBody, into out: inout [ChatMessage]) throws(APIError) {
        switch try item.string("type") ?? "message" {
        case "message":
            let role = try item.string("role", required: true)!
            guard ["user", "assistant", "system", "developer"].contains(role) else {
                throw item.invalid("role", "'\(role)' is not user, assistant, system or developer")
            }
            // Templates know `system`; OpenAI treats developer messages as such.
            let content = try OpenAIChatRequest.content(item)
            if role == "assistant", let last = out.indices.last, out[last].role == "assistant", out[last].reasoning != nil,
               out[last].content.isEmpty, out[last].toolCalls.isEmpty {
                out[last].content = content  // the answer after its reasoning item
            } else {
                out.append(ChatMessage(role: role == "developer" ? "system" : role, content: content))
            }
        case "function_call":
            let args = item.raw("arguments").map { $0.string ?? $0.serialized } ?? "{}"
            appendCall(ChatToolCall(id: try item.string("call_id", required: true)!,
                                    name: try item.string("name", required: true)!, arguments: args), to: &out)
        case "custom_tool_call":
            let input = try item.string("input") ?? ""
            appendCall(ChatToolCall(id: try item.string("call_id", required: true)!, name: try item.string("name", required: true)!,
                                    arguments: JSON(["input": .string(input)]).serialized), to: &out)
        case "function_call_output", "custom_tool_call_output":
            let id = try item.string("call_id", required: true)!
            let name = out.last(where: { !$0.toolCalls.isEmpty })?.toolCalls.first(where: { $0.id == id })?.name
            out.append(ChatMessage(role: "tool", content: try outputText(item), toolCallID: id, name: name))
        case "reasoning":
            // Earlier reasoning opens the assistant turn it belongs to; the
            // message or calls after it join that turn.
            var text = ""
            for part in item.raw("content")?.array ?? [] { text += part["text"]?.string ?? "" }
            if text.isEmpty { for part in item.raw("summary")?.array ?? [] { text += part["text"]?.string ?? "" } }
            out.append(ChatMessage(role: "assistant", content: "", reasoning: text))
        case "item_reference":
            throw item.invalid("type", "item references need stored responses, which this server does not keep; send the item itself")
        case let other:
            throw item.invalid("type", "input item type '\(other)' is not supported (messages, function and custom tool calls and their outputs are)")
        }
    }

    private static func appendCall(_ call: ChatToolCall, to out: inout [ChatMessage]) {
        if let last = out.indices.last, out[last].role == "assistant" {
            out[last].toolCalls.append(call)
        } else {
            out.append(ChatMessage(role: "assistant", content: "", toolCalls: [call]))
        }
    }

    /// A tool output: a string, or text parts.
    static func outputText(_ item: RequestBody) throws(APIError) -> String {
        guard let v = item.raw("output") else { throw item.missing("output") }
        if let s = v.string { return s }
        guard v.array != nil else { throw item.wrongType("output", "a string or an array of content parts", v) }
        return try OpenAIChatRequest.content(RequestBody(object: ["content": v], path: item.path + "output."))
    }

    /// `instructions` and the developer / system messages that open the input
    /// become one system message: most templates accept only one, first.
    static func mergeLeadingSystem(_ messages: [ChatMessage]) -> [ChatMessage] {
        let lead = messages.prefix { $0.role == "system" }
        guard lead.count > 1 else { return messages }
        let merged = ChatMessage(role: "system", content: lead.map(\.content).joined(separator: "\n\n"))
        return [merged] + messages.dropFirst(lead.count)
    }

    // MARK: tools

    /// Function tools run as they are; custom (free-form) tools as a function
    /// with one string argument. Hosted tools (web search, file search, code
    /// interpreter, ...) need OpenAI's servers: they are not offered to the
    /// model, and naming one in `tool_choice` is a 400.
    static func parseTools(_ body: RequestBody) throws(APIError) -> (tools: [ChatTool], custom: Set<String>, echo: [JSON]) {
        guard let list = try body.array("tools") else { return ([], [], []) }
        var tools: [ChatTool] = []
        var custom: Set<String> = []
        var echo: [JSON] = []
        for (i, t) in list.enumerated() {
            guard let o = t.object else { throw body.wrongType("tools[\(i)]", "an object", t) }
            let tool = body.nested(o, at: "tools[\(i)]")
            switch try tool.string("type", required: true)! {
            case "function":
                tools.append(ChatTool(name: try tool.string("name", required: true)!, description: try tool.string("description"),
                                      parameters: tool.raw("parameters") ?? ["type": "object", "properties": [:]]))
            case "custom":
                let name = try tool.string("name", required: true)!
                custom.insert(name)
                tools.append(ChatTool(name: name, description: try tool.string("description"), parameters: [
                    "type": "object",
                    "properties": ["input": ["type": "string", "description": "The tool's input, as free-form text"]],
                    "required": ["input"]]))
            default:
                continue
            }
            echo.append(t)
        }
        return (tools, custom, echo)
    }

    /// The choice, and the tools the model is offered (`allowed_tools` narrows them).
    static func parseToolChoice(_ body: RequestBody, tools: [ChatTool]) throws(APIError) -> (ToolChoice, [ChatTool]) {
        guard let v = body.raw("tool_choice") else { return (.auto, tools) }
        if let s = v.string {
            switch s {
            case "auto": return (.auto, tools)
            case "none": return (.none, tools)
            case "required":
                if tools.isEmpty { throw body.invalid("tool_choice", "'required' needs at least one function or custom tool in 'tools'") }
                return (.required, tools)
            default: throw body.invalid("tool_choice", "'\(s)' is not auto, none or required")
            }
        }
        guard let o = v.object else { throw body.wrongType("tool_choice", "a string or an object", v) }
        let tc = body.nested(o, at: "tool_choice")
        switch try tc.string("type", required: true)! {
        case "function", "custom":
            let name = try tc.string("name", required: true)!
            guard tools.contains(where: { $0.name == name }) else { throw tc.invalid("name", "tool '\(name)' is not in 'tools'") }
            return (.named(name), tools)
        case "allowed_tools":
            let mode = try tc.string("mode") ?? "auto"
            guard mode == "auto" || mode == "required" else { throw tc.invalid("mode", "'\(mode)' is not auto or required") }
            let names = Set(try tc.array("tools", required: true)!.compactMap { $0.object?["name"]?.string })
            let allowed = tools.filter { names.contains($0.name) }
            if mode == "required" && allowed.isEmpty { throw tc.invalid("tools", "no function or custom tool of 'tools' is allowed") }
            return (mode == "required" ? .required : .auto, allowed)
        case let other:
            throw tc.invalid("type", "'\(other)' tools run on OpenAI's servers and are not available on this worker")
        }
    }

    /// `text.format`: text, json_object, or json_schema (flat, unlike chat's).
    static func textFormat(_ body: RequestBody) throws(APIError) -> ResponseFormat {
        guard let t = try body.object("text") else { return .text }
        let text = body.nested(t, at: "text")
        guard let fo = try text.object("format") else { return .text }
        let f = text.nested(fo, at: "format")
        switch try f.string("type", required: true)! {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            guard let schema = f.raw("schema") else { throw f.missing("schema") }
            return .jsonSchema(schema)
        case let other: throw f.invalid("type", "'\(other)' is not text, json_object or json_schema")
        }
    }
}
