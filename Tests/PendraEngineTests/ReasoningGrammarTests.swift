import XCTest
@testable import PendraEngine

/// Reasoning before a forced answer, judged by llama.cpp's grammar engine on
/// the vocabularies that have these tags as tokens (tiny-qwen3-think for
/// `<think>`, tiny-mistral for `[THINK]`, tiny-gpt-oss for harmony), with
/// the tags written as their special tokens and as plain text pieces.
final class ReasoningGrammarTests: XCTestCase {
    nonisolated(unsafe) private static var judges: [String: GrammarJudge] = [:]

    private func judge(_ file: String) throws -> GrammarJudge {
        if let j = Self.judges[file] { return j }
        // SentencePiece (tiny-mistral) text is tokenized piece by piece, as written.
        let j = try GrammarJudge(path: try TestModels.path(file), greedy: file == "tiny-mistral.gguf")
        Self.judges[file] = j
        return j
    }

    private let schema: JSON = ["type": "object", "properties": ["b": ["type": "integer"], "a": ["type": "string"]],
                                "required": ["b", "a"]]
    private let answer = #"{"b": 1, "a": "x"}"#

    func testThinkBeforeJSONWhenThePromptOpenedIt() throws {
        let j = try judge("tiny-qwen3-think.gguf")
        let g = try XCTUnwrap(ReasoningGrammar.reasoningFirst(try JSONSchemaGrammar.gbnf(for: schema), format: .think, opened: true))
        XCTAssertTrue(j.parses(g), g)
        for special in [true, false] {
            XCTAssertTrue(j.accepts(g, "Let me see: <b> and </th k.</think>\n\n" + answer, special: special), g)
            // A "<" right before the tag, and the tag at once.
            XCTAssertTrue(j.accepts(g, "x <</think>" + answer, special: special))
            XCTAssertTrue(j.accepts(g, "</think>" + answer, special: special))
            // The answer must come right after the first closing tag, and be the schema's.
            XCTAssertFalse(j.accepts(g, "a</think>b</think>" + answer, special: special))
            XCTAssertFalse(j.accepts(g, "a</think>" + #"{"a": "x", "b": 1}"#, special: special))
            XCTAssertFalse(j.accepts(g, answer, special: special))
        }
    }

    func testThinkIsOptionalWhenTheModelOpensIt() throws {
        let j = try judge("tiny-qwen3-think.gguf")
        let g = try XCTUnwrap(ReasoningGrammar.reasoningFirst(try JSONSchemaGrammar.gbnf(for: schema), format: .think, opened: false))
        XCTAssertTrue(j.accepts(g, "<think>\nhmm\n</think>\n\n" + answer, special: true), g)
        XCTAssertTrue(j.accepts(g, answer))
        XCTAssertFalse(j.accepts(g, "hmm</think>" + answer, special: true))
        XCTAssertFalse(j.accepts(g, " <think>x</think>" + answer, special: true))
    }

    func testForcedCallAfterReasoningInEachTagFormat() throws {
        let xml = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .qwenXML, forced: "get_weather")
        let g = try XCTUnwrap(ReasoningGrammar.reasoningFirst(xml, format: .think, opened: true))
        let call = "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>"
        XCTAssertTrue(try judge("tiny-qwen3-think.gguf").accepts(g, "I should call it.</think>\n\n" + call, special: true), g)

        let mistral = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .mistral, forced: nil)
        let m = try XCTUnwrap(ReasoningGrammar.reasoningFirst(mistral, format: .mistralThink, opened: false))
        let mj = try judge("tiny-mistral.gguf")
        let mcall = #"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}]"#
        XCTAssertTrue(mj.parses(m), m)
        for special in [true, false] {
            XCTAssertTrue(mj.accepts(m, "[THINK]Paris [/ then[/THINK]" + mcall, special: special), m)
            XCTAssertTrue(mj.accepts(m, mcall, special: special))
            XCTAssertFalse(mj.accepts(m, "[THINK]x[/THINK]Sure! " + mcall, special: special))
        }
    }

    func testHarmonyAnalysisThenCommentaryCallOrFinalJSON() throws {
        let j = try judge("tiny-gpt-oss.gguf")
        let calls = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .harmony, forced: "get_weather")
        let g = try XCTUnwrap(ReasoningGrammar.reasoningFirst(calls, format: .harmony, opened: false))
        let call = "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}"
        XCTAssertTrue(j.parses(g), g)
        for special in [true, false] {
            XCTAssertTrue(j.accepts(g, "<|channel|>analysis<|message|>Need weather. a<b<|end|><|start|>assistant" + call,
                                    special: special), g)
            XCTAssertTrue(j.accepts(g, call, special: special))
            XCTAssertFalse(j.accepts(g, "<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>hi",
                                     special: special))
        }
        let json = try JSONSchemaGrammar.gbnf(for: schema)
        let f = try XCTUnwrap(ReasoningGrammar.reasoningFirst(ReasoningGrammar.harmonyFinal(json), format: .harmony, opened: false))
        XCTAssertTrue(j.accepts(f, "<|channel|>analysis<|message|>ok<|end|><|start|>assistant<|channel|>final<|message|>" + answer,
                                special: true), f)
        XCTAssertTrue(j.accepts(f, "<|channel|>final<|message|>" + answer, special: true))
        XCTAssertFalse(j.accepts(f, answer, special: true))
    }

    /// What the grammar lets through, the output parser splits the same way.
    func testParserSplitsWhereTheGrammarEndsTheReasoning() {
        var p = OutputParser(OutputSpec(reasoning: .think, startsInReasoning: true))
        let events = p.feed("a <</thi") + p.feed("nk>\n\n{\"b\": 1}") + p.finish()
        XCTAssertEqual(events, [.reasoning("a <"), .text("{\"b\": 1}")])
    }

    func testRootRenameAvoidsTakenNames() {
        let g = ReasoningGrammar.reasoningFirst("root ::= reasoning-answer\nreasoning-answer ::= \"x\"\n", format: .think, opened: true)!
        XCTAssertTrue(g.contains("reasoning-answer-2 ::= reasoning-answer\n"), g)
        XCTAssertTrue(g.hasPrefix("root ::= reasoning-0\n"), g)
    }
}
