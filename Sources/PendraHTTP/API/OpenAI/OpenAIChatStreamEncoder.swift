import PendraEngine

/// OpenAI chat-completion chunks from engine events. The first chunk says
/// `role: assistant`; reasoning streams as `delta.reasoning_content`; each
/// tool call starts with `{index, id, type, function: {name, arguments: ""}}`
/// and continues with `{index, function: {arguments}}` fragments; the last
/// choice chunk has `finish_reason` ("tool_calls" when calls were made),
/// then the usage chunk when asked for, then `[DONE]`.
struct OpenAIChatStreamEncoder: StreamEncoder {
    let format: OpenAIChatFormat
    let includeUsage: Bool
    private var sawCalls = false

    init(format: OpenAIChatFormat, includeUsage: Bool) {
        self.format = format
        self.includeUsage = includeUsage
    }

    private func chunk(_ delta: JSONObject, finish: String? = nil) -> SSEFrame {
        SSEFrame(event: nil, data: format.chunk(delta: delta, finish: finish, usageNull: includeUsage))
    }

    mutating func open() -> [SSEFrame] {
        [chunk(["role": "assistant", "content": ""])]
    }

    mutating func encode(_ event: GenerationEvent) -> [SSEFrame] {
        switch event {
        case .text(let t):
            return t.isEmpty ? [] : [chunk(["content": .string(t)])]
        case .reasoning(let r):
            return r.isEmpty ? [] : [chunk(["reasoning_content": .string(r)])]
        case .toolCall(let d):
            sawCalls = true
            var frames: [SSEFrame] = []
            if let id = d.id {
                let head: JSON = ["index": .int(d.index), "id": .string(id), "type": "function",
                                  "function": ["name": .string(d.name ?? ""), "arguments": ""]]
                frames.append(chunk(["tool_calls": [head]]))
            }
            if !d.arguments.isEmpty {
                let args: JSON = ["index": .int(d.index), "function": ["arguments": .string(d.arguments)]]
                frames.append(chunk(["tool_calls": [args]]))
            }
            return frames
        case .finished:
            return []
        }
    }

    mutating func close(_ result: GenerationResult) -> [SSEFrame] {
        let finish = sawCalls && result.reason != .length ? "tool_calls" : OpenAIChatFormat.finishReason(result.reason)
        var frames = [chunk([:], finish: finish)]
        if includeUsage { frames.append(SSEFrame(event: nil, data: format.usageChunk(result.usage))) }
        frames.append(.done)
        return frames
    }

    /// A data line with a top-level "error" makes the SDK raise.
    mutating func fail(_ failure: GenerationFailure) -> [SSEFrame] {
        [SSEFrame(event: nil, data: failure.apiError.body(family: .openai, requestId: failure.requestId)), .done]
    }
}
