/// Streams tool calls written as self-contained blocks (`<tool_call>…</tool_call>`:
/// Hermes, Qwen3-Coder XML, GLM): text outside blocks flows as it comes.
/// A Hermes call streams as it is written (its name, then its arguments:
/// `JSONCallStreamer`); the XML forms, whose values are typed by the schema
/// only once complete, are reported the moment their block closes.
///
/// A block that does not parse as a call of an offered tool is passed on as
/// the text it was. Whitespace next to calls is layout: it is held, and
/// dropped when a call follows; a reply with no calls keeps it all.
struct BlockCallStreamer {
    private let format: ToolCallFormat
    private let tools: [ChatTool]
    private let parser: ToolCallParser
    private var pending: [UInt8] = []
    private var inBlock = false
    private var heldSpace: [UInt8] = []
    private var calls = 0
    /// Text right after a call loses its leading whitespace.
    private var afterCall = false
    /// The Hermes call being streamed, and whether this block declined it.
    private var live: JSONCallStreamer?
    private var wholeBlock = false
    private let names: Set<String>
    /// How far `blockEnd` has read the open block: its JSON body, and where
    /// the closing tag may still start. Reset with each block.
    private var bodyScan: JSONExtent.Scan?
    private var closeFrom = 0

    static func handles(_ format: ToolCallFormat) -> Bool {
        format == .hermes || format == .qwenXML || format == .glm
    }

    init(format: ToolCallFormat, tools: [ChatTool], parser: ToolCallParser) {
        self.format = format
        self.tools = tools
        self.parser = parser
        names = Set(tools.map(\.name))
    }

    mutating func feed(_ text: String) -> [GenerationEvent] {
        pending.append(contentsOf: text.utf8)
        var out: [GenerationEvent] = []
        let open = ToolCallParser.hermesOpen
        while true {
            if !inBlock {
                if let at = JSONExtent.find(open, in: pending, from: 0) {
                    out += content(Array(pending[0..<at]))
                    pending.removeFirst(at)
                    inBlock = true
                    continue
                }
                let keep = JSONExtent.markerTail(open, in: pending)
                out += content(Array(pending[0..<(pending.count - keep)]))
                pending.removeFirst(pending.count - keep)
                return out
            }
            if format == .hermes && !wholeBlock, let (events, finished) = streamLive() {
                out += events
                if finished { continue }
                return out
            }
            guard let end = blockEnd() else { return out }
            let block = Array(pending[0..<end])
            pending.removeFirst(end)
            inBlock = false
            bodyScan = nil
            closeFrom = 0
            wholeBlock = false
            let found = parser.parse(JSONExtent.text(block, 0..<block.count), format: format, tools: tools).calls
            if found.isEmpty {
                out += content(block)
            } else {
                heldSpace = []
                for c in found {
                    out.append(.toolCall(ToolCallDelta(index: calls, id: c.id, name: c.name, arguments: c.arguments)))
                    calls += 1
                }
                afterCall = true
            }
        }
    }

    /// The Hermes call in the open block, streamed (JSONCallStreamer), and
    /// whether its block is done; nil when it is not streamable, so the block
    /// is parsed whole.
    private mutating func streamLive() -> (events: [GenerationEvent], finished: Bool)? {
        if live == nil {
            let start = JSONExtent.skipSpace(pending, from: ToolCallParser.hermesOpen.count)
            guard start < pending.count else { return ([], false) }
            guard pending[start] == UInt8(ascii: "{") else { wholeBlock = true; return nil }
            live = JSONCallStreamer(at: start, index: calls)
        }
        let deltas = live!.scan(pending, names: names, parser: parser)
        if live!.state == .declined {
            live = nil
            wholeBlock = true
            return nil
        }
        if deltas.first?.id != nil {
            heldSpace = []
            calls += 1
        }
        let events = deltas.map { GenerationEvent.toolCall($0) }
        guard case .done(let end) = live!.state else { return (events, false) }
        let close = ToolCallParser.hermesClose
        let at = JSONExtent.skipSpace(pending, from: end)
        let seen = pending[at...]
        if seen.count < close.count && seen.elementsEqual(close.prefix(seen.count)) { return (events, false) }
        // After the object comes the closing tag; anything else is text again.
        pending.removeFirst(seen.starts(with: close) ? at + close.count : end)
        live = nil
        inBlock = false
        bodyScan = nil
        closeFrom = 0
        afterCall = true
        return (events, true)
    }

    /// The rest: a block cut off by the end is text, as the model wrote it,
    /// unless its call was already being streamed (then it ends there).
    mutating func finish() -> [GenerationEvent] {
        if live?.isStreaming == true { pending = [] }
        live = nil
        bodyScan = nil
        closeFrom = 0
        var out = content(pending)
        pending = []
        if calls == 0 && !heldSpace.isEmpty { out.append(.text(JSONExtent.text(heldSpace, 0..<heldSpace.count))) }
        heldSpace = []
        return out
    }

    /// One past the block's closing tag, or nil while it may still close.
    /// Hermes bodies are JSON, whose strings may contain the closing tag, so
    /// the JSON's own end is found first. Each call reads only the bytes
    /// that came since the last (the block only grows while it is open).
    private mutating func blockEnd() -> Int? {
        let close = ToolCallParser.hermesClose
        let bodyStart = JSONExtent.skipSpace(pending, from: ToolCallParser.hermesOpen.count)
        var searchFrom = bodyStart
        if format == .hermes, bodyStart < pending.count, pending[bodyStart] == UInt8(ascii: "{") {
            if bodyScan == nil { bodyScan = JSONExtent.Scan(at: bodyStart) }
            bodyScan!.advance(pending)
            guard let jsonEnd = bodyScan!.end else { return nil }
            searchFrom = jsonEnd
        }
        searchFrom = max(searchFrom, closeFrom)
        if let at = JSONExtent.find(close, in: pending, from: searchFrom) { return at + close.count }
        closeFrom = max(searchFrom, pending.count - close.count + 1)
        return nil
    }

    private mutating func content(_ bytes: [UInt8]) -> [GenerationEvent] {
        var all = heldSpace + bytes
        if afterCall {
            let i = JSONExtent.skipSpace(all, from: 0)
            all.removeFirst(i)
            if all.isEmpty { heldSpace = []; return [] }
            afterCall = false
        }
        var cut = all.count
        while cut > 0, [0x20, 0x0A, 0x0D, 0x09].contains(all[cut - 1]) { cut -= 1 }
        heldSpace = Array(all[cut...])
        return cut == 0 ? [] : [.text(JSONExtent.text(all, 0..<cut))]
    }
}
