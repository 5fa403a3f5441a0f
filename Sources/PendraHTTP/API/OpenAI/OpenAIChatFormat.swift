import PendraEngine

/// The JSON shapes the OpenAI SDK parses for chat completions.
struct OpenAIChatFormat {
    let id: String
    let created: Int
    let model: String

    static func finishReason(_ r: FinishReason) -> String {
        switch r {
        case .endOfGeneration, .stopSequence, .cancelled, .error: "stop"
        case .length: "length"
        }
    }

    static func usage(_ u: Usage) -> JSON {
        ["prompt_tokens": .int(u.promptTokens), "completion_tokens": .int(u.completionTokens),
         "total_tokens": .int(u.promptTokens + u.completionTokens),
         "prompt_tokens_details": ["cached_tokens": .int(u.reusedPromptTokens)],
         "completion_tokens_details": ["reasoning_tokens": .int(u.reasoningTokens)]]
    }

    func completion(_ reply: ChatReply) -> JSON {
        let (text, calls, result) = (reply.text, reply.calls, reply.result)
        var message: JSONObject = ["role": "assistant", "content": calls.isEmpty || !text.isEmpty ? .string(text) : .null,
                                   "refusal": .null]
        // DeepSeek's field, which llama-server, vLLM and the OpenAI SDK's
        // users read for a reasoning model's thinking.
        if !reply.reasoning.isEmpty { message["reasoning_content"] = .string(reply.reasoning) }
        if !calls.isEmpty {
            message["tool_calls"] = .array(calls.map {
                ["id": .string($0.id), "type": "function", "function": ["name": .string($0.name), "arguments": .string($0.arguments)]]
            })
        }
        // A reply cut by max_tokens says so even inside a call (its arguments are cut too), as OpenAI's does.
        let finish = calls.isEmpty || result.reason == .length ? Self.finishReason(result.reason) : "tool_calls"
        let choice: JSON = ["index": 0, "message": .object(message), "logprobs": nil, "finish_reason": .string(finish)]
        return ["id": .string(id), "object": "chat.completion", "created": .int(created), "model": .string(model),
                "system_fingerprint": nil, "choices": [choice], "usage": Self.usage(result.usage)]
    }

    /// One `chat.completion.chunk`; serialized directly (one per token).
    func chunk(delta: JSONObject, finish: String?, usageNull: Bool) -> String {
        var c = JSONObject()
        c["index"] = 0
        c["delta"] = .object(delta)
        c["logprobs"] = .null
        c["finish_reason"] = finish.map { .string($0) } ?? .null
        var o = JSONObject()
        o["id"] = .string(id)
        o["object"] = "chat.completion.chunk"
        o["created"] = .int(created)
        o["model"] = .string(model)
        o["system_fingerprint"] = .null
        o["choices"] = [.object(c)]
        if usageNull { o["usage"] = .null }
        return JSON.object(o).serialized
    }

    /// The final chunk with empty choices and the usage (stream_options.include_usage).
    func usageChunk(_ u: Usage) -> String {
        JSON(["id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
              "system_fingerprint": nil, "choices": [], "usage": Self.usage(u)]).serialized
    }
}

