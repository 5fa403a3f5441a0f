import XCTest
@testable import PendraEngine

/// DeepSeek V3.2 / V4 DSML blocks and Functionary v3.2 `>>>` messages: read
/// from the real templates, parsed (parallel calls), streamed through the
/// filter, and forced by a grammar llama.cpp's engine accepts.
final class ToolCallParserDSMLTests: XCTestCase {
    private let d = "｜DSML｜"
    private let weather = ChatTool(name: "get_weather", description: nil, parameters: [
        "type": "object", "properties": ["city": ["type": "string"], "days": ["type": "integer"]], "required": ["city"]])
    private var tools: [ChatTool] { [weather, ToolFixtures.time] }

    private func template(_ name: String) throws -> String {
        try String(contentsOfFile: GGUFTestEnvironment.llamaSource + "/models/templates/" + name, encoding: .utf8)
    }

    func testDetectedFromTheRealTemplates() throws {
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: try template("deepseek-ai-DeepSeek-V3.2.jinja")), .dsml(block: "function_calls"))
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: try template("deepseek-ai-DeepSeek-V4.jinja")), .dsml(block: "tool_calls"))
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: try template("meetkai-functionary-medium-v3.2.jinja")), .functionaryV32)
        XCTAssertEqual(ReasoningFormat.detect(chatTemplate: try template("deepseek-ai-DeepSeek-V3.2.jinja")), .think)
    }

    func testDSMLParallelCallsTypedByTheStringAttribute() {
        let text = "Checking.\n\n<\(d)function_calls>\n<\(d)invoke name=\"get_weather\">\n"
            + "<\(d)parameter name=\"city\" string=\"true\">Paris</\(d)parameter>\n"
            + "<\(d)parameter name=\"days\" string=\"false\">3</\(d)parameter>\n</\(d)invoke>\n"
            + "<\(d)invoke name=\"get_time\">\n</\(d)invoke>\n</\(d)function_calls>"
        let r = ToolFixtures.parser().parse(text, format: .dsml(block: "function_calls"), tools: tools)
        XCTAssertEqual(r.content, "Checking.")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris","days":3}"#),
                                 ChatToolCall(id: "call_2", name: "get_time", arguments: "{}")])
        // "42" marked as text stays a string; cut off, unknown tool: all text.
        let s = "<\(d)function_calls>\n<\(d)invoke name=\"get_weather\">\n<\(d)parameter name=\"city\" string=\"true\">42</\(d)parameter>\n</\(d)invoke>\n</\(d)function_calls>"
        XCTAssertEqual(ToolFixtures.parser().parse(s, format: .dsml(block: "function_calls"), tools: tools).calls.first?.arguments, #"{"city":"42"}"#)
        for bad in [String(s.dropLast(5)), s.replacingOccurrences(of: "get_weather", with: "nope")] {
            let r = ToolFixtures.parser().parse(bad, format: .dsml(block: "function_calls"), tools: tools)
            XCTAssertEqual(r.calls, [])
            XCTAssertEqual(r.content, bad)
        }
    }

    func testFunctionaryV32MessagesAfterTheGenerationPrompt() {
        let p = ToolFixtures.parser()
        let r = p.parse("all\nLet me check.\n>>>get_weather\n{\"city\": \"Oslo\"}>>>get_time\n{}", format: .functionaryV32, tools: tools)
        XCTAssertEqual(r.content, "Let me check.")
        XCTAssertEqual(r.calls.map(\.name), ["get_weather", "get_time"])
        XCTAssertEqual(r.calls.first?.arguments, #"{"city":"Oslo"}"#)
        XCTAssertEqual(p.parse("get_time\n{}", format: .functionaryV32, tools: tools).calls.map(\.name), ["get_time"])
        for bad in ["python\nprint(1)", "get_weather\n{\"city\": ", "nope\n{}"] {
            XCTAssertEqual(p.parse(bad, format: .functionaryV32, tools: tools).calls, [], bad)
        }
    }

    func testStreamFilterShowsContentWithoutItsRecipientAndHoldsCalls() {
        var f = ToolCallStreamFilter(format: .functionaryV32, tools: tools, parser: ToolFixtures.parser())
        XCTAssertEqual(f.feed("al"), "")
        XCTAssertEqual(f.feed("l\nHi there"), "Hi there")
        XCTAssertEqual(f.feed(">>"), "")
        XCTAssertEqual(f.feed(">get_time\n{}"), "")
        let end = f.finish()
        XCTAssertEqual(end.calls.map(\.name), ["get_time"])
        XCTAssertEqual(end.content, "")

        var g = ToolCallStreamFilter(format: .dsml(block: "tool_calls"), tools: tools, parser: ToolFixtures.parser())
        XCTAssertEqual(g.feed("Sure.\n\n<"), "Sure.\n\n")
        XCTAssertEqual(g.feed("\(d)tool_calls>\n<\(d)invoke name=\"get_time\">\n</\(d)invoke>\n</\(d)tool_calls>"), "")
        XCTAssertEqual(g.finish().calls.map(\.name), ["get_time"])
    }

    /// DeepSeek and Kimi open their calls with a section marker: streamed,
    /// it is held with the calls, never shown as content (it was before).
    func testSectionMarkersAreNotContent() {
        let cases: [(ToolCallFormat, String)] = [
            (.deepseek(r1: false), "Sure.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"),
            (.kimiK2, "Sure.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_time:0<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>"),
        ]
        for (format, text) in cases {
            for cut in stride(from: 1, to: text.count, by: 3) {
                var f = ToolCallStreamFilter(format: format, tools: tools, parser: ToolFixtures.parser())
                let shown = f.feed(String(text.prefix(cut))) + f.feed(String(text.dropFirst(cut)))
                let end = f.finish()
                XCTAssertEqual(shown + end.content, "Sure.", "\(format) cut at \(cut)")
                XCTAssertEqual(end.calls.map(\.name), ["get_time"], "\(format) cut at \(cut)")
            }
        }
    }

    /// The forced-call grammars, judged by llama.cpp on a real vocabulary,
    /// write what the parser reads back as the call.
    func testForcedCallGrammars() throws {
        let judge = try GrammarJudge(path: try TestModels.path("tiny-llama.gguf"))
        let samples: [(ToolCallFormat, String)] = [
            (.dsml(block: "function_calls"), "<\(d)function_calls>\n<\(d)invoke name=\"get_weather\">\n<\(d)parameter name=\"city\" string=\"true\">Paris</\(d)parameter>\n<\(d)parameter name=\"days\" string=\"false\">2 </\(d)parameter>\n</\(d)invoke>\n</\(d)function_calls>"),
            (.dsml(block: "tool_calls"), "<\(d)tool_calls>\n<\(d)invoke name=\"get_weather\">\n<\(d)parameter name=\"city\" string=\"true\">Paris</\(d)parameter>\n</\(d)invoke>\n</\(d)tool_calls>"),
            (.functionaryV32, "get_weather\n{\"city\": \"Paris\"}"),
        ]
        for (format, text) in samples {
            let g = try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: format, forced: nil)
            XCTAssertTrue(judge.parses(g), "\(format)\n\(g)")
            XCTAssertTrue(judge.accepts(g, text), "\(format): \(text)\n\(g)")
            XCTAssertFalse(judge.accepts(g, text.replacingOccurrences(of: "city", with: "town")), "\(format)")
            XCTAssertFalse(judge.accepts(g, "Sure! " + text), "\(format)")
            XCTAssertFalse(judge.accepts(try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: format, forced: "get_time"), text))
            let calls = ToolFixtures.parser().parse(text, format: format, tools: tools).calls
            XCTAssertEqual(calls.map(\.name), ["get_weather"], "\(format)")
            XCTAssertEqual(try JSON.parse(calls[0].arguments)["city"], "Paris")
        }
        // A number where the schema says integer: string="false" and JSON.
        let g = try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .dsml(block: "function_calls"), forced: nil)
        XCTAssertFalse(judge.accepts(g, samples[0].1.replacingOccurrences(of: ">2 <", with: ">two<")))
    }
}
