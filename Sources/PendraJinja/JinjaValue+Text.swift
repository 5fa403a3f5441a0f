/// How values print: jinja2 calls Python's `str()`, which uses `repr()` inside containers.
extension JinjaValue {
    /// `str(value)` as jinja2 writes it into the output.
    public var text: String {
        switch self {
        case .string(let s): return s
        case .undefined: return ""
        default: return repr
        }
    }

    /// Python `repr(value)`.
    var repr: String {
        switch self {
        case .none: return "None"
        case .undefined: return ""
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return JinjaValue.pythonFloat(d)
        case .string(let s): return JinjaValue.pythonQuoted(s)
        case .array(let items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .object(let object):
            let body = object.pairs.map { JinjaObject.keyValue($0.key).repr + ": " + $0.value.repr }
            return "{" + body.joined(separator: ", ") + "}"
        case .namespace(let ns):
            let body = ns.object.pairs.map { $0.key + "=" + $0.value.repr }
            return "<Namespace " + body.joined(separator: ", ") + ">"
        case .function(let f): return "<function \(f.name)>"
        }
    }

    /// Python's float repr: shortest round-trip digits, exponent form outside 1e-4..1e16.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e16 {
            // Swift would print 1e+15 style for some of these; Python keeps digits.
            if let i = Int(exactly: d) { return (d.sign == .minus && i == 0 ? "-" : "") + String(i) + ".0" }
        }
        let swift = "\(d)"
        guard let e = swift.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return swift }
        var mantissa = String(swift[..<e])
        if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
        let exponent = Int(swift[swift.index(after: e)...]) ?? 0
        if exponent >= -4 && exponent < 16 {
            return String(format: d)
        }
        let sign = exponent < 0 ? "-" : "+"
        let digits = String(abs(exponent))
        return mantissa + "e" + sign + (digits.count < 2 ? "0" + digits : digits)
    }

    /// Python's string repr: single quotes unless the text has ' and no ".
    static func pythonQuoted(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

private extension String {
    /// Positional notation for a Double whose Swift description used an exponent
    /// but whose Python repr does not (exponents -4...15).
    init(format d: Double) {
        let swift = "\(d)"
        guard let e = swift.firstIndex(where: { $0 == "e" }) else { self = swift; return }
        let exponent = Int(swift[swift.index(after: e)...]) ?? 0
        var mantissa = String(swift[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        var frac = parts.count > 1 ? String(parts[1]) : ""
        if frac == "0" { frac = "" }
        let digits = intPart + frac
        let point = intPart.count + exponent
        var result: String
        if point <= 0 {
            result = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            result = digits + String(repeating: "0", count: point - digits.count) + ".0"
        } else {
            let idx = digits.index(digits.startIndex, offsetBy: point)
            result = String(digits[..<idx]) + "." + String(digits[idx...])
        }
        self = (negative ? "-" : "") + result
    }
}
