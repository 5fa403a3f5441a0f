/// An order-preserving JSON parser. Foundation's JSONSerialization returns unordered
/// dictionaries, but tool schemas must reach the prompt in the order the client sent
/// them (Python's json.loads keeps it), so request bodies should come through here.
struct JSONReader {
    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0
    private static let maxDepth = 512

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> JinjaValue {
        let value = try parseValue()
        skipWhitespace()
        guard pos == bytes.count else { throw fail("trailing characters") }
        return value
    }

    private func fail(_ message: String) -> JinjaError {
        .runtime("invalid JSON at offset \(pos): \(message)")
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[pos]) { pos += 1 }
    }

    private mutating func parseValue() throws -> JinjaValue {
        skipWhitespace()
        guard pos < bytes.count else { throw fail("unexpected end") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try nested { try $0.parseObject() }
        case UInt8(ascii: "["): return try nested { try $0.parseArray() }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .none
        default: return try parseNumber()
        }
    }

    private mutating func nested(_ body: (inout JSONReader) throws -> JinjaValue) throws -> JinjaValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONReader.maxDepth else { throw fail("nesting too deep") }
        return try body(&self)
    }

    private mutating func literal(_ word: String) throws {
        for byte in word.utf8 {
            guard pos < bytes.count, bytes[pos] == byte else { throw fail("expected \(word)") }
            pos += 1
        }
    }

    private mutating func parseObject() throws -> JinjaValue {
        pos += 1
        var object = JinjaObject()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            pos += 1
            object[key] = try parseValue()
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unterminated object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            guard bytes[pos] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            pos += 1
            return .object(object)
        }
    }

    private mutating func parseArray() throws -> JinjaValue {
        pos += 1
        var items: [JinjaValue] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            items.append(try parseValue())
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unterminated array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            guard bytes[pos] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            pos += 1
            return .array(items)
        }
    }

    private mutating func parseNumber() throws -> JinjaValue {
        let start = pos
        var isFloat = false
        while pos < bytes.count, let c = Optional(bytes[pos]),
              c.isDigit || c == .minus || c == .plus || c == .dot || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            if c == .dot || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { isFloat = true }
            pos += 1
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if !isFloat, let i = Int(text) { return .int(i) }
        guard !text.isEmpty, let d = Double(text) else { throw fail("invalid value") }
        return .double(d)
    }

    private mutating func parseString() throws -> String {
        pos += 1
        var out: [UInt8] = []
        while pos < bytes.count {
            let c = bytes[pos]
            pos += 1
            if c == .quote { return String(decoding: out, as: UTF8.self) }
            guard c == .backslash else { out.append(c); continue }
            guard pos < bytes.count else { break }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), pos + 1 < bytes.count,
                   bytes[pos] == .backslash, bytes[pos + 1] == UInt8(ascii: "u") {
                    pos += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                out += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: out.append(e)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count,
              let v = UInt32(String(decoding: bytes[pos..<(pos + 4)], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        pos += 4
        return v
    }
}

extension JinjaValue {
    /// Parses JSON text keeping object key order (unlike `init(json:)` over Foundation).
    public init(jsonText: String) throws {
        var reader = JSONReader(Array(jsonText.utf8))
        self = try reader.parseDocument()
    }
}
