import XCTest
@testable import PendraEngine

/// A block parsed whole (not streamed) is found to end by reading only the
/// bytes that came since the last token: the same ends, at any split.
final class BlockCallStreamerTests: XCTestCase {
    func testAResumedScanFindsTheSameEndAsAWholeOne() {
        let texts = [#"{"a": "}]\"", "b": [1, {"c": "x"}]} tail"#, #"{"a": [}"#, #"[1, 2"#, #"x{}"#, #"{"s": "\\"}"#]
        for text in texts {
            let bytes = Array(text.utf8)
            let whole = JSONExtent.end(in: bytes, from: 0)
            var scan = JSONExtent.Scan(at: 0)
            for n in 0...bytes.count { scan.advance(Array(bytes[0..<n])) }
            XCTAssertEqual(scan.end, whole, text)
        }
        XCTAssertEqual(JSONExtent.end(in: Array(#"{"a": "}]\"", "b": [1, {"c": "x"}]} tail"#.utf8), from: 0), 35)
        XCTAssertNil(JSONExtent.end(in: Array(#"{"a": [}"#.utf8), from: 0), "a mismatched closer is not JSON")
    }

    /// Arguments before the name: not streamed, the block is parsed whole once
    /// it closes, and a closing tag inside a string does not close it.
    func testAWholeHermesBlockFedACharacterAtATime() {
        let text = #"Hi <tool_call>{"arguments": {"note": "</tool_call>"}, "name": "get_time"}</tool_call> bye"#
        var p = OutputParser(OutputSpec(toolFormat: .hermes, tools: ToolFixtures.all), parser: ToolFixtures.parser())
        var out: [GenerationEvent] = []
        for c in text { out += p.feed(String(c)) }
        out += p.finish()
        let merged = OutputParserTests.merged(out)
        XCTAssertEqual(merged.filter { if case .toolCall = $0 { true } else { false } },
                       [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_time", arguments: #"{"note":"</tool_call>"}"#))])
        XCTAssertEqual(merged.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined(), "Hibye")
    }

    func testAnXMLBlockFedACharacterAtATimeStillCloses() {
        let text = "<tool_call>\n<function=get_weather>\n<parameter=city>\nOslo\n</parameter>\n</function>\n</tool_call>"
        var p = OutputParser(OutputSpec(toolFormat: .qwenXML, tools: ToolFixtures.all), parser: ToolFixtures.parser())
        var out: [GenerationEvent] = []
        for c in text { out += p.feed(String(c)) }
        out += p.finish()
        XCTAssertEqual(out, [.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#))])
    }
}
