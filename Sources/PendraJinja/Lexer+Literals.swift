/// Number and string literals, decoded the way jinja2 does (Python escape sequences).
extension Lexer {
    mutating func lexNumber() throws -> TokenKind {
        var i = pos
        var isFloat = false
        func digits() { while i < bytes.count, bytes[i].isDigit || bytes[i] == .underscore { i += 1 } }
        digits()
        if i + 1 < bytes.count, bytes[i] == .dot, bytes[i + 1].isDigit {
            isFloat = true
            i += 1
            digits()
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            var j = i + 1
            if j < bytes.count, bytes[j] == .plus || bytes[j] == .minus { j += 1 }
            if j < bytes.count, bytes[j].isDigit {
                isFloat = true
                i = j
                digits()
            }
        }
        let text = String(decoding: bytes[pos..<i], as: UTF8.self).replacingUnderscores()
        advance(to: i)
        if isFloat, let value = Double(text) { return .float(value) }
        if let value = Int(text) { return .integer(value) }
        throw JinjaError.syntax("invalid number literal '\(text)'", line: line)
    }

    mutating func lexString(quote: UInt8) throws -> TokenKind {
        var i = pos + 1
        var raw: [UInt8] = []
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == .backslash, i + 1 < bytes.count {
                raw.append(bytes[i])
                i += 1
            }
            raw.append(bytes[i])
            i += 1
        }
        guard i < bytes.count else { throw JinjaError.syntax("unterminated string literal", line: line) }
        advance(to: i + 1)
        return .string(Lexer.unescape(String(decoding: raw, as: UTF8.self)))
    }

    /// Python's `unicode-escape` decoding; unknown escapes stay as written.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        var i = 0
        func hexValue(_ count: Int) -> UInt32? {
            guard i + count < scalars.count else { return nil }
            let digits = String(String.UnicodeScalarView(scalars[(i + 1)...(i + count)]))
            return UInt32(digits, radix: 16)
        }
        while i < scalars.count {
            let c = scalars[i]
            guard c == "\\", i + 1 < scalars.count else { out.append(c); i += 1; continue }
            i += 1
            let e = scalars[i]
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "0": out.append("\u{00}")
            case "\n": break
            case "x", "u", "U":
                let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                if let v = hexValue(width), let scalar = Unicode.Scalar(v) {
                    out.append(scalar)
                    i += width
                } else {
                    out.append("\\")
                    out.append(e)
                }
            default:
                out.append("\\")
                out.append(e)
            }
            i += 1
        }
        return String(out)
    }
}

private extension String {
    func replacingUnderscores() -> String { filter { $0 != "_" } }
}

extension UInt8 {
    static let lbrace = UInt8(ascii: "{"), rbrace = UInt8(ascii: "}"), percent = UInt8(ascii: "%")
    static let hash = UInt8(ascii: "#"), minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+")
    static let newline = UInt8(ascii: "\n"), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
    static let backslash = UInt8(ascii: "\\"), dot = UInt8(ascii: "."), underscore = UInt8(ascii: "_")

    var isSpace: Bool { self == 32 || (self >= 9 && self <= 13) }
    var isDigit: Bool { self >= 48 && self <= 57 }
    var isNameStart: Bool { (self >= 65 && self <= 90) || (self >= 97 && self <= 122) || self == .underscore }
    var isNameByte: Bool { isNameStart || isDigit }
}
