import XCTest
@testable import PendraEngine

final class HarmonyParserTests: XCTestCase {
    private func events(_ deltas: [String], tools: [ChatTool] = ToolFixtures.all) -> [GenerationEvent] {
        var p = OutputParser(OutputSpec(reasoning: .harmony, toolFormat: .harmony, tools: tools), parser: ToolFixtures.parser())
        var out: [GenerationEvent] = []
        for d in deltas { out += p.feed(d) }
        return Self.merged(out + p.finish())
    }

    static func merged(_ events: [GenerationEvent]) -> [GenerationEvent] {
        var out: [GenerationEvent] = []
        for e in events {
            switch (out.last, e) {
            case (.reasoning(let a)?, .reasoning(let b)): out[out.count - 1] = .reasoning(a + b)
            case (.text(let a)?, .text(let b)): out[out.count - 1] = .text(a + b)
            case (.toolCall(let a)?, .toolCall(let b)) where a.index == b.index && b.id == nil:
                out[out.count - 1] = .toolCall(ToolCallDelta(index: a.index, id: a.id, name: a.name, arguments: a.arguments + b.arguments))
            default: out.append(e)
            }
        }
        return out
    }

    func testAnalysisIsReasoningAndFinalIsContent() {
        let e = events(["<|chan", "nel|>analysis<|message|>User says hi.", "<|e", "nd|><|start|>assistant<|channel|>final",
                        "<|message|>Hello!"])
        XCTAssertEqual(e, [.reasoning("User says hi."), .text("Hello!")])
    }

    func testCommentaryToAFunctionIsAToolCall() {
        let e = events(["<|channel|>analysis<|message|>Need weather.<|end|>",
                        "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>",
                        "{\"city\":", " \"Oslo\"}"])
        XCTAssertEqual(e, [.reasoning("Need weather."),
                           .toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#))])
    }

    func testRecipientBeforeTheChannelToo() {
        let e = events([" to=functions.get_time<|channel|>commentary json<|message|>{}"])
        XCTAssertEqual(e, [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_time", arguments: "{}"))])
    }

    func testACallStreamsFromItsHeaderAndACutOneEndsThere() {
        var p = OutputParser(OutputSpec(reasoning: .harmony, toolFormat: .harmony, tools: ToolFixtures.all), parser: ToolFixtures.parser())
        XCTAssertEqual(p.feed("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|> "), [])
        XCTAssertEqual(p.feed("{\"city\": "), [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: "")),
                                              .toolCall(ToolCallDelta(index: 0, arguments: #"{"city":"#))])
        XCTAssertEqual(p.feed("\"Os lo\"}"), [.toolCall(ToolCallDelta(index: 0, arguments: #""Os lo"}"#))])
        XCTAssertEqual(p.finish(), [])
        XCTAssertEqual(events(["<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": "]),
                       [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"#))])
    }

    func testBadArgumentsOrUnknownToolAreText() {
        XCTAssertEqual(events(["<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>city: Oslo"]),
                       [.text("city: Oslo")])
        XCTAssertEqual(events(["<|channel|>commentary to=functions.nope<|message|>{}"]), [.text("{}")])
    }

    func testOutputThatIsNotHarmonyIsPlainText() {
        XCTAssertEqual(events(["Just", " text"]), [.text("Just text")])
    }

    func testDetection() {
        let t = "<|start|>assistant to=functions.x<|channel|>commentary json<|message|>{}<|call|>"
        XCTAssertEqual(ReasoningFormat.detect(chatTemplate: t), .harmony)
        XCTAssertEqual(ToolCallFormat.detect(chatTemplate: t), .harmony)
    }
}
