import PendraEngine

/// Nanosecond durations of Ollama's final chunk.
struct OllamaDurations: Sendable, Equatable {
    var total: UInt64 = 0
    var load: UInt64 = 0
    var promptEval: UInt64 = 0
    var eval: UInt64 = 0

    /// From the engine's timings: prompt evaluation is admission to first
    /// token, evaluation the rest; `total` runs from the request's arrival.
    init(result: GenerationResult, load: UInt64, total: UInt64) {
        let t = result.timings
        self.total = total
        self.load = load
        promptEval = Self.ns(max(0, t.timeToFirstToken - t.queued))
        eval = Self.ns(max(0, t.total - t.timeToFirstToken))
    }

    init() {}

    static func ns(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }
}

/// Ollama's wire shapes for /api/chat and /api/generate, as a pure function
/// of what the engine produced: content pieces, tool calls and the finished
/// result become NDJSON lines (streaming) or one object (stream: false).
/// It holds no I/O, so the stream driver can be swapped under it.
struct OllamaStreamEncoder {
    let kind: OllamaRequest.Kind
    let model: String
    /// `created_at` of each chunk (injected in tests).
    var clock: @Sendable () -> String = OllamaModelFacts.now

    static let headers: HTTPHeaders = [
        "Content-Type": "application/x-ndjson",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    ]

    /// A chunk of generated text; nil for empty text (nothing to send).
    func content(_ text: String) -> [UInt8]? {
        guard !text.isEmpty else { return nil }
        return Self.line(chunk(text: text, calls: [], done: false))
    }

    /// A chunk of reasoning, in `message.thinking` (chat) or `thinking` (generate).
    func thinking(_ text: String) -> [UInt8]? {
        guard !text.isEmpty else { return nil }
        var o = head()
        body(&o, text: "", calls: [], thinking: text)
        o["done"] = false
        return Self.line(.object(o))
    }

    /// The calls the model made, as one chunk before the last (chat only).
    func toolCalls(_ calls: [ChatToolCall]) -> [UInt8]? {
        guard kind == .chat, !calls.isEmpty else { return nil }
        return Self.line(chunk(text: "", calls: calls, done: false))
    }

    /// The last chunk of a stream: empty content, the reason and the counts.
    func done(_ result: GenerationResult, _ durations: OllamaDurations) -> [UInt8] {
        Self.line(final(text: "", calls: [], result: result, durations))
    }

    /// A whole reply (stream: false): the text, calls, reason and counts.
    func reply(text: String, thinking: String = "", calls: [ChatToolCall], result: GenerationResult,
               _ durations: OllamaDurations) -> JSON {
        final(text: text, thinking: thinking, calls: calls, result: result, durations)
    }

    /// Loading (or unloading) without generating: `done_reason` load / unload.
    func loaded(reason: String) -> JSON {
        var o = head()
        body(&o, text: "", calls: [])
        o["done_reason"] = .string(reason)
        o["done"] = true
        return .object(o)
    }

    /// An error after the stream started (its status is already 200).
    func error(_ message: String) -> [UInt8] { Self.line(["error": .string(message)]) }

    static func doneReason(_ r: FinishReason) -> String {
        switch r {
        case .length: "length"
        case .endOfGeneration, .stopSequence, .cancelled, .error: "stop"
        }
    }

    static func line(_ json: JSON) -> [UInt8] { Array((json.serialized + "\n").utf8) }

    // MARK: shapes

    private func head() -> JSONObject {
        var o = JSONObject()
        o["model"] = .string(model)
        o["created_at"] = .string(clock())
        return o
    }

    private func body(_ o: inout JSONObject, text: String, calls: [ChatToolCall], thinking: String = "") {
        switch kind {
        case .generate:
            o["response"] = .string(text)
            if !thinking.isEmpty { o["thinking"] = .string(thinking) }
        case .chat:
            var m = JSONObject()
            m["role"] = "assistant"
            m["content"] = .string(text)
            if !thinking.isEmpty { m["thinking"] = .string(thinking) }
            if !calls.isEmpty { m["tool_calls"] = .array(calls.enumerated().map(Self.toolCall)) }
            o["message"] = .object(m)
        }
    }

    private func chunk(text: String, calls: [ChatToolCall], done: Bool) -> JSON {
        var o = head()
        body(&o, text: text, calls: calls)
        o["done"] = .bool(done)
        return .object(o)
    }

    private func final(text: String, thinking: String = "", calls: [ChatToolCall], result: GenerationResult,
                       _ d: OllamaDurations) -> JSON {
        var o = head()
        body(&o, text: text, calls: calls, thinking: thinking)
        o["done_reason"] = .string(Self.doneReason(result.reason))
        o["done"] = true
        o["total_duration"] = .int(Int(clamping: d.total))
        o["load_duration"] = .int(Int(clamping: d.load))
        o["prompt_eval_count"] = .int(result.usage.promptTokens)
        o["prompt_eval_duration"] = .int(Int(clamping: d.promptEval))
        o["eval_count"] = .int(result.usage.completionTokens)
        o["eval_duration"] = .int(Int(clamping: d.eval))
        return .object(o)
    }

    /// Ollama sends arguments as an object, not JSON text.
    static func toolCall(_ i: Int, _ c: ChatToolCall) -> JSON {
        let args = (try? JSON.parse(c.arguments)).flatMap { $0.object.map(JSON.object) } ?? .object([:])
        return ["id": .string(c.id), "function": ["index": .int(i), "name": .string(c.name), "arguments": args]]
    }
}
