/// A grammar that lets a reasoning model reason first: free text up to the
/// first closing tag (or harmony's `analysis` message), then the answer the
/// original grammar forces (a `json_schema` value, a tool call). llama.cpp's
/// own chat parsers build their grammars the same way (an optional
/// reasoning part before the constrained answer), rather than waiting
/// for a trigger.
///
/// The reasoning text is matched by a small automaton that cannot contain
/// the closing text, so the grammar and the output parser agree on where
/// reasoning ends: its first closing tag, whether the model wrote it as one
/// special token or in pieces, or the engine wrote it when the budget ran out.
enum ReasoningGrammar {
    /// Whitespace the model may put between the reasoning and the answer
    /// (Qwen writes `</think>\n\n`); bounded so it cannot loop on it.
    static let separator = "[ \\n]{0,3}"

    /// `answer` with a reasoning part before it. `opened`: the prompt already
    /// opened the reasoning, so the output starts inside it; otherwise it may
    /// start with the opening tag or go straight to the answer. nil when the
    /// format has no reasoning to put first.
    static func reasoningFirst(_ answer: String, format: ReasoningFormat, opened: Bool) -> String? {
        let (body, answerRule) = renamingRoot(answer)
        switch format {
        case .tags(let open, let close):
            let exit = "\(separator) \(answerRule)"
            let rules = untilRules(close, prefix: "reasoning", exit: exit)
            let root = opened ? "reasoning-0" : "\(GBNFRules.literal(open)) reasoning-0 | \(answerRule)"
            return "root ::= \(root)\n" + rules + body
        case .harmony:
            // gpt-oss: an `analysis` message, then the answer as the next
            // message. Analysis text never holds `<|`, so its end is `<|end|>`.
            let next = "\(GBNFRules.literal("end|><|start|>assistant")) \(answerRule)"
            let rules = untilRules("<|", prefix: "analysis", exit: next)
            return "root ::= \(GBNFRules.literal("<|channel|>analysis<|message|>")) analysis-0 | \(answerRule)\n" + rules + body
        case .none:
            return nil
        }
    }

    /// gpt-oss's answer to a `json_schema`: the JSON in the `final` channel,
    /// where the harmony parser reads content.
    static func harmonyFinal(_ json: String) -> String {
        let (body, rule) = renamingRoot(json)
        return "root ::= \(GBNFRules.literal("<|channel|>final<|message|>")) \(rule)\n" + body
    }

    /// The grammar with its `root` rule renamed to a name it does not use yet.
    private static func renamingRoot(_ grammar: String) -> (String, String) {
        let names = Set(grammar.split(separator: "\n").compactMap { line in
            line.range(of: " ::= ").map { String(line[..<$0.lowerBound]) }
        })
        var name = "reasoning-answer"
        var n = 1
        while names.contains(name) {
            n += 1
            name = "reasoning-answer-\(n)"
        }
        let lines = grammar.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix("root ::= ") ? name + line.dropFirst(4) : String(line)
        }
        return (lines.joined(separator: "\n"), name)
    }

    /// Rules `prefix-0` … `prefix-(n-1)` matching any text that does not
    /// contain `stop`, then `stop`, then `exit`: the states of a
    /// Knuth-Morris-Pratt matcher, state i meaning the text ends with the
    /// first i characters of `stop`. Right-recursive only, so llama.cpp's
    /// grammar stacks do not grow with the reasoning's length.
    static func untilRules(_ stop: String, prefix: String, exit: String) -> String {
        let s = Array(stop.unicodeScalars)
        var distinct: [Unicode.Scalar] = []
        for c in s where !distinct.contains(c) { distinct.append(c) }
        let others = "[^" + distinct.map(classEscape).joined() + "]"
        var text = ""
        for state in 0..<s.count {
            var alternatives = ["\(others) \(prefix)-0"]
            for c in distinct {
                let next = step(s, state, c)
                let target = next == s.count ? exit : "\(prefix)-\(next)"
                alternatives.append("\(GBNFRules.literal(String(c))) \(target)")
            }
            text += "\(prefix)-\(state) ::= " + alternatives.joined(separator: " | ") + "\n"
        }
        return text
    }

    /// The matcher's next state from `state` on character `c`.
    private static func step(_ s: [Unicode.Scalar], _ state: Int, _ c: Unicode.Scalar) -> Int {
        // The longest prefix of s that is a suffix of s[0..<state] + c.
        let seen = Array(s[0..<state]) + [c]
        var k = min(seen.count, s.count)
        while k > 0 && !(Array(seen.suffix(k)) == Array(s.prefix(k))) { k -= 1 }
        return k
    }

    private static func classEscape(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16)
        if c.value < 0x100 { return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex }
        if c.value < 0x10000 { return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex }
        return "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
