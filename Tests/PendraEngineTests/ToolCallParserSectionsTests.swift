import XCTest
@testable import PendraEngine

final class ToolCallParserSectionsTests: XCTestCase {
    private func parse(_ text: String, _ format: ToolCallFormat) -> (content: String, calls: [ChatToolCall]) {
        ToolFixtures.parser().parse(text, format: format, tools: ToolFixtures.all)
    }

    func testDeepSeekV31ParallelCalls() {
        let text = "Checking.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Oslo\"}<｜tool▁call▁end｜>"
            + "<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
        let r = parse(text, .deepseek(r1: false))
        XCTAssertEqual(r.content, "Checking.")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
                                 ChatToolCall(id: "call_2", name: "get_time", arguments: "{}")])
    }

    func testDeepSeekR1FencedArguments() {
        let text = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Rome\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
        XCTAssertEqual(parse(text, .deepseek(r1: true)).calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Rome"}"#)])
    }

    func testKimiK2Calls() {
        let text = "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Paris\"}"
            + "<|tool_call_end|><|tool_call_begin|>functions.get_time:1<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>"
        XCTAssertEqual(parse(text, .kimiK2).calls.map(\.name), ["get_weather", "get_time"])
        XCTAssertEqual(parse(text, .kimiK2).calls.first?.arguments, #"{"city":"Paris"}"#)
    }

    func testGLMArgumentPairs() {
        let text = "Sure.\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Bern</arg_value>\n</tool_call>"
        let r = parse(text, .glm)
        XCTAssertEqual(r.content, "Sure.")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Bern"}"#)])
    }

    func testBrokenOrUnknownCallsStayText() {
        let cut = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": "
        XCTAssertEqual(parse(cut, .deepseek(r1: false)).content, cut)
        let unknown = "<|tool_call_begin|>functions.nope:0<|tool_call_argument_begin|>{}<|tool_call_end|>"
        XCTAssertEqual(parse(unknown, .kimiK2).calls, [])
        let glm = "<tool_call>nope\n</tool_call>"
        XCTAssertEqual(parse(glm, .glm).content, glm)
    }

    func testForcedGrammarsHaveEachFormatsFrame() throws {
        let tools = [ToolFixtures.weather]
        let ds = try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .deepseek(r1: false), forced: nil)
        XCTAssertTrue(ds.contains("get_weather<｜tool▁sep｜>"), ds)
        let kimi = try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .kimiK2, forced: nil)
        XCTAssertTrue(kimi.contains("functions.get_weather:0<|tool_call_argument_begin|>"), kimi)
        let glm = try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .glm, forced: nil)
        XCTAssertTrue(glm.contains("<arg_key>city</arg_key>"), glm)
        let harmony = try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .harmony, forced: nil)
        XCTAssertTrue(harmony.contains("to=functions.get_weather <|constrain|>json<|message|>"), harmony)
    }
}

final class ToolCallParserArraysTests: XCTestCase {
    private func parse(_ text: String, _ format: ToolCallFormat) -> (content: String, calls: [ChatToolCall]) {
        ToolFixtures.parser().parse(text, format: format, tools: ToolFixtures.all)
    }

    func testCommandR7BActions() {
        let text = "I'll check.<|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}},"
            + " {\"tool_call_id\": \"1\", \"tool_name\": \"get_time\", \"parameters\": {}}]<|END_ACTION|>"
        let r = parse(text, .commandR7B)
        XCTAssertEqual(r.content, "I'll check.")
        XCTAssertEqual(r.calls.map(\.name), ["get_weather", "get_time"])
        XCTAssertEqual(r.calls[0].arguments, #"{"city":"Oslo"}"#)
    }

    func testGraniteList() {
        let r = parse("<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lima\"}}]", .granite)
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Lima"}"#)])
    }

    func testFunctionaryCalls() {
        let r = parse("<function=get_weather>{\"city\": \"Kyiv\"}</function>\n<function=get_time>{}</function>", .functionary)
        XCTAssertEqual(r.calls.map(\.name), ["get_weather", "get_time"])
    }

    func testMiniMaxInvokes() {
        let text = "Ok.\n<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Quito</parameter>\n</invoke>\n</minimax:tool_call>"
        let r = parse(text, .minimax)
        XCTAssertEqual(r.content, "Ok.")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Quito"}"#)])
    }

    func testBrokenOnesAreText() {
        let r7 = "<|START_ACTION|>[{\"tool_name\": \"nope\", \"parameters\": {}}]<|END_ACTION|>"
        XCTAssertEqual(parse(r7, .commandR7B).content, r7)
        let fn = "<function=get_weather>{\"city\": </function>"
        XCTAssertEqual(parse(fn, .functionary).content, fn)
        let mm = "<minimax:tool_call><invoke name=\"get_weather\"><parameter name=\"city\">x</invoke></minimax:tool_call>"
        XCTAssertEqual(parse(mm, .minimax).calls, [])
    }

    func testForcedGrammars() throws {
        let tools = [ToolFixtures.weather]
        XCTAssertTrue(try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .commandR7B, forced: nil).contains("START_ACTION"))
        XCTAssertTrue(try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .granite, forced: nil).contains("<|tool_call|>"))
        XCTAssertTrue(try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .functionary, forced: nil).contains("<function=get_weather>"))
        XCTAssertTrue(try JSONSchemaGrammar.toolCallGBNF(tools: tools, format: .minimax, forced: nil).contains("<invoke name="))
    }
}
