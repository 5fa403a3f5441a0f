import CLlama
import XCTest
@testable import PendraEngine

/// llama.cpp's own grammar sampler as the judge: each grammar must parse
/// (non-NULL sampler), and, fed token by token, must accept the JSON it
/// should and refuse the JSON it should not.
final class GrammarJudge: @unchecked Sendable {
    let model: OpaquePointer
    let vocab: OpaquePointer

    let greedy: Bool

    /// Only the tokenizer is needed, so the weights are not loaded.
    init(path: String, greedy: Bool = false) throws {
        self.greedy = greedy
        llama_backend_init()
        var params = llama_model_default_params()
        params.vocab_only = true
        params.n_gpu_layers = 0
        guard let m = llama_model_load_from_file(path, params) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        model = m
        vocab = llama_model_get_vocab(m)
    }

    deinit { llama_model_free(model) }

    private func sampler(_ grammar: String) -> UnsafeMutablePointer<llama_sampler>? {
        llama_sampler_init_grammar(vocab, grammar, "root")
    }

    func parses(_ grammar: String) -> Bool {
        guard let s = sampler(grammar) else { return false }
        llama_sampler_free(s)
        return true
    }

    /// Whether the grammar lets the model write exactly `text` and then stop.
    /// `special`: control-token texts become their tokens, as a model writes them.
    func accepts(_ grammar: String, _ text: String, special: Bool = false) -> Bool {
        guard let s = sampler(grammar) else { return false }
        defer { llama_sampler_free(s) }
        for token in tokenize(text, special: special) {
            // Accepting a token the grammar forbids throws inside llama.cpp,
            // so each token is checked with apply() first.
            guard allowed(token, by: s) else { return false }
            llama_sampler_accept(s, token)
        }
        return allowed(llama_vocab_eos(vocab), by: s)
    }

    private func allowed(_ token: llama_token, by s: UnsafeMutablePointer<llama_sampler>) -> Bool {
        var data = llama_token_data(id: token, logit: 0, p: 0)
        return withUnsafeMutablePointer(to: &data) { p in
            var array = llama_token_data_array(data: p, size: 1, selected: -1, sorted: false)
            llama_sampler_apply(s, &array)
            return p.pointee.logit != -.infinity
        }
    }

    /// Pieces of every token, for `greedy` tokenization: SentencePiece
    /// vocabularies (Mistral) prefix text with a space when tokenizing,
    /// which a model writing "[" right after `[TOOL_CALLS]` does not.
    private lazy var pieces: [String: llama_token] = {
        var out: [String: llama_token] = [:]
        var buf = [CChar](repeating: 0, count: 256)
        for t in 0..<llama_vocab_n_tokens(vocab) {
            let n = llama_token_to_piece(vocab, t, &buf, Int32(buf.count), 0, true)
            guard n > 0 else { continue }
            let piece = String(decoding: buf[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if out[piece] == nil { out[piece] = t }
        }
        return out
    }()

    /// The longest token piece at each point: a sequence a model can write.
    func greedyTokens(_ text: String, special: Bool) -> [llama_token] {
        let chars = Array(text)
        var out: [llama_token] = []
        var i = 0
        while i < chars.count {
            var n = min(24, chars.count - i)
            while n > 0 {
                if let t = pieces[String(chars[i..<(i + n)])],
                   special || llama_vocab_get_attr(vocab, t).rawValue & LLAMA_TOKEN_ATTR_CONTROL.rawValue == 0 {
                    out.append(t)
                    break
                }
                n -= 1
            }
            precondition(n > 0, "no token for \(chars[i])")
            i += n
        }
        return out
    }

    func tokenize(_ text: String, special: Bool = false) -> [llama_token] {
        if greedy { return greedyTokens(text, special: special) }
        let bytes = Array(text.utf8)
        var tokens = [llama_token](repeating: 0, count: bytes.count + 8)
        let n = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { c in
                llama_tokenize(vocab, c.baseAddress, Int32(bytes.count), &tokens, Int32(tokens.count), false, special)
            }
        }
        precondition(n >= 0, "token buffer too small")
        return Array(tokens.prefix(Int(n)))
    }
}

final class JSONSchemaGrammarLlamaTests: XCTestCase {
    nonisolated(unsafe) private static var shared: GrammarJudge?

    private func judge() throws -> GrammarJudge {
        if let j = Self.shared { return j }
        let j = try GrammarJudge(path: try TestModels.path("tiny-llama.gguf"))
        Self.shared = j
        return j
    }

