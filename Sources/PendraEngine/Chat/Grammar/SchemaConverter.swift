/// Walks a JSON Schema and writes one GBNF rule per schema node.
///
/// Each node gets its own named rule (even `root-age ::= integer`): the
/// indirection costs nothing at sampling time and lets `$ref` targets, which
/// may be recursive, be referred to by name before they are finished.
struct SchemaConverter {
    var rules = GBNFRules()
    /// The document `$ref`s resolve against: the schema being converted.
    var document: JSON = .null
    var refRules: [String: String] = [:]

    typealias Failure = JSONSchemaGrammarError

    /// Converts a whole schema document; returns its rule name.
    mutating func convertDocument(_ schema: JSON, name: String) throws(Failure) -> String {
        document = schema
        refRules = [:]
        return try rule(for: schema, name: name, path: "#")
    }

    mutating func rule(for schema: JSON, name base: String, path: String) throws(Failure) -> String {
        let name = rules.reserve(base)
        rules.define(name, try body(for: schema, name: name, path: path))
        return name
    }

    mutating func body(for schema: JSON, name: String, path: String) throws(Failure) -> String {
        let s: JSONObject
        switch schema {
        case .bool(true): return rules.primitive("value")
        case .bool(false): throw .unsatisfiable(path: path)
        case .object(let o): s = o
        default: throw .notASchema(path: path, found: schema.typeName)
        }
        let ws = rules.primitive("ws")
        if let ref = s["$ref"] {
            guard let r = ref.string else { throw .invalidKeyword(path: path, keyword: "$ref", reason: "must be a string") }
            return try refRule(r, path: path)
        }
        if let c = s["const"] { return "\(GBNFRules.literal(c.serialized)) \(ws)" }
        if let e = s["enum"] {
            guard let values = e.array, !values.isEmpty else {
                throw .invalidKeyword(path: path, keyword: "enum", reason: "must be a non-empty array")
            }
            return "(" + values.map { GBNFRules.literal($0.serialized) }.joined(separator: " | ") + ") \(ws)"
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let alts = s[keyword] else { continue }
            guard let list = alts.array, !list.isEmpty else {
                throw .invalidKeyword(path: path, keyword: keyword, reason: "must be a non-empty array of schemas")
            }
            var names: [String] = []
            for (i, sub) in list.enumerated() {
                names.append(try rule(for: sub, name: "\(name)-\(i)", path: "\(path)/\(keyword)/\(i)"))
            }
            return names.joined(separator: " | ")
        }
        if let all = s["allOf"] {
            return try body(for: try merged(all, path: path), name: name, path: path)
        }
        switch s["type"] {
        case nil:
            // No type: infer it from the keywords, else any JSON value.
            if s["properties"] != nil || s["required"] != nil || s["additionalProperties"] != nil {
                return try objectBody(s, name: name, path: path)
            }
            if s["items"] != nil || s["prefixItems"] != nil { return try arrayBody(s, name: name, path: path) }
            return rules.primitive("value")
        case .string(let type)?:
            return try typed(type, s, name: name, path: path)
        case .array(let types)?:
            guard !types.isEmpty else { throw .invalidKeyword(path: path, keyword: "type", reason: "must not be empty") }
            var alts: [String] = []
            for (i, t) in types.enumerated() {
                guard let type = t.string else { throw .unknownType(path: path, type: t.serialized) }
                var one = s
                one["type"] = .string(type)
                alts.append(try rule(for: .object(one), name: "\(name)-\(i)", path: path))
            }
            return alts.joined(separator: " | ")
        case let other?:
            throw .unknownType(path: path, type: other.serialized)
        }
    }

    private mutating func typed(_ type: String, _ s: JSONObject, name: String, path: String) throws(Failure) -> String {
        switch type {
        case "object": return try objectBody(s, name: name, path: path)
        case "array": return try arrayBody(s, name: name, path: path)
        case "string": return try stringBody(s, path: path)
        case "number", "integer", "boolean", "null": return rules.primitive(type)
        default: throw .unknownType(path: path, type: type)
        }
    }

    /// `minLength`/`maxLength` bound the characters; `format` and `pattern`
    /// are not enforced (any string is allowed), which is what most clients
    /// expect from a best-effort constraint.
    private mutating func stringBody(_ s: JSONObject, path: String) throws(Failure) -> String {
        let (minLength, maxLength) = try bounds(s, "minLength", "maxLength", path: path)
        if minLength == 0 && maxLength == nil { return rules.primitive("string") }
        let char = rules.primitive("char")
        let ws = rules.primitive("ws")
        return #""\"" \#(char)\#(Self.repeat(minLength, maxLength)) "\"" \#(ws)"#
    }

    /// Largest repetition count written into a grammar. llama.cpp expands
    /// `x{m,n}` into about n rules, so `maxLength: 1000000000` from a client
    /// would exhaust the server's memory. Larger maxima are left unenforced;
    /// larger minima are refused, since dropping them would change the meaning.
    static let repetitionLimit = 1000

    /// A validated `min...max` keyword pair (max nil: unbounded).
    func bounds(_ s: JSONObject, _ minKey: String, _ maxKey: String, path: String) throws(Failure) -> (Int, Int?) {
        let low = try count(s, minKey, path: path) ?? 0
        var high = try count(s, maxKey, path: path)
        if let h = high, h < low { throw .invalidKeyword(path: path, keyword: maxKey, reason: "is less than \(minKey)") }
        guard low <= Self.repetitionLimit else {
            throw .invalidKeyword(path: path, keyword: minKey, reason: "is larger than \(Self.repetitionLimit), too large to enforce")
        }
        if let h = high, h > Self.repetitionLimit { high = nil }
        return (low, high)
    }

    /// A non-negative integer keyword, or nil when absent.
    func count(_ s: JSONObject, _ keyword: String, path: String) throws(Failure) -> Int? {
        guard let v = s[keyword] else { return nil }
        guard let n = v.int, n >= 0 else {
            throw .invalidKeyword(path: path, keyword: keyword, reason: "must be a non-negative integer")
        }
        return n
    }

    /// GBNF repetition suffix for `min...max` occurrences (max nil: unbounded).
    static func `repeat`(_ min: Int, _ max: Int?) -> String {
        switch (min, max) {
        case (0, nil): return "*"
        case (1, nil): return "+"
        case (let m, nil): return "{\(m),}"
        case (0, 1?): return "?"
        case (let m, let n?) where m == n: return "{\(m)}"
        case (let m, let n?): return "{\(m),\(n)}"
        }
    }
}
