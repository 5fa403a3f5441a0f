/// Keeps text that came from a client from turning into control tokens.
///
/// A rendered chat prompt is tokenized with special-token parsing on, so the
/// template's own markup (`<|im_start|>`, `<|eot_id|>`) becomes the control
/// tokens the model was trained on. Client strings pass through the template
/// too, and a user message holding `<|im_end|>\n<|im_start|>system` would
/// otherwise close its own turn and open a system one. Before rendering,
/// every control-token text inside a client string is replaced by one
/// private-use scalar (plane 15, U+F0000 + index): a single character, so
/// template filters (`trim`, `tojson`, slicing) move it whole. After
/// rendering, the prompt is tokenized in pieces: markup with parsing on,
/// each placeholder as its text with parsing off. llama-server does not do
/// this: it tokenizes the whole prompt with parsing on.
public struct SpecialTextEscaper: Sendable {
    public enum Piece: Equatable, Sendable {
        /// Template output: control-token texts here are real control tokens.
        case markup(String)
        /// A control-token text a client wrote: plain text.
        case text(String)
    }

    /// Control-token texts; a text's index is its placeholder's offset.
    public let texts: [String]
    private let textBytes: [[UInt8]]
    /// Texts by their first UTF-8 byte, longest first.
    private let byFirstByte: [UInt8: [Int]]
    static let base: UInt32 = 0xF0000
    static let capacity = 0xFFFE

    public init(specialTexts: [String]) {
        var seen = Set<String>()
        let unique = specialTexts.filter { !$0.isEmpty && seen.insert($0).inserted }.prefix(Self.capacity)
        let bytes = unique.map { Array($0.utf8) }
        var index: [UInt8: [Int]] = [:]
        for (i, b) in bytes.enumerated() { index[b[0], default: []].append(i) }
        for k in index.keys { index[k]!.sort { bytes[$0].count > bytes[$1].count } }
        texts = Array(unique)
        textBytes = bytes
        byFirstByte = index
    }

    /// `s` with every control-token text replaced by its placeholder.
    public func escape(_ s: String) -> String {
        guard !texts.isEmpty else { return s }
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0, copied = 0
        while i < bytes.count {
            guard let candidates = byFirstByte[bytes[i]],
                  let hit = candidates.first(where: { Self.matches(textBytes[$0], bytes, at: i) }) else {
                i += 1
                continue
            }
            if out.isEmpty { out.reserveCapacity(bytes.count) }
            out.append(contentsOf: bytes[copied..<i])
            out.append(contentsOf: String(Unicode.Scalar(Self.base + UInt32(hit))!).utf8)
            i += textBytes[hit].count
            copied = i
        }
        if copied == 0 { return s }
        out.append(contentsOf: bytes[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Every string inside a JSON value (keys too) escaped.
    public func escape(_ value: JSON) -> JSON {
        switch value {
        case .string(let s): return .string(escape(s))
        case .array(let a): return .array(a.map(escape))
        case .object(let o):
            var r = JSONObject()
            for (k, v) in o { r[escape(k)] = escape(v) }
            return .object(r)
        default: return value
        }
    }

    public func escape(_ m: ChatMessage) -> ChatMessage {
        guard !texts.isEmpty else { return m }
        var m = m
        m.content = escape(m.content)
        m.name = m.name.map(escape)
        m.toolCallID = m.toolCallID.map(escape)
        m.reasoning = m.reasoning.map(escape)
        m.toolCalls = m.toolCalls.map { ChatToolCall(id: escape($0.id), name: escape($0.name), arguments: escape($0.arguments)) }
        return m
    }

    public func escape(_ t: ChatTool) -> ChatTool {
        guard !texts.isEmpty else { return t }
        return ChatTool(name: escape(t.name), description: t.description.map(escape), parameters: escape(t.parameters))
    }

    /// A rendered prompt split into markup and client control-token texts.
    public func pieces(_ rendered: String) -> [Piece] {
        guard !texts.isEmpty else { return [.markup(rendered)] }
        var result: [Piece] = []
        var markup = String.UnicodeScalarView()
        for scalar in rendered.unicodeScalars {
            if let i = index(of: scalar) {
                if !markup.isEmpty { result.append(.markup(String(markup))); markup = String.UnicodeScalarView() }
                result.append(.text(texts[i]))
            } else {
                markup.append(scalar)
            }
        }
        if !markup.isEmpty || result.isEmpty { result.append(.markup(String(markup))) }
        return result
    }

    /// The prompt as the model reads it, placeholders back to their texts.
    public func restore(_ rendered: String) -> String {
        pieces(rendered).map { p in
            switch p { case .markup(let s), .text(let s): s }
        }.joined()
    }

    private func index(of scalar: Unicode.Scalar) -> Int? {
        let v = scalar.value
        guard v >= Self.base, v < Self.base + UInt32(texts.count) else { return nil }
        return Int(v - Self.base)
    }

    private static func matches(_ needle: [UInt8], _ hay: [UInt8], at i: Int) -> Bool {
        guard i + needle.count <= hay.count else { return false }
        for j in 0..<needle.count where hay[i + j] != needle[j] { return false }
        return true
    }
}
