/// Splits streamed text into what may be shown now and what must wait
/// because it may be a tool call.
///
/// Deliberately simple: once text that could start a call is seen, all of
/// the rest is held until `finish()`, which hands it to `ToolCallParser`.
/// A client therefore never sees a fragment of call syntax as content, and
/// the calls it gets are exactly the ones the non-streaming path would give.
public struct ToolCallStreamFilter: Sendable {
    private enum State: Sendable { case scanning, holding, passthrough }

    public let format: ToolCallFormat
    private let tools: [ChatTool]
    private let parser: ToolCallParser
    private var state: State
    /// Text received but not yet emitted (a possible marker prefix, or the
    /// held tail). Bytes, because markers are ASCII and split cleanly there.
    private var pending: [UInt8] = []
    /// Functionary v3.2: the reply's first recipient was read.
    private var sawRecipient = false

    public init(format: ToolCallFormat, tools: [ChatTool], parser: ToolCallParser = ToolCallParser()) {
        self.format = format
        self.tools = tools
        self.parser = parser
        state = (tools.isEmpty || format == .none) ? .passthrough : .scanning
    }

    /// True once a possible tool call has started; later text is held.
    public var isHolding: Bool { state == .holding }

    /// Feeds one delta; returns the content that can be emitted now.
    public mutating func feed(_ delta: String) -> String {
        if state == .passthrough { return delta }
        pending.append(contentsOf: delta.utf8)
        if state == .holding { return "" }
        switch format {
        case .hermes, .qwenXML, .glm: return scan(for: ToolCallParser.hermesOpen)
        // The section marker opens the calls too: it must not pass as content.
        case .deepseek: return scan(for: Self.deepseekMarkers)
        case .kimiK2: return scan(for: Self.kimiMarkers)
        case .commandR7B: return scan(for: ToolCallParser.commandAction)
        case .granite: return scan(for: ToolCallParser.graniteTag)
        case .functionary: return scan(for: ToolCallParser.functionaryOpen)
        case .minimax: return scan(for: ToolCallParser.minimaxOpen)
        case .dsml: return scan(for: ToolCallParser.dsmlOpen)
        case .functionaryV32: return scanFunctionaryV32()
        case .mistral: return scan(for: ToolCallParser.mistralMarker)
        case .llama3JSON: return scanLlama3()
        case .none, .harmony: return release()
        }
    }

    /// Ends the stream: the held text as calls when it parses as calls,
    /// otherwise as content.
    public mutating func finish() -> (content: String, calls: [ChatToolCall]) {
        let text = JSONExtent.text(pending, 0..<pending.count)
        pending = []
        guard state == .holding else { return (text, []) }
        state = .passthrough
        return parser.parse(text, format: format, tools: tools)
    }

    // Made once, not per token.
    private static let deepseekMarkers = [ToolCallParser.deepseekSectionBegin, ToolCallParser.deepseekCallBegin]
    private static let kimiMarkers = [ToolCallParser.kimiSectionBegin, ToolCallParser.kimiCallBegin]

    /// Hermes and Mistral calls may follow some text, so the marker is looked
    /// for anywhere; a partial marker at the end waits for the next delta.
    private mutating func scan(for marker: [UInt8]) -> String { scan(for: CollectionOfOne(marker)) }

    /// The earliest of several markers; the longest tail that may start any is held.
    private mutating func scan<M: Collection<[UInt8]>>(for markers: M) -> String {
        var first: Int?
        for marker in markers {
            if let at = JSONExtent.find(marker, in: pending, from: 0), at < (first ?? .max) { first = at }
        }
        if let at = first { return emit(upTo: at, thenHold: true) }
        return emit(upTo: pending.count - JSONExtent.markerTail(markers, in: pending), thenHold: false)
    }

    /// Llama 3 calls are the whole reply, so only its start is examined:
    /// `<|python_tag|>`, or `{` then `"name"`. Anything else settles it as an
    /// ordinary answer, streamed from then on.
    private mutating func scanLlama3() -> String {
        let start = JSONExtent.skipSpace(pending, from: 0)
        let rest = pending[start...]
        if rest.isEmpty { return "" }
        let tag = ToolCallParser.pythonTag
        if rest.starts(with: tag) { state = .holding; return "" }
        if tag.starts(with: rest) { return "" }
        guard rest.first == UInt8(ascii: "{") else { return release() }
        let key = Array("\"name\"".utf8)
        let afterBrace = pending[JSONExtent.skipSpace(pending, from: start + 1)...]
        if afterBrace.starts(with: key) { state = .holding; return "" }
        if key.starts(with: afterBrace) { return "" }
        return release()
    }

    /// Functionary v3.2 answers `all\n` + text (shown without its
    /// recipient line) and calls `NAME\n{...}`, each later message after `>>>`.
    /// A reply that starts with any other recipient is held whole.
    private mutating func scanFunctionaryV32() -> String {
        if !sawRecipient {
            let all = Array("all\n".utf8), marker = ToolCallParser.functionaryV32Marker
            if pending.starts(with: marker) { pending.removeFirst(marker.count) }
            if pending.count < marker.count && marker.starts(with: pending) { return "" }
            if pending.count < all.count && all.starts(with: pending) { return "" }
            guard pending.starts(with: all) else { state = .holding; return "" }
            pending.removeFirst(all.count)
            sawRecipient = true
        }
        return scan(for: ToolCallParser.functionaryV32Marker)
    }

    private mutating func emit(upTo index: Int, thenHold hold: Bool) -> String {
        let out = JSONExtent.text(pending, 0..<index)
        pending.removeFirst(index)
        if hold { state = .holding }
        return out
    }

    private mutating func release() -> String {
        state = .passthrough
        return emit(upTo: pending.count, thenHold: false)
    }
}
