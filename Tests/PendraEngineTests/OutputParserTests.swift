import XCTest
@testable import PendraEngine

final class OutputParserTests: XCTestCase {
    private func events(_ spec: OutputSpec, _ deltas: [String]) -> [GenerationEvent] {
        var p = OutputParser(spec, parser: ToolFixtures.parser())
        var out: [GenerationEvent] = []
        for d in deltas { out += p.feed(d) }
        return Self.merged(out + p.finish())
    }

    /// Each call's streamed deltas as one (id, name, all its arguments), in place of its first.
    static func merged(_ events: [GenerationEvent]) -> [GenerationEvent] {
        var out: [GenerationEvent] = []
        var at: [Int: Int] = [:]
        for e in events {
            guard case .toolCall(let d) = e else { out.append(e); continue }
            if let i = at[d.index], case .toolCall(var first) = out[i] {
                first.arguments += d.arguments
                out[i] = .toolCall(first)
            } else {
                at[d.index] = out.count
                out.append(e)
            }
        }
        return out
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

    func testAHermesCallStreamsItsNameThenItsArguments() {
        var p = OutputParser(OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all), parser: ToolFixtures.parser())
        XCTAssertEqual(p.feed("Let me look.\n<tool_call>\n{\"name\": \"get_time\", "), [.text("Let me look.")])
        XCTAssertEqual(p.feed("\"arguments\": {\"note\""), [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_time", arguments: "")),
                                                         .toolCall(ToolCallDelta(index: 0, arguments: #"{"note""#))])
        XCTAssertEqual(p.feed(": \"</tool_call> x\"}}\n</tool"), [.toolCall(ToolCallDelta(index: 0, arguments: #":"</tool_call> x"}"#))],
                       "a closing tag inside a JSON string does not end the block; whitespace outside strings is dropped")
        XCTAssertEqual(p.feed("_call>\n  Done."), [.text("Done.")])
        XCTAssertEqual(p.finish(), [])
    }

    /// Every split of the text gives the same call, equal to the whole parse.
    func testStreamedArgumentsAddUpToTheWholeCallAtAnySplit() {
        let cases: [(ToolCallFormat, String)] = [
            (.hermes, "ok <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Pa ris\", \"days\": [1, 2]}}\n</tool_call>"),
            (.mistral, "Sure. [TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Bern\"}}, {\"name\": \"get_time\", \"arguments\": {}}]"),
            (.mistral, "[TOOL_CALLS]get_time[ARGS]{}[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{\"city\": \"Bern\"}"),
            (.llama3JSON, "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}; {\"name\": \"get_time\", \"parameters\": {}}"),
        ]
        for (format, text) in cases {
            let spec = OutputSpec(toolFormat: format, tools: ToolFixtures.all)
            let whole = ToolFixtures.parser().parse(text, format: format, tools: ToolFixtures.all)
            let expected = whole.calls.enumerated().map { i, c in
                GenerationEvent.toolCall(ToolCallDelta(index: i, id: "call_\(i + 1)", name: c.name, arguments: c.arguments))
            }
            let chars = text.map(String.init)
            for cut in 1..<chars.count {
                let e = events(spec, [chars[..<cut].joined(), chars[cut...].joined()])
                XCTAssertEqual(e.filter { if case .toolCall = $0 { true } else { false } }, expected, "\(format) cut at \(cut)")
            }
            var p = OutputParser(spec, parser: ToolFixtures.parser())
            var one: [GenerationEvent] = []
            for c in chars { one += p.feed(c) }
            one += p.finish()
            XCTAssertGreaterThan(one.count, expected.count + 2, "\(format): fed a character at a time, arguments come in fragments")
            XCTAssertEqual(Self.merged(one).filter { if case .toolCall = $0 { true } else { false } }, expected)
        }
    }

    func testLlama3AnswersAndOtherKeyOrders() {
        let spec = OutputSpec(toolFormat: .llama3JSON, tools: ToolFixtures.all)
        XCTAssertEqual(events(spec, ["Hello ", "there"]), [.text("Hello "), .text("there")])
        XCTAssertEqual(events(spec, ["{\"a\": 1}"]), [.text("{\"a\": 1}")])
        // Another key between the name and the arguments: held, parsed whole.
        XCTAssertEqual(events(spec, ["{\"name\": \"get_weather\", \"id\": 7, ", "\"parameters\": {\"city\": \"Rome\"}}"]),
                       [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"Rome"}"#))])
        // Not starting with "name" (as before streaming): an answer.
        XCTAssertEqual(events(spec, ["{\"parameters\": {}, \"name\": \"get_time\"}"]), [.text("{\"parameters\": {}, \"name\": \"get_time\"}")])
        // An unknown tool is text.
        XCTAssertEqual(events(spec, ["{\"name\": \"nope\", \"parameters\": {}}"]), [.text("{\"name\": \"nope\", \"parameters\": {}}")])
    }

    func testMistralShapesThatDoNotStreamAreParsedWhole() {
        let spec = OutputSpec(toolFormat: .mistral, tools: ToolFixtures.all)
        XCTAssertEqual(events(spec, ["Hi [TOOL_CALLS][{\"arguments\": {}, ", "\"name\": \"get_time\"}]"]),
                       [.text("Hi "), .toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_time", arguments: "{}"))])
        XCTAssertEqual(events(spec, ["[TOOL_CALLS]nope[ARGS]{}"]), [.text("[TOOL_CALLS]nope[ARGS]{}")])
        XCTAssertEqual(events(spec, ["no calls [TOOL_CA", "LLS here"]), [.text("no calls "), .text("[TOOL_CALLS here")])
    }

    func testACallCutWhileStreamingEndsWhereItWasCut() {
        let spec = OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all)
        XCTAssertEqual(events(spec, ["<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Pa"]),
                       [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"Pa"#))])
    }

    /// Pinned (README): a streamed call is never taken back and its arguments
    /// are not validated, so arguments that are not JSON are the call's, as written.
    func testAStreamedHermesCallWithInvalidJSONArgumentsIsStillTheCall() {
        let spec = OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all)
        XCTAssertEqual(events(spec, ["<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": Paris,}}", "</tool_call>"]),
                       [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":Paris,}"#))])
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
