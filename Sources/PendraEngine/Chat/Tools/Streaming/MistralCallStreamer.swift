/// Mistral calls, streamed: text, then `[TOOL_CALLS]` and either a JSON array
/// of `{"name", "arguments"}` objects or `name[ARGS]{…}` (repeated
/// `[TOOL_CALLS]` per call in the newer templates). Each call's name is sent
/// once read, its arguments as they are written. What does not follow either
/// form is held from its `[TOOL_CALLS]` and parsed whole at the end, as
/// `ToolCallStreamFilter` does.
struct MistralCallStreamer {
    private enum State: Equatable {
        case scanning
        /// Right after a `[TOOL_CALLS]`, at this offset.
        case afterMarker(Int)
        case arrayItem(Int)
        case item
        case named(Int)
        case namedArguments(Int)
        /// A call group ended; what follows may be another `[TOOL_CALLS]`.
        case afterCalls(Int)
        case whole
        case plain
    }

    private var state = State.scanning
    private var pending: [UInt8] = []
    /// Bytes of `pending` already sent as content, or held from a marker.
    private var emitted = 0
    private var marker = 0
    /// Calls sent before the current `[TOOL_CALLS]` group.
    private var groupStart = 0
    private var live: JSONCallStreamer?
    private var arguments = ArgumentStreamer()
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
        let tag = ToolCallParser.mistralMarker
        while true {
            switch state {
            case .plain, .whole:
                return out
            case .scanning:
                if let at = JSONExtent.find(tag, in: pending, from: emitted) {
                    out += content(upTo: at)
                    marker = at
                    groupStart = calls
                    state = .afterMarker(at + tag.count)
                    continue
                }
                return out + content(upTo: pending.count - JSONExtent.markerTail(tag, in: pending, from: emitted))
            case .afterMarker(let at):
                let i = JSONExtent.skipSpace(pending, from: at)
                guard i < pending.count else { return out }
                state = pending[i] == UInt8(ascii: "[") ? .arrayItem(i + 1) : .named(i)
            case .arrayItem(let at):
                let i = JSONExtent.skipSpace(pending, from: at)
                guard i < pending.count else { return out }
                guard pending[i] == UInt8(ascii: "{") else {
                    // Not an object: the group's first calls are out, the rest is text.
                    if calls > groupStart { return out + trailing(from: i) }
                    state = .whole
                    return out
                }
                live = JSONCallStreamer(at: i, index: calls)
                state = .item
            case .item:
                let deltas = live!.scan(pending, names: names, parser: parser)
                if live!.state == .declined {
                    // A later item in another shape: the group's first calls are out, the rest is text.
                    if calls > groupStart { return out + trailing(from: live!.start) }
                    state = .whole
                    return out
                }
                if deltas.first?.id != nil { calls += 1 }
                out += deltas.map { .toolCall($0) }
                guard case .done(let end) = live!.state else { return out }
                let i = JSONExtent.skipSpace(pending, from: end)
                guard i < pending.count else { return out }
                switch pending[i] {
                case UInt8(ascii: ","): state = .arrayItem(i + 1)
                case UInt8(ascii: "]"): state = .afterCalls(i + 1)
                default: return out + trailing(from: i)
                }
                live = nil
            case .named(let at):
                let argsTag = ToolCallParser.mistralArgs
                guard let a = JSONExtent.find(argsTag, in: pending, from: at) else {
                    // A name is short: a long wait for [ARGS] means another shape.
                    if pending.count - at > 256 { state = .whole }
                    return out
                }
                var nameEnd = a
                if let id = JSONExtent.find(ToolCallParser.mistralCallID, in: pending, from: at), id < a { nameEnd = id }
                let name = ToolCallParser.trimmed(JSONExtent.text(pending, at..<nameEnd))
                let i = JSONExtent.skipSpace(pending, from: a + argsTag.count)
                guard i < pending.count else { return out }
                guard names.contains(name), pending[i] == UInt8(ascii: "{") else { state = .whole; return out }
                out.append(.toolCall(ToolCallDelta(index: calls, id: parser.makeID(), name: name, arguments: "")))
                calls += 1
                arguments = ArgumentStreamer()
                state = .namedArguments(i)
            case .namedArguments(let at):
                let (text, consumed) = arguments.feed(pending[at...])
                if !text.isEmpty { out.append(.toolCall(ToolCallDelta(index: calls - 1, arguments: JSONExtent.text(text, 0..<text.count)))) }
                state = arguments.done ? .afterCalls(at + consumed) : .namedArguments(at + consumed)
                if !arguments.done { return out }
            case .afterCalls(let at):
                let i = JSONExtent.skipSpace(pending, from: at)
                let rest = pending[i...]
                if rest.count < tag.count && tag.starts(with: rest) { return out }
                guard rest.starts(with: tag) else { return out + trailing(from: i) }
                marker = i
                groupStart = calls
                state = .afterMarker(i + tag.count)
            }
        }
    }

    mutating func finish() -> [GenerationEvent] {
        defer { pending = [] }
        switch state {
        case .plain: return []
        case .scanning: return content(upTo: pending.count)
        case .whole, .afterMarker, .named: return whole()
        // Cut between or inside later items: the calls already sent stand, and
        // a fragment not yet streamed is text (as a declined item is); parsing
        // the group whole would send the first calls again, as text.
        case .arrayItem: return calls > groupStart ? [] : whole()
        case .item:
            if live?.isStreaming == true { return [] }
            if calls > groupStart, let live { return trailing(from: live.start) }
            return whole()
        case .namedArguments, .afterCalls: return []
        }
    }

    private mutating func content(upTo end: Int) -> [GenerationEvent] {
        guard end > emitted else { return [] }
        defer { emitted = end }
        return [.text(JSONExtent.text(pending, emitted..<end))]
    }

    /// Text after the calls: content again.
    private mutating func trailing(from i: Int) -> [GenerationEvent] {
        state = .plain
        emitted = i
        return content(upTo: pending.count)
    }

    /// The calls from the last `[TOOL_CALLS]` on, parsed whole, numbered after the streamed ones.
    private func whole() -> [GenerationEvent] {
        let text = JSONExtent.text(pending, marker..<pending.count)
        let (content, found) = parser.parse(text, format: .mistral, tools: tools)
        if found.isEmpty { return text.isEmpty ? [] : [.text(text)] }
        var out: [GenerationEvent] = content.isEmpty ? [] : [.text(content)]
        for (k, c) in found.enumerated() {
            out.append(.toolCall(ToolCallDelta(index: calls + k, id: c.id, name: c.name, arguments: c.arguments)))
        }
        return out
    }
}
