/// Filters over sequences and mappings: selection, mapping, sorting, aggregation.
extension Filters {
    static func applyCollection(_ name: String, _ value: JinjaValue, _ args: JinjaArguments,
                                _ interpreter: Interpreter) throws -> JinjaValue {
        switch name {
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let a): return .int(a.count)
            case .object(let o): return .int(o.count)
            case .undefined: return .int(0)
            default: throw JinjaError.runtime("object of type '\(value.typeName)' has no len()")
            }
        case "list": return .array(try Interpreter.iterateStatic(value))
        case "first": return try Interpreter.iterateStatic(value).first ?? .undefined(.hint("No first item, sequence was empty."))
        case "last": return try Interpreter.iterateStatic(value).last ?? .undefined(.hint("No last item, sequence was empty."))
        case "join":
            let separator = args.value("d", at: 0)?.text ?? ""
            var items = try Interpreter.iterateStatic(value)
            if let attribute = args.value("attribute", at: 1) {
                items = try items.map { try lookup($0, attribute, interpreter) }
            }
            return .string(items.map(\.text).joined(separator: separator))
        case "items":
            switch value {
            case .object(let o): return .array(o.pairs.map { .array([JinjaObject.keyValue($0.key), $0.value]) })
            case .undefined: return .array([])
            default: throw JinjaError.runtime("Can only get item pairs from a mapping.")
            }
        case "selectattr", "rejectattr", "select", "reject":
            let keep = name.hasPrefix("select")
            let byAttribute = name.hasSuffix("attr")
            var rest = args.positional
            var attribute: JinjaValue?
            if byAttribute {
                guard !rest.isEmpty else { throw JinjaError.runtime("\(name) needs an attribute name") }
                attribute = rest.removeFirst()
            }
            let test = rest.isEmpty ? nil : rest.removeFirst().text
            // jinja2 guards with `if value:`, so None selects nothing instead of failing.
            guard value.isTruthy else { return .array([]) }
            return .array(try Interpreter.iterateStatic(value).filter { item in
                let subject = try attribute.map { try lookup(item, $0, interpreter) } ?? item
                let passed = try test.map {
                    try interpreter.applyTest($0, to: subject, JinjaArguments(rest, named: args.named))
                } ?? subject.isTruthy
                return passed == keep
            })
        case "map": return try map(value, args, interpreter)
        case "dictsort":
            guard case .object(let o) = value else { throw JinjaError.runtime("dictsort requires a mapping") }
            let caseSensitive = args.value("case_sensitive", at: 0)?.isTruthy ?? false
            let byValue = args.value("by", at: 1)?.text == "value"
            let reverse = args.value("reverse", at: 2)?.isTruthy ?? false
            let pairs: [JinjaValue] = o.pairs.map { .array([JinjaObject.keyValue($0.key), $0.value]) }
            return .array(try sorted(pairs, reverse: reverse, interpreter) { pair in
                let item = (try? Interpreter.iterateStatic(pair)) ?? []
                let key = item.count == 2 ? item[byValue ? 1 : 0] : pair
                return caseSensitive ? key : key.foldedCase
            })
        case "sort":
            let reverse = args.value("reverse", at: 0)?.isTruthy ?? false
            let caseSensitive = args.value("case_sensitive", at: 1)?.isTruthy ?? false
            let attribute = args.value("attribute", at: 2)
            return .array(try sorted(try Interpreter.iterateStatic(value), reverse: reverse, interpreter) { item in
                let key = try attribute.map { try lookup(item, $0, interpreter) } ?? item
                return caseSensitive ? key : key.foldedCase
            })
        case "unique":
            let caseSensitive = args.value("case_sensitive", at: 0)?.isTruthy ?? false
            let attribute = args.value("attribute", at: 1)
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            for item in try Interpreter.iterateStatic(value) {
                var key = try attribute.map { try lookup(item, $0, interpreter) } ?? item
                if !caseSensitive { key = key.foldedCase }
                if !seen.contains(where: { $0.looselyEquals(key) }) { seen.append(key); out.append(item) }
            }
            return .array(out)
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .array(try Interpreter.iterateStatic(value).reversed())
        case "batch":
            guard let size = args.value("linecount", at: 0)?.asInt, size > 0 else {
                throw JinjaError.runtime("batch needs a positive size")
            }
            let fill = args.value("fill_with", at: 1)
            let items = try Interpreter.iterateStatic(value)
            var batches: [JinjaValue] = []
            for start in stride(from: 0, to: items.count, by: size) {
                var chunk = Array(items[start..<min(start + size, items.count)])
                if let fill, chunk.count < size { chunk += Array(repeating: fill, count: size - chunk.count) }
                batches.append(.array(chunk))
            }
            return .array(batches)
        case "sum":
            let attribute = args.value("attribute", at: 0)
            var total = args.value("start", at: 1) ?? .int(0)
            for item in try Interpreter.iterateStatic(value) {
                total = try interpreter.binary("+", total, try attribute.map { try lookup(item, $0, interpreter) } ?? item)
            }
            return total
        case "min", "max":
            let caseSensitive = args.value("case_sensitive", at: 0)?.isTruthy ?? false
            let attribute = args.value("attribute", at: 1)
            let items = try sorted(try Interpreter.iterateStatic(value), reverse: name == "max", interpreter) { item in
                let key = try attribute.map { try lookup(item, $0, interpreter) } ?? item
                return caseSensitive ? key : key.foldedCase
            }
            return items.first ?? .undefined(.hint("No aggregated item, sequence was empty."))
        default:
            throw JinjaError.runtime("No filter named '\(name)' found.")
        }
    }

    /// `map(attribute='x', default=...)` or `map('filter', args...)`.
    private static func map(_ value: JinjaValue, _ args: JinjaArguments, _ interpreter: Interpreter) throws -> JinjaValue {
        let items = value.isTruthy ? try Interpreter.iterateStatic(value) : []
        if let attribute = args.named.first(where: { $0.0 == "attribute" })?.1 {
            let fallback = args.named.first { $0.0 == "default" }?.1
            return .array(try items.map { item in
                let result = try lookup(item, attribute, interpreter)
                return result.isUndefined ? (fallback ?? result) : result
            })
        }
        guard case .string(let filter)? = args.positional.first else {
            throw JinjaError.runtime("map requires a filter name or attribute=")
        }
        let rest = JinjaArguments(Array(args.positional.dropFirst()), named: args.named)
        return .array(try items.map { try apply(filter, $0, rest, interpreter) })
    }

    /// jinja2's `make_attrgetter`: dotted paths, integer parts index lists.
    static func lookup(_ item: JinjaValue, _ attribute: JinjaValue, _ interpreter: Interpreter) throws -> JinjaValue {
        if let i = attribute.asInt { return try interpreter.item(of: item, .int(i)) }
        var current = item
        for part in attribute.text.split(separator: ".") {
            let key: JinjaValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try interpreter.item(of: current, key)
        }
        return current
    }

    /// A stable sort by key, comparing as Python does (errors on mixed types).
    private static func sorted(_ items: [JinjaValue], reverse: Bool, _ interpreter: Interpreter,
                               key: (JinjaValue) throws -> JinjaValue) throws -> [JinjaValue] {
        let keyed = try items.enumerated().map { (offset: $0.offset, key: try key($0.element), item: $0.element) }
        var failure: Error?
        let ordered = keyed.sorted { a, b in
            do {
                let order = try interpreter.compare(a.key, b.key, "<")
                if order == 0 { return a.offset < b.offset }
                return reverse ? order > 0 : order < 0
            } catch {
                failure = error
                return a.offset < b.offset
            }
        }
        if let failure { throw failure }
        return ordered.map(\.item)
    }
}

extension JinjaValue {
    /// Case-insensitive sort and compare key, as jinja2's `ignore_case`.
    var foldedCase: JinjaValue { if case .string(let s) = self { return .string(s.lowercased()) } else { return self } }
}
