import PendraEngine

/// The JSON shapes of the Responses API: the response object, its output
/// items, and its usage. One item id is used from `output_item.added` to the
/// final response (the SDK's stream helper checks that they match).
struct ResponsesFormat {
    let id: String
    let createdAt: Int
    let model: String
    let request: ResponsesRequest
    let messageID: String
    let reasoningID: String

    init(request: ResponsesRequest, createdAt: Int) {
        id = "resp_" + ChatCompletionsRoute.randomID()
        messageID = "msg_" + ChatCompletionsRoute.randomID()
        reasoningID = "rs_" + ChatCompletionsRoute.randomID()
        model = request.chat.model
        self.request = request
        self.createdAt = createdAt
    }

    /// completed, incomplete (max_output_tokens), or failed.
    static func status(_ r: FinishReason) -> String {
        switch r {
        case .length: "incomplete"
        case .error: "failed"
        case .endOfGeneration, .stopSequence, .cancelled: "completed"
        }
    }

    /// OpenAI's accounting: input_tokens includes the cached ones.
    static func usage(_ u: Usage) -> JSON {
        ["input_tokens": .int(u.promptTokens), "input_tokens_details": ["cached_tokens": .int(u.reusedPromptTokens)],
         "output_tokens": .int(u.completionTokens), "output_tokens_details": ["reasoning_tokens": .int(u.reasoningTokens)],
         "total_tokens": .int(u.promptTokens + u.completionTokens)]
    }

    func messageItem(text: String, status: String, id: String? = nil) -> JSON {
        var content: [JSON] = []
        if status != "in_progress" { content = [textPart(text)] }
        return ["type": "message", "id": .string(id ?? messageID), "status": .string(status), "role": "assistant",
                "content": .array(content)]
    }

    /// The model's reasoning as a `reasoning` item with `reasoning_text`
    /// content (the shape gpt-oss models get from OpenAI-compatible servers).
    func reasoningItem(text: String, status: String, id: String) -> JSON {
        let content: [JSON] = status == "in_progress" ? [] : [["type": "reasoning_text", "text": .string(text)]]
        return ["type": "reasoning", "id": .string(id), "status": .string(status), "summary": [], "content": .array(content)]
    }

    func textPart(_ text: String) -> JSON {
        ["type": "output_text", "text": .string(text), "annotations": [], "logprobs": []]
    }

    /// A function call, or a custom tool call when the tool was declared custom.
    /// A call's output item id: `fc_` and the call id's random part.
    static func itemID(_ call: ChatToolCall) -> String {
        "fc_" + call.id.replacingOccurrences(of: "call_", with: "")
    }

    func callItem(_ call: ChatToolCall, status: String, arguments: String? = nil) -> JSON {
        let itemID = JSON.string(Self.itemID(call))
        if request.customTools.contains(call.name) {
            let input = arguments ?? Self.customInput(call.arguments)
            return ["type": "custom_tool_call", "id": itemID, "status": .string(status), "call_id": .string(call.id),
                    "name": .string(call.name), "input": .string(input)]
        }
        return ["type": "function_call", "id": itemID, "status": .string(status), "call_id": .string(call.id),
                "name": .string(call.name), "arguments": .string(arguments ?? call.arguments)]
    }

    /// The free-form text of a custom tool call: the model was offered
    /// `{"input": string}`; anything else is passed on as it came.
    static func customInput(_ arguments: String) -> String {
        if case .object(let o)? = try? JSON.parse(arguments), let s = o["input"]?.string { return s }
        return arguments
    }

    /// The output items of a finished generation: the reasoning, the message
    /// (when there is text, or nothing else), then the calls.
    func outputItems(_ reply: ChatReply, status: String) -> [JSON] {
        let (text, calls) = (reply.text, reply.calls)
        var items: [JSON] = []
        if !reply.reasoning.isEmpty { items.append(reasoningItem(text: reply.reasoning, status: "completed", id: reasoningID)) }
        if !text.isEmpty || calls.isEmpty { items.append(messageItem(text: text, status: status)) }
        items += calls.map { callItem($0, status: "completed") }
        return items
    }

    /// The response object, at any stage.
    func response(status: String, output: [JSON], usage: Usage?, error: JSON = .null) -> JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["object"] = "response"
        o["created_at"] = .int(createdAt)
        o["status"] = .string(status)
        o["error"] = error
        o["incomplete_details"] = status == "incomplete" ? ["reason": "max_output_tokens"] : .null
        o["model"] = .string(model)
        o["output"] = .array(output)
        o["previous_response_id"] = .null
        o["store"] = false
        o["truncation"] = "disabled"
        for (k, v) in request.echo { o[k] = v }
        o["usage"] = usage.map(Self.usage) ?? .null
        return .object(o)
    }
}
