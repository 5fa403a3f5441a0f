/// `text/event-stream` framing: one `write` per event so the transport
/// flushes each as its own chunk.
enum ServerSentEvents {
    static let headers: HTTPHeaders = [
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    ]

    /// `data: <json>\n\n` (OpenAI).
    static func data(_ json: String) -> [UInt8] {
        var s = "data: "
        s.reserveCapacity(json.utf8.count + 8)
        s += json
        s += "\n\n"
        return Array(s.utf8)
    }

    /// `event: <name>\ndata: <json>\n\n` (Anthropic dispatches on the event line).
    static func event(_ name: String, _ json: String) -> [UInt8] {
        Array("event: \(name)\ndata: \(json)\n\n".utf8)
    }

    static let done = Array("data: [DONE]\n\n".utf8)
}
