/// RFC 8259 JSON text to `JSON`, byte by byte (no Foundation), so that what a
/// client wrote comes through unchanged where it matters:
/// - object members keep their order; a duplicate key keeps its first
///   position and its last value (Python's json.loads does the same);
/// - an integer literal that fits `Int` is `.int`, exactly; other numbers are
///   the nearest `Double` (correctly rounded); a number too large for a
///   `Double` (1e400) is an error, not infinity;
/// - text must be UTF-8: malformed, overlong or surrogate-encoding bytes are
///   an error at their offset. A leading byte order mark is skipped (RFC 8259
///   §8.1 allows it);
/// - a `\uD83D\uDE00` escape pair becomes one character; a lone surrogate
///   escape becomes U+FFFD. Clients that cut a UTF-16 string between the
///   halves of a pair (an agent truncating a tool result) write exactly that,
///   and one damaged character must not make a whole conversation a 400;
/// - nesting deeper than `JSON.maxDepth` is an error, never a stack overflow;
/// - no extensions: no comments, trailing commas, NaN or single quotes.
/// Every error names the byte offset where the text stops being JSON.
struct JSONParser {
    // Internal, not private: JSONParser+Strings.swift reads strings.
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    private var depth = 0
    /// Reused for strings with escapes; plain strings are decoded in place.
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func document() throws(JSON.ParseError) -> JSON {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
        skipWhitespace()
        guard pos < bytes.count else { throw fail("empty text: expected a JSON value") }
        let result = try value()
        skipWhitespace()
        guard pos == bytes.count else { throw fail("unexpected \(found) after the JSON value") }
        return result
    }

    // MARK: Values

    private mutating func value() throws(JSON.ParseError) -> JSON {
        guard pos < bytes.count else { throw fail("unexpected end of text: expected a value") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected \(found): expected a value")
        }
    }

    private mutating func object() throws(JSON.ParseError) -> JSON {
        let start = pos
        try enter()
        pos += 1
        var members = JSONObject()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; depth -= 1; return .object(members) }
        while true {
            guard pos < bytes.count else { throw fail("unterminated object (opened at byte \(start))") }
            guard bytes[pos] == UInt8(ascii: "\"") else {
                if bytes[pos] == UInt8(ascii: "}") { throw fail("trailing comma before '}'") }
                throw fail("unexpected \(found): expected a string key")
            }
            let key = try string()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw fail("unexpected \(found): expected ':' after the key \"\(key)\"")
            }
            pos += 1
            skipWhitespace()
            members[key] = try value()
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unterminated object (opened at byte \(start))") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; skipWhitespace(); continue }
            guard bytes[pos] == UInt8(ascii: "}") else { throw fail("unexpected \(found): expected ',' or '}' in an object") }
            pos += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array() throws(JSON.ParseError) -> JSON {
        let start = pos
        try enter()
        pos += 1
        var items: [JSON] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; depth -= 1; return .array(items) }
        while true {
            guard pos < bytes.count else { throw fail("unterminated array (opened at byte \(start))") }
            if bytes[pos] == UInt8(ascii: "]") { throw fail("trailing comma before ']'") }
            items.append(try value())
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unterminated array (opened at byte \(start))") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; skipWhitespace(); continue }
            guard bytes[pos] == UInt8(ascii: "]") else { throw fail("unexpected \(found): expected ',' or ']' in an array") }
            pos += 1
            depth -= 1
            return .array(items)
        }
    }

    private mutating func enter() throws(JSON.ParseError) {
        depth += 1
        guard depth <= JSON.maxDepth else { throw fail("nesting deeper than \(JSON.maxDepth) levels") }
    }

    private mutating func literal(_ word: StaticString) throws(JSON.ParseError) {
        let start = pos
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard pos < bytes.count, bytes[pos] == byte else {
                pos = start
                throw fail("unexpected \(found): expected a value (did you mean \(word)?)")
            }
            pos += 1
        }
    }

    // MARK: Numbers

    private mutating func number() throws(JSON.ParseError) -> JSON {
        let start = pos
        let negative = bytes[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("expected a digit after '-'") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) { throw fail("a number must not start with 0 followed by digits") }
        } else {
            skipDigits()
        }
        let integerEnd = pos
        var integral = true
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            integral = false
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("expected a digit after the decimal point") }
            skipDigits()
        }
        if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            integral = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("expected a digit in the exponent") }
            skipDigits()
        }
        if integral, let i = exactInt(from: negative ? start + 1 : start, to: integerEnd, negative: negative) {
            return .int(i)
        }
        // Swift's Double(String) rounds correctly (strtod); numbers are short.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            pos = start
            throw fail("number \(text) is too large for a double")
        }
        return .double(d)
    }

    /// The digits as an Int, or nil when they overflow it (then a Double).
    private func exactInt(from: Int, to: Int, negative: Bool) -> Int? {
        var magnitude: UInt64 = 0
        for i in from..<to {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            magnitude = s
        }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return nil }
            return magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    private mutating func skipDigits() {
        while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
    }

    // MARK: Whitespace and errors

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    /// What stands at `pos`, for messages: "character 'x'", "byte 0xC3", "end of text".
    var found: String {
        guard pos < bytes.count else { return "end of text" }
        let b = bytes[pos]
        if b >= 0x21 && b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    func fail(_ reason: String) -> JSON.ParseError { fail(reason, at: pos) }

    func fail(_ reason: String, at offset: Int) -> JSON.ParseError {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return JSON.ParseError(reason: reason, offset: offset, line: line, column: offset - lineStart + 1)
    }
}
