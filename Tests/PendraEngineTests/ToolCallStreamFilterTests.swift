import XCTest
@testable import PendraEngine

final class ToolCallStreamFilterTests: XCTestCase {
    private func filter(_ format: ToolCallFormat, tools: [ChatTool] = ToolFixtures.all) -> ToolCallStreamFilter {
        ToolCallStreamFilter(format: format, tools: tools, parser: ToolFixtures.parser())
    }

    /// Feeds the deltas; returns what was emitted per delta and the end result.
    private func run(_ f: inout ToolCallStreamFilter, _ deltas: [String]) -> (emitted: [String], end: (content: String, calls: [ChatToolCall])) {
        let emitted = deltas.map { f.feed($0) }
        return (emitted, f.finish())
    }

    func testPlainTextFlowsThroughImmediately() {
        var f = filter(.hermes)
        let r = run(&f, ["Hello", " there", "!"])
        XCTAssertEqual(r.emitted, ["Hello", " there", "!"])
        XCTAssertEqual(r.end.content, "")
        XCTAssertEqual(r.end.calls, [])
    }

    func testHermesMarkerSplitAcrossDeltasIsHeldThenParsed() {
        var f = filter(.hermes)
        let r = run(&f, ["Checking <to", "ol_ca", "ll>{\"name\": \"get_time\", ", "\"arguments\": {}}</tool_call>"])
        XCTAssertEqual(r.emitted, ["Checking ", "", "", ""])
        XCTAssertEqual(r.end.content, "")
        XCTAssertEqual(r.end.calls, [ChatToolCall(id: "call_1", name: "get_time", arguments: "{}")])
    }

    func testPartialMarkerThatDivergesIsReleased() {
        var f = filter(.hermes)
        XCTAssertEqual(f.feed("a <tool"), "a ")
        XCTAssertFalse(f.isHolding)
        XCTAssertEqual(f.feed("box> b"), "<toolbox> b")
        XCTAssertEqual(f.finish().content, "")
    }

    func testHeldTextThatIsNotACallComesBackAsContent() {
        var f = filter(.hermes)
        let r = run(&f, ["x <tool_call>{\"name\": \"get_weather\", \"argu"])
        XCTAssertEqual(r.emitted, ["x "])
        XCTAssertEqual(r.end.content, "<tool_call>{\"name\": \"get_weather\", \"argu")
        XCTAssertEqual(r.end.calls, [])
    }

    func testLlama3HoldsOnlyAReplyThatStartsLikeACall() {
        var call = filter(.llama3JSON)
        let r = run(&call, ["  {", " \"na", "me\": \"get_time\", \"parameters\": {}}"])
        XCTAssertEqual(r.emitted, ["", "", ""])
        XCTAssertEqual(r.end.calls.map(\.name), ["get_time"])

        var json = filter(.llama3JSON)
        XCTAssertEqual(json.feed("{"), "")
        XCTAssertEqual(json.feed("\"answer\": 1}"), "{\"answer\": 1}")
        XCTAssertEqual(json.feed(" {\"name\""), " {\"name\"")
        XCTAssertEqual(json.finish().calls, [])

        var tagged = filter(.llama3JSON)
        XCTAssertEqual(tagged.feed("<|python"), "")
        XCTAssertEqual(tagged.feed("_tag|>{\"name\": \"get_time\", \"parameters\": {}}"), "")
        XCTAssertEqual(tagged.finish().calls.map(\.name), ["get_time"])

        var prose = filter(.llama3JSON)
        XCTAssertEqual(prose.feed("The answer"), "The answer")
        XCTAssertEqual(prose.feed(" is {\"name\": 1}"), " is {\"name\": 1}")
    }

    func testMistralMarkerAfterText() {
        var f = filter(.mistral)
        let r = run(&f, ["Sure. [TOOL", "_CALLS]get_weather[ARGS]{\"city\": \"Nice\"}"])
        XCTAssertEqual(r.emitted, ["Sure. ", ""])
        XCTAssertEqual(r.end.calls, [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Nice"}"#)])
    }

    func testNoToolsOrNoFormatNeverHolds() {
        var none = filter(.none)
        XCTAssertEqual(none.feed("<tool_call>{"), "<tool_call>{")
        var noTools = filter(.hermes, tools: [])
        XCTAssertEqual(noTools.feed("<tool_call>{"), "<tool_call>{")
        XCTAssertFalse(noTools.isHolding)
        XCTAssertEqual(noTools.finish().content, "")
    }

    func testMultibyteTextAroundMarker() {
        var f = filter(.hermes)
        XCTAssertEqual(f.feed("héllo ✓ <"), "héllo ✓ ")
        XCTAssertEqual(f.feed("tool_call>"), "")
        XCTAssertTrue(f.isHolding)
        XCTAssertEqual(f.finish().content, "<tool_call>")
    }
}
