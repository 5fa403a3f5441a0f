import Foundation

/// Python `str` methods. Whitespace and indexing follow Python: code points, and
/// `split()` without a separator splits on runs of whitespace.
enum StringMethods {
    static let names: Set<String> = [
        "startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "upper", "lower",
        "title", "capitalize", "replace", "find", "rfind", "count", "format", "join", "splitlines",
        "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
    ]

    static func call(_ name: String, on s: String, _ args: JinjaArguments) throws -> JinjaValue {
        func string(_ n: String, _ i: Int) throws -> String? {
            guard let v = args.value(n, at: i), !(v == .none) else { return nil }
            guard case .string(let str) = v else { throw JinjaError.runtime("\(name)() argument must be str") }
            return str
        }
        switch name {
        case "startswith", "endswith":
            let prefixes: [String]
            switch args.positional.first {
            case .string(let p): prefixes = [p]
            case .array(let items): prefixes = items.compactMap { if case .string(let p) = $0 { return p } else { return nil } }
            default: throw JinjaError.runtime("\(name) first arg must be str or a tuple of str")
            }
            return .bool(prefixes.contains { name == "startswith" ? s.hasPrefix($0) || $0.isEmpty : s.hasSuffix($0) || $0.isEmpty })
        case "split", "rsplit":
            let limit = args.value("maxsplit", at: 1)?.asInt ?? -1
            let parts = try split(s, separator: try string("sep", 0), limit: limit, fromRight: name == "rsplit")
            return .array(parts.map { .string($0) })
        case "strip", "lstrip", "rstrip":
            return .string(strip(s, chars: try string("chars", 0), leading: name != "rstrip", trailing: name != "lstrip"))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(title(s))
        case "capitalize": return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "replace":
            guard let old = try string("old", 0), let new = try string("new", 1) else {
                throw JinjaError.runtime("replace() takes at least 2 arguments")
            }
            return .string(replace(s, old, new, count: args.value("count", at: 2)?.asInt ?? -1))
        case "find", "rfind":
            guard let needle = try string("sub", 0) else { throw JinjaError.runtime("find() takes 1 argument") }
            let range = name == "find" ? s.range(of: needle) : s.range(of: needle, options: .backwards)
            guard let range else { return .int(-1) }
            return .int(s.unicodeScalars.distance(from: s.startIndex, to: range.lowerBound))
        case "count":
            guard let needle = try string("sub", 0) else { throw JinjaError.runtime("count() takes 1 argument") }
            return .int(needle.isEmpty ? s.unicodeScalars.count + 1 : s.components(separatedBy: needle).count - 1)
        case "format": return .string(try PythonFormat.format(s, args))
        case "join":
            let items = try args.positional.first.map { try Interpreter.iterateStatic($0) } ?? []
            return .string(items.map(\.text).joined(separator: s))
        case "splitlines":
            return .array(s.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
                .map { .string(String($0)) }.dropLastIfEmpty())
        case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet.decimalDigits.contains($0) })
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet.letters.contains($0) })
        case "isalnum": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isWhitespace })
        case "isupper": return .bool(s.contains { $0.isLetter } && s == s.uppercased())
        default: return .bool(s.contains { $0.isLetter } && s == s.lowercased())
        }
    }

    static func strip(_ s: String, chars: String?, leading: Bool, trailing: Bool) -> String {
        let set: (Unicode.Scalar) -> Bool
        if let chars {
            let allowed = Set(chars.unicodeScalars)
            set = { allowed.contains($0) }
        } else {
            set = { $0.properties.isWhitespace }
        }
        var scalars = Substring(s).unicodeScalars[...]
        if leading { while let first = scalars.first, set(first) { scalars.removeFirst() } }
        if trailing { while let last = scalars.last, set(last) { scalars.removeLast() } }
        return String(String.UnicodeScalarView(scalars))
    }

    static func split(_ s: String, separator: String?, limit: Int, fromRight: Bool) throws -> [String] {
        guard let separator else {
            var words = s.split(whereSeparator: { $0.unicodeScalars.allSatisfy { $0.properties.isWhitespace } })
                .map(String.init)
            guard limit >= 0, words.count > limit + 1 else { return words }
            // Python keeps the unsplit remainder, whitespace-trimmed at the split end only.
            if fromRight {
                let kept = Array(words.suffix(limit))
                var rest = s
                for word in kept.reversed() {
                    rest = strip(rest, chars: nil, leading: false, trailing: true)
                    rest = String(rest.dropLast(word.count))
                }
                return [strip(rest, chars: nil, leading: false, trailing: true)] + kept
            }
            let kept = Array(words.prefix(limit))
            var rest = Substring(s)
            for word in kept {
                rest = Substring(strip(String(rest), chars: nil, leading: true, trailing: false)).dropFirst(word.count)
            }
            words = kept + [strip(String(rest), chars: nil, leading: true, trailing: false)]
            return words
        }
        guard !separator.isEmpty else { throw JinjaError.runtime("empty separator") }
        var parts = s.components(separatedBy: separator)
        guard limit >= 0, parts.count > limit + 1 else { return parts }
        if fromRight {
            let tail = Array(parts.suffix(limit))
            parts = [parts.dropLast(limit).joined(separator: separator)] + tail
        } else {
            parts = Array(parts.prefix(limit)) + [parts.dropFirst(limit).joined(separator: separator)]
        }
        return parts
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        if count < 0 { return old.isEmpty ? s : s.replacingOccurrences(of: old, with: new) }
        var parts = s.components(separatedBy: old)
        guard !old.isEmpty, parts.count > count + 1 else { return parts.joined(separator: new) }
        let head = parts.prefix(count + 1).joined(separator: new)
        parts = Array(parts.dropFirst(count + 1))
        return ([head] + parts).joined(separator: old)
    }

    /// Python `str.title`: a letter after a non-letter starts a word.
    static func title(_ s: String) -> String {
        var out = ""
        var previousIsLetter = false
        for ch in s {
            out += previousIsLetter ? ch.lowercased() : ch.uppercased()
            previousIsLetter = ch.isLetter
        }
        return out
    }
}

private extension Array where Element == JinjaValue {
    func dropLastIfEmpty() -> [JinjaValue] {
        if case .string("")? = last { return Array(dropLast()) }
        return self
    }
}
