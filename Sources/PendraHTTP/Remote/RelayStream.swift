import PendraEngine

/// How a relayed stream is cut into whole events, and how it ends when the
/// child process dies in the middle of it. The child writes one event per
/// chunk, but TCP may split or join them: the relay only forwards whole
/// events, so a death never leaves a client with half an event, and the
/// dialect's own error event follows the last whole one.
struct RelayStream {
    enum Framing: Equatable {
        /// Server-sent events: each ends with a blank line.
        case sse
        /// Ollama's NDJSON: each line is an object.
        case ndjson
        /// Anything else: forwarded as it comes.
        case raw
    }

    let framing: Framing
    private var pending: [UInt8] = []

    init(contentType: String?) {
        let t = contentType?.lowercased() ?? ""
        framing = t.hasPrefix("text/event-stream") ? .sse : t.contains("ndjson") ? .ndjson : .raw
    }

    /// Takes body bytes; returns the whole events they completed.
    mutating func take(_ bytes: [UInt8]) -> [UInt8] {
        if framing == .raw { return bytes }
        // Only the new bytes can complete a delimiter (with the last byte
        // before them, for SSE's two newlines): earlier ones were scanned.
        let width = framing == .sse ? 2 : 1
        var i = max(0, pending.count - (width - 1))
        pending += bytes
        var cut = 0
        while i + width <= pending.count {
            if pending[i] == 10, width == 1 || pending[i + 1] == 10 { cut = i + width }
            i += 1
        }
        guard cut > 0 else { return [] }
        let whole = Array(pending[..<cut])
        pending.removeFirst(cut)
        return whole
    }

    /// What is left at a clean end (a last event without its delimiter).
    mutating func flush() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// The events that end a stream whose worker failed, in the dialect
    /// the route speaks (the same frames the in-process encoders send).
    static func failureFrames(family: APIFamily, path: String, error: APIError, requestId: String) -> [UInt8] {
        switch family {
        case .anthropic:
            return SSEFrame(event: "error", data: error.body(family: .anthropic, requestId: requestId)).bytes
        case .ollama:
            return Array((JSON(["error": .string(error.message)]).serialized + "\n").utf8)
        case .openai where path.hasSuffix("/responses"):
            let failure: JSON = ["code": error.status == 504 ? "timeout" : "server_error", "message": .string(error.message)]
            let data: JSON = ["type": "response.failed",
                              "response": ["object": "response", "status": "failed", "error": failure]]
            return SSEFrame(event: "response.failed", data: data.serialized).bytes
        case .openai, .pendra:
            return SSEFrame(event: nil, data: error.body(family: .openai, requestId: requestId)).bytes + SSEFrame.done.bytes
        }
    }
}
