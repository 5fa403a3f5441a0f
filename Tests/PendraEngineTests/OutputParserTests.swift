import XCTest
@testable import PendraEngine

final class OutputParserTests: XCTestCase {
    private func events(_ spec: OutputSpec, _ deltas: [String]) -> [GenerationEvent] {
        var p = OutputParser(spec, parser: ToolFixtures.parser())
        var out: [GenerationEvent] = []
        for d in deltas { out += p.feed(d) }
        return out + p.finish()
    }

    func testReasoningThenContentThenAToolCall() {
        let spec = OutputSpec(reasoning: .think, startsInReasoning: true, toolFormat: .hermes, tools: ToolFixtures.all)
        let e = events(spec, ["I should", " call it.</think>\n\n", "Sure. <tool_call>{\"name\": \"get_weather\", ",
                              "\"arguments\": {\"city\": \"Oslo\"}}</tool_call>"])
        XCTAssertEqual(e, [.reasoning("I should"), .reasoning(" call it."), .text("Sure."),
                           .toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#))])
    }

    func testTagsInsideReasoningAreNotToolCalls() {
        let spec = OutputSpec(reasoning: .think, startsInReasoning: true, toolFormat: .hermes, tools: ToolFixtures.all)
        let e = events(spec, ["maybe <tool_call>{}</tool_call>?</think>no"])
        XCTAssertEqual(e, [.reasoning("maybe <tool_call>{}</tool_call>?"), .text("no")])
    }

    func testParallelCallsGetTheirOwnIndexes() {
        let spec = OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all)
        let e = events(spec, ["<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>\n",
                              "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}</tool_call>"])
        XCTAssertEqual(e, [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_time", arguments: "{}")),
                           .toolCall(ToolCallDelta(index: 1, id: "call_2", name: "get_weather", arguments: #"{"city":"Rome"}"#))])
    }

    func testACallThatDoesNotParseIsText() {
        let spec = OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all)
        XCTAssertEqual(events(spec, ["<tool_call>{\"name\": \"get_weather\", \"argu"]),
                       [.text("<tool_call>{\"name\": \"get_weather\", \"argu")])
    }

    func testEachBlockCallIsReportedWhenItsBlockCloses() {
        var p = OutputParser(OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all), parser: ToolFixtures.parser())
        XCTAssertEqual(p.feed("Let me look.\n<tool_call>\n{\"name\": \"get_time\", "), [.text("Let me look.")])
        XCTAssertEqual(p.feed("\"arguments\": {\"note\": \"</tool_call>\"}}\n</tool_call>\n"),
                       [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_time", arguments: #"{"note":"</tool_call>"}"#))],
                       "a closing tag inside a JSON string does not end the block")
        XCTAssertEqual(p.feed("  Done."), [.text("Done.")])
        XCTAssertEqual(p.finish(), [])
    }

    func testXMLBlocksStreamToo() {
        var p = OutputParser(OutputSpec(toolFormat: .qwenXML, tools: ToolFixtures.all), parser: ToolFixtures.parser())
        XCTAssertEqual(p.feed("<tool_call>\n<function=get_weather>\n<parameter=city>\nOslo\n</parameter>\n"), [])
        XCTAssertEqual(p.feed("</function>\n</tool_call>"),
                       [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#))])
    }

    func testWhitespaceOfAReplyWithoutCallsIsKept() {
        XCTAssertEqual(events(OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all), ["a ", "b\n"]),
                       [.text("a"), .text(" b"), .text("\n")])
    }

    func testPlainSpecPassesTextThrough() {
        XCTAssertEqual(events(.plain, ["a", "<think>b"]), [.text("a"), .text("<think>b")])
    }
}