    /// Checks the grammar parses, then each accepted and rejected sample.
    private func check(_ schema: JSON, accepts good: [String], rejects bad: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let judge = try judge()
        let grammar = try JSONSchemaGrammar.gbnf(for: schema)
        XCTAssertTrue(judge.parses(grammar), "llama.cpp rejected:\n\(grammar)", file: file, line: line)
        for text in good { XCTAssertTrue(judge.accepts(grammar, text), "should accept \(text)\n\(grammar)", file: file, line: line) }
        for text in bad { XCTAssertFalse(judge.accepts(grammar, text), "should reject \(text)\n\(grammar)", file: file, line: line) }
    }

    func testJudgeRejectsBrokenGrammar() throws {
        XCTAssertFalse(try judge().parses("root ::= undefined-rule"))
        XCTAssertFalse(try judge().parses("root ::= \"unterminated"))
    }

    func testPrimitives() throws {
        try check(["type": "integer"], accepts: ["0", "-12", "42"], rejects: ["1.5", "01", "\"1\"", ""])
        try check(["type": "number"], accepts: ["3.25", "-0.5e10", "7"], rejects: ["1.", "abc"])
        try check(["type": "boolean"], accepts: ["true", "false"], rejects: ["True", "1"])
        try check(["type": "null"], accepts: ["null"], rejects: ["nil"])
        try check(["type": "string"], accepts: [#""hi""#, #""a\"b\n""#, #""é""#], rejects: ["hi", "\"a\nb\""])
    }

    func testObjects() throws {
        let schema: JSON = [
            "type": "object",
            "properties": ["city": ["type": "string"], "days": ["type": "integer"], "metric": ["type": "boolean"]],
            "required": ["city"],
        ]
        try check(schema,
                  accepts: [#"{"city": "Paris"}"#, #"{"city":"Paris","days":3,"metric":true}"#,
                            "{\n  \"city\": \"Oslo\",\n  \"metric\": false\n}"],
                  rejects: [#"{}"#, #"{"days": 3}"#, #"{"city": "Paris", "extra": 1}"#, #"{"city": 5}"#,
                            #"{"city": "Paris""#, "{\"city\": \"Paris\"\n" + String(repeating: " ", count: 40) + "}"])
        try check(["type": "object", "properties": ["a": ["type": "null"], "b": ["type": "null"]]],
                  accepts: ["{}", #"{"a": null}"#, #"{"b": null}"#, #"{"a": null, "b": null}"#],
                  rejects: [#"{, "b": null}"#, #"{"b": null, "a": null}"#])
        // Keys that are not valid rule names, and quotes inside keys.
        try check(["type": "object", "properties": ["a b/ü": ["type": "integer"], "say \"hi\"": ["const": 1]],
                   "required": ["a b/ü", "say \"hi\""]],
                  accepts: [#"{"a b/ü": 1, "say \"hi\"": 1}"#], rejects: [#"{"a b/ü": 1, "say \"hi\"": 2}"#])
        try check(["type": "object", "additionalProperties": ["type": "integer"]],
                  accepts: ["{}", #"{"x": 1, "y": 2}"#], rejects: [#"{"x": "1"}"#])
    }

    /// A schema as a client sends it, through the request parser: its
    /// property order (not the alphabet) is the order the model must write.
    func testPropertyOrderOfTheSchemaTextDrivesTheGrammar() throws {
        let schema = try JSON.parse(#"""
            {"type":"object","properties":{"reasoning":{"type":"string","maxLength":8},"answer":{"type":"string","maxLength":8}},
             "required":["reasoning","answer"]}
            """#)
        try check(schema, accepts: [#"{"reasoning": "r", "answer": "a"}"#],
                  rejects: [#"{"answer": "a", "reasoning": "r"}"#])
    }

    func testArraysEnumsAndUnions() throws {
        try check(["type": "array", "items": ["type": "integer"], "minItems": 1, "maxItems": 2],
                  accepts: ["[1]", "[1, 2]"], rejects: ["[]", "[1, 2, 3]", "[\"a\"]"])
        try check(["type": "array", "prefixItems": [["type": "string"], ["type": "integer"]]],
                  accepts: [#"["a", 1]"#], rejects: [#"[1, "a"]"#, #"["a"]"#])
        try check(["enum": ["red", 2, nil]], accepts: [#""red""#, "2", "null"], rejects: [#""blue""#, "3"])
        try check(["type": ["string", "null"]], accepts: [#""x""#, "null"], rejects: ["1"])
        try check(["oneOf": [["type": "integer"], ["const": "auto"]]], accepts: ["5", #""auto""#], rejects: [#""manual""#])
        try check(["type": "string", "minLength": 2, "maxLength": 3], accepts: [#""ab""#, #""abc""#], rejects: [#""a""#, #""abcd""#])
    }

    func testRefsNestedAndRecursive() throws {
        let tree: JSON = [
            "$defs": ["Node": ["type": "object", "properties": [
                "name": ["type": "string"],
                "children": ["type": "array", "items": ["$ref": "#/$defs/Node"]],
            ], "required": ["name"]]],
            "$ref": "#/$defs/Node",
        ]
        try check(tree, accepts: [#"{"name": "a"}"#, #"{"name": "a", "children": [{"name": "b", "children": []}]}"#],
                  rejects: [#"{"name": "a", "children": [{}]}"#])
        let nested: JSON = ["type": "object", "properties": [
            "user": ["type": "object", "properties": ["id": ["type": "integer"]], "required": ["id"]],
        ], "required": ["user"]]
        try check(nested, accepts: [#"{"user": {"id": 7}}"#], rejects: [#"{"user": {}}"#])
        try check(["allOf": [["properties": ["a": ["type": "integer"]], "required": ["a"]],
                             ["properties": ["b": ["type": "integer"]], "required": ["b"]]]],
                  accepts: [#"{"a": 1, "b": 2}"#], rejects: [#"{"a": 1}"#])
    }

    func testToolCallGrammarsMatchWhatTheParserReads() throws {
        let judge = try judge()
        let weather = ToolFixtures.weather
        let samples: [(ToolCallFormat, String)] = [
            (.hermes, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"),
            (.llama3JSON, #"{"name": "get_weather", "parameters": {"city": "Paris"}}"#),
            (.mistral, #"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}]"#),
        ]
        for (format, text) in samples {
            let grammar = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: format, forced: nil)
            XCTAssertTrue(judge.parses(grammar), grammar)
            XCTAssertTrue(judge.accepts(grammar, text), "\(format): \(text)\n\(grammar)")
            XCTAssertFalse(judge.accepts(grammar, text.replacingOccurrences(of: "\"city\"", with: "\"town\"")))
            XCTAssertFalse(judge.accepts(grammar, "Sure! " + text))
            // What the grammar allows, the parser must read back as a call.
            let parsed = ToolFixtures.parser().parse(text, format: format, tools: ToolFixtures.all)
            XCTAssertEqual(parsed.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)])

            let forced = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: format, forced: "get_time")
            XCTAssertFalse(judge.accepts(forced, text))
        }
        // The other formats, with the exact text each grammar writes.
        let more: [(ToolCallFormat, String)] = [
            (.qwenXML, "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>"),
            (.glm, "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>"),
            (.deepseek(r1: false), "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"),
            (.deepseek(r1: true), "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"),
            (.kimiK2, "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|><|tool_calls_section_end|>"),
            (.commandR7B, "<|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}]<|END_ACTION|>"),
            (.granite, "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]"),
            (.functionary, "<function=get_weather>{\"city\": \"Paris\"}</function>"),
            (.minimax, "<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n</invoke>\n</minimax:tool_call>"),
        ]
        for (format, text) in more {
            let grammar = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: format, forced: nil)
            XCTAssertTrue(judge.parses(grammar), "\(format)\n\(grammar)")
            XCTAssertTrue(judge.accepts(grammar, text), "\(format): \(text)\n\(grammar)")
            XCTAssertFalse(judge.accepts(grammar, text.replacingOccurrences(of: "city", with: "town")), "\(format)")
            XCTAssertFalse(judge.accepts(grammar, "Sure! " + text), "\(format)")
            let parsed = ToolFixtures.parser().parse(text, format: format, tools: ToolFixtures.all)
            XCTAssertEqual(parsed.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)], "\(format)")
        }
        let harmony = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .harmony, forced: "get_weather")
        XCTAssertTrue(judge.accepts(harmony, "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}"),
                      harmony)
        let timeOnly = try JSONSchemaGrammar.toolCallGBNF(tools: [weather, ToolFixtures.time], format: .hermes, forced: "get_time")
        XCTAssertTrue(judge.accepts(timeOnly, "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"))
    }
}
