/// `tojson` as Hugging Face defines it: `json.dumps(x, ensure_ascii=False, indent=indent,
/// separators=separators, sort_keys=sort_keys)`. Byte-identical output to Python matters
/// because tool schemas are printed into prompts the model was trained on.
struct JSONWriter {
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false
    var ensureASCII = false

    /// Python's defaults: `", "` between items, `","` once an indent is given.
    init(indent: String?, separators: (String, String)? = nil) {
        self.indent = indent
        itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        keySeparator = separators?.1 ?? ": "
    }

    func encode(_ value: JinjaValue) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: JinjaValue, level: Int, into out: inout String) throws {
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else {
                out += JinjaValue.pythonFloat(d)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, into: &out)
                try write(item, level: level + 1, into: &out)
            }
            newline(level, into: &out)
            out += "]"
        case .object(let object):
            try writeObject(object, level: level, into: &out)
        case .namespace, .undefined, .function:
            throw JinjaError.runtime("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private func writeObject(_ object: JinjaObject, level: Int, into out: inout String) throws {
        if object.isEmpty { out += "{}"; return }
        out += "{"
        let keys = sortKeys ? object.keys.sorted() : object.keys
        for (i, key) in keys.enumerated() {
            if i > 0 { out += itemSeparator }
            newline(level + 1, into: &out)
            writeString(JinjaObject.keyValue(key).text, into: &out)
            out += keySeparator
            try write(object[key] ?? .none, level: level + 1, into: &out)
        }
        newline(level, into: &out)
        out += "}"
    }

    private func newline(_ level: Int, into out: inout String) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    private func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + JinjaValue.hex(scalar.value, width: 4)
                } else if ensureASCII && scalar.value > 0x7e {
                    writeASCIIEscape(scalar, into: &out)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Non-ASCII as \uXXXX, astral characters as UTF-16 surrogate pairs, like Python.
    private func writeASCIIEscape(_ scalar: Unicode.Scalar, into out: inout String) {
        for unit in String(scalar).utf16 {
            out += "\\u" + JinjaValue.hex(UInt32(unit), width: 4)
        }
    }
}
