import PendraEngine

/// The JSON shapes the Anthropic SDK parses.
struct AnthropicFormat {
    let id: String
    let model: String

    static func stopReason(_ r: FinishReason) -> (String, String?) {
        switch r {
        case .endOfGeneration, .cancelled, .error: ("end_turn", nil)
        case .length: ("max_tokens", nil)
        case .stopSequence(let s): ("stop_sequence", s)
        }
    }

    /// Anthropic's accounting: input_tokens excludes what was read from cache.
    static func usage(_ u: Usage, includeOutputOnly: Bool = false) -> JSON {
        ["input_tokens": .int(u.promptTokens - u.reusedPromptTokens), "output_tokens": .int(u.completionTokens),
         "cache_read_input_tokens": .int(u.reusedPromptTokens), "cache_creation_input_tokens": 0]
    }

    /// Anthropic tool-use ids read `toolu_...`.
    static func toolID(_ id: String) -> String {
        id.hasPrefix("call_") ? "toolu_" + id.dropFirst(5) : id
    }

    /// Pendra's reasoning is not signed; Claude Code sends the blocks back
    /// with this value and it is ignored there.
    static let signature = "pendra-unsigned"

    func message(_ reply: ChatReply) -> JSON {
        let (text, calls, result) = (reply.text, reply.calls, reply.result)
        var (reason, sequence) = Self.stopReason(result.reason)
        // Cut by max_tokens: "max_tokens", even inside a tool_use block.
        if !calls.isEmpty && result.reason != .length { (reason, sequence) = ("tool_use", nil) }
        var content: [JSON] = []
        if !reply.reasoning.isEmpty {
            content.append(["type": "thinking", "thinking": .string(reply.reasoning), "signature": .string(Self.signature)])
        }
        if !text.isEmpty { content.append(["type": "text", "text": .string(text)]) }
        for c in calls {
            let input = (try? JSON.parse(c.arguments)) ?? .object(JSONObject())
            content.append(["type": "tool_use", "id": .string(Self.toolID(c.id)), "name": .string(c.name), "input": input])
        }
        return ["id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
                "content": .array(content), "stop_reason": .string(reason),
                "stop_sequence": sequence.map { .string($0) } ?? .null, "usage": Self.usage(result.usage)]
    }

    /// message_start: reused tokens are not known until admission, so the
    /// start event counts the whole prompt as input; message_delta corrects it.
    func start(promptTokens: Int) -> JSON {
        ["type": "message_start",
         "message": ["id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
                     "content": [], "stop_reason": .null, "stop_sequence": .null,
                     "usage": ["input_tokens": .int(promptTokens), "output_tokens": 0,
                               "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0]]]
    }
}

extension FinishReason {
    var isError: Bool { if case .error = self { return true }; return false }
    var errorMessage: String? { if case .error(let m) = self { return m }; return nil }
}
