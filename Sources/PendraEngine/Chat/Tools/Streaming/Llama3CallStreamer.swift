/// Llama 3.x calls, streamed: the reply is `{"name": …, "parameters": {…}}`,
/// maybe after `<|python_tag|>`, several joined by `;`. Each call's name is
/// sent once read and its arguments as they are written (`JSONCallStreamer`).
///
/// A reply that does not open that way is an answer, streamed as text; a
/// call in another key order is held and parsed whole at the end, as
/// `ToolCallStreamFilter` does.
struct Llama3CallStreamer {
    private enum State { case start, calls, whole, plain }

    private var state = State.start
    private var pending: [UInt8] = []
    /// Where the held text starts (the calls not streamed).
    private var wholeFrom = 0
    private var live: JSONCallStreamer?
    private var calls = 0
    private let tools: [ChatTool]
    private let names: Set<String>
    private let parser: ToolCallParser

    init(tools: [ChatTool], parser: ToolCallParser) {
        self.tools = tools
        self.parser = parser
        names = Set(tools.map(\.name))
    }

    mutating func feed(_ text: String) -> [GenerationEvent] {
        if state == .plain { return text.isEmpty ? [] : [.text(text)] }
        pending.append(contentsOf: text.utf8)
        var out: [GenerationEvent] = []
        while true {
            switch state {
            case .plain:
                return out
            case .whole:
                return out
            case .start:
                var i = JSONExtent.skipSpace(pending, from: 0)
                let tag = ToolCallParser.pythonTag
                if pending[i...].starts(with: tag) { i = JSONExtent.skipSpace(pending, from: i + tag.count) }
                else if tag.starts(with: pending[i...]) { return out }
                guard i < pending.count else { return out }
                guard pending[i] == UInt8(ascii: "{") else { return out + plain() }
                live = JSONCallStreamer(at: i, index: calls)
                state = .calls
            case .calls:
                guard let deltas = scanLive() else {
                    if calls == 0 && !startsWithName(live?.start ?? 0) { return out + plain() }
                    state = .whole
                    wholeFrom = live?.start ?? wholeFrom
                    live = nil
                    return out
                }
                out += deltas
                guard case .done(let end)? = live?.state else { return out }
                // `;` then the next call, or the end; anything else is text.
                var i = JSONExtent.skipSpace(pending, from: end)
                if i < pending.count && pending[i] == UInt8(ascii: ";") { i = JSONExtent.skipSpace(pending, from: i + 1) }
                guard i < pending.count else { return out }
                guard pending[i] == UInt8(ascii: "{") else {
                    live = nil
                    pending.removeFirst(i)
                    return out + plain()
                }
                live = JSONCallStreamer(at: i, index: calls)
            }
        }
    }

    mutating func finish() -> [GenerationEvent] {
        defer { pending = [] }
        switch state {
        case .plain: return []
        case .start: return pending.isEmpty ? [] : [.text(JSONExtent.text(pending, 0..<pending.count))]
        case .calls:
            // A call cut off while streaming ends there; one not begun is parsed whole.
            if live?.isStreaming ?? true { return [] }
            wholeFrom = live!.start
            return whole()
        case .whole: return whole()
        }
    }

    /// The live call's new deltas; nil when it declined.
    private mutating func scanLive() -> [GenerationEvent]? {
        let deltas = live!.scan(pending, names: names, parser: parser)
        if live!.state == .declined { return nil }
        if deltas.first?.id != nil { calls += 1 }
        return deltas.map { .toolCall($0) }
    }

    private func startsWithName(_ brace: Int) -> Bool {
        let key = Array("\"name\"".utf8)
        let rest = pending[JSONExtent.skipSpace(pending, from: brace + 1)...]
        return rest.starts(with: key) || key.starts(with: rest)
    }

    private mutating func plain() -> [GenerationEvent] {
        state = .plain
        defer { pending = [] }
        return pending.isEmpty ? [] : [.text(JSONExtent.text(pending, 0..<pending.count))]
    }

    /// The held calls parsed whole, numbered after the streamed ones.
    private func whole() -> [GenerationEvent] {
        let text = JSONExtent.text(pending, wholeFrom..<pending.count)
        let (content, found) = parser.parse(text, format: .llama3JSON, tools: tools)
        var out: [GenerationEvent] = content.isEmpty ? [] : [.text(content)]
        for (k, c) in found.enumerated() {
            out.append(.toolCall(ToolCallDelta(index: calls + k, id: c.id, name: c.name, arguments: c.arguments)))
        }
        return out
    }
}
