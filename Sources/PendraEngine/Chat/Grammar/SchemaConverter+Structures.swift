/// Objects, arrays, `$ref` and `allOf`: the keywords that build structure.
extension SchemaConverter {
    /// Required properties first, each in `properties` order, then optional
    /// ones in that order, each free to be left out. Property order is fixed
    /// rather than free because a grammar allowing every order grows
    /// factorially, and models follow the schema's order anyway.
    mutating func objectBody(_ s: JSONObject, name: String, path: String) throws(Failure) -> String {
        let ws = rules.primitive("ws")
        var properties = JSONObject()
        if let p = s["properties"] {
            guard let o = p.object else { throw .invalidKeyword(path: path, keyword: "properties", reason: "must be an object") }
            properties = o
        }
        var required: [String] = []
        if let r = s["required"] {
            guard let list = r.array?.compactMap(\.string), list.count == r.array?.count else {
                throw .invalidKeyword(path: path, keyword: "required", reason: "must be an array of strings")
            }
            required = list
        }
        // Generation is strict by default: extra keys only when asked for.
        // A bare {"type":"object"} with no properties means "any object".
        var extra: String?
        switch s["additionalProperties"] {
        case nil where s["properties"] == nil: extra = rules.primitive("value")
        case nil, .bool(false)?: extra = nil
        case let schema?: extra = try rule(for: schema, name: "\(name)-additional", path: "\(path)/additionalProperties")
        }

        var req: [String] = []
        var opt: [String] = []
        let names = properties.keys + required.filter { properties[$0] == nil }
        for key in names {
            let valueRule = try rule(for: properties[key] ?? .bool(true), name: "\(name)-\(key)",
                                     path: "\(path)/properties/\(Self.pointerEscape(key))")
            let kv = "\(GBNFRules.literal(JSON.quoted(key))) \(ws) \":\" \(ws) \(valueRule)"
            let kvRule = rules.reserve("\(name)-\(key)-kv")
            rules.define(kvRule, kv)
            if required.contains(key) { req.append(kvRule) } else { opt.append(kvRule) }
        }
        let extraKV = extra.map { "\(rules.primitive("string")) \":\" \(ws) \($0)" }
        let extraTail = extraKV.map { " (\",\" \(ws) \($0))*" } ?? ""

        let inner: String
        if !req.isEmpty {
            inner = req.joined(separator: " \",\" \(ws) ") + opt.map { " (\",\" \(ws) \($0))?" }.joined() + extraTail + " "
        } else {
            // Nothing required: whichever member comes first has no comma.
            var alts: [String] = []
            for i in opt.indices {
                alts.append(opt[i] + opt[(i + 1)...].map { " (\",\" \(ws) \($0))?" }.joined() + extraTail)
            }
            if let extraKV { alts.append(extraKV + extraTail) }
            inner = alts.isEmpty ? "" : "( " + alts.joined(separator: " | ") + " )? "
        }
        return "\"{\" \(ws) \(inner)\"}\" \(ws)"
    }

    /// `items` (one schema for all) or `prefixItems` / `items: [...]` (a
    /// tuple), with `minItems` / `maxItems`.
    mutating func arrayBody(_ s: JSONObject, name: String, path: String) throws(Failure) -> String {
        let ws = rules.primitive("ws")
        let open = "\"[\" \(ws) ", close = "\"]\" \(ws)", comma = "\",\" \(ws) "
        if let tuple = (s["prefixItems"] ?? s["items"])?.array {
            var parts: [String] = []
            for (i, item) in tuple.enumerated() {
                parts.append(try rule(for: item, name: "\(name)-\(i)", path: "\(path)/prefixItems/\(i)"))
            }
            return open + parts.map { $0 + " " }.joined(separator: comma) + close
        }
        let (minItems, maxItems) = try bounds(s, "minItems", "maxItems", path: path)
        if maxItems == 0 { return open + close }
        let item: String
        if let schema = s["items"] {
            item = try rule(for: schema, name: "\(name)-item", path: "\(path)/items")
        } else {
            item = rules.primitive("value")
        }
        let more = Self.repeat(max(minItems - 1, 0), maxItems.map { $0 - 1 })
        let list = more == "{0}" ? item : "\(item) (\(comma)\(item))\(more)"
        return open + (minItems == 0 ? "(\(list))? " : list + " ") + close
    }

    /// The rule for a local `$ref`, made once per target so recursive
    /// schemas (a tree node whose children are nodes) become recursive rules.
    mutating func refRule(_ ref: String, path: String) throws(Failure) -> String {
        if let known = refRules[ref] { return known }
        var target = try resolve(ref, path: path)
        // A chain of pure aliases that loops never reaches a value; llama.cpp
        // would reject the grammar as left-recursive, so say why here.
        var seen: Set<String> = [ref]
        while let next = target.object?["$ref"]?.string, target.object?.count == 1 {
            guard seen.insert(next).inserted else { throw .refCycle(ref: ref) }
            target = try resolve(next, path: path)
        }
        let base = ref.split(separator: "/").last.map(String.init) ?? "ref"
        let name = rules.reserve("ref-" + (base == "#" ? "root" : base))
        refRules[ref] = name
        rules.define(name, try body(for: target, name: name, path: ref))
        return name
    }

    /// Follows a `#/a/b` JSON pointer through the current document.
    private func resolve(_ ref: String, path: String) throws(Failure) -> JSON {
        guard ref == "#" || ref.hasPrefix("#/") else { throw .unresolvableRef(path: path, ref: ref) }
        var node = document
        let components = ref == "#" ? [] : ref.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false)
        for raw in components {
            let key = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let o): guard let n = o[key] else { throw .unresolvableRef(path: path, ref: ref) }; node = n
            case .array(let a): guard let i = Int(key), a.indices.contains(i) else { throw .unresolvableRef(path: path, ref: ref) }; node = a[i]
            default: throw .unresolvableRef(path: path, ref: ref)
            }
        }
        return node
    }

    /// `allOf` of object schemas, merged into one: properties and required
    /// lists are united. The result has properties, so it is strict.
    func merged(_ all: JSON, path: String) throws(Failure) -> JSON {
        guard let list = all.array, !list.isEmpty else {
            throw .invalidKeyword(path: path, keyword: "allOf", reason: "must be a non-empty array of schemas")
        }
        var properties = JSONObject()
        var required: [JSON] = []
        for (i, item) in list.enumerated() {
            var sub = item
            if let r = sub.object?["$ref"]?.string { sub = try resolve(r, path: "\(path)/allOf/\(i)") }
            guard let o = sub.object, o["type"] == nil || o["type"] == "object" else {
                throw .invalidKeyword(path: path, keyword: "allOf", reason: "is only supported for object schemas")
            }
            for (k, v) in o["properties"]?.object ?? JSONObject() { properties[k] = v }
            for r in o["required"]?.array ?? [] where !required.contains(r) { required.append(r) }
        }
        return ["type": "object", "properties": .object(properties), "required": .array(required)]
    }

    static func pointerEscape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
