/// An ordered set of GBNF rules with unique names, plus the JSON primitive
/// rules, added only when used so small schemas give small grammars.
///
/// Convention: every value rule consumes its own trailing whitespace, so a
/// composite rule is a plain concatenation of value rules and literals.
struct GBNFRules {
    private(set) var order: [String] = []
    private var bodies: [String: String] = [:]
    private var taken: Set<String> = []

    /// Names of the primitive rules below. Derived names never take them.
    static let primitiveNames: Set<String> = ["ws", "char", "string", "number", "integer", "boolean", "null",
                                              "value", "object", "array"]

    /// Whitespace is bounded (one newline and up to 20 indent characters) so a
    /// weak model cannot loop forever on spaces inside a constrained reply.
    private static let primitives: [String: (body: String, uses: [String])] = [
        "ws": (#"| " " | "\n" [ \t]{0,20}"#, []),
        "char": (#"[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})"#, []),
        "string": (#""\"" char* "\"" ws"#, ["char", "ws"]),
        // Digit counts are bounded for the same reason as whitespace.
        "number": (#""-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})? ws"#, ["ws"]),
        "integer": (#""-"? ("0" | [1-9] [0-9]{0,15}) ws"#, ["ws"]),
        "boolean": (#"("true" | "false") ws"#, ["ws"]),
        "null": (#""null" ws"#, ["ws"]),
        "value": ("object | array | string | number | boolean | null",
                  ["object", "array", "string", "number", "boolean", "null"]),
        "object": (#""{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws"#, ["ws", "string", "value"]),
        "array": (#""[" ws ( value ("," ws value)* )? "]" ws"#, ["ws", "value"]),
    ]

    init() { taken = Self.primitiveNames.union(["root"]) }

    /// A fresh rule name derived from `base` (GBNF allows `[a-zA-Z0-9-]`).
    /// "root" is given out once, to whoever asks for it first.
    mutating func reserve(_ base: String) -> String {
        var clean = String(base.unicodeScalars.map { s -> Character in
            (s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s))) ? Character(s) : "-"
        })
        if clean.isEmpty { clean = "rule" }
        if clean == "root" && bodies["root"] == nil && !order.contains("root") {
            order.append("root")
            return "root"
        }
        var name = clean
        var n = 1
        while taken.contains(name) {
            n += 1
            name = "\(clean)-\(n)"
        }
        taken.insert(name)
        order.append(name)
        return name
    }

    mutating func define(_ name: String, _ body: String) { bodies[name] = body }

    /// The name of a primitive rule, adding it (and what it uses) on first use.
    mutating func primitive(_ name: String) -> String {
        guard bodies[name] == nil, let p = Self.primitives[name] else { return name }
        bodies[name] = p.body
        order.append(name)
        for u in p.uses { _ = primitive(u) }
        return name
    }

    /// `root` first, the rest in the order they were made.
    var text: String {
        let names = ["root"] + order.filter { $0 != "root" }
        return names.compactMap { n in bodies[n].map { "\(n) ::= \($0)" } }.joined(separator: "\n") + "\n"
    }

    /// A GBNF string literal matching `s` exactly.
    static func literal(_ s: String) -> String { cQuoted(s) }
}
