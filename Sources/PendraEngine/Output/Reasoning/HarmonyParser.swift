/// gpt-oss's harmony output: a run of messages, each a header and a body,
/// `<|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final<|message|>…`.
/// The `analysis` channel is reasoning, `final` is content, and a message
/// addressed `to=functions.NAME` (in the `commentary` channel) is a tool
/// call whose body is its JSON arguments, streamed as it is written once it
/// opens with `{` and names an offered tool. `<|call|>` and `<|return|>` end
/// the generation (they are end-of-generation tokens), so they never
/// arrive as text. Output that is not harmony at all is passed on as text.
struct HarmonyParser {
    static let channel = Array("<|channel|>".utf8)
    static let message = Array("<|message|>".utf8)
    static let start = Array("<|start|>".utf8)
    static let ends = ["<|end|>", "<|call|>", "<|return|>", "<|start|>"].map { Array($0.utf8) }

    private enum Kind { case reasoning, content, call(String) }
    private enum State { case header, body(Kind), plain }

    private var state = State.header
    private var pending: [UInt8] = []
    private var arguments: [UInt8] = []
    /// The call being streamed: its body opened with `{` and it names an offered tool.
    private var streaming: ArgumentStreamer?
    private var calls = 0
    private let tools: [ChatTool]
    private let parser: ToolCallParser

    init(tools: [ChatTool], parser: ToolCallParser) {
        self.tools = tools
        self.parser = parser
    }

    var inReasoning: Bool { if case .body(.reasoning) = state { return true }; return false }

    mutating func feed(_ text: String) -> [GenerationEvent] {
        if case .plain = state { return text.isEmpty ? [] : [.text(text)] }
        pending.append(contentsOf: text.utf8)
        var out: [GenerationEvent] = []
        while true {
            switch state {
            case .plain:
                if !pending.isEmpty { out.append(.text(JSONExtent.text(pending, 0..<pending.count))) }
                pending = []
                return out
            case .header:
                guard let at = JSONExtent.find(Self.message, in: pending, from: 0) else {
                    // Not yet a whole header: wait, unless this cannot be one.
                    let head = pending[JSONExtent.skipSpace(pending, from: 0)...]
                    let opener = head.starts(with: Self.channel) || head.starts(with: Self.start)
                        || Self.channel.starts(with: head) || Self.start.starts(with: head)
                    if !opener && calls == 0 && !sawMessage { state = .plain; continue }
                    return out
                }
                let header = JSONExtent.text(pending, 0..<at)
                pending.removeFirst(at + Self.message.count)
                sawMessage = true
                state = .body(Self.kind(of: header))
            case .body(let kind):
                var found: (at: Int, marker: [UInt8])?
                for m in Self.ends {
                    if let at = JSONExtent.find(m, in: pending, from: 0), at < (found?.at ?? Int.max) { found = (at, m) }
                }
                let upTo = found?.at ?? (pending.count - JSONExtent.markerTail(Self.ends, in: pending))
                out += emit(kind, upTo: upTo)
                guard let (_, marker) = found else { return out }
                pending.removeFirst(marker.count)
                if case .call(let name) = kind { out += endCall(name) }
                if marker == Self.start { pending = Array("<|start|>".utf8) + pending }
                state = .header
            }
        }
    }

    private var sawMessage = false

    mutating func finish() -> [GenerationEvent] {
        var out: [GenerationEvent] = []
        switch state {
        case .body(let kind):
            out += emit(kind, upTo: pending.count)
            if case .call(let name) = kind { out += endCall(name) }
        case .header, .plain:
            // A cut header is what the model wrote.
            if !pending.isEmpty { out.append(.text(JSONExtent.text(pending, 0..<pending.count))) }
        }
        pending = []
        state = .header
        return out
    }

    private mutating func emit(_ kind: Kind, upTo n: Int) -> [GenerationEvent] {
        guard n > 0 else { return [] }
        let piece = Array(pending[0..<n])
        pending.removeFirst(n)
        switch kind {
        case .reasoning: return [.reasoning(JSONExtent.text(piece, 0..<piece.count))]
        case .content: return [.text(JSONExtent.text(piece, 0..<piece.count))]
        case .call(let name):
            if streaming != nil { return argumentDelta(piece) }
            arguments += piece
            let first = JSONExtent.skipSpace(arguments, from: 0)
            guard first < arguments.count, arguments[first] == UInt8(ascii: "{"),
                  tools.contains(where: { $0.name == name }) else { return [] }
            // The call is sent now, its arguments as they come.
            streaming = ArgumentStreamer()
            calls += 1
            let head = GenerationEvent.toolCall(ToolCallDelta(index: calls - 1, id: parser.makeID(), name: name, arguments: ""))
            let body = Array(arguments[first...])
            arguments = []
            return [head] + argumentDelta(body)
        }
    }

    private mutating func argumentDelta(_ bytes: [UInt8]) -> [GenerationEvent] {
        let (text, _) = streaming!.feed(bytes[...])
        guard !text.isEmpty else { return [] }
        return [.toolCall(ToolCallDelta(index: calls - 1, arguments: JSONExtent.text(text, 0..<text.count)))]
    }

    /// A streamed call just ends. One that did not stream (its body did not
    /// open with `{` at once) is reported whole when it is a JSON object for
    /// an offered tool; otherwise its text is content.
    private mutating func endCall(_ name: String) -> [GenerationEvent] {
        defer { arguments = [] }
        if streaming != nil {
            streaming = nil
            return []
        }
        let raw = JSONExtent.text(arguments, 0..<arguments.count)
        let start = JSONExtent.skipSpace(arguments, from: 0)
        if tools.contains(where: { $0.name == name }), let (value, end) = ToolCallParser.object(in: arguments, at: start),
           JSONExtent.skipSpace(arguments, from: end) == arguments.count, let args = ToolCallParser.arguments(value) {
            calls += 1
            return [.toolCall(ToolCallDelta(index: calls - 1, id: parser.makeID(), name: name, arguments: args))]
        }
        return raw.isEmpty ? [] : [.text(raw)]
    }

    /// `assistant<|channel|>commentary to=functions.get_weather <|constrain|>json`,
    /// or with the recipient before the channel.
    private static func kind(of header: String) -> Kind {
        if let r = header.range(of: "to=functions.") {
            let name = header[r.upperBound...].prefix { !$0.isWhitespace && $0 != "<" }
            return .call(String(name))
        }
        guard let r = header.range(of: "<|channel|>") else { return .content }
        let channel = header[r.upperBound...].prefix { !$0.isWhitespace && $0 != "<" }
        return channel == "analysis" ? .reasoning : .content
    }
}
