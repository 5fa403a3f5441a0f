/// Streams one call written as a JSON object, `{"name": "X", "arguments": {…}}`
/// (Hermes inside `<tool_call>`, Llama 3 with "parameters", Mistral's array
/// items): the call's id and name as soon as the name is read and its
/// arguments object opens, then the arguments as they are written.
///
/// Only that key order is streamed. Anything else (arguments first, the
/// arguments as a JSON string, a tool not offered) is `declined` before
/// anything is sent, and the caller parses the call whole as before.
struct JSONCallStreamer {
    enum State: Equatable {
        case head, arguments, tail
        /// One past the object's closing brace, in the caller's buffer.
        case done(end: Int)
        case declined
    }

    private(set) var state = State.head
    /// Where the object's `{` is in the caller's buffer, and how far it was read.
    let start: Int
    private var position: Int
    private let index: Int
    private var arguments = ArgumentStreamer()
    private var rest = ArgumentStreamer(open: Array("{".utf8))

    init(at start: Int, index: Int) {
        self.start = start
        self.position = start
        self.index = index
    }

    var isStreaming: Bool { state != .head && state != .declined }

    /// Reads `bytes` (the caller's whole buffer, grown since the last call)
    /// from where it stopped; returns the deltas to send.
    mutating func scan(_ bytes: [UInt8], names: Set<String>, parser: ToolCallParser) -> [ToolCallDelta] {
        var out: [ToolCallDelta] = []
        if state == .head {
            switch Self.head(bytes, at: start) {
            case .more: return []
            case .no: state = .declined; return []
            case .yes(let name, let at):
                guard names.contains(name) else { state = .declined; return [] }
                out.append(ToolCallDelta(index: index, id: parser.makeID(), name: name, arguments: ""))
                position = at
                state = .arguments
            }
        }
        if state == .arguments {
            let (text, consumed) = arguments.feed(bytes[position...])
            position += consumed
            if !text.isEmpty { out.append(ToolCallDelta(index: index, arguments: JSONExtent.text(text, 0..<text.count))) }
            if arguments.done { state = .tail }
        }
        if state == .tail {
            // The rest of the object (normally just its `}`) is not arguments.
            let (_, consumed) = rest.feed(bytes[position...])
            position += consumed
            if rest.done { state = .done(end: position) }
        }
        return out
    }

    private enum Head { case more, no, yes(name: String, argumentsAt: Int) }

    // The head's pieces, made once: head() runs on every token until the arguments begin.
    private static let nameKey = Array("\"name\"".utf8), colon = Array(":".utf8)
    private static let quote = Array("\"".utf8), comma = Array(",".utf8)
    private static let argumentKeys = [Array("\"arguments\"".utf8), Array("\"parameters\"".utf8)]

    /// `{ "name" : "X" , "arguments"|"parameters" : {`, whitespace anywhere.
    private static func head(_ b: [UInt8], at start: Int) -> Head {
        var i = start + 1
        func literal(_ s: [UInt8]) -> Head? {
            i = JSONExtent.skipSpace(b, from: i)
            let n = min(s.count, b.count - i)
            guard b[i..<(i + n)].elementsEqual(s[0..<n]) else { return .no }
            if n < s.count { return .more }
            i += s.count
            return nil
        }
        if let r = literal(nameKey) { return r }
        if let r = literal(colon) { return r }
        if let r = literal(quote) { return r }
        guard let close = b[i...].firstIndex(of: UInt8(ascii: "\"")) else { return b[i...].contains(UInt8(ascii: "\\")) ? .no : .more }
        guard !b[i..<close].contains(UInt8(ascii: "\\")) else { return .no }
        let name = JSONExtent.text(b, i..<close)
        i = close + 1
        if let r = literal(comma) { return r }
        i = JSONExtent.skipSpace(b, from: i)
        var partial = false
        var matched: Int?
        for key in argumentKeys {
            let n = min(key.count, b.count - i)
            guard b[i..<(i + n)].elementsEqual(key[0..<n]) else { continue }
            if n < key.count { partial = true } else { matched = key.count }
        }
        guard let length = matched else { return partial ? .more : .no }
        i += length
        if let r = literal(colon) { return r }
        i = JSONExtent.skipSpace(b, from: i)
        guard i < b.count else { return .more }
        return b[i] == UInt8(ascii: "{") ? .yes(name: name, argumentsAt: i) : .no
    }
}
