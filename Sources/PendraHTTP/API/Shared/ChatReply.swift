import PendraEngine

/// A whole reply gathered from the engine's events, for non-streamed
/// responses: content, reasoning, and tool calls rebuilt from their deltas.
struct ChatReply: Equatable {
    var text = ""
    var reasoning = ""
    var calls: [ChatToolCall] = []
    var result = GenerationResult(reason: .cancelled, usage: Usage(), timings: Timings())

    mutating func add(_ event: GenerationEvent) {
        switch event {
        case .text(let t): text += t
        case .reasoning(let r): reasoning += r
        case .toolCall(let d):
            if d.index < calls.count {
                calls[d.index].arguments += d.arguments
            } else {
                calls.append(ChatToolCall(id: d.id ?? ToolCallParser.randomID(), name: d.name ?? "", arguments: d.arguments))
            }
        case .finished(let r): result = r
        }
    }

    static func collect(_ events: [GenerationEvent]) -> ChatReply {
        var r = ChatReply()
        for e in events { r.add(e) }
        return r
    }
}
