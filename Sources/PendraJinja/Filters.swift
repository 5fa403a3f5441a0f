import Foundation

/// jinja2's built-in filters plus Hugging Face's `tojson`. Dispatch and the text
/// filters live here; collection filters are in Filters+Collections.swift.
enum Filters {
    /// Filters that return generators in jinja2: JSON-encoding or measuring one fails.
    static let generators: Set<String> = ["map", "select", "reject", "selectattr", "rejectattr"]

    static func apply(_ name: String, _ value: JinjaValue, _ args: JinjaArguments,
                      _ interpreter: Interpreter) throws -> JinjaValue {
        switch name {
        case "trim":
            guard case .string(let s) = value.stringified else { return value }
            let chars: String? = args.value("chars", at: 0).flatMap { if case .string(let c) = $0 { return c } else { return nil } }
            return .string(StringMethods.strip(s, chars: chars, leading: true, trailing: true))
        case "tojson": return .string(try toJSON(value, args))
        case "string": return .string(value.text)
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize":
            let s = value.text
            return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "title": return .string(title(value.text))
        case "replace":
            guard let old = args.value("old", at: 0), let new = args.value("new", at: 1) else {
                throw JinjaError.runtime("replace filter needs old and new")
            }
            let count = args.value("count", at: 2)?.asInt ?? -1
            return .string(StringMethods.replace(value.text, old.text, new.text, count: count))
        case "safe": return value
        case "escape", "e", "forceescape": return .string(escape(value.text))
        case "indent": return .string(indent(value.text, args))
        case "center":
            let width = args.value("width", at: 0)?.asInt ?? 80
            let s = value.text
            let missing = max(0, width - s.unicodeScalars.count)
            let left = missing / 2 + (missing % 2 == 1 && width % 2 == 1 ? 1 : 0)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: missing - left))
        case "wordcount": return .int(value.text.split(whereSeparator: { $0.isWhitespace }).count)
        case "striptags":
            let stripped = value.text.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            return .string(stripped.split(whereSeparator: { $0.isWhitespace }).joined(separator: " "))
        case "format":
            return .string(try PythonFormat.percent(value.text, .array(args.positional)))
        case "default", "d":
            let fallback = args.value("default_value", at: 0) ?? .string("")
            let boolean = args.value("boolean", at: 1)?.isTruthy ?? false
            return value.isUndefined || (boolean && !value.isTruthy) ? fallback : value
        case "int": return toInt(value, args)
        case "float": return toFloat(value, args)
        case "abs":
            switch value {
            case .int(let i): return .int(abs(i))
            case .double(let d): return .double(abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            default: throw JinjaError.runtime("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round": return try round(value, args)
        case "attr":
            guard case .string(let attribute)? = args.positional.first else { return .undefined(.hint("attr() needs a name")) }
            return try interpreter.attribute(of: value, attribute)
        default:
            return try applyCollection(name, value, args, interpreter)
        }
    }

    static func toJSON(_ value: JinjaValue, _ args: JinjaArguments) throws -> String {
        var indent: String?
        switch args.value("indent", at: 0) {
        case .int(let n)?: indent = String(repeating: " ", count: max(0, n))
        case .string(let s)?: indent = s
        default: indent = nil
        }
        var separators: (String, String)?
        if case .array(let pair)? = args.value("separators", at: 2), pair.count == 2 {
            separators = (pair[0].text, pair[1].text)
        }
        var writer = JSONWriter(indent: indent, separators: separators)
        writer.ensureASCII = args.value("ensure_ascii", at: 1)?.isTruthy ?? false
        writer.sortKeys = args.value("sort_keys", at: 3)?.isTruthy ?? false
        return try writer.encode(value)
    }

    /// jinja2's `title` filter: words start after whitespace, `-`, or an opening bracket.
    static func title(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for ch in s {
            let isBoundary = ch.isWhitespace || "-({[<".contains(ch)
            out += isBoundary ? String(ch) : (atWordStart ? ch.uppercased() : ch.lowercased())
            atWordStart = isBoundary
        }
        return out
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// jinja2 3.x `indent`: a trailing newline is appended before splitting lines, and
    /// blank lines stay unindented unless `blank=True`.
    static func indent(_ s: String, _ args: JinjaArguments) -> String {
        let indentation: String
        switch args.value("width", at: 0) {
        case .string(let w)?: indentation = w
        case let w?: indentation = String(repeating: " ", count: max(0, w.asInt ?? 4))
        case nil: indentation = "    "
        }
        let first = args.value("first", at: 1)?.isTruthy ?? false
        let blank = args.value("blank", at: 2)?.isTruthy ?? false
        var lines = (s + "\n").split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty {
                result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        return first ? indentation + result : result
    }

    private static func toInt(_ value: JinjaValue, _ args: JinjaArguments) -> JinjaValue {
        let fallback = args.value("default", at: 0) ?? .int(0)
        switch value {
        case .int, .bool: return .int(value.asInt ?? 0)
        case .double(let d): return d.isFinite ? .int(Int(d)) : fallback
        case .string(let s):
            let t = StringMethods.strip(s, chars: nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
            if let i = Int(t) { return .int(i) }
            if let d = Double(t), d.isFinite { return .int(Int(d)) }
            return fallback
        default: return fallback
        }
    }

    private static func toFloat(_ value: JinjaValue, _ args: JinjaArguments) -> JinjaValue {
        let fallback = args.value("default", at: 0) ?? .double(0)
        if let d = value.asDouble { return .double(d) }
        if case .string(let s) = value,
           let d = Double(StringMethods.strip(s, chars: nil, leading: true, trailing: true)) {
            return .double(d)
        }
        return fallback
    }

    private static func round(_ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        guard let d = value.asDouble else { throw JinjaError.runtime("round filter needs a number") }
        let precision = args.value("precision", at: 0)?.asInt ?? 0
        let method = args.value("method", at: 1)?.text ?? "common"
        let scale = pow(10.0, Double(precision))
        let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven
        return .double((d * scale).rounded(rule) / scale)
    }
}

extension JinjaValue {
    /// Filters that take strings accept anything printable, as `soft_str` does.
    var stringified: JinjaValue { if case .string = self { return self } else { return .string(text) } }
}
