import PendraEngine

/// Splits generated text into what the client sees as content and the tool
/// calls hidden in it, for requests that offered tools. Streaming and
/// non-streaming use the same path: feed pieces, then finish.
struct ChatOutput {
    private var filter: ToolCallStreamFilter?
    private(set) var calls: [ChatToolCall] = []

    init(_ prepared: PreparedChat) {
        if let format = prepared.toolFormat {
            filter = ToolCallStreamFilter(format: format, tools: prepared.tools)
        }
    }

    /// Content that can be shown now (text that may start a tool call is held).
    mutating func feed(_ text: String) -> String {
        guard filter != nil else { return text }
        return filter!.feed(text)
    }

    /// The held content that turned out not to be a call, and the calls.
    mutating func finish() -> String {
        guard filter != nil else { return "" }
        let (content, calls) = filter!.finish()
        self.calls = calls
        return content
    }
}
